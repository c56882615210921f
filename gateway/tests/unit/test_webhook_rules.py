"""Signing, target addresses, retry schedule and event filters: the webhook rules."""

from __future__ import annotations

import json
import random
import time

import pytest
from crm_gateway.webhooks.dispatch import matches
from crm_gateway.webhooks.schedule import DELAYS, next_delay
from crm_gateway.webhooks.signing import headers, new_secret
from crm_gateway.webhooks.targets import RefusedTarget, allowed_address, check_url
from standardwebhooks.webhooks import Webhook, WebhookVerificationError


def test_a_signature_verifies_with_the_standard_webhooks_library() -> None:
    secret = new_secret()
    assert secret.startswith("whsec_")
    body = json.dumps({"type": "crm.sales.deal.created.v1"}).encode()
    signed = headers([secret], "msg_1", int(time.time()), body)
    assert signed["webhook-signature"].startswith("v1,")
    assert Webhook(secret).verify(body, signed) == {"type": "crm.sales.deal.created.v1"}
    with pytest.raises(WebhookVerificationError):
        Webhook(new_secret()).verify(body, signed)
    with pytest.raises(WebhookVerificationError):
        Webhook(secret).verify(body + b" ", signed)


def test_during_a_rotation_both_secrets_verify() -> None:
    old, new = new_secret(), new_secret()
    body = b'{"a":1}'
    signed = headers([new, old], "msg_2", int(time.time()), body)
    assert len(signed["webhook-signature"].split(" ")) == 2
    for secret in (old, new):
        Webhook(secret).verify(body, signed)


@pytest.mark.parametrize(
    "address",
    ["127.0.0.1", "10.1.2.3", "192.168.0.1", "172.16.0.1", "169.254.169.254", "::1",
     "fe80::1", "fd00:ec2::254", "::ffff:127.0.0.1", "0.0.0.0", "224.0.0.1", "100.64.0.1"],
)  # fmt: skip
def test_private_and_metadata_addresses_are_refused(address: str) -> None:
    assert not allowed_address(address)


def test_public_addresses_are_allowed() -> None:
    assert allowed_address("93.184.216.34")
    assert allowed_address("2606:4700::1111")


@pytest.mark.parametrize(
    "url", ["ftp://example.com/x", "http:///x", "https://user:pw@example.com/", "http://x:99999/"]
)
def test_urls_that_are_not_plain_http_targets_are_refused(url: str) -> None:
    with pytest.raises(RefusedTarget):
        check_url(url)


def test_retries_back_off_exponentially_over_about_three_days() -> None:
    total_hours = sum(DELAYS) / 3600
    assert 60 <= total_hours <= 80
    assert list(DELAYS) == sorted(DELAYS)
    rng = random.Random(7)
    for attempt, base in enumerate(DELAYS, start=1):
        delay = next_delay(attempt, rng=rng)
        assert delay is not None
        assert base * 0.8 <= delay.total_seconds() <= base * 1.2
    assert next_delay(len(DELAYS) + 1) is None


def test_jitter_spreads_the_retries() -> None:
    rng = random.Random(1)
    waits = {next_delay(3, rng=rng) for _ in range(20)}
    assert len(waits) > 10


def test_event_filters_match_exactly_or_by_wildcard() -> None:
    deal = "crm.sales.deal.created.v1"
    assert matches([deal], deal)
    assert matches(["crm.sales.*"], deal)
    assert matches(["crm.*.deal.created.v1"], deal)
    assert matches(["*"], deal)
    assert not matches(["crm.support.*"], deal)
    assert not matches(["crm.sales.deal.created.v2"], deal)


def test_a_records_history_lists_each_fields_old_and_new_value() -> None:
    from datetime import UTC, datetime

    from crm_gateway.audit.history import RecordEvent, history

    def event(type_: str, data: dict[str, object], seq: int) -> RecordEvent:
        return RecordEvent(
            subject="r1", event_id=f"e{seq}", type=type_, source="/crm/x",
            time=datetime(2026, 1, 1, seq, tzinfo=UTC), sequence=seq, data=data,
        )  # fmt: skip

    rows = [
        event("crm.x.team.created.v1", {"team": {"id": "r1", "name": "A", "version": 1}}, 1),
        event(
            "crm.x.team.updated.v1",
            {"team": {"id": "r1", "name": "B", "version": 2}, "changed": ["name"]},
            2,
        ),
        event("crm.x.team.deleted.v1", {"id": "r1"}, 3),
    ]
    created, updated, deleted = history(rows)
    assert created["changes"] == {
        "id": {"from": None, "to": "r1"},
        "name": {"from": None, "to": "A"},
    }
    assert updated["changes"] == {"name": {"from": "A", "to": "B"}}
    assert deleted["changes"] == {} and deleted["type"].endswith("deleted.v1")
