"""The compiled SQL of segment rules agrees with a plain reading of the rules, over real
PostgreSQL: random trees over a set of projected contacts, each answered by the preview
and by a reference evaluator written here (SQL's NULL logic spelled out)."""

import itertools
import random

from .helpers import contact_event, snapshot

NAMES = [None, "Ada", "ada", "Bob"]
COMPANIES = [None, "Acme", "Globex"]
STAGES = [None, "lead", "customer"]
TAGS = ["vip", "trial", "news"]
CUSTOM = [{}, {"tier": "gold", "seats": 40}, {"tier": "free", "seats": 2}, {"seats": "many"}]


def contacts():
    rng = random.Random(7)
    for name, company, stage in itertools.product(NAMES, COMPANIES, STAGES):
        tags = sorted(t for t in TAGS if rng.random() < 0.4)
        yield snapshot(
            first_name=name,
            company=company,
            lifecycle_stage=stage,
            tags=tags,
            custom=rng.choice(CUSTOM),
        )


def leaf(rng: random.Random) -> dict:
    kind = rng.randrange(6)
    if kind == 0:
        field = rng.choice(["first_name", "company", "lifecycle_stage"])
        values = {
            "first_name": ["Ada", "ad", "Bob"],
            "company": ["Acme", "Glo"],
            "lifecycle_stage": ["lead", "customer"],
        }[field]
        op = rng.choice(["eq", "neq", "contains", "starts_with", "in", "exists"])
        if op == "in":
            return {"field": field, "op": op, "value": rng.sample(values, 2)}
        if op == "exists":
            return {"field": field, "op": op, "value": rng.choice([True, False])}
        return {"field": field, "op": op, "value": rng.choice(values)}
    if kind == 1:
        return {"tag": rng.choice(TAGS)}
    if kind == 2:
        return {
            "field": "custom.tier",
            "op": rng.choice(["eq", "neq"]),
            "value": rng.choice(["gold", "free"]),
        }
    if kind == 3:
        return {
            "field": "custom.seats",
            "op": rng.choice(["gt", "lte", "eq"]),
            "value": rng.choice([2, 10, 40]),
        }
    if kind == 4:
        return {"field": "score", "op": rng.choice(["eq", "gt"]), "value": 0}
    return {"field": "custom.tier", "op": "exists", "value": rng.choice([True, False])}


def tree(rng: random.Random, depth: int = 0) -> dict:
    if depth >= 3 or rng.random() < 0.35:
        return leaf(rng)
    kind = rng.choice(["all", "any", "not"])
    if kind == "not":
        return {"not": tree(rng, depth + 1)}
    return {kind: [tree(rng, depth + 1) for _ in range(rng.randint(1, 3))]}


def holds(rule: dict, c) -> bool | None:
    """True, False, or None (SQL's NULL) for contact ``c``."""
    if "all" in rule:
        parts = [holds(r, c) for r in rule["all"]]
        return False if False in parts else None if None in parts else True
    if "any" in rule:
        parts = [holds(r, c) for r in rule["any"]]
        return True if True in parts else None if None in parts else False
    if "not" in rule:
        return holds(rule["not"], c) is not True
    if "tag" in rule:
        return rule["tag"] in c.tags
    field, op, value = rule["field"], rule["op"], rule.get("value")
    if field.startswith("custom."):
        key = field.removeprefix("custom.")
        present, stored = key in c.custom, c.custom.get(key)
        if op == "exists":
            return present if value else not present
        if op == "eq":
            return present and stored == value
        if op == "neq":
            return not (present and stored == value)
        if not isinstance(stored, int | float) or isinstance(stored, bool):
            return None
        return {"gt": stored > value, "lte": stored <= value}[op] if op != "eq" else stored == value
    stored = 0 if field == "score" else getattr(c, field)
    if op == "exists":
        return (stored is not None) == value
    if op == "neq":
        return stored is None or stored != value
    if stored is None:
        return None
    if op == "eq":
        return stored == value
    if op == "gt":
        return stored > value
    if op == "in":
        return stored in value
    if op == "contains":
        return value.lower() in stored.lower()
    return stored.lower().startswith(value.lower())


async def test_compiled_rules_select_exactly_the_contacts_the_rules_describe(
    api, tenant, publish, projected
):
    people = list(contacts())
    for person in people:
        await publish(contact_event(tenant, person))
    await projected(people[-1].id)  # one stream, in order: the last one is the latest
    rng = random.Random(20261202)
    for _ in range(80):
        rule = tree(rng)
        response = await api.post("/v1/segments/preview", json={"rule": rule, "limit": 200})
        assert response.status_code == 200, (rule, response.text)
        got = {m["contact_id"] for m in response.json()["data"]}
        want = {str(p.id) for p in people if holds(rule, p) is True}
        assert got == want, rule
