from crm_testing.service import assert_ready
from fastapi import FastAPI


async def test_service_is_healthy_and_ready_on_its_migrated_database(support_app: FastAPI) -> None:
    await assert_ready(support_app)
