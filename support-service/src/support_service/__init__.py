"""support-service.

Customer service: tickets, routing, SLA policies and clocks, calls, knowledge base, CSAT.
"""
