import json
from uuid import uuid4

import jsonschema
import pytest
from crm_proto import REGISTRY, new_event, subject_for
from crm_proto.events.contacts import ContactCreated, ContactDeleted
from crm_proto.generate import SCHEMA_DIR, render, stale


def test_committed_schemas_match_the_models():
    assert stale() == [], "proto/schemas is stale: run `make schemas` and commit the result"


def test_stale_detects_an_edited_schema(tmp_path):
    for name, text in render().items():
        (tmp_path / name).write_text(text)
    assert stale(tmp_path) == []
    (tmp_path / "crm.contacts.contact.created.v1.json").write_text("{}")
    (tmp_path / "crm.gone.thing.happened.v1.json").write_text("{}")
    assert stale(tmp_path) == [
        "crm.contacts.contact.created.v1.json",
        "crm.gone.thing.happened.v1.json",
    ]


def test_every_registered_type_has_a_schema_that_validates_a_real_event():
    tenant = uuid4()
    event = new_event(
        type="crm.contacts.contact.deleted.v1",
        source="/crm/contacts-service",
        tenant_id=tenant,
        subject=uuid4(),
        data=ContactDeleted(id=uuid4()),
        sequence=3,
    )
    schema = json.loads((SCHEMA_DIR / "crm.contacts.contact.deleted.v1.json").read_text())
    jsonschema.validate(json.loads(event.model_dump_json()), schema)
    assert set(REGISTRY) <= {p.stem for p in SCHEMA_DIR.glob("*.json")}


def test_schema_rejects_a_payload_with_unknown_fields():
    schema = json.loads((SCHEMA_DIR / "crm.contacts.contact.deleted.v1.json").read_text())
    event = new_event(
        type="crm.contacts.contact.deleted.v1",
        source="/crm/contacts-service",
        tenant_id=uuid4(),
        data=ContactDeleted(id=uuid4()),
    ).model_dump(mode="json")
    event["data"]["surprise"] = 1
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(event, schema)


def test_subject_is_the_type_without_its_version():
    assert subject_for("crm.sales.deal.stage_changed.v1") == "crm.sales.deal.stage_changed"
    with pytest.raises(ValueError):
        subject_for("deal.changed")


def test_new_event_refuses_a_payload_of_another_type():
    with pytest.raises(TypeError, match="carries ContactCreated, not ContactDeleted"):
        new_event(
            type="crm.contacts.contact.created.v1",
            source="/crm/contacts-service",
            tenant_id=uuid4(),
            data=ContactDeleted(id=uuid4()),
        )


def test_envelope_carries_the_extensions_and_a_uuid7_id():
    event = new_event(
        type="crm.contacts.contact.deleted.v1",
        source="/crm/contacts-service",
        tenant_id="t1",
        data=ContactDeleted(id=uuid4()),
        sequence=7,
        traceparent="00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01",
    )
    body = event.model_dump(mode="json")
    assert body["specversion"] == "1.0"
    assert body["tenantid"] == "t1" and body["sequence"] == 7
    assert body["traceparent"].startswith("00-")
    assert body["id"][14] == "7"  # UUID version nibble
    assert ContactCreated.__name__ in {s.model.__name__ for s in REGISTRY.values()}
