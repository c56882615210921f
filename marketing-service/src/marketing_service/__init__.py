"""CRM marketing-service"""
