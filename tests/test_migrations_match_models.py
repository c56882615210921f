"""Every app's migrations and ORM models agree: autogenerate finds nothing to write."""

import pytest
from crm_testing.schema_drift import app_metadata, schema_drift, workspace_apps


@pytest.mark.parametrize("app", workspace_apps())
async def test_migrations_match_the_models(app: str, service_database) -> None:
    url = await service_database.acreate(f"{app}_drift", section=app)
    assert await schema_drift(url, app_metadata(app)) == []


def test_every_app_has_its_migrations_section() -> None:
    assert set(workspace_apps()) == {
        "contacts",
        "sales",
        "marketing",
        "support",
        "analytics",
        "gateway",
    }
