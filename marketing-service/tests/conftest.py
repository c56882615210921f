from crm_testing.fixtures import service_fixtures
from marketing_service.main import create_app
from marketing_service.settings import MarketingSettings

globals().update(
    service_fixtures(name="marketing", create_app=create_app, settings_cls=MarketingSettings)
)
