"""Pytest plugin: real PostgreSQL and NATS for CRM tests"""
