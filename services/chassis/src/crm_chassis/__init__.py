"""The chassis every CRM service is built on"""
