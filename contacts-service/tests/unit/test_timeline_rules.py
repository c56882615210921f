"""The timeline's event table: every rule fits the contract it reads, and reads well."""

from datetime import UTC, datetime
from uuid import uuid4

import pytest
from contacts_service.timeline.rules import RULES, Kind, lookup, render
from crm_proto import payload_model

CONTACT, ACCOUNT, DEAL = uuid4(), uuid4(), uuid4()


def _resolve(schema: dict, node: dict) -> dict:
    if "$ref" in node:
        return _resolve(schema, schema["$defs"][node["$ref"].rsplit("/", 1)[-1]])
    for variant in node.get("anyOf", []):
        if variant.get("type") != "null":
            return _resolve(schema, variant)
    return node


def path_exists(model, path: str) -> bool:
    schema = model.model_json_schema()
    node = schema
    for step in path.split("."):
        node = _resolve(schema, node).get("properties", {}).get(step)
        if node is None:
            return False
    return True


@pytest.mark.parametrize("event_type", sorted(RULES))
def test_every_rule_reads_paths_its_registered_payload_has(event_type):
    model = payload_model(event_type)  # KeyError: the type is not in crm_proto
    rule = RULES[event_type]
    paths = [rule.contact, rule.account, rule.occurred_at]
    if rule.mode == "remove":
        paths = []
    for path in filter(None, paths):
        assert path_exists(model, path), f"{event_type}: no {path} in {model.__name__}"
    if rule.ref:
        for field in rule.ref.split("{")[1:]:
            assert path_exists(model, field.split("}")[0]), f"{event_type}: ref {rule.ref}"


def test_the_rules_cover_contacts_own_and_the_other_services_activity():
    kinds = {rule.kind for rule in RULES.values()}
    assert {Kind.NOTE, Kind.DOCUMENT, Kind.DEAL, Kind.QUOTE, Kind.TASK, Kind.TICKET} <= kinds
    assert {Kind.CALL, Kind.EMAIL, Kind.RECORD, Kind.CONSENT} <= kinds
    for service in ("contacts", "sales", "support", "marketing"):
        assert any(t.startswith(f"crm.{service}.") for t in RULES)


def test_titles_and_summaries_render_from_the_payload():
    deal = {
        "deal_id": str(DEAL),
        "name": "Acme renewal",
        "stage": "proposal",
        "amount": "12500.00",
        "currency": "EUR",
        "contact_id": str(CONTACT),
    }
    rule = RULES["crm.sales.deal.created.v1"]
    assert render(rule.title, deal) == "Deal created: Acme renewal"
    assert render(rule.summary, deal) == "proposal · 12500.00 EUR"
    # missing values leave no dangling separators
    assert render(rule.summary, {**deal, "amount": None, "currency": None}) == "proposal"
    moved = RULES["crm.sales.deal.stage_changed.v1"]
    won = {**deal, "from_stage": "proposal", "to_stage": "closed_won", "won": True}
    assert render(moved.title, won) == "Deal Acme renewal moved to closed_won"
    assert render(moved.summary, won) == "Won · 12500.00 EUR"
    call = RULES["crm.support.call.logged.v1"]
    logged = {
        "direction": "inbound",
        "number": "+4930123",
        "duration_seconds": 125,
        "outcome": "resolved",
        "started_at": datetime.now(UTC).isoformat(),
    }
    assert render(call.title, logged) == "Inbound call +4930123"
    assert render(call.summary, logged) == "2m 05s · resolved"


def test_a_long_note_is_excerpted_on_the_timeline():
    rule = RULES["crm.contacts.note.created.v1"]
    note = {"note": {"body": "word " * 200}}
    summary = render(rule.summary, note, limit=2000)
    assert summary is not None and len(summary) <= 280 and summary.endswith("…")
    assert render(rule.ref, {"note": {"id": "n1"}}) == "note:n1"


def test_lookup_follows_dotted_paths_and_tolerates_gaps():
    data = {"note": {"contact_id": "c"}, "flat": 1}
    assert lookup(data, "note.contact_id") == "c"
    assert lookup(data, "flat") == 1
    assert lookup(data, "note.missing.deeper") is None
    assert lookup(data, "flat.x") is None
    assert lookup(data, None) is None


def test_merge_and_erasure_find_notes_attachments_and_timeline_lines():
    from contacts_service.common.references import REFERENCES

    registered = {(r.table, r.column, r.kind) for r in REFERENCES}
    for table in ("notes", "attachments", "timeline_entries"):
        assert (table, "contact_id", "contact") in registered
        assert (table, "account_id", "account") in registered
