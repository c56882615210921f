"""A small vCard 3.0 / 4.0 reader: cards -> contact items.

Handles folded lines, parameters (``TYPE=work,pref``, ``PREF=1``), escaped values
(``\\,`` ``\\;`` ``\\n``), grouped names (``item1.EMAIL``) and ``tel:`` URIs. Read:
FN, N, EMAIL, TEL, ORG, TITLE, ADR; any other property (NOTE, UID, ...) only where the
import's mapping names it (``{"NOTE": "custom.notes"}``). An ADR country that is not an
ISO 3166 two-letter code is left out (the contact model stores codes only).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from contacts_service.custom_fields.rules import FieldDef
from contacts_service.imports.mapping import Target, custom_value, parse_target
from contacts_service.imports.readers import BOM, FileProblem

DEFAULT_MAPPING = {"ORG": "company", "TITLE": "title"}


@dataclass
class Prop:
    name: str
    params: dict[str, list[str]]
    value: str


@dataclass
class Card:
    props: list[Prop] = field(default_factory=list)

    def all(self, name: str) -> list[Prop]:
        return [p for p in self.props if p.name == name]

    def first(self, name: str) -> Prop | None:
        return next(iter(self.all(name)), None)


def _split(value: str, sep: str) -> list[str]:
    """Split on unescaped ``sep`` and unescape each part."""
    parts, buf, i = [], [], 0
    while i < len(value):
        c = value[i]
        if c == "\\" and i + 1 < len(value):
            nxt = value[i + 1]
            buf.append("\n" if nxt in "nN" else nxt)
            i += 2
            continue
        if c == sep:
            parts.append("".join(buf))
            buf = []
        else:
            buf.append(c)
        i += 1
    parts.append("".join(buf))
    return parts


def unescape(value: str) -> str:
    return _split(value, "\x00")[0]


def parse_line(line: str) -> Prop | None:
    """``group.NAME;PARAM=a,b:value`` -> Prop (None for a line without a colon)."""
    head, sep, value = line.partition(":")
    if not sep:
        return None
    name, *raw_params = head.split(";")
    params: dict[str, list[str]] = {}
    for p in raw_params:
        key, eq, val = p.partition("=")
        if eq:
            params.setdefault(key.upper(), []).extend(
                v.strip('"').lower() for v in val.split(",") if v
            )
        else:  # vCard 2.1 style bare type: ;WORK
            params.setdefault("TYPE", []).append(key.lower())
    return Prop(name.rsplit(".", 1)[-1].upper(), params, value)


def read_cards(path: Path, position: int, limit: int) -> tuple[list[Card], int]:
    """Up to ``limit`` cards from byte ``position``, and the offset after the last one."""
    cards: list[Card] = []
    with path.open("rb") as f:
        f.seek(position)
        current: Card | None = None
        pending: str | None = None
        end = position
        while len(cards) < limit:
            raw = f.readline()
            if not raw:
                break
            offset = f.tell()
            if position == 0 and end == 0 and raw.startswith(BOM):
                raw = raw[len(BOM) :]
            try:
                line = raw.decode("utf-8").rstrip("\r\n")
            except UnicodeDecodeError as exc:
                raise FileProblem(f"the file is not UTF-8 text ({exc.reason})") from None
            if line[:1] in (" ", "\t"):
                if pending is not None:
                    pending += line[1:]
                continue
            prop = parse_line(pending) if pending is not None else None
            if prop is not None and current is not None:
                current.props.append(prop)
            pending = None
            upper = line.strip().upper()
            if upper == "BEGIN:VCARD":
                current = Card()
            elif upper == "END:VCARD":
                if current is not None:
                    cards.append(current)
                current, end = None, offset
            elif current is not None:
                pending = line if line.strip() else None
            else:
                end = offset  # blank lines and stray text between cards
        if current is not None and not f.readline():
            raise FileProblem("the file ends inside a card (BEGIN:VCARD without END:VCARD)")
        return cards, end


def count_cards(path: Path) -> int:
    with path.open("rb") as f:
        return sum(1 for line in f if line.strip().upper() == b"BEGIN:VCARD")


def _label(prop: Prop) -> tuple[str | None, bool]:
    types = [t for t in prop.params.get("TYPE", []) if t not in ("pref", "internet", "voice")]
    primary = "pref" in prop.params.get("TYPE", []) or prop.params.get("PREF", ["9"])[0] == "1"
    return (types[0][:40] if types else None), primary


def to_item(
    card: Card, mapping: dict[str, str], defs: dict[str, FieldDef]
) -> tuple[dict[str, Any], dict[str, str]]:
    """The contact item of a card, and item path -> property it came from."""
    item: dict[str, Any] = {}
    origin: dict[str, str] = {}
    if (n := card.first("N")) is not None:
        family, given, *_ = [*_split(n.value, ";"), "", ""]
        if given.strip():
            item["first_name"], origin["first_name"] = given.strip(), "N"
        if family.strip():
            item["last_name"], origin["last_name"] = family.strip(), "N"
    if "first_name" not in item and "last_name" not in item and (fn := card.first("FN")):
        words = unescape(fn.value).split()
        if words:
            item["last_name"], origin["last_name"] = words[-1], "FN"
            if len(words) > 1:
                item["first_name"], origin["first_name"] = " ".join(words[:-1]), "FN"
    for name, key, kind in (("EMAIL", "email", "emails"), ("TEL", "number", "phones")):
        entries: list[dict[str, Any]] = []
        for prop in card.all(name):
            value = unescape(prop.value).strip().removeprefix("tel:")
            if value:
                label, primary = _label(prop)
                entries.append({key: value, "label": label, "primary": primary})
        if entries:
            if sum(e["primary"] for e in entries) > 1:  # several "pref": the first wins
                for e in entries[1:]:
                    e["primary"] = False
            item[kind] = entries
            origin.update({f"{kind}.{k}": name for k in range(len(entries))})
    addresses = []
    for prop in card.all("ADR"):
        _box, _ext, street, city, region, postal, country, *_ = [
            *_split(prop.value, ";"),
            *[""] * 7,
        ]
        label, primary = _label(prop)
        adr = {"street": street, "city": city, "region": region, "postal_code": postal}
        adr = {k: v.strip() for k, v in adr.items() if v.strip()}
        if len(country.strip()) == 2 and country.strip().isalpha():
            adr["country"] = country.strip().upper()
        if adr:
            addresses.append({**adr, "label": label, "primary": primary})
    if addresses:
        item["addresses"] = addresses
        origin.update({f"addresses.{k}": "ADR" for k in range(len(addresses))})
    for prop_name, target_text in {**DEFAULT_MAPPING, **mapping}.items():
        target = parse_target(target_text)
        found = card.first(prop_name.upper())
        if target is None or found is None:
            continue
        value = (
            _split(found.value, ";")[0].strip()
            if prop_name.upper() == "ORG"
            else unescape(found.value).strip()
        )
        if value:
            _assign(item, origin, target, value, prop_name.upper(), defs)
    return item, origin


def _assign(
    item: dict[str, Any],
    origin: dict[str, str],
    target: Target,
    value: str,
    source: str,
    defs: dict[str, FieldDef],
) -> None:
    if target.kind == "custom":
        item.setdefault("custom", {})[target.name] = custom_value(defs.get(target.name), value)
        origin[f"custom.{target.name}"] = source
    elif target.kind == "scalar":
        item[target.name] = value
        origin[target.name] = source
    elif target.kind == "split" and target.name == "tags":
        item["tags"] = [t.strip() for t in value.split(",") if t.strip()]
        origin["tags"] = source
