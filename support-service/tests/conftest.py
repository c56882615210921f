from crm_testing.fixtures import service_fixtures
from support_service.main import create_app
from support_service.settings import SupportSettings

globals().update(
    service_fixtures(
        name="support",
        create_app=create_app,
        settings_cls=SupportSettings,
        settings_overrides=lambda tmp: {"storage_path": str(tmp.mktemp("objects"))},
    )
)
