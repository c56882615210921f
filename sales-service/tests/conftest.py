from crm_testing.fixtures import service_fixtures
from sales_service.main import create_app
from sales_service.settings import SalesSettings

globals().update(service_fixtures(name="sales", create_app=create_app, settings_cls=SalesSettings))
