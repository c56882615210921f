"""Outgoing mail against a real SMTP server: delivery, headers, bounces, deferrals."""

from __future__ import annotations

from email.message import EmailMessage

import pytest
from crm_chassis.mail import Mailer, MailRejected, MailSettings
from crm_local.mail_sink import MailSink
from crm_local.ports import free_port


def _settings(sink: MailSink, **extra: object) -> MailSettings:
    return MailSettings(smtp_host=sink.host, smtp_port=sink.port, **extra)  # type: ignore[arg-type]


def _message(to: str, subject: str = "Hello") -> EmailMessage:
    msg = EmailMessage()
    msg["To"] = to
    msg["Subject"] = subject
    msg.set_content("Grüße from the CRM")
    return msg


async def test_a_message_arrives_with_sender_date_and_message_id(smtp_sink: MailSink) -> None:
    mailer = Mailer(_settings(smtp_sink, mail_from="Support <support@acme.test>"))

    message_id = await mailer.send(_message("ada@example.com"))

    [received] = await smtp_sink.wait_for(1)
    assert received["Message-ID"] == message_id
    assert message_id.endswith("@acme.test>")
    assert received["From"] == "Support <support@acme.test>"
    assert received["Date"]
    assert received.get_content().strip() == "Grüße from the CRM"
    assert smtp_sink.received[0].recipients == ("ada@example.com",)


async def test_one_connection_sends_many(smtp_sink: MailSink) -> None:
    async with Mailer(_settings(smtp_sink)).connection() as smtp:
        ids = [await smtp.send(_message(f"user{i}@example.com")) for i in range(5)]

    received = await smtp_sink.wait_for(5)
    assert [m["Message-ID"] for m in received] == ids
    assert len(set(ids)) == 5


async def test_a_5xx_recipient_is_a_permanent_rejection(smtp_sink: MailSink) -> None:
    smtp_sink.reject("gone@example.com", 550)

    with pytest.raises(MailRejected) as caught:
        await Mailer(_settings(smtp_sink)).send(_message("gone@example.com"))

    assert caught.value.permanent
    assert caught.value.code == 550
    assert smtp_sink.messages == []


async def test_a_4xx_recipient_is_transient_and_the_connection_goes_on(smtp_sink: MailSink) -> None:
    smtp_sink.reject("busy@example.com", 451)
    async with Mailer(_settings(smtp_sink)).connection() as smtp:
        with pytest.raises(MailRejected) as caught:
            await smtp.send(_message("busy@example.com"))
        await smtp.send(_message("ok@example.com"))

    assert not caught.value.permanent
    [received] = await smtp_sink.wait_for(1)
    assert received["To"] == "ok@example.com"


async def test_a_held_message_is_delivered_only_once_its_callback_returned(
    smtp_sink: MailSink,
) -> None:
    """``before_end_of_data`` runs with the whole content sent and the end held back: when
    it raises, nothing is delivered and the error is the caller's; the next send works."""
    seen: list[int] = []

    async def refuse() -> None:
        seen.append(len(smtp_sink.messages))
        raise RuntimeError("not committed")

    async def commit() -> None:
        seen.append(len(smtp_sink.messages))

    async with Mailer(_settings(smtp_sink)).connection() as smtp:
        with pytest.raises(RuntimeError, match="not committed"):
            await smtp.send(_message("ada@example.com", "First"), before_end_of_data=refuse)
        await smtp.send(_message("ada@example.com", "Second"), before_end_of_data=commit)

    [received] = await smtp_sink.wait_for(1)
    assert received["Subject"] == "Second"
    assert seen == [0, 0]  # neither callback saw its message delivered


async def test_an_unreachable_relay_is_transient() -> None:
    settings = MailSettings(smtp_host="127.0.0.1", smtp_port=free_port(), smtp_timeout=2)  # type: ignore[call-arg]

    with pytest.raises(MailRejected) as caught:
        await Mailer(settings).send(_message("ada@example.com"))

    assert not caught.value.permanent


def test_the_relay_is_the_platforms_and_the_sender_the_services(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    class SupportSettings(MailSettings, env_prefix="CRM_SUPPORT_"):
        pass

    monkeypatch.setenv("CRM_SMTP_HOST", "relay.internal")
    monkeypatch.setenv("CRM_SMTP_PORT", "587")
    monkeypatch.setenv("CRM_SUPPORT_MAIL_FROM", "help@acme.test")

    settings = SupportSettings()

    assert (settings.smtp_host, settings.smtp_port) == ("relay.internal", 587)
    assert settings.mail_from == "help@acme.test"


def test_the_sink_keeps_each_message_as_a_file(tmp_path) -> None:  # type: ignore[no-untyped-def]
    import smtplib

    with MailSink(tmp_path / "mail") as sink, smtplib.SMTP(sink.host, sink.port) as client:
        client.send_message(_message("ada@example.com"), from_addr="crm@example.com")

    [path] = (tmp_path / "mail").iterdir()
    assert path.name == "000001-ada@example.com.eml"
    assert b"Subject: Hello" in path.read_bytes()
