"""CRM contracts: the CloudEvents envelope and one pydantic model per event type"""
