"""A campaign's consent is checked a batch at a time, and each send decided again at its
end of data (M2, M7): a change that commits between the batch's check and a send stops
that send, over a real SMTP server."""

from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from uuid import UUID, uuid4

from crm_chassis.jobs import Job
from crm_testing.service import eventually
from marketing_service.campaigns import recipients
from marketing_service.campaigns.models import Campaign
from marketing_service.campaigns.models import Recipient as R
from marketing_service.campaigns.sender import Sender
from marketing_service.consent import service as consent
from marketing_service.contacts import projection
from marketing_service.contacts.models import ProjectedContact as C
from marketing_service.delivery.channel import Commit, Outgoing
from marketing_service.delivery.email import EmailChannel
from sqlalchemy import select

from .helpers import contact_event, snapshot


class ChangeBeforeSend:
    """The email channel, with a change made to one recipient just before its message is
    sent: after its batch's consent check, before its send is decided."""

    name = "email"

    def __init__(self, settings, to: str, change: Callable[[], Awaitable[None]]) -> None:
        self.email = EmailChannel(settings)
        self.to, self.change = to, change

    @asynccontextmanager
    async def session(self) -> AsyncIterator["ChangeBeforeSend._Session"]:
        async with self.email.session() as inner:
            yield self._Session(self, inner)

    class _Session:
        def __init__(self, channel: "ChangeBeforeSend", inner) -> None:
            self.channel, self.inner = channel, inner

        async def send(self, outgoing: Outgoing, commit: Commit) -> str:
            if outgoing.to == self.channel.to:
                await self.channel.change()
            return await self.inner.send(outgoing, commit)


async def list_campaign(api, sessions, tenant: UUID, contact_ids: list[UUID]) -> UUID:
    """A campaign to a list of ``contact_ids`` (made through the API), its audience taken
    and ready to send, as its start job leaves it but with no sender run scheduled."""
    list_id = uuid4()
    body = {"name": "Decided", "list_id": str(list_id), "subject": "Hi", "text": "Hello"}
    created = await api.post("/v1/campaigns", json={**body, "rate_per_second": 0})
    assert created.status_code == 201, created.text
    async with sessions() as s, s.begin():
        await projection.add_list_members(s, tenant, list_id, contact_ids)
        campaign = await s.get(Campaign, UUID(created.json()["id"]))
        assert campaign is not None
        campaign.status = "sending"
        await recipients.take_audience(s, campaign)
    return campaign.id


async def send_all(sessions, sender: Sender, tenant: UUID, campaign_id: UUID) -> None:
    """Sender runs, as the job runner would make them, until the campaign is sent."""
    for _ in range(20):
        async with sessions() as s:
            current = await s.get(Campaign, campaign_id)
            assert current is not None
            if current.status == "sent":
                return
            payload = {"campaign_id": str(campaign_id), "generation": current.send_generation}
            await sender.run(
                s, Job(uuid4(), tenant, "campaign.send", datetime.now(UTC), payload, 0)
            )
    raise AssertionError("the campaign was not sent")


async def outcomes(sessions, campaign_id: UUID) -> dict[UUID, tuple[str, str | None]]:
    async with sessions() as s:
        rows = await s.execute(
            select(R.contact_id, R.status, R.reason).where(R.campaign_id == campaign_id)
        )
        return {r.contact_id: (r.status, r.reason) for r in rows}


async def sent_touches(api, contact_id: UUID) -> int:
    touches = (await api.get(f"/v1/contacts/{contact_id}/touchpoints")).json()["data"]
    return sum(t["kind"] == "email_sent" for t in touches)


async def send_with_a_change(
    api, app, tenant, publish, projected, contacts, changed, change
) -> UUID:
    """A campaign to ``contacts`` sent to the end, ``change`` made just before the send to
    ``changed``."""
    for c in contacts:
        await publish(contact_event(tenant, c))
        await projected(c.id)
    sessions = app.state.sessions
    campaign_id = await list_campaign(api, sessions, tenant, [c.id for c in contacts])
    settings = app.state.settings
    sender = Sender(settings, ChangeBeforeSend(settings, changed.email, change))
    await send_all(sessions, sender, tenant, campaign_id)
    return campaign_id


async def projected_as(sessions, tenant: UUID, contact_id: UUID, column, expected) -> None:
    """Wait until the projection holds ``expected`` in ``column`` of the contact."""

    async def applied() -> None:
        async with sessions() as s:
            value = await s.scalar(select(column).where(C.tenant_id == tenant, C.id == contact_id))
        assert value == expected

    await eventually(applied)


async def only_the_other_was_sent(api, app, smtp_sink, campaign_id, stopped, other, reason):
    assert [str(m["To"]) for m in smtp_sink.messages] == [other.email]
    assert await outcomes(app.state.sessions, campaign_id) == {
        stopped.id: ("skipped", reason),
        other.id: ("sent", None),
    }
    assert (await sent_touches(api, stopped.id), await sent_touches(api, other.id)) == (0, 1)


async def test_consent_withdrawn_after_the_batch_check_stops_that_send(
    api, tenant, publish, projected, smtp_sink, marketing_app
):
    leaving, staying = snapshot(), snapshot()
    denied = {"email": {"marketing": "denied"}}

    async def withdraw() -> None:
        changed = snapshot(leaving.id, version=2, email=leaving.email, consent=denied)
        await publish(contact_event(tenant, changed))
        await projected_as(marketing_app.state.sessions, tenant, leaving.id, C.consent, denied)

    campaign_id = await send_with_a_change(
        api, marketing_app, tenant, publish, projected, [leaving, staying], leaving, withdraw
    )
    await only_the_other_was_sent(
        api, marketing_app, smtp_sink, campaign_id, leaving, staying, "consent_denied"
    )


async def test_an_unsubscribe_after_the_batch_check_stops_that_send(
    api, tenant, publish, projected, smtp_sink, marketing_app
):
    leaving, staying = snapshot(), snapshot()

    async def unsubscribe() -> None:
        async with marketing_app.state.sessions() as s, s.begin():
            await consent.unsubscribe(
                s, tenant, leaving.id, "email", "marketing", source="one_click"
            )

    campaign_id = await send_with_a_change(
        api, marketing_app, tenant, publish, projected, [leaving, staying], leaving, unsubscribe
    )
    await only_the_other_was_sent(
        api, marketing_app, smtp_sink, campaign_id, leaving, staying, "unsubscribed"
    )


async def test_a_change_that_keeps_consent_sends_once_after_the_full_check(
    api, tenant, publish, projected, smtp_sink, marketing_app
):
    """The contact's row changed (its version moved on) but it still consents: the send
    is decided by the full check and goes, once."""
    renamed = snapshot(first_name="Ada")

    async def rename() -> None:
        changed = snapshot(renamed.id, version=2, email=renamed.email, first_name="Bo")
        await publish(contact_event(tenant, changed))
        await projected_as(marketing_app.state.sessions, tenant, renamed.id, C.first_name, "Bo")

    campaign_id = await send_with_a_change(
        api, marketing_app, tenant, publish, projected, [renamed], renamed, rename
    )
    assert [str(m["To"]) for m in smtp_sink.messages] == [renamed.email]
    sessions = marketing_app.state.sessions
    assert await outcomes(sessions, campaign_id) == {renamed.id: ("sent", None)}
    assert await sent_touches(api, renamed.id) == 1
