"""Task automation: "deal value above 500: a call task, otherwise a nurture event"."""

from decimal import Decimal

import pytest
from pydantic import ValidationError
from sales_service.tasks.automation import CreateTask, EmitNurture, TaskRuleBody, decide

RULE = TaskRuleBody.model_validate(
    {
        "if": [{"field": "amount", "operator": "gt", "value": "500"}],
        "then": {"type": "create_task", "task_type": "call", "title": "Call the buyer"},
        "else": {"type": "request_nurture"},
    }
)


def test_a_deal_above_the_threshold_gets_a_call_task() -> None:
    outcome = decide(RULE, {"amount": Decimal("500.01")})
    assert outcome.branch == "then" and isinstance(outcome.action, CreateTask)


def test_a_deal_at_or_below_it_is_handed_to_marketing() -> None:
    for amount in (Decimal(500), Decimal(3), None):
        outcome = decide(RULE, {"amount": amount})
        assert outcome.branch == "else" and isinstance(outcome.action, EmitNurture)


def test_a_rule_without_else_does_nothing_otherwise() -> None:
    rule = TaskRuleBody.model_validate(
        {
            "if": [{"field": "amount", "operator": "gt", "value": 1}],
            "then": {"type": "create_task", "title": "x"},
        }
    )
    assert decide(rule, {"amount": 0}).action is None


@pytest.mark.parametrize("then", [{"type": "shell", "cmd": "rm"}, {"type": "create_task"}])
def test_an_action_that_is_not_data_we_know_is_refused(then: dict) -> None:
    with pytest.raises(ValidationError):
        TaskRuleBody.model_validate({"then": then})
