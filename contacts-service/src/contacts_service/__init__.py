"""CRM contacts-service"""
