"""The demo loader: what it sends for each section, and that a refusal does not stop it."""

import json

import httpx
from crm_cli.demo import SIZES, load


def test_every_section_runs_and_a_refused_one_is_reported() -> None:
    seen: list[tuple[str, str]] = []
    counter = iter(range(10**6))

    def answer(request: httpx.Request) -> httpx.Response:
        seen.append((request.method, request.url.path))
        if request.url.path == "/v1/segments":
            return httpx.Response(422, json={"title": "Unprocessable", "detail": "no rule"})
        if request.url.path == "/v1/contacts/batch":
            items = json.loads(request.content)["items"]
            results = [
                {"index": i, "status": "created", "id": f"c{next(counter)}"}
                for i in range(len(items))
            ]
            return httpx.Response(200, json={"results": results})
        status = 200 if request.method == "PATCH" else 201
        return httpx.Response(status, json={"id": f"id{next(counter)}", "version": 1})

    with httpx.Client(base_url="http://crm.test", transport=httpx.MockTransport(answer)) as http:
        demo = load(http, size="small", seed=7)

    size = SIZES["small"]
    assert demo.made["accounts"] == size.accounts
    assert demo.made["contacts"] == size.accounts * size.contacts_per_account
    assert demo.made["leads"] == size.leads
    assert demo.made["deals"] == size.deals
    assert demo.made["tickets"] == size.tickets
    assert "campaigns" not in demo.made
    assert any("segments" in p and "no rule" in p for p in demo.problems)
    assert ("POST", "/v1/stages") in seen
    assert demo.made["stage changes"] > 0


def test_the_same_seed_makes_the_same_tenant() -> None:
    def bodies(seed: int) -> list[bytes]:
        sent: list[bytes] = []

        def answer(request: httpx.Request) -> httpx.Response:
            sent.append(request.content)
            return httpx.Response(201, json={"id": f"id{len(sent)}", "version": 1, "results": []})

        with httpx.Client(base_url="http://crm.test", transport=httpx.MockTransport(answer)) as c:
            load(c, size="small", seed=seed)
        return sent

    assert bodies(3) == bodies(3)
    assert bodies(3) != bodies(4)
