"""RFM, association rules and attribution on small sets computed by hand."""

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from analytics_service.science import attribution, basket, rfm

NOW = datetime(2026, 6, 30, tzinfo=UTC)


def bought(customer: str, days_ago: int, amount: str) -> rfm.Purchase:
    return rfm.Purchase(customer, NOW - timedelta(days=days_ago), Decimal(amount))


def test_rfm_scores_and_segments_of_five_customers():
    # Five customers, so each rank is its own quintile: score = rank (1 worst .. 5 best).
    purchases = [
        *[bought("ann", d, "100") for d in (1, 10, 20, 30, 40)],  # R5 F5 M5 -> champions
        *[bought("bob", d, "10") for d in (5, 50, 90, 120)],  # R4 F4 M3 -> champions
        bought("cat", 2, "30"),  # R? recency 2 -> second best: ranks ann 1d, cat 2d
        *[bought("dan", d, "5") for d in (200, 220, 240)],  # oldest, F3 -> at_risk
        *[bought("eve", d, "20") for d in (150, 160)],  # F2 -> hibernating
    ]
    got = {s.customer: s for s in rfm.rfm(purchases, NOW)}
    # recency: ann 1, cat 2, bob 5, eve 150, dan 200 -> R 5, 4, 3, 2, 1
    # frequency: ann 5, bob 4, dan 3, eve 2, cat 1 -> F 5, 4, 3, 2, 1
    # monetary: ann 500, bob 40, eve 40, cat 30, dan 15 -> M 5, 3 (tie), 3, 2, 1
    assert {c: (s.r, s.f, s.m) for c, s in got.items()} == {
        "ann": (5, 5, 5),
        "cat": (4, 1, 2),
        "bob": (3, 4, 3),
        "eve": (2, 2, 3),
        "dan": (1, 3, 1),
    }
    assert {c: s.segment for c, s in got.items()} == {
        "ann": "champions",
        "cat": "promising",
        "bob": "loyal",
        "eve": "hibernating",
        "dan": "at_risk",
    }
    assert got["bob"].monetary == Decimal("40") and got["ann"].code == "555"


@pytest.mark.parametrize(
    ("r", "f", "segment"),
    [
        (5, 1, "new"),
        (4, 3, "potential_loyalist"),
        (3, 3, "need_attention"),
        (3, 1, "about_to_sleep"),
        (1, 5, "cant_lose"),
        (2, 4, "at_risk"),
        (1, 1, "hibernating"),
    ],
)
def test_every_cell_of_the_grid_has_its_segment(r, f, segment):
    assert rfm.segment_of(r, f) == segment


def test_association_rules_match_the_hand_count():
    orders = [
        {"bread", "butter"},
        {"bread", "butter", "jam"},
        {"bread"},
        {"butter", "jam"},
    ]
    found = basket.rules(orders, min_support=0.25, min_confidence=0.5)
    by = {(r.antecedents, r.consequents): r for r in found}
    # bread&butter in 2 of 4: support .5; bread in 3: confidence 2/3; butter in 3: lift (2/3)/(3/4)
    rule = by[(("bread",), ("butter",))]
    assert (rule.support, rule.confidence) == (0.5, pytest.approx(2 / 3, abs=1e-6))
    assert rule.lift == pytest.approx((2 / 3) / 0.75, abs=1e-6)
    # jam -> butter: both in 2, jam in 2: confidence 1, lift 1 / .75
    assert by[(("jam",), ("butter",))].confidence == 1.0
    also = basket.also_bought(found, "jam")
    assert [r.consequents for r in also] == [("butter",), ("bread",)]


def touch(days_before: int, campaign: str, channel: str = "email") -> attribution.Touch:
    return attribution.Touch(NOW - timedelta(days=days_before), campaign, channel)


CONVERSION = attribution.Conversion(
    at=NOW,
    revenue=Decimal("1000.00"),
    currency="EUR",
    touches=[touch(14, "A"), touch(7, "B", "ads"), touch(0, "C"), touch(-3, "late")],
)


@pytest.mark.parametrize(
    ("model", "credits"),
    [
        ("first_touch", {"A": "1000"}),
        ("last_touch", {"C": "1000"}),
        ("linear", {"A": "333.3333", "B": "333.3333", "C": "333.3334"}),
        ("position_based", {"A": "400", "B": "200", "C": "400"}),
        # half-life 7 days: weights 1/4, 1/2, 1 over a sum of 7/4
        ("time_decay", {"A": "142.8571", "B": "285.7143", "C": "571.4286"}),
    ],
)
def test_each_model_splits_a_won_deal_as_computed_by_hand(model, credits):
    got = attribution.attribute([CONVERSION], model)
    expected = {(k, "EUR"): Decimal(v) for k, v in credits.items()}
    assert {k: v for k, v in got.items() if v} == expected
    assert sum(got.values()) == Decimal("1000.00")  # exact, the touch after the win ignored


def test_attribution_by_channel_adds_up_the_campaigns_of_a_channel():
    got = attribution.attribute([CONVERSION], "position_based", by="channel")
    assert got == {("email", "EUR"): Decimal("800"), ("ads", "EUR"): Decimal("200")}


def test_two_touches_share_position_based_credit_equally():
    two = attribution.Conversion(NOW, Decimal("9.99"), "EUR", [touch(2, "A"), touch(1, "B")])
    got = attribution.attribute([two], "position_based")
    assert got == {("A", "EUR"): Decimal("4.995"), ("B", "EUR"): Decimal("4.995")}
