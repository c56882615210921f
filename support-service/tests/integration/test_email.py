"""The email channel: raw RFC 5322 in, threading by In-Reply-To / References, replies out
over SMTP (a real SMTP server from crm-testing)."""

from __future__ import annotations

from typing import Any

import httpx
from crm_local.mail_sink import MailSink

RFC822 = {"content-type": "message/rfc822"}


def raw(*headers: tuple[str, str], body: str = "Hello") -> bytes:
    lines = [f"{name}: {value}" for name, value in headers]
    return (
        "\r\n".join([*lines, "Content-Type: text/plain; charset=utf-8", "", body]) + "\r\n"
    ).encode()


async def inbound(api: httpx.AsyncClient, message: bytes, status: int = 201) -> dict[str, Any]:
    response = await api.post("/v1/inbound/email", content=message, headers=RFC822)
    assert response.status_code == status, response.text
    return response.json()


async def test_a_new_email_opens_a_ticket_and_the_customers_reply_threads_onto_it(
    api: httpx.AsyncClient, smtp_sink: MailSink
) -> None:
    first = await inbound(api, raw(
        ("From", "Ada Lovelace <ada@example.org>"), ("To", "help@acme.test"),
        ("Subject", "Engine stalls"), ("Message-ID", "<m1@example.org>"),
        body="The engine stalls at step 3.",
    ))  # fmt: skip
    assert first["threaded"] is False
    url = f"/v1/tickets/{first['ticket_id']}"
    ticket = (await api.get(url)).json()
    assert ticket["channel"] == "email" and ticket["requester_email"] == "ada@example.org"
    assert ticket["subject"] == "Engine stalls"

    reply = await api.post(f"{url}/messages", json={"body": "Try step 2 first."})
    assert reply.status_code == 201
    (sent,) = await smtp_sink.wait_for(1)
    assert sent["To"] == "ada@example.org"
    assert sent["In-Reply-To"] == "<m1@example.org>"
    assert "<m1@example.org>" in sent["References"]
    assert sent["Subject"] == f"Re: Engine stalls [#{ticket['number']}]"
    assert sent["Message-ID"] == reply.json()["message_id"]
    assert "Try step 2 first." in sent.get_content()

    answer = await inbound(api, raw(
        ("From", "ada@example.org"), ("Subject", "Re: Engine stalls"),
        ("Message-ID", "<m2@example.org>"), ("In-Reply-To", sent["Message-ID"]),
        ("References", f"<m1@example.org> {sent['Message-ID']}"), body="Still stalls.",
    ))  # fmt: skip
    assert answer["threaded"] is True and answer["ticket_id"] == first["ticket_id"]
    bodies = [m["body"] for m in (await api.get(f"{url}/messages")).json()]
    assert bodies == ["The engine stalls at step 3.", "Try step 2 first.", "Still stalls."]
    assert len((await api.get("/v1/tickets")).json()["data"]) == 1

    again = await inbound(api, raw(
        ("From", "ada@example.org"), ("Subject", "Re: Engine stalls"),
        ("Message-ID", "<m2@example.org>"), ("In-Reply-To", sent["Message-ID"]),
    ), status=200)  # fmt: skip
    assert again["message"]["id"] == answer["message"]["id"]


async def test_a_reply_that_only_keeps_references_or_the_subject_tag_still_threads(
    api: httpx.AsyncClient,
) -> None:
    first = await inbound(api, raw(("From", "bob@example.org"), ("Subject", "VPN"),
                                   ("Message-ID", "<v1@example.org>")))  # fmt: skip
    by_refs = await inbound(api, raw(("From", "bob@example.org"), ("Subject", "Re: VPN"),
                                     ("References", "<other@x> <v1@example.org>")))  # fmt: skip
    assert by_refs["ticket_id"] == first["ticket_id"]
    number = (await api.get(f"/v1/tickets/{first['ticket_id']}")).json()["number"]
    by_tag = await inbound(api, raw(("From", "bob@example.org"),
                                    ("Subject", f"Re: VPN [#{number}]")))  # fmt: skip
    assert by_tag["ticket_id"] == first["ticket_id"]
    stranger = await inbound(api, raw(("From", "eve@example.org"),
                                      ("Subject", f"Re: VPN [#{number}]")))  # fmt: skip
    assert stranger["threaded"] is False


async def test_a_bounced_reply_is_marked_failed_and_a_message_without_sender_is_422(
    api: httpx.AsyncClient, smtp_sink: MailSink, support_app: Any
) -> None:
    smtp_sink.reject("gone@example.org")
    first = await inbound(api, raw(("From", "gone@example.org"), ("Subject", "Hi"),
                                   ("Message-ID", "<g1@example.org>")))  # fmt: skip
    url = f"/v1/tickets/{first['ticket_id']}"
    await api.post(f"{url}/messages", json={"body": "Hello"})
    from crm_testing.service import eventually

    async def failed() -> None:
        states = [m["delivery"] for m in (await api.get(f"{url}/messages")).json()]
        assert states == [None, "failed"]

    await eventually(failed)
    no_sender = await api.post("/v1/inbound/email", content=raw(("Subject", "x")), headers=RFC822)
    assert no_sender.status_code == 422
    assert no_sender.headers["content-type"] == "application/problem+json"


async def test_solving_an_email_ticket_mails_the_survey_link(
    api: httpx.AsyncClient, smtp_sink: MailSink, anonymous: httpx.AsyncClient
) -> None:
    first = await inbound(api, raw(("From", "cy@example.org"), ("Subject", "Thanks"),
                                   ("Message-ID", "<c1@example.org>")))  # fmt: skip
    await api.patch(f"/v1/tickets/{first['ticket_id']}", json={"status": "solved"})
    (mail,) = await smtp_sink.wait_for(1)
    assert mail["To"] == "cy@example.org" and mail["Subject"].startswith("How did we do?")
    text = mail.get_content()
    assert text.startswith("Hello there,")
    link = next(w for w in text.split() if "/v1/surveys/" in w)
    path = link[link.index("/v1/surveys/") :]
    assert (await anonymous.get(path)).json()["ticket_subject"] == "Thanks"


async def test_an_emails_attachments_are_kept_with_its_ticket(api: httpx.AsyncClient) -> None:
    from email.message import EmailMessage

    mail = EmailMessage()
    mail["From"], mail["Subject"], mail["Message-ID"] = "d@example.org", "Logs", "<d1@x.org>"
    mail.set_content("See the log.")
    mail.add_attachment(b"boom\n", maintype="text", subtype="plain", filename="error.log")
    first = await inbound(api, mail.as_bytes())
    url = f"/v1/tickets/{first['ticket_id']}"
    (attachment,) = (await api.get(f"{url}/attachments")).json()
    assert (
        attachment["filename"] == "error.log" and attachment["message_id"] == first["message"]["id"]
    )
    content = await api.get(f"{url}/attachments/{attachment['id']}/content")
    assert content.content == b"boom\n"
    assert [m["body"] for m in (await api.get(f"{url}/messages")).json()] == ["See the log."]
