from uuid import uuid4

import jwt
import pytest
from crm_chassis.auth import ALGORITHM, Actor, VerifiedTokens, issue_token, verify_token
from crm_chassis.errors import Unauthorized
from crm_chassis.settings import SharedSettings

SETTINGS = SharedSettings(jwt_secret="s" * 40)


def test_a_token_round_trips_tenant_user_roles_and_scopes():
    actor = Actor(
        tenant_id=uuid4(),
        user_id=uuid4(),
        roles=frozenset({"admin"}),
        scopes=frozenset({"contacts:read", "deals:*"}),
    )
    assert verify_token(issue_token(actor, SETTINGS), SETTINGS) == actor


def test_a_token_round_trips_teams_visibility_and_field_allow_lists():
    actor = Actor(
        tenant_id=uuid4(),
        user_id=uuid4(),
        team_ids=frozenset({uuid4(), uuid4()}),
        visibility="team",
        fields={"contact": frozenset({"first_name", "last_name"})},
    )
    back = verify_token(issue_token(actor, SETTINGS), SETTINGS)
    assert back == actor
    assert back.team_ids == actor.team_ids
    assert back.allowed_fields("contact") == {"first_name", "last_name"}
    assert back.allowed_fields("account") is None
    assert not back.sees_all


def test_an_admin_sees_every_record_and_field_whatever_the_token_says():
    admin = Actor(
        tenant_id=uuid4(),
        user_id=uuid4(),
        roles=frozenset({"admin"}),
        visibility="own",
        fields={"contact": frozenset({"first_name"})},
    )
    assert admin.sees_all and admin.allowed_fields("contact") is None


@pytest.mark.parametrize(
    "claims",
    [{"sub": "user-1"}, {"vis": "everyone"}, {"teams": ["not-a-uuid"]}, {"fields": ["email"]}],
)
def test_a_token_with_a_malformed_actor_claim_is_refused(claims):
    good = issue_token(Actor(tenant_id=uuid4(), user_id=uuid4()), SETTINGS)
    base = jwt.decode(good, options={"verify_signature": False})
    token = jwt.encode({**base, **claims}, SETTINGS.jwt_secret, algorithm=ALGORITHM)
    with pytest.raises(Unauthorized):
        verify_token(token, SETTINGS)


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
    good = issue_token(Actor(tenant_id=uuid4(), user_id=uuid4()), SETTINGS)
    claims = jwt.decode(good, options={"verify_signature": False})
    token = jwt.encode(mutate(claims), SETTINGS.jwt_secret, algorithm=ALGORITHM)
    with pytest.raises(Unauthorized):
        verify_token(token, SETTINGS)


def test_a_token_signed_with_another_secret_is_refused():
    other = SharedSettings(jwt_secret="x" * 40)
    with pytest.raises(Unauthorized):
        verify_token(issue_token(Actor(tenant_id=uuid4(), user_id=uuid4()), other), SETTINGS)


def test_an_unsigned_token_is_refused():
    token = jwt.encode({"sub": "u", "tid": str(uuid4())}, key=None, algorithm="none")
    with pytest.raises(Unauthorized):
        verify_token(token, SETTINGS)


def test_scopes_admin_and_wildcards():
    tenant = uuid4()
    reader = Actor(tenant, uuid4(), scopes=frozenset({"contacts:read"}))
    assert reader.has_scope("contacts:read") and not reader.has_scope("contacts:write")
    assert Actor(tenant, uuid4(), scopes=frozenset({"contacts:*"})).has_scope("contacts:write")
    assert Actor(tenant, uuid4(), roles=frozenset({"admin"})).has_scope("deals:write")


def test_verified_tokens_are_remembered_until_they_expire(monkeypatch):
    from crm_chassis import auth

    tokens = auth.VerifiedTokens(SETTINGS)
    good = issue_token(Actor(tenant_id=uuid4(), user_id=uuid4()), SETTINGS, ttl_seconds=60)
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
