"""CRM support-service"""
