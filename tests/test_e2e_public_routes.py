"""Through the gateway, what a service declares public needs no token; the rest does."""

import httpx
from crm_testing.service import eventually


async def test_public_links_and_forms_reach_their_service_without_a_token(
    gateway: httpx.AsyncClient,
) -> None:
    # Each answers from its service (a bad link or form key is its 404 or 401), not with the
    # gateway's "Missing Authorization" 401, once the gateway has read the services'
    # documents (in the background, at start-up).
    async def all_answered() -> None:
        for method, path in PUBLIC:
            response = await gateway.request(method, path, json={} if method == "POST" else None)
            assert "Missing Authorization" not in response.text, path
            assert response.status_code < 500, (path, response.text)

    await eventually(all_answered, within=30, interval=0.5)


PUBLIC = [
    ("GET", "/v1/unsubscribe/not-a-token"),
    ("GET", "/v1/t/o/not-a-token"),
    ("POST", "/v1/web-forms/no-such-key/submissions"),
    ("GET", "/v1/surveys/not-a-token"),
    ("GET", "/v1/calendar-feeds/not-a-secret.ics"),
]


async def test_everything_else_still_needs_a_token(gateway: httpx.AsyncClient) -> None:
    for path in ["/v1/segments", "/v1/contacts", "/v1/tickets", "/v1/web-forms"]:
        response = await gateway.get(path)
        assert response.status_code == 401, (path, response.text)
