from crm_testing.service import assert_ready
from fastapi import FastAPI


async def test_service_is_healthy_and_ready_on_its_migrated_database(support_app: FastAPI) -> None:
    await assert_ready(support_app)


def test_the_openapi_document_resolves_and_names_the_routes(support_app: FastAPI) -> None:
    from crm_testing.service import assert_refs_resolve

    document = support_app.openapi()
    assert_refs_resolve(document)
    segments = {p.split("/")[2] for p in document["paths"] if p.startswith("/v1/")}
    assert {"tickets", "inbound", "calendars", "sla-policies", "queues", "agents", "calls",
            "articles", "portal", "surveys"} <= segments  # fmt: skip
