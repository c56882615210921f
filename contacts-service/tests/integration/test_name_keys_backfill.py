"""The fuzzy-name-keys migration gives contacts stored before it the keys writes derive."""

import importlib.util
from pathlib import Path

from contacts_service.common.names import name_keys
from sqlalchemy import text

MIGRATION = Path(__file__).parents[2] / "migrations" / "versions" / "2026-12-01_fuzzy_name_keys.py"


def _migration():
    spec = importlib.util.spec_from_file_location("fuzzy_name_keys", MIGRATION)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


async def test_contacts_stored_before_the_migration_get_the_keys_writes_derive(
    api, contacts_app, monkeypatch
):
    migration = _migration()
    monkeypatch.setattr(migration, "BATCH", 2)  # several batches
    people = [("Katherine", "Johnson"), ("José", "Álvarez"), (None, "Madonna"), ("Ada", None)]
    ids = []
    for first, last in people:
        response = await api.post("/v1/contacts", json={"first_name": first, "last_name": last})
        assert response.status_code == 201, response.text
        ids.append(response.json()["id"])
    nameless = (await api.post("/v1/contacts", json={"emails": [{"email": "x@y.example"}]})).json()

    async with contacts_app.state.engine.begin() as conn:
        await conn.execute(text("UPDATE contacts SET name_keys = '{}'"))  # as before it
        await conn.run_sync(migration._backfill)
        rows = await conn.execute(text("SELECT CAST(id AS text), name_keys FROM contacts"))
        stored = dict(rows.all())

    assert {i: stored[i] for i in ids} == {
        i: name_keys(*p) for i, p in zip(ids, people, strict=True)
    }
    assert stored[ids[0]] and all(stored[i] for i in ids)
    assert stored[nameless["id"]] == []
