"""Every ORM model, for Alembic (models import ``Base`` from ``base.py``, not from here)."""

from sales_service.assignment.models import AssignmentQueue, AssignmentRule
from sales_service.base import Base
from sales_service.channels.models import DealRegistration, Partner
from sales_service.configuration.models import ConfigurationRule
from sales_service.deals.models import Deal, DealContact, DealLineItem, DealStageChange
from sales_service.forecast.models import ForecastCell, Quota
from sales_service.leads.models import Lead, WebForm, WebFormHits
from sales_service.orders.models import AccountBalance, LedgerEntry, Order
from sales_service.pipelines.models import Pipeline, Stage
from sales_service.products.models import ExchangeRate, PriceBook, PriceBookEntry, Product
from sales_service.quotes.models import Quote
from sales_service.tasks.models import CalendarFeed, Task, TaskRule

__all__ = [
    "AccountBalance",
    "AssignmentQueue",
    "AssignmentRule",
    "Base",
    "CalendarFeed",
    "ConfigurationRule",
    "Deal",
    "DealContact",
    "DealLineItem",
    "DealRegistration",
    "DealStageChange",
    "ExchangeRate", "ForecastCell",
    "Lead",
    "LedgerEntry",
    "Order",
    "Partner",
    "Pipeline",
    "PriceBook",
    "PriceBookEntry",
    "Product",
    "Quota",
    "Quote",
    "Stage",
    "Task",
    "TaskRule",
    "WebForm",
    "WebFormHits",
]  # fmt: skip
