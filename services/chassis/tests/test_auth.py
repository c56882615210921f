from uuid import uuid4

import jwt
import pytest
from crm_chassis.auth import ALGORITHM, Principal, VerifiedTokens, issue_token, verify_token
from crm_chassis.errors import Unauthorized
from crm_chassis.settings import SharedSettings

SETTINGS = SharedSettings(jwt_secret="s" * 40)


def test_a_token_round_trips_tenant_user_roles_and_scopes():
    principal = Principal(
        tenant_id=uuid4(),
        user_id="u1",
        roles=frozenset({"admin"}),
        scopes=frozenset({"contacts:read", "deals:*"}),
    )
    assert verify_token(issue_token(principal, SETTINGS), SETTINGS) == principal


@pytest.mark.parametrize(
    "mutate",
    [
        lambda claims: {**claims, "exp": 1},
        lambda claims: {**claims, "aud": "someone-else"},
        lambda claims: {**claims, "iss": "someone-else"},
        lambda claims: {k: v for k, v in claims.items() if k != "tid"},
        lambda claims: {**claims, "tid": "not-a-uuid"},
    ],
)
def test_expired_foreign_or_incomplete_tokens_are_refused(mutate):
    good = issue_token(Principal(tenant_id=uuid4(), user_id="u"), SETTINGS)
    claims = jwt.decode(good, options={"verify_signature": False})
    token = jwt.encode(mutate(claims), SETTINGS.jwt_secret, algorithm=ALGORITHM)
    with pytest.raises(Unauthorized):
        verify_token(token, SETTINGS)


def test_a_token_signed_with_another_secret_is_refused():
    other = SharedSettings(jwt_secret="x" * 40)
    with pytest.raises(Unauthorized):
        verify_token(issue_token(Principal(tenant_id=uuid4(), user_id="u"), other), SETTINGS)


def test_an_unsigned_token_is_refused():
    token = jwt.encode({"sub": "u", "tid": str(uuid4())}, key=None, algorithm="none")
    with pytest.raises(Unauthorized):
        verify_token(token, SETTINGS)


def test_scopes_admin_and_wildcards():
    tenant = uuid4()
    reader = Principal(tenant, "u", scopes=frozenset({"contacts:read"}))
    assert reader.has_scope("contacts:read") and not reader.has_scope("contacts:write")
    assert Principal(tenant, "u", scopes=frozenset({"contacts:*"})).has_scope("contacts:write")
    assert Principal(tenant, "u", roles=frozenset({"admin"})).has_scope("deals:write")


def test_verified_tokens_are_remembered_until_they_expire(monkeypatch):
    from crm_chassis import auth

    tokens = auth.VerifiedTokens(SETTINGS)
    good = issue_token(Principal(tenant_id=uuid4(), user_id="u"), SETTINGS, ttl_seconds=60)
    first = tokens.principal(f"Bearer {good}")
    calls = []
    monkeypatch.setattr(auth, "verify_token", lambda *a: calls.append(a))
    assert tokens.principal(f"Bearer {good}") is first and calls == []
    monkeypatch.setattr(auth.time, "time", lambda: 10**12)  # far past the token's exp
    tokens.principal(f"Bearer {good}")
    assert len(calls) == 1


def test_a_bad_token_is_never_remembered():
    tokens = VerifiedTokens(SETTINGS)
    for _ in range(2):
        with pytest.raises(Unauthorized):
            tokens.principal("Bearer not.a.token")
    with pytest.raises(Unauthorized):
        tokens.principal(None)
