"""The contacts projection is rebuilt from the stream (the consumer replays from the start)."""

from uuid import uuid4

from crm_testing.service import eventually
from marketing_service.contacts.projection import CONTACTS
from marketing_service.contacts.rebuild import rebuild

from .helpers import contact_event, snapshot


async def test_an_emptied_projection_comes_back_from_the_stream(
    api, tenant, publish, projected, marketing_app
):
    first = snapshot(first_name="Ada", tags=["r"])
    newer = first.model_copy(update={"version": 2, "first_name": "Ada B.", "tags": ["r", "s"]})
    for event in (contact_event(tenant, first), contact_event(tenant, newer)):
        await publish(event)
    await projected(first.id)
    # A row no event ever made: a rebuild must not bring it back.
    async with marketing_app.state.sessions() as session, session.begin():
        await CONTACTS.upsert(
            session,
            tenant_id=tenant,
            id=uuid4(),
            sequence=1,
            values={"first_name": "Phantom", "tags": ["s"]},
        )
    await rebuild(marketing_app.state.bus, marketing_app.state.sessions)

    async def back() -> None:
        preview = (await api.post("/v1/segments/preview", json={"rule": {"tag": "s"}})).json()
        assert [m["first_name"] for m in preview["data"]] == ["Ada B."], preview

    await eventually(back, within=60)  # the runner notices its consumer is gone, then replays
