"""Several emails, phones and addresses per record, exactly one of each kind primary.

These rules run on every write (create, patch, import, merge), so they live here once:
duplicates collapse (case-insensitively for emails, by E.164 for phones), the first item
is primary when none is marked, and marking two primaries is an error.
"""

from __future__ import annotations

from typing import Any, TypeVar

from pydantic import BaseModel

T = TypeVar("T", bound=BaseModel)


class ChannelError(ValueError):
    pass


def with_one_primary(items: list[T], key: Any) -> list[T]:
    """``items`` deduplicated by ``key(item)`` (first wins), exactly one ``primary``."""
    seen: set[Any] = set()
    unique: list[T] = []
    for item in items:
        k = key(item)
        if k in seen:
            if getattr(item, "primary", False):
                # The duplicate carries the primary mark: move it to the kept copy.
                for kept in unique:
                    if key(kept) == k:
                        kept.primary = True  # type: ignore[attr-defined]
            continue
        seen.add(k)
        unique.append(item)
    primaries = [i for i in unique if getattr(i, "primary", False)]
    if len(primaries) > 1:
        raise ChannelError("only one item can be primary")
    if unique and not primaries:
        unique[0].primary = True  # type: ignore[attr-defined]
    # Primary first: the order clients see, and the one the denormalised column copies.
    unique.sort(key=lambda i: not getattr(i, "primary", False))
    return unique


def promote(items: list[T], key: Any, value: Any, make: Any) -> list[T]:
    """Make the item whose key is ``value`` primary, adding it (via ``make``) if absent."""
    found = False
    for item in items:
        is_it = key(item) == value
        item.primary = is_it  # type: ignore[attr-defined]
        found = found or is_it
    if not found:
        items = [make(value), *items]
    return items
