"""Users, logins, refresh rotation, password resets, TOTP, OAuth client credentials, and
the roles, teams and visibility tokens carry, against the real database."""

from __future__ import annotations

import base64
import secrets
from typing import Any
from uuid import UUID

import httpx
import pyotp
from crm_chassis.auth import verify_token
from crm_gateway.settings import GatewaySettings

PASSWORD = "correct horse battery staple"
PROBLEM = "application/problem+json"


def email() -> str:
    return f"u{secrets.token_hex(5)}@example.com"


async def new_user(
    client: httpx.AsyncClient, auth: dict[str, str], **fields: object
) -> dict[str, object]:
    body = {"email": email(), "password": PASSWORD, **fields}
    created = await client.post("/v1/users", headers=auth, json=body)
    assert created.status_code == 201, created.text
    return {**created.json(), "password": PASSWORD}


async def login(client: httpx.AsyncClient, user: dict[str, object], **extra: str) -> httpx.Response:
    return await client.post(
        "/v1/auth/login", json={"email": user["email"], "password": user["password"], **extra}
    )


async def test_a_user_logs_in_and_the_token_carries_roles_teams_and_visibility(
    client: httpx.AsyncClient, auth: dict[str, str], gateway_settings: GatewaySettings
) -> None:
    team = await client.post("/v1/teams", headers=auth, json={"name": f"t-{secrets.token_hex(3)}"})
    assert team.status_code == 201, team.text
    user = await new_user(client, auth, roles=["sales_rep"], team_ids=[team.json()["id"]])
    response = await login(client, user)
    assert response.status_code == 200, response.text
    assert response.headers["cache-control"] == "no-store"
    actor = verify_token(response.json()["access_token"], gateway_settings)
    assert str(actor.user_id) == user["id"]
    assert actor.roles == {"sales_rep"}
    assert actor.visibility == "own"
    assert actor.has_scope("sales:write") and not actor.has_scope("support:read")
    assert actor.team_ids == {UUID(team.json()["id"])}


async def test_a_wrong_password_or_unknown_email_is_the_same_401(
    client: httpx.AsyncClient, auth: dict[str, str]
) -> None:
    user = await new_user(client, auth)
    wrong = await login(client, {**user, "password": "not the password"})
    unknown = await login(client, {**user, "email": email()})
    for response in (wrong, unknown):
        assert response.status_code == 401
        assert response.headers["content-type"].startswith(PROBLEM)
    assert wrong.json()["detail"] == unknown.json()["detail"]


async def test_passwords_are_stored_as_argon2_hashes(
    client: httpx.AsyncClient, auth: dict[str, str], fetch_one: Any
) -> None:
    user = await new_user(client, auth)
    row = await fetch_one("SELECT password_hash FROM users WHERE id = :id", id=user["id"])
    assert row["password_hash"].startswith("$argon2id$")
    assert PASSWORD not in row["password_hash"]


async def test_a_refresh_token_rotates_and_its_reuse_revokes_the_login(
    client: httpx.AsyncClient, auth: dict[str, str]
) -> None:
    user = await new_user(client, auth)
    first = (await login(client, user)).json()["refresh_token"]
    renewed = await client.post("/v1/auth/refresh", json={"refresh_token": first})
    assert renewed.status_code == 200, renewed.text
    second = renewed.json()["refresh_token"]
    assert second != first

    # The spent token comes back (stolen): refused, and the whole login is revoked.
    reused = await client.post("/v1/auth/refresh", json={"refresh_token": first})
    assert reused.status_code == 401
    after = await client.post("/v1/auth/refresh", json={"refresh_token": second})
    assert after.status_code == 401
    # A new login works.
    assert (await login(client, user)).status_code == 200


async def test_a_password_reset_token_works_once(
    client: httpx.AsyncClient, auth: dict[str, str]
) -> None:
    user = await new_user(client, auth)
    refresh = (await login(client, user)).json()["refresh_token"]
    issued = await client.post(f"/v1/users/{user['id']}/password-reset", headers=auth)
    assert issued.status_code == 201, issued.text
    token = issued.json()["token"]
    new_password = "a brand new passphrase"
    body = {"token": token, "new_password": new_password}
    assert (await client.post("/v1/auth/password-reset/confirm", json=body)).status_code == 204
    again = await client.post(
        "/v1/auth/password-reset/confirm", json={**body, "new_password": "x" * 12}
    )
    assert again.status_code == 400
    assert again.headers["content-type"].startswith(PROBLEM)
    assert (await login(client, user)).status_code == 401
    assert (await login(client, {**user, "password": new_password})).status_code == 200
    # The old login ended with the old password.
    assert (
        await client.post("/v1/auth/refresh", json={"refresh_token": refresh})
    ).status_code == 401
    forged = await client.post(
        "/v1/auth/password-reset/confirm",
        json={"token": token[:-2] + "xx", "new_password": "y" * 12},
    )
    assert forged.status_code == 400


async def test_totp_once_confirmed_is_required_at_login(
    client: httpx.AsyncClient, auth: dict[str, str]
) -> None:
    user = await new_user(client, auth)
    token = (await login(client, user)).json()["access_token"]
    bearer = {"Authorization": f"Bearer {token}"}
    enrolment = await client.post("/v1/auth/totp", headers=bearer)
    assert enrolment.status_code == 201, enrolment.text
    secret = enrolment.json()["secret"]
    assert enrolment.json()["otpauth_uri"].startswith("otpauth://totp/")
    # Not active until confirmed: login still works without a code.
    assert (await login(client, user)).status_code == 200
    wrong = await client.post("/v1/auth/totp/confirm", headers=bearer, json={"code": "000000"})
    assert wrong.status_code == 400
    code = pyotp.TOTP(secret).now()
    confirmed = await client.post("/v1/auth/totp/confirm", headers=bearer, json={"code": code})
    assert confirmed.status_code == 204, confirmed.text

    without = await login(client, user)
    assert without.status_code == 401
    assert without.json()["errors"] == [{"field": "totp_code", "message": "required"}]
    assert (await login(client, user, totp_code="000000")).status_code == 401
    assert (await login(client, user, totp_code=pyotp.TOTP(secret).now())).status_code == 200


async def test_a_disabled_user_cannot_log_in_or_refresh(
    client: httpx.AsyncClient, auth: dict[str, str]
) -> None:
    user = await new_user(client, auth)
    refresh = (await login(client, user)).json()["refresh_token"]
    patched = await client.patch(f"/v1/users/{user['id']}", headers=auth, json={"disabled": True})
    assert patched.status_code == 200, patched.text
    assert (await login(client, user)).status_code == 401
    assert (
        await client.post("/v1/auth/refresh", json={"refresh_token": refresh})
    ).status_code == 401


async def test_user_administration_is_for_admins_of_the_same_tenant(
    client: httpx.AsyncClient, auth: dict[str, str]
) -> None:
    user = await new_user(client, auth, roles=["manager"])
    bearer = {"Authorization": f"Bearer {(await login(client, user)).json()['access_token']}"}
    assert (await client.get("/v1/users", headers=bearer)).status_code == 403
    assert (await client.post("/v1/teams", headers=bearer, json={"name": "x"})).status_code == 403
    other = await client.post(
        "/v1/tenants", headers=auth, json={"name": f"o-{secrets.token_hex(4)}"}
    )
    other_key = other.json()["admin_key"]["api_key"]
    other_token = (await client.post("/v1/auth/token", json={"api_key": other_key})).json()
    other_admin = {"Authorization": f"Bearer {other_token['access_token']}"}
    assert (await client.get(f"/v1/users/{user['id']}", headers=other_admin)).status_code == 404
    duplicate = await client.post(
        "/v1/users", headers=other_admin, json={"email": user["email"], "password": PASSWORD}
    )
    assert duplicate.status_code == 409
    unknown_role = await client.post(
        "/v1/users", headers=auth, json={"email": email(), "password": PASSWORD, "roles": ["czar"]}
    )
    assert unknown_role.status_code == 422


async def test_a_tenant_defined_role_shapes_the_token(
    client: httpx.AsyncClient, auth: dict[str, str], gateway_settings: GatewaySettings
) -> None:
    name = f"intern_{secrets.token_hex(3)}"
    role = await client.post(
        "/v1/roles",
        headers=auth,
        json={
            "name": name,
            "scopes": ["contacts:read"],
            "visibility": "team",
            "fields": {"contact": ["first_name", "last_name"]},
        },
    )
    assert role.status_code == 201, role.text
    built_in = await client.post("/v1/roles", headers=auth, json={"name": "admin"})
    assert built_in.status_code == 422
    user = await new_user(client, auth, roles=[name])
    actor = verify_token((await login(client, user)).json()["access_token"], gateway_settings)
    assert actor.scopes == {"contacts:read"}
    assert actor.visibility == "team"
    assert actor.allowed_fields("contact") == {"first_name", "last_name"}


async def test_client_credentials_grant_a_token_to_an_integrator(
    client: httpx.AsyncClient, auth: dict[str, str], gateway_settings: GatewaySettings
) -> None:
    key = (
        await client.post(
            "/v1/api-keys",
            headers=auth,
            json={"name": "erp", "scopes": ["contacts:read", "sales:*"]},
        )
    ).json()
    basic = base64.b64encode(f"{key['id']}:{key['api_key']}".encode()).decode()
    issued = await client.post(
        "/v1/oauth/token",
        headers={"Authorization": f"Basic {basic}"},
        data={"grant_type": "client_credentials", "scope": "sales:read"},
    )
    assert issued.status_code == 200, issued.text
    body = issued.json()
    assert body["token_type"] == "Bearer" and body["scope"] == "sales:read"
    assert verify_token(body["access_token"], gateway_settings).scopes == {"sales:read"}

    form = {"grant_type": "client_credentials", "client_id": key["id"]}
    in_form = await client.post("/v1/oauth/token", data={**form, "client_secret": key["api_key"]})
    assert in_form.status_code == 200
    wrong = await client.post("/v1/oauth/token", data={**form, "client_secret": "crm_nope"})
    assert wrong.status_code == 401 and wrong.json()["error"] == "invalid_client"
    wider = await client.post(
        "/v1/oauth/token",
        data={**form, "client_secret": key["api_key"], "scope": "support:read"},
    )
    assert wider.status_code == 400 and wider.json()["error"] == "invalid_scope"
    grant = await client.post("/v1/oauth/token", data={"grant_type": "password"})
    assert grant.json()["error"] == "unsupported_grant_type"


async def test_an_expired_api_key_is_refused_and_keys_are_listed(
    client: httpx.AsyncClient, auth: dict[str, str]
) -> None:
    expired = await client.post(
        "/v1/api-keys",
        headers=auth,
        json={"name": "old", "expires_at": "2020-01-01T00:00:00Z"},
    )
    assert expired.status_code == 201
    refused = await client.post("/v1/auth/token", json={"api_key": expired.json()["api_key"]})
    assert refused.status_code == 401
    listed = await client.get("/v1/api-keys", headers=auth)
    assert listed.status_code == 200
    ids = {k["id"] for k in listed.json()}
    assert expired.json()["id"] in ids
    assert all("api_key" not in k for k in listed.json())
