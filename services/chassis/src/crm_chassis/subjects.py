"""NATS subject patterns, as a consumer's handler table names them.

A pattern is dot-separated tokens where ``*`` stands for exactly one token and a final
``>`` for one or more (NATS' own rules). The CRM stream holds ``crm.>`` only, so every
pattern here starts with the literal ``crm``.
"""

from __future__ import annotations

from collections.abc import Iterable


def is_pattern(key: str) -> bool:
    """Whether ``key`` is a subject pattern (has a wildcard token) rather than a name."""
    return any(token in ("*", ">") for token in key.split("."))


def check_pattern(pattern: str) -> None:
    """ValueError unless ``pattern`` is a valid wildcard pattern inside the CRM stream."""
    tokens = pattern.split(".")
    valid = (
        len(tokens) >= 2
        and tokens[0] == "crm"
        and all(tokens)
        and all(t == ">" or (">" not in t and ("*" not in t or t == "*")) for t in tokens)
        and ">" not in tokens[:-1]
    )
    if not valid or not is_pattern(pattern):
        raise ValueError(
            f"not a subject pattern of the CRM stream: {pattern!r} "
            "(dot-separated tokens after 'crm', '*' for one token, a final '>' for the rest)"
        )


def covers(pattern: str, other: str) -> bool:
    """Whether every subject ``other`` (a subject or a pattern) matches is matched by
    ``pattern``."""
    mine, theirs = pattern.split("."), other.split(".")
    for i, token in enumerate(mine):
        if token == ">":
            return len(theirs) > i
        if i >= len(theirs) or theirs[i] == ">":
            return False
        if token != "*" and (token != theirs[i] or theirs[i] == "*"):
            return False
    return len(mine) == len(theirs)


def overlap(a: str, b: str) -> bool:
    """Whether some subject matches both ``a`` and ``b``."""
    x, y = a.split("."), b.split(".")
    for i in range(min(len(x), len(y))):
        if ">" in (x[i], y[i]):
            return True
        if "*" not in (x[i], y[i]) and x[i] != y[i]:
            return False
    return len(x) == len(y)


def specificity(pattern: str) -> tuple[int, int]:
    """Sort key: more literal tokens first, then longer; the most specific pattern wins."""
    tokens = pattern.split(".")
    return (-sum(t not in ("*", ">") for t in tokens), -len(tokens))


def minimal_filters(subjects: Iterable[str]) -> list[str]:
    """The subjects and patterns without those another one already covers; ValueError
    for two that overlap without one covering the other.

    JetStream refuses a consumer whose filter subjects overlap, so ``crm.>`` next to
    ``crm.contacts.contact.deleted`` must be sent as ``crm.>`` alone.
    """
    unique = sorted(set(subjects))
    kept = [s for s in unique if not any(o != s and covers(o, s) for o in unique)]
    for i, a in enumerate(kept):
        for b in kept[i + 1 :]:
            if overlap(a, b):
                raise ValueError(
                    f"subject patterns {a!r} and {b!r} overlap; use one that covers both"
                )
    return kept
