"""The mapping table read against the producers' own proto payloads: when a producer's
model changes shape, these fail here rather than leaving the star silently empty."""

from datetime import UTC, datetime
from decimal import Decimal
from uuid import uuid4

from analytics_service.warehouse.mapping import rows_of
from crm_proto import new_event
from crm_proto.events import activity, marketing, sales, support
from crm_proto.money import Money

TENANT = uuid4()
NOW = datetime(2026, 3, 1, 12, tzinfo=UTC)


def rows(type_: str, data, table: str) -> list[dict]:
    event = new_event(type=type_, source="/crm/test", tenant_id=TENANT, data=data)
    return [r.values for r in rows_of([event]) if r.table == table]


def test_a_deal_snapshot_update_sets_stage_status_amount_and_probability():
    deal_id, stage = uuid4(), uuid4()
    snap = sales.DealSnapshot(
        id=deal_id,
        name="Big",
        pipeline_id=uuid4(),
        stage_id=stage,
        amount=Money.of("1200.50", "EUR"),
        probability=40,
        forecast_category="pipeline",
        won=True,
        owner_id=uuid4(),
        version=3,
    )
    (row,) = rows(
        "crm.sales.deal.updated.v1", sales.DealUpdated(deal=snap, changed=["won"]), "fact_deal"
    )
    # the snapshot names its stage by id only: the stage name stays as stage_changed set it
    assert (row["deal_id"], row["stage"], row["status"]) == (deal_id, None, "won")
    assert (row["amount"], row["currency"], row["probability"]) == (Decimal("1200.50"), "EUR", 0.4)


def test_an_order_of_an_account_is_a_fact_with_its_money():
    order_id, account = uuid4(), uuid4()
    data = sales.OrderCreated(
        order_id=order_id,
        account_id=account,
        source="quote",
        channel_level="direct",
        total=Money.of("99.90", "USD"),
        ordered_at=NOW,
    )
    (row,) = rows("crm.sales.order.created.v1", data, "fact_order")
    assert (row["order_id"], row["account_id"], row["total"], row["currency"]) == (
        order_id,
        account,
        Decimal("99.90"),
        "USD",
    )
    assert row["ordered_at"] == NOW


def test_ticket_lifecycle_events_fill_the_ticket_fact():
    ticket = uuid4()
    created = activity.TicketCreated(
        ticket_id=ticket, subject="x", priority="high", channel="email"
    )
    (row,) = rows("crm.support.ticket.created.v1", created, "fact_ticket")
    assert (row["priority"], row["status"]) == ("high", "open")
    reply = support.TicketMessageAdded(
        ticket_id=ticket, message_id=uuid4(), author="agent", public=True, channel="email"
    )
    (row,) = rows("crm.support.ticket.message_added.v1", reply, "fact_ticket")
    assert row["first_reply_at"] is not None and row["channel"] is None
    customer = reply.model_copy(update={"author": "customer"})
    assert (
        rows("crm.support.ticket.message_added.v1", customer, "fact_ticket")[0]["first_reply_at"]
        is None
    )
    solved = support.TicketStatusChanged(ticket_id=ticket, from_status="open", to_status="solved")
    (row,) = rows("crm.support.ticket.status_changed.v1", solved, "fact_ticket")
    assert row["status"] == "solved" and row["resolved_at"] is not None


def test_an_sla_breach_names_its_metric_and_a_survey_its_rating():
    ticket = uuid4()
    metric = support.SlaMetric(metric="first_reply", target_seconds="3600", elapsed_seconds="4000")
    breach = support.TicketSlaBreached(ticket_id=ticket, metric=metric)
    (outcome,) = rows("crm.support.ticket.sla_breached.v1", breach, "fact_sla_outcome")
    assert (outcome["metric"], outcome["outcome"]) == ("first_reply", "breached")
    (row,) = rows("crm.support.ticket.sla_breached.v1", breach, "fact_ticket")
    assert row["first_reply_breached"] is True
    survey = support.SurveyAnswered(survey_id=uuid4(), ticket_id=ticket, rating=4)
    assert rows("crm.support.survey.answered.v1", survey, "fact_ticket")[0]["csat"] == 4


def test_marketing_touchpoints_and_what_is_not_one():
    contact, campaign = uuid4(), uuid4()
    click = activity.EmailClicked(
        message_id=uuid4(), campaign_id=campaign, contact_id=contact, url="https://x"
    )
    (row,) = rows("crm.marketing.email.clicked.v1", click, "fact_touch")
    assert (row["campaign_id"], row["channel"], row["kind"]) == (campaign, "email", "clicked")
    visit = marketing.BehaviourTracked(contact_id=contact, kind="page_view", occurred_at=NOW)
    assert rows("crm.marketing.behaviour.tracked.v1", visit, "fact_touch")[0]["occurred_at"] == NOW
    entered = new_event(
        type="crm.marketing.segment.entered.v1",
        source="/crm/test",
        tenant_id=TENANT,
        data=marketing.SegmentEntered(segment_id=uuid4(), contact_id=contact),
    )
    assert rows_of([entered]) == []
