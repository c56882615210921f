"""The CRM API gateway: one base URL, identity, proxying, merged OpenAPI"""
