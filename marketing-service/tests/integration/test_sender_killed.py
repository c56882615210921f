"""A campaign whose sender process is killed mid-send, then restarted, delivers exactly
one message to every recipient (M2): the sender is a real process, killed with SIGKILL."""

import os
import signal
import subprocess
import sys
from collections import Counter
from uuid import uuid4

import httpx
import nats
import pytest
from crm_local.ports import free_port
from crm_testing.service import bearer, eventually
from marketing_service.settings import MarketingSettings

from .helpers import contact_event, snapshot

RECIPIENTS = 60


@pytest.fixture
async def stack(service_database, nats_factory):
    """A database and a NATS of this test's own, for a service that runs as a process."""
    url = await service_database.acreate("marketing_restarts", section="marketing")
    return url, nats_factory().url


class ServiceProcess:
    """marketing-service under uvicorn in a child process (its background work on)."""

    def __init__(self, database_url: str, nats_url: str, smtp_port: int) -> None:
        self.port = free_port("127.0.0.1")
        self.env = {
            **os.environ,
            "CRM_MARKETING_DATABASE_URL": database_url,
            "CRM_NATS_URL": nats_url,
            "CRM_SMTP_HOST": "127.0.0.1",
            "CRM_SMTP_PORT": str(smtp_port),
            "CRM_MARKETING_SEND_CHUNK_SECONDS": "0.5",
            "CRM_MARKETING_SEND_TAKEOVER_SECONDS": "2",
            "CRM_LOG_LEVEL": "WARNING",
        }
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def spawn(self) -> None:
        self.process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "uvicorn",
                "marketing_service.main:create_app",
                "--factory",
                "--host",
                "127.0.0.1",
                "--port",
                str(self.port),
                "--log-level",
                "warning",
            ],
            env=self.env,
        )

    async def start(self) -> None:
        self.spawn()

        async def ready() -> None:
            try:
                async with httpx.AsyncClient() as client:
                    response = await client.get(f"{self.url}/readyz")
            except httpx.TransportError as exc:
                raise AssertionError(str(exc)) from exc
            assert response.status_code == 200

        await eventually(ready, within=30, interval=0.2)

    def kill(self) -> None:
        assert self.process is not None
        os.kill(self.process.pid, signal.SIGKILL)
        self.process.wait(10)

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(15)


async def test_a_sender_killed_mid_campaign_resumes_and_nobody_gets_a_second_copy(
    stack, smtp_sink, smtp_port
):
    database_url, nats_url = stack
    tenant = uuid4()
    service = ServiceProcess(database_url, nats_url, smtp_port)
    await service.start()
    try:
        headers = bearer(MarketingSettings(), tenant)
        async with httpx.AsyncClient(base_url=service.url, headers=headers) as api:
            nc = await nats.connect(nats_url)
            contacts = [snapshot(tags=["crash"]) for _ in range(RECIPIENTS)]
            for contact in contacts:
                event = contact_event(tenant, contact)
                await nc.jetstream().publish(
                    event.type.rsplit(".", 1)[0], event.model_dump_json(exclude_none=True).encode()
                )
            await nc.close()
            segment = await api.post("/v1/segments", json={"name": "All", "rule": {"tag": "crash"}})
            segment_id = segment.json()["id"]

            async def projected() -> None:
                count = (await api.get(f"/v1/segments/{segment_id}/count")).json()
                assert count == {"count": RECIPIENTS}

            await eventually(projected, within=30)
            body = {
                "name": "Crash",
                "segment_id": segment_id,
                "subject": "Hi {{ contact.email }}",
                "text": "Hello",
                "rate_per_second": 40,
            }
            campaign_id = (await api.post("/v1/campaigns", json=body)).json()["id"]
            await api.post(f"/v1/campaigns/{campaign_id}/schedule", json={})
            await smtp_sink.wait_for(RECIPIENTS // 3, timeout=30)
            service.kill()
            delivered_at_kill = len(smtp_sink.messages)
            assert delivered_at_kill < RECIPIENTS, "the kill came too late to test anything"
            await service.start()

            async def sent() -> None:
                campaign = (await api.get(f"/v1/campaigns/{campaign_id}")).json()
                assert campaign["status"] == "sent"

            await eventually(sent, within=60, interval=0.2)
            stats = (await api.get(f"/v1/campaigns/{campaign_id}/stats")).json()
            # Sends the killed run decided but had not recorded yet are recorded by the
            # next: one touch per recipient, none lost, none twice.
            touches = {}
            for contact in contacts:
                page = (await api.get(f"/v1/contacts/{contact.id}/touchpoints")).json()["data"]
                touches[contact.id] = [t["campaign_id"] for t in page if t["kind"] == "email_sent"]
    finally:
        service.stop()
    copies = Counter(str(m["To"]) for m in smtp_sink.messages)
    assert set(copies) == {c.email for c in contacts}
    assert set(copies.values()) == {1}, [a for a, n in copies.items() if n > 1]
    assert stats["recipients"] == {"sent": RECIPIENTS}
    assert touches == {c.id: [campaign_id] for c in contacts}
