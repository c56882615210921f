"""Campaigns (M2, M3, M7) over a real SMTP server: consent on every send, personalisation,
one-click unsubscribe, bounces, open and click tracking."""

import re
from urllib.parse import urlsplit
from uuid import uuid4

from crm_proto.events.contacts import ListMembersAdded
from crm_testing.service import eventually

from .helpers import contact_event, event, snapshot

HTML = (
    "<html><body><p>Hi {{ contact.first_name | default('there') }},</p>"
    '<a href="https://example.com/pricing">See pricing</a></body></html>'
)
TEXT = "Hi {{ contact.first_name | default('there') }}, see {{ unsubscribe_url }}"


async def audience(api, tenant, publish, projected, *contacts) -> str:
    """A segment of the ``newsletter`` tag holding exactly ``contacts``."""
    for contact in contacts:
        await publish(contact_event(tenant, contact))
        await projected(contact.id)
    rule = {"tag": "newsletter"}
    segment = (await api.post("/v1/segments", json={"name": "News", "rule": rule})).json()

    async def filled() -> None:
        count = await api.get(f"/v1/segments/{segment['id']}/count")
        assert count.json()["count"] == len(contacts)

    await eventually(filled)
    return segment["id"]


async def send(api, segment_id: str, **extra) -> str:
    body = {
        "name": "Spring",
        "segment_id": segment_id,
        "subject": "Hello {{ contact.first_name }}",
        "html": HTML,
        "text": TEXT,
        "rate_per_second": 0,
        **extra,
    }
    created = await api.post("/v1/campaigns", json=body)
    assert created.status_code == 201, created.text
    campaign_id = created.json()["id"]
    scheduled = await api.post(f"/v1/campaigns/{campaign_id}/schedule", json={})
    assert scheduled.status_code == 200, scheduled.text
    return campaign_id


async def finished(api, campaign_id: str) -> dict:
    async def done() -> dict:
        campaign = (await api.get(f"/v1/campaigns/{campaign_id}")).json()
        assert campaign["status"] == "sent", campaign
        return (await api.get(f"/v1/campaigns/{campaign_id}/stats")).json()

    return await eventually(done, within=20)


async def test_a_campaign_reaches_exactly_the_consenting_members_personalised_with_unsubscribe(
    api, tenant, publish, projected, smtp_sink
):
    ada = snapshot(first_name="Ada", tags=["newsletter"])
    anonymous = snapshot(first_name=None, tags=["newsletter"])
    denied = snapshot(tags=["newsletter"], consent={"email": {"marketing": "denied"}})
    unknown = snapshot(tags=["newsletter"], consent={})
    blocked = snapshot(tags=["newsletter"], do_not_contact=True)
    outsider = snapshot(tags=["other"])
    segment_id = await audience(
        api, tenant, publish, projected, ada, anonymous, denied, unknown, blocked
    )
    await publish(contact_event(tenant, outsider))
    campaign_id = await send(api, segment_id)
    stats = await finished(api, campaign_id)
    assert stats["recipients"] == {"sent": 2, "skipped": 3}
    messages = {str(m["To"]): m for m in smtp_sink.messages}
    assert set(messages) == {ada.email, anonymous.email}
    assert messages[ada.email]["Subject"] == "Hello Ada"
    ada_text = messages[ada.email].get_body(("plain",)).get_content()
    ada_html = messages[ada.email].get_body(("html",)).get_content()
    assert ada_text.startswith("Hi Ada,") and "Hi Ada," in ada_html
    assert messages[anonymous.email].get_body(("plain",)).get_content().startswith("Hi there,")
    for message in messages.values():
        assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
        url = re.fullmatch(r"<(.+)>", str(message["List-Unsubscribe"])).group(1)
        assert url.startswith("http://127.0.0.1:8000/v1/unsubscribe/")
    recipients = (await api.get(f"/v1/campaigns/{campaign_id}/recipients")).json()["data"]
    reasons = sorted(r["reason"] for r in recipients if r["status"] == "skipped")
    assert reasons == ["consent_denied", "do_not_contact", "no_consent"]


async def test_an_unsubscribed_contact_gets_nothing_more(
    api, anonymous, tenant, publish, projected, smtp_sink, event_capture
):
    leaving, staying = snapshot(tags=["newsletter"]), snapshot(tags=["newsletter"])
    segment_id = await audience(api, tenant, publish, projected, leaving, staying)
    await finished(api, await send(api, segment_id))
    message = next(m for m in smtp_sink.messages if str(m["To"]) == leaving.email)
    url = urlsplit(str(message["List-Unsubscribe"]).strip("<>")).path
    one_click = await anonymous.post(
        url,
        content=b"List-Unsubscribe=One-Click",
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )
    assert one_click.status_code == 200, one_click.text
    unsubscribed = await event_capture.wait_for("crm.marketing.contact.unsubscribed.v1")
    assert unsubscribed["data"]["contact_id"] == str(leaving.id)
    assert unsubscribed["data"]["source"] == "one_click"
    tampered = url[:-3] + ("AAA" if not url.endswith("AAA") else "BBB")
    assert (await anonymous.post(tampered)).status_code == 404
    smtp_sink.clear()
    stats = await finished(api, await send(api, segment_id, name="Again"))
    assert [str(m["To"]) for m in smtp_sink.messages] == [staying.email]
    assert stats["recipients"] == {"sent": 1, "skipped": 1}


async def test_a_bounce_is_recorded_and_the_address_is_not_sent_to_again(
    api, tenant, publish, projected, smtp_sink, event_capture
):
    bouncing, fine = snapshot(tags=["newsletter"]), snapshot(tags=["newsletter"])
    segment_id = await audience(api, tenant, publish, projected, bouncing, fine)
    smtp_sink.reject(bouncing.email, code=550)
    stats = await finished(api, await send(api, segment_id))
    assert stats["recipients"] == {"sent": 1, "bounced": 1}
    bounced = await event_capture.wait_for("crm.marketing.email.bounced.v1")
    assert bounced["data"]["contact_id"] == str(bouncing.id) and bounced["data"]["kind"] == "hard"
    smtp_sink.clear()  # the address would be accepted now: the suppression must hold
    stats = await finished(api, await send(api, segment_id, name="Later"))
    assert [str(m["To"]) for m in smtp_sink.messages] == [fine.email]
    assert stats["recipients"] == {"sent": 1, "skipped": 1}


async def test_opens_and_clicks_are_tracked_and_a_tampered_link_is_404(
    api, anonymous, tenant, publish, projected, smtp_sink, event_capture
):
    reader = snapshot(tags=["newsletter"])
    segment_id = await audience(api, tenant, publish, projected, reader)
    campaign_id = await send(api, segment_id)
    await finished(api, campaign_id)
    html = smtp_sink.messages[0].get_body(("html",)).get_content()
    click = urlsplit(re.search(r'href="([^"]+)"', html).group(1)).path
    pixel = urlsplit(re.search(r'<img src="([^"]+)"', html).group(1)).path
    opened = await anonymous.get(pixel)
    assert opened.status_code == 200 and opened.headers["content-type"] == "image/gif"
    redirected = await anonymous.get(click)
    assert redirected.status_code == 302
    assert redirected.headers["location"] == "https://example.com/pricing"
    token = click.rsplit("/", 1)[1]
    payload, mac = token.split(".")
    forged = f"{payload[:-2]}xx.{mac}"
    assert (await anonymous.get(f"/v1/t/c/{forged}")).status_code == 404
    assert (await anonymous.get(f"/v1/t/c/{payload}.{mac[::-1]}")).status_code == 404
    await event_capture.wait_for("crm.marketing.email.clicked.v1")
    touches = (await api.get(f"/v1/contacts/{reader.id}/touchpoints")).json()["data"]
    assert sorted(t["kind"] for t in touches) == ["email_clicked", "email_opened", "email_sent"]
    assert {t["campaign_id"] for t in touches} == {campaign_id}
    stats = (await api.get(f"/v1/campaigns/{campaign_id}/stats")).json()
    assert stats["recipients"] == {"sent": 1}


async def test_a_template_that_does_not_compile_is_a_422_naming_the_line(api):
    body = {
        "name": "Broken",
        "segment_id": "01a23530-141b-7068-be93-43654225d417",
        "subject": "Hi",
        "html": "<p>\n{% if %}</p>",
    }
    response = await api.post("/v1/campaigns", json=body)
    assert response.status_code == 422, response.text
    assert "line 2" in response.text


async def test_an_ab_test_sends_the_winning_variant_to_the_rest(
    api, anonymous, tenant, publish, projected, smtp_sink, event_capture
):
    people = [snapshot(tags=["newsletter"]) for _ in range(6)]
    segment_id = await audience(api, tenant, publish, projected, *people)
    variants = [
        {"name": "A", "subject": "Plain", "text": "a", "html": HTML},
        {"name": "B", "subject": "Bold", "text": "b", "html": HTML},
    ]
    ab = {"variants": variants, "fraction": 0.34, "metric": "click", "wait_seconds": 2}
    campaign_id = await send(api, segment_id, ab_test=ab)
    first = await smtp_sink.wait_for(3, timeout=15)  # ceil(6 * 0.34): A, B, A in turn
    assert sorted(str(m["Subject"]) for m in first) == ["Bold", "Plain", "Plain"]
    bold = next(m for m in first if str(m["Subject"]) == "Bold")
    link = re.search(r'href="([^"]+)"', bold.get_body(("html",)).get_content()).group(1)
    assert (await anonymous.get(urlsplit(link).path)).status_code == 302
    picked = await event_capture.wait_for("crm.marketing.campaign.winner_picked.v1", timeout=20)
    assert picked["data"]["winner"] == "B" and picked["data"]["rates"] == {"A": 0.0, "B": 1.0}
    stats = await finished(api, campaign_id)
    assert stats["recipients"] == {"sent": 6}
    subjects = sorted(str(m["Subject"]) for m in smtp_sink.messages)
    assert subjects == ["Bold"] * 4 + ["Plain"] * 2
    assert (await api.get(f"/v1/campaigns/{campaign_id}")).json()["winner"] == "B"


async def test_a_campaign_to_a_static_list_reaches_its_members(
    api, tenant, publish, projected, smtp_sink
):
    listed, unlisted = snapshot(), snapshot()
    for c in (listed, unlisted):
        await publish(contact_event(tenant, c))
    list_id = uuid4()
    added = ListMembersAdded(list_id=list_id, member_ids=[listed.id])
    await publish(event(tenant, "crm.contacts.list.members_added.v1", added, list_id))
    sentinel = snapshot()
    await publish(contact_event(tenant, sentinel))
    await projected(sentinel.id)  # in stream order: the list's members are projected
    body = {
        "name": "Listed",
        "list_id": str(list_id),
        "subject": "Hi",
        "text": "x",
        "rate_per_second": 0,
    }
    campaign_id = (await api.post("/v1/campaigns", json=body)).json()["id"]
    await api.post(f"/v1/campaigns/{campaign_id}/schedule", json={})
    stats = await finished(api, campaign_id)
    assert stats["recipients"] == {"sent": 1}
    assert [str(m["To"]) for m in smtp_sink.messages] == [listed.email]
    sent = (await api.get(f"/v1/campaigns/{campaign_id}")).json()
    assert (
        await api.patch(f"/v1/campaigns/{campaign_id}", json={"name": "Late"})
    ).status_code == 409
    assert sent["status"] == "sent"


async def test_the_preference_page_shows_and_changes_what_a_recipient_receives(
    api, anonymous, tenant, publish, projected, smtp_sink, event_capture
):
    reader = snapshot(
        tags=["newsletter"], consent={"email": {"marketing": "granted", "product_news": "granted"}}
    )
    segment_id = await audience(api, tenant, publish, projected, reader)
    await finished(api, await send(api, segment_id, text="Manage: {{ preferences_url }}"))
    text = smtp_sink.messages[0].get_body(("plain",)).get_content()
    url = urlsplit(re.search(r"Manage: (\S+)", text).group(1)).path
    shown = await anonymous.get(url)
    assert shown.status_code == 200, shown.text
    assert shown.json()["purposes"] == {"marketing": True, "product_news": True}
    changed = await anonymous.put(url, json={"purposes": {"marketing": False}})
    assert changed.status_code == 200, changed.text
    assert (await anonymous.get(url)).json()["purposes"] == {
        "marketing": False,
        "product_news": True,
    }
    event = await event_capture.wait_for("crm.marketing.contact.unsubscribed.v1")
    assert event["data"]["source"] == "preferences" and event["data"]["purpose"] == "marketing"
    assert (await anonymous.get(url[:-4] + "AAAA")).status_code == 404
    smtp_sink.clear()
    stats = await finished(api, await send(api, segment_id, name="Again"))
    assert stats["recipients"] == {"skipped": 1} and smtp_sink.messages == []
