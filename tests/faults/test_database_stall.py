"""A stalled PostgreSQL (every process paused for 10 s) gives 503 problems while it is
stalled, not hung requests, and the service recovers by itself when it resumes."""

import asyncio

import httpx
from crm_testing.service import eventually

PAUSE_SECONDS = 10


async def test_a_stalled_database_gives_503_problems_and_service_comes_back(
    postgres, start_contacts, auth
):
    service = start_contacts()
    async with httpx.AsyncClient(base_url=service.url, headers=auth, timeout=30) as http:

        async def ready() -> None:
            assert (await http.get("/readyz")).status_code == 200

        await eventually(ready, within=30)
        created = await http.post("/v1/contacts", json={"first_name": "Ada"})
        assert created.status_code == 201
        contact = f"/v1/contacts/{created.json()['id']}"
        assert (await http.get(contact)).status_code == 200

        resumed = asyncio.Event()

        def resume() -> None:
            postgres.resume()
            resumed.set()

        postgres.pause()
        timer = asyncio.get_running_loop().call_later(PAUSE_SECONDS, resume)
        try:
            during = await asyncio.gather(
                *(http.get(contact) for _ in range(6)),
                http.post("/v1/contacts", json={"first_name": "Grace"}),
                http.post(
                    "/v1/contacts", json={"first_name": "Alan"}, headers={"idempotency-key": "k1"}
                ),
                http.get("/readyz"),
            )
            # Measured against the pause, not a stopwatch: every request was answered
            # while the database was still stalled.
            assert not resumed.is_set()
        finally:
            timer.cancel()
            resume()

        *requests, readiness = during
        for response in requests:
            assert response.status_code == 503, response.text
            assert response.headers["content-type"] == "application/problem+json"
            assert response.json()["type"].endswith("/unavailable")
            assert int(response.headers["retry-after"]) > 0
        assert readiness.status_code == 503
        assert readiness.json()["checks"]["database"] is False

        async def served() -> None:
            assert (await http.get(contact)).status_code == 200
            assert (await http.get("/readyz")).status_code == 200

        await eventually(served, within=15)
        again = await http.post("/v1/contacts", json={"first_name": "Grace"})
        assert again.status_code == 201
        # The failed writes left nothing behind: Ada and the Grace written after.
        names = sorted(c["first_name"] for c in (await http.get("/v1/contacts")).json()["data"])
        assert names == ["Ada", "Grace"]
