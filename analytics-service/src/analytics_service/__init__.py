"""analytics-service.

Analytical CRM: the warehouse, OLAP, reports, forecasting, RFM, CLV, churn, attribution.
"""
