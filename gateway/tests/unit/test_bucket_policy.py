"""How many tokens a replica leases at once from a shared bucket."""

from __future__ import annotations

from crm_gateway.limits.buckets import Policy, Taken


def test_small_or_slow_buckets_lease_one_token_at_a_time() -> None:
    assert Policy("key", 3, 3).lease == 1
    assert Policy("key", 600, 60).lease == 1  # 10/s: a tenth of a second is one token


def test_busy_buckets_lease_a_tenth_of_a_second_but_at_most_one_percent() -> None:
    assert Policy("key", 6000, 60).lease == 10
    assert Policy("key", 30000, 60).lease == 50
    assert Policy("key", 1000, 1).lease == 10  # 1 % of the bucket
    assert Policy("key", 10**9, 1).lease == 1000


def test_retry_after_is_the_time_to_the_next_token() -> None:
    policy = Policy("key", 10, 5)  # 2 tokens a second
    assert Taken(policy, False, 0.0).retry_after == 0.5
    assert Taken(policy, False, 0.5).retry_after == 0.25
    assert Taken(policy, True, 4.0).reset == 3.0
