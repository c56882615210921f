"""sales-service.

Sales force automation: leads, pipelines, deals, products, quotes, orders, tasks, forecast.
"""
