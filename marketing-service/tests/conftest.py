from collections.abc import Iterator

import pytest
from crm_local.mail_sink import MailSink
from crm_local.ports import free_port
from crm_testing.fixtures import service_fixtures
from marketing_service.main import create_app
from marketing_service.settings import MarketingSettings

# The app's relay is this session's SMTP server, on a port fixed before either starts.
SMTP_PORT = free_port("127.0.0.1")
FAST_SENDS = {
    "smtp_host": "127.0.0.1",
    "smtp_port": SMTP_PORT,
    "send_chunk_seconds": 0.5,
    "send_takeover_seconds": 3.0,
}

globals().update(
    service_fixtures(
        name="marketing",
        create_app=create_app,
        settings_cls=MarketingSettings,
        settings_overrides=FAST_SENDS,
    )
)


@pytest.fixture(scope="session")
def smtp_port() -> int:
    return SMTP_PORT


@pytest.fixture(scope="session")
def smtp_server() -> Iterator[MailSink]:
    """The session's SMTP server (crm_testing's), on the port the app was given."""
    with MailSink(port=SMTP_PORT) as sink:
        yield sink
