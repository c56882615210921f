from analytics_service.main import create_app
from analytics_service.settings import AnalyticsSettings
from crm_testing.fixtures import service_fixtures

globals().update(
    service_fixtures(name="analytics", create_app=create_app, settings_cls=AnalyticsSettings)
)
