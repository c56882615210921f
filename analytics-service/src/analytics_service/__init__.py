"""CRM analytics-service"""
