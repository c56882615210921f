"""Many contacts written in one go (C7): ``POST /v1/contacts/batch`` and import chunks.

Each item gets its own result; a bad item is reported and skipped, the good ones are
written with their events. The work is per batch, not per item: one pydantic validation
of the whole list, one look-up per kind (matches, external ids, accounts, custom field
definitions), the derived columns from ``contacts.derive`` (the one place computing them),
then one multi-row statement per table (see ``bulk``). Items that change a contact's
account (rare) go through the single-contact ``patch``, which owns the link rules.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any
from uuid import UUID

from asyncpg.exceptions import ForeignKeyViolationError, UniqueViolationError
from crm_chassis.auth import Actor
from crm_chassis.batches import paused_gc
from crm_chassis.crud import Call
from crm_chassis.errors import Conflict, CRMError
from crm_chassis.orm import utcnow
from crm_chassis.outbox import copy_events, emit, fast_id, raw_connection
from crm_chassis.resources import patched
from pydantic import TypeAdapter, ValidationError
from sqlalchemy import Row
from sqlalchemy.ext.asyncio import AsyncSession

from contacts_service.contacts import events as contact_events
from contacts_service.contacts import service as contacts
from contacts_service.contacts.derive import columns as derive_columns
from contacts_service.contacts.models import Contact
from contacts_service.contacts.schemas import ContactRead, ContactWrite
from contacts_service.custom_fields.rules import FieldDef, validate_values
from contacts_service.custom_fields.service import definitions
from contacts_service.imports import bulk
from contacts_service.imports.eventrows import ContactEvents, snapshot

MAX_ITEMS = 1000
_ITEMS = TypeAdapter(list[ContactWrite])
_RETRIES = 3


class Mode(StrEnum):
    CREATE = "create"
    UPSERT = "upsert"


class MatchOn(StrEnum):
    EMAIL = "email"
    EXTERNAL_ID = "external_id"


class Status(StrEnum):
    CREATED = "created"
    UPDATED = "updated"
    UNCHANGED = "unchanged"
    ERROR = "error"


@dataclass
class ItemResult:
    index: int
    status: Status
    id: UUID | None = None
    errors: list[dict[str, str]] = field(default_factory=list)


@dataclass
class _Plan:
    """What one good item will write: derived columns, and the contact it replaces."""

    index: int
    columns: dict[str, Any]
    existing: Row[Any] | None = None
    changed: list[str] = field(default_factory=list)
    raw: dict[str, Any] | None = None


def _error(index: int, field_: str, message: str) -> ItemResult:
    return ItemResult(index, Status.ERROR, errors=[{"field": field_, "message": message}])


def match_key(raw: dict[str, Any], match_on: MatchOn) -> str | None:
    """The normalised value an item is matched on (its primary email, or external_id)."""
    if match_on is MatchOn.EXTERNAL_ID:
        value = raw.get("external_id")
        return value.strip() or None if isinstance(value, str) else None
    email = raw.get("email")
    if not isinstance(email, str) or not email.strip():
        entries = [e for e in raw.get("emails") or [] if isinstance(e, dict)]
        chosen = next((e for e in entries if e.get("primary")), entries[0] if entries else {})
        email = chosen.get("email")
    return email.strip().lower() or None if isinstance(email, str) else None


def validate_many(docs: Sequence[Any]) -> list[ContactWrite | list[dict[str, str]]]:
    """Each doc as a ContactWrite, or its errors; one validation call when all are good."""
    try:
        return list(_ITEMS.validate_python(docs))
    except ValidationError as exc:
        bad: dict[int, list[dict[str, str]]] = {}
        for err in exc.errors():
            index, *loc = err["loc"]
            message = "unknown field" if err["type"] == "extra_forbidden" else err["msg"]
            field_ = ".".join(str(p) for p in loc) or "item"
            bad.setdefault(int(index), []).append({"field": field_, "message": message})
    good = [i for i in range(len(docs)) if i not in bad]
    out: list[ContactWrite | list[dict[str, str]]] = [bad.get(i, []) for i in range(len(docs))]
    for i, model in zip(good, _ITEMS.validate_python([docs[i] for i in good]), strict=True):
        out[i] = model
    return out


async def apply(
    *,
    session: AsyncSession,
    tenant_id: UUID,
    items: Sequence[Any],
    mode: Mode,
    match_on: MatchOn,
    phone_region: str,
    write: bool = True,
) -> list[ItemResult]:
    """Validate and write ``items``; one result per item, in order.

    With ``write=False`` (a dry run) everything is checked and nothing is written; the
    statuses say what a write would have done. A write that loses a race (another request
    took an external_id or deleted an account meanwhile) is redone from the look-ups.
    """
    if len(items) > MAX_ITEMS:
        raise ValueError(f"at most {MAX_ITEMS} items per batch")
    for attempt in range(_RETRIES):
        try:
            with paused_gc():
                async with session.begin_nested():
                    return await _apply_once(
                        session, tenant_id, items, mode, match_on, phone_region, write
                    )
        except (UniqueViolationError, ForeignKeyViolationError):
            if attempt == _RETRIES - 1:
                raise Conflict(
                    "Concurrent writes kept conflicting with this batch; retry it"
                ) from None
    raise AssertionError("unreachable")  # pragma: no cover


async def _apply_once(
    session: AsyncSession,
    tenant_id: UUID,
    items: Sequence[Any],
    mode: Mode,
    match_on: MatchOn,
    phone_region: str,
    write: bool,
) -> list[ItemResult]:
    results: dict[int, ItemResult] = {}
    raws: dict[int, dict[str, Any]] = {}
    for i, raw in enumerate(items):
        if isinstance(raw, dict):
            raws[i] = raw
        else:
            results[i] = _error(i, "item", "must be a JSON object")

    existing = await _matches(session, tenant_id, raws, mode, match_on, results, lock=write)
    defs = await definitions(session, tenant_id, "contact")
    plans: list[_Plan] = []
    creates = [i for i in raws if i not in existing]
    for i, model in zip(creates, validate_many([raws[i] for i in creates]), strict=True):
        if isinstance(model, list):
            results[i] = ItemResult(i, Status.ERROR, errors=model)
            continue
        custom = _custom(defs, model.custom, {}, phone_region, create=True, index=i)
        if isinstance(custom, ItemResult):
            results[i] = custom
            continue
        plans.append(_Plan(i, derive_columns(model, phone_region=phone_region, custom=custom)))
    for i, row in existing.items():
        raw = raws[i]
        if match_on is MatchOn.EMAIL and match_key(raw, match_on) in row.email_keys:
            # The address only says which contact this is: it does not become the primary
            # one (an ``emails`` list in the item still replaces the list).
            raw = {k: v for k, v in raw.items() if k != "email"}
        plan_or_error = _update_plan(i, raw, row, defs, phone_region)
        if isinstance(plan_or_error, ItemResult):
            results[i] = plan_or_error
        else:
            plans.append(plan_or_error)

    plans = await _check_references(session, tenant_id, plans, results)
    now = utcnow()
    rows = ContactEvents(tenant_id, now)
    new: list[tuple[_Plan, UUID]] = []
    updates: list[_Plan] = []
    relinks: list[_Plan] = []
    for plan in sorted(plans, key=lambda p: p.index):
        if plan.existing is None:
            contact_id = fast_id() if write else None
            results[plan.index] = ItemResult(plan.index, Status.CREATED, contact_id)
            if contact_id is not None:
                new.append((plan, contact_id))
        elif not plan.changed:
            results[plan.index] = ItemResult(plan.index, Status.UNCHANGED, plan.existing.id)
        else:
            results[plan.index] = ItemResult(plan.index, Status.UPDATED, plan.existing.id)
            (relinks if "account_id" in plan.changed else updates).append(plan)
    if write:
        await _write(session, tenant_id, new, updates, rows, now)
        for plan in relinks:
            # A new primary account re-points links: the single-contact path owns that.
            await contacts.patch(
                Call(session, Actor.system(tenant_id)),
                plan.existing.id,  # type: ignore[union-attr]
                plan.raw,
                if_match=None,
                phone_region=phone_region,
            )
    return [results[i] for i in range(len(items))]


async def _matches(
    session: AsyncSession,
    tenant_id: UUID,
    raws: dict[int, dict[str, Any]],
    mode: Mode,
    match_on: MatchOn,
    results: dict[int, ItemResult],
    *,
    lock: bool,
) -> dict[int, Row[Any]]:
    """Index -> the existing contact an upserted item matches; errors for unmatchable ones."""
    if mode is not Mode.UPSERT:
        return {}
    keys: dict[int, str] = {}
    first: dict[str, int] = {}
    for i, raw in list(raws.items()):
        key = match_key(raw, match_on)
        if key is None:
            results[i] = _error(i, match_on.value, f"needed to match on {match_on.value}")
        elif key in first:
            results[i] = _error(
                i, match_on.value, f"same {match_on.value} as item {first[key]} of this batch"
            )
        else:
            first[key] = i
            keys[i] = key
            continue
        del raws[i]
    if not keys:
        return {}
    lookup = (
        bulk.contacts_by_external_id if match_on is MatchOn.EXTERNAL_ID else bulk.contacts_by_email
    )
    by_key = await lookup(session, tenant_id, list(keys.values()), lock=lock)
    matched: dict[int, Row[Any]] = {}
    first_of: dict[UUID, int] = {}
    for i, key in keys.items():
        if (row := by_key.get(key)) is None:
            continue
        if row.id in first_of:  # two addresses of one contact: one write per contact
            results[i] = _error(
                i, match_on.value, f"matches the same contact as item {first_of[row.id]}"
            )
            del raws[i]
        else:
            first_of[row.id] = i
            matched[i] = row
    return matched


def _custom(
    defs: dict[str, FieldDef],
    values: dict[str, Any],
    removed: dict[str, None],
    phone_region: str,
    *,
    create: bool,
    index: int,
) -> dict[str, Any] | ItemResult:
    """Checked custom values (``checked_values`` semantics, definitions loaded once)."""
    if not defs and not values and not removed:
        return {}
    out, errors = validate_values(
        defs, {**values, **removed}, phone_region=phone_region, enforce_required=create
    )
    return ItemResult(index, Status.ERROR, errors=errors) if errors else out


def _update_plan(
    index: int, raw: dict[str, Any], row: Row[Any], defs: dict[str, FieldDef], region: str
) -> _Plan | ItemResult:
    """The item merged into the contact it matched, as a JSON Merge Patch (like PATCH)."""
    current = ContactRead.model_validate(row).model_dump(mode="json")
    try:
        model, _ = patched(current, ContactWrite, raw)
    except CRMError as exc:
        return ItemResult(index, Status.ERROR, errors=exc.errors or [])
    raw_custom = raw.get("custom")
    removed = (
        {k: None for k, v in raw_custom.items() if v is None}
        if isinstance(raw_custom, dict)
        else {}
    )
    custom = _custom(defs, model.custom, removed, region, create=False, index=index)
    if isinstance(custom, ItemResult):
        return custom
    new = derive_columns(model, phone_region=region, custom=custom)
    changed = sorted(
        k for k, v in new.items() if k != "search_text" and _comparable(row, k) != _as_str(v)
    )
    return _Plan(index, new, existing=row, changed=changed, raw=raw)


def _comparable(row: Row[Any], name: str) -> Any:
    return _as_str(getattr(row, name))


def _as_str(value: Any) -> Any:
    return str(value) if isinstance(value, UUID) else value


async def _check_references(
    session: AsyncSession, tenant_id: UUID, plans: list[_Plan], results: dict[int, ItemResult]
) -> list[_Plan]:
    """Drop (as errors) items naming an unknown account or another contact's external_id;
    fill a new contact's company from its account, as a single create does."""
    accounts = await bulk.account_names(
        session, tenant_id, {p.columns["account_id"] for p in plans if p.columns["account_id"]}
    )
    owners = await bulk.external_id_owners(
        session, tenant_id, {p.columns["external_id"] for p in plans if p.columns["external_id"]}
    )
    claimed: dict[str, int] = {}
    kept = []
    for plan in sorted(plans, key=lambda p: p.index):
        cols = plan.columns
        own_id = plan.existing.id if plan.existing is not None else None
        ext = cols["external_id"]
        if cols["account_id"] is not None and cols["account_id"] not in accounts:
            results[plan.index] = _error(plan.index, "account_id", "no such account")
        elif ext is not None and owners.get(ext, own_id) != own_id:
            results[plan.index] = _error(
                plan.index, "external_id", "another contact has this external_id"
            )
        elif ext is not None and ext in claimed:
            results[plan.index] = _error(
                plan.index, "external_id", f"same external_id as item {claimed[ext]} of this batch"
            )
        else:
            if ext is not None:
                claimed[ext] = plan.index
            if plan.existing is None and cols["company"] is None and cols["account_id"]:
                cols["company"] = accounts[cols["account_id"]]
            kept.append(plan)
    return kept


async def _write(
    session: AsyncSession,
    tenant_id: UUID,
    new: list[tuple[_Plan, UUID]],
    updates: list[_Plan],
    rows: ContactEvents,
    now: Any,
) -> None:
    if not new and not updates:
        return
    conn = await raw_connection(session)
    names = list((new[0][0] if new else updates[0]).columns)
    record = bulk.RecordBuilder(names)
    records, links = [], []
    for plan, contact_id in new:
        records.append(record((contact_id, tenant_id, 1, now, now), plan.columns))
        rows.created(snapshot(contact_id, plan.columns, version=1, created_at=now, updated_at=now))
        if plan.columns["account_id"] is not None:
            links.append((contact_id, plan.columns["account_id"], tenant_id))
            rows.linked(contact_id, plan.columns["account_id"])
    if records:
        await bulk.copy_contacts(conn, names, records)
        await bulk.copy_links(conn, links)
    changes = []
    for plan in updates:
        row = plan.existing
        assert row is not None
        version = row.version + 1
        changes.append({**plan.columns, "id": row.id, "version": version, "updated_at": now})
        contact = snapshot(
            row.id, plan.columns, version=version, created_at=row.created_at, updated_at=now
        )
        rows.updated(contact, [c for c in plan.changed if not c.endswith("_keys")])
    await bulk.update_contacts(conn, tenant_id, names, changes)
    await copy_events(session, rows)
    for plan in updates:
        await _consent_event(session, tenant_id, plan, now)


async def _consent_event(session: AsyncSession, tenant_id: UUID, plan: _Plan, now: Any) -> None:
    row, cols = plan.existing, plan.columns
    assert row is not None
    if (row.do_not_contact, row.consent) == (cols["do_not_contact"], cols["consent"]):
        return
    # A transient view of the contact after the write, for the one event builder.
    after = Contact(
        id=row.id,
        tenant_id=tenant_id,
        version=row.version + 1,
        do_not_contact=cols["do_not_contact"],
        consent=cols["consent"],
    )
    await emit(session, contact_events.consent_changed(after, row.do_not_contact, row.consent))
