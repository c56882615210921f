"""Self-service password reset through the real SMTP sink: ask with an email, read the
token from the mail, set a new password with it; the answer never tells whether an
address has an account; a token works once and not after it expired; asking is limited
per address."""

from __future__ import annotations

import re
import secrets
from email.message import EmailMessage
from typing import Any
from uuid import UUID

import httpx
from crm_gateway.identity.passwords import reset_token
from crm_gateway.settings import GatewaySettings
from crm_local.mail_sink import MailSink

PASSWORD = "correct horse battery staple"
NEW_PASSWORD = "a brand new passphrase"
PROBLEM = "application/problem+json"


async def new_user(client: httpx.AsyncClient, auth: dict[str, str]) -> dict[str, str]:
    email = f"r{secrets.token_hex(5)}@example.com"
    created = await client.post(
        "/v1/users", headers=auth, json={"email": email, "password": PASSWORD}
    )
    assert created.status_code == 201, created.text
    return {"id": created.json()["id"], "email": email}


async def login(client: httpx.AsyncClient, email: str, password: str) -> httpx.Response:
    return await client.post("/v1/auth/login", json={"email": email, "password": password})


def token_of(mail: EmailMessage) -> str:
    body = mail.get_body(("plain",))
    assert body is not None
    found = re.search(r"^Reset token: (\S+)", body.get_content(), re.MULTILINE)
    assert found, body.get_content()
    return found.group(1)


async def test_a_mailed_token_resets_the_password_once_and_ends_every_login(
    client: httpx.AsyncClient, auth: dict[str, str], smtp_sink: MailSink
) -> None:
    user = await new_user(client, auth)
    refresh = (await login(client, user["email"], PASSWORD)).json()["refresh_token"]

    asked = await client.post("/v1/auth/password-reset", json={"email": user["email"].upper()})
    assert asked.status_code == 202, asked.text
    (mail,) = await smtp_sink.wait_for(1, timeout=30)
    assert mail["To"] == user["email"]
    token = token_of(mail)

    body = {"token": token, "new_password": NEW_PASSWORD}
    reset = await client.post("/v1/auth/password-reset/confirm", json=body)
    assert reset.status_code == 204, reset.text
    assert (await login(client, user["email"], NEW_PASSWORD)).status_code == 200
    assert (await login(client, user["email"], PASSWORD)).status_code == 401
    old = await client.post("/v1/auth/refresh", json={"refresh_token": refresh})
    assert old.status_code == 401
    # Used once: the token named the old password, which is gone.
    again = await client.post(
        "/v1/auth/password-reset/confirm", json={**body, "new_password": "yet another one!"}
    )
    assert again.status_code == 400 and again.headers["content-type"].startswith(PROBLEM)
    assert (await login(client, user["email"], NEW_PASSWORD)).status_code == 200


async def test_an_unknown_address_gets_the_same_answer_and_no_mail(
    client: httpx.AsyncClient, auth: dict[str, str], smtp_sink: MailSink
) -> None:
    unknown = await client.post(
        "/v1/auth/password-reset", json={"email": f"nobody-{secrets.token_hex(4)}@example.com"}
    )
    users = [await new_user(client, auth) for _ in range(2)]
    known = [
        await client.post("/v1/auth/password-reset", json={"email": u["email"]}) for u in users
    ]
    assert [r.status_code for r in (unknown, *known)] == [202, 202, 202]
    assert {r.content for r in (unknown, *known)} == {b""}
    assert {r.headers.get("content-type") for r in (unknown, *known)} == {None}
    # Jobs run in the order they were asked for: a mail of the unknown address would come
    # before the second user's.
    mails = await smtp_sink.wait_for(2, timeout=30)
    assert sorted(str(m["To"]) for m in mails) == sorted(u["email"] for u in users)


async def test_an_expired_or_forged_token_is_refused(
    client: httpx.AsyncClient,
    auth: dict[str, str],
    gateway_settings: GatewaySettings,
    fetch_one: Any,
) -> None:
    user = await new_user(client, auth)
    row = await fetch_one("SELECT password_hash FROM users WHERE id = :id", id=UUID(user["id"]))
    expired = reset_token(
        UUID(user["id"]), row["password_hash"], secret=gateway_settings.jwt_secret, ttl_seconds=-60
    )
    other_secret = reset_token(
        UUID(user["id"]), row["password_hash"], secret="x" * 40, ttl_seconds=600
    )
    for token in (expired, other_secret, "not.a.token"):
        refused = await client.post(
            "/v1/auth/password-reset/confirm", json={"token": token, "new_password": NEW_PASSWORD}
        )
        assert refused.status_code == 400, refused.text
        assert refused.headers["content-type"].startswith(PROBLEM)
    assert (await login(client, user["email"], PASSWORD)).status_code == 200


async def test_asking_is_limited_per_address_with_an_honest_retry_after(
    client: httpx.AsyncClient, gateway_settings: GatewaySettings
) -> None:
    address = {"email": f"flood-{secrets.token_hex(4)}@example.com"}
    allowed = gateway_settings.password_reset_per_email
    for _ in range(allowed):
        assert (await client.post("/v1/auth/password-reset", json=address)).status_code == 202
    refused = await client.post("/v1/auth/password-reset", json=address)
    assert refused.status_code == 429
    assert refused.headers["content-type"].startswith(PROBLEM)
    # One reset comes back every hour / allowed: the wait is at most that, and not zero.
    assert 0 < int(refused.headers["Retry-After"]) <= 3600 // allowed + 1
    other = {"email": f"other-{secrets.token_hex(4)}@example.com"}
    assert (await client.post("/v1/auth/password-reset", json=other)).status_code == 202


async def test_bad_input_is_a_422_problem(client: httpx.AsyncClient) -> None:
    for body in ({}, {"email": "no at sign"}, {"email": "a@b.c", "extra": 1}, {"email": 5}):
        response = await client.post("/v1/auth/password-reset", json=body)
        assert response.status_code == 422, (body, response.text)
        assert response.headers["content-type"].startswith(PROBLEM)
    short = await client.post(
        "/v1/auth/password-reset/confirm", json={"token": "t", "new_password": "short"}
    )
    assert short.status_code == 422
