from contacts_service.models import Base
from crm_testing.schema_drift import schema_drift


async def test_migrations_match_the_models(contacts_db_url):
    assert await schema_drift(contacts_db_url, Base.metadata) == []
