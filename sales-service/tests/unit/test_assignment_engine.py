"""Lead assignment rules: order, conditions, round-robin that skips unavailable reps."""

from uuid import uuid4

from hypothesis import given
from hypothesis import strategies as st
from sales_service.assignment.engine import Condition, Queue, Rule, decide, holds, next_member

ANA, BEN, CAT = uuid4(), uuid4(), uuid4()


def rule(*conditions: Condition, owner=None, queue=None, name="r") -> Rule:
    return Rule(uuid4(), name, conditions, owner_id=owner, queue_id=queue)


def test_the_first_matching_rule_fires_and_says_why() -> None:
    rules = [
        rule(Condition("country", "eq", "DE"), owner=ANA, name="germany"),
        rule(Condition("estimated_value", "gte", "10000"), owner=BEN, name="big"),
        rule(owner=CAT, name="everyone else"),
    ]
    big_french = {"country": "FR", "estimated_value": "25000"}
    decision = decide(big_french, rules, {})
    assert (decision.rule_name, decision.owner_id) == ("big", BEN)
    assert decision.reasons == ("estimated_value gte '10000'",)
    assert decide({"country": "de", "estimated_value": "25000"}, rules, {}).owner_id == ANA
    assert decide({"country": "FR"}, rules, {}).rule_name == "everyone else"


def test_no_rule_matching_leaves_the_lead_unassigned() -> None:
    decision = decide({"source": "web"}, [rule(Condition("source", "eq", "event"), owner=ANA)], {})
    assert decision.owner_id is None and decision.reasons == ("no rule matched",)


def test_conditions_over_any_field_including_custom_ones() -> None:
    lead = {"source": "Web", "custom": {"tier": "gold"}, "company": "Acme GmbH"}
    assert holds(Condition("custom.tier", "in", ["gold", "platinum"]), lead)
    assert holds(Condition("company", "contains", "acme"), lead)
    assert holds(Condition("phone", "exists", False), lead)
    assert not holds(Condition("estimated_value", "gt", 5), lead)
    assert holds(Condition("source", "neq", "event"), lead)


def test_round_robin_skips_unavailable_reps_and_wraps() -> None:
    queue = Queue(uuid4(), "inbound", (ANA, BEN, CAT), frozenset({BEN}), last_assigned=ANA)
    assert next_member(queue) == CAT
    assert next_member(Queue(queue.id, "q", (ANA, BEN, CAT), frozenset({BEN}), CAT)) == ANA
    assert next_member(Queue(queue.id, "q", (ANA,), frozenset({ANA}))) is None


@given(
    st.lists(st.booleans(), min_size=1, max_size=6),
    st.integers(min_value=0, max_value=5),
)
def test_round_robin_gives_each_available_rep_a_turn(available: list[bool], start: int) -> None:
    members = tuple(uuid4() for _ in available)
    away = frozenset(m for m, ok in zip(members, available, strict=True) if not ok)
    last = members[start % len(members)]
    seen = []
    for _ in range(len(members) - len(away)):
        queue = Queue(uuid4(), "q", members, away, last)
        chosen = next_member(queue)
        assert chosen is not None and chosen not in away
        seen.append(chosen)
        last = chosen
    assert set(seen) == set(members) - away


def test_a_queue_rule_assigns_through_the_queue() -> None:
    queue = Queue(uuid4(), "inbound", (ANA, BEN), frozenset({ANA}))
    decision = decide({}, [rule(queue=queue.id, name="all")], {queue.id: queue})
    assert decision.owner_id == BEN and decision.queue_id == queue.id
    assert "skipping 1 unavailable" in decision.reasons[-1]
