"""A/B winner selection, signed link tokens, and the consent decision."""

import pytest
from marketing_service.campaigns.abtest import pick, two_proportion_p
from marketing_service.consent.policy import Facts, refusal
from marketing_service.signing import sign, verify

SECRET = "s" * 40


def test_the_variant_with_the_best_rate_wins_with_the_significance_of_its_lead():
    outcome = pick({"A": (30, 100), "B": (10, 100)}, ["A", "B"])
    assert outcome.winner == "A" and outcome.rates == {"A": 0.3, "B": 0.1}
    assert outcome.p_value is not None and outcome.p_value < 0.01


def test_a_tie_goes_to_the_first_variant_and_no_difference_is_not_significant():
    outcome = pick({"A": (5, 50), "B": (5, 50)}, ["B", "A"])
    assert outcome.winner == "B" and outcome.p_value == pytest.approx(1.0)
    assert two_proportion_p(0, 10, 0, 10) is None
    assert pick({}, ["A", "B"]).winner == "A"


def test_a_token_verifies_only_unchanged_and_for_its_purpose():
    token = sign(SECRET, "click", {"u": "https://example.com", "m": "1"})
    assert verify(SECRET, "click", token) == {"u": "https://example.com", "m": "1"}
    body, mac = token.split(".")
    assert verify(SECRET, "open", token) is None
    assert verify(SECRET + "x", "click", token) is None
    assert verify(SECRET, "click", f"{body[:-1]}A.{mac}") is None
    assert verify(SECRET, "click", f"{body}.{mac[:-1]}") is None
    assert verify(SECRET, "click", "garbage") is None


GRANTED = {"email": {"marketing": "granted"}}


@pytest.mark.parametrize(
    ("facts", "reason"),
    [
        (Facts(True, False, GRANTED, "a@example.com"), None),
        (None, "unknown_contact"),
        (Facts(False, False, GRANTED, "a@example.com"), "unknown_contact"),
        (Facts(True, True, GRANTED, "a@example.com"), "do_not_contact"),
        (Facts(True, False, GRANTED, None), "no_address"),
        (Facts(True, False, GRANTED, "a@example.com", "unsubscribed"), "unsubscribed"),
        (Facts(True, False, {"email": {"marketing": "denied"}}, "a@x.com"), "consent_denied"),
        (Facts(True, False, {"email": {"marketing": "unknown"}}, "a@x.com"), "no_consent"),
        (Facts(True, False, {"email": {"newsletter": "granted"}}, "a@x.com"), "no_consent"),
        (Facts(True, False, {"sms": {"marketing": "granted"}}, "a@x.com"), "no_consent"),
    ],
)
def test_only_explicit_consent_on_the_channel_for_the_purpose_allows_a_send(facts, reason):
    assert refusal(facts, "email", "marketing") == reason
