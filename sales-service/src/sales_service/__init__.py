"""CRM sales-service"""
