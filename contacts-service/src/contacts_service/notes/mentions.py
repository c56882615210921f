"""@mentions in a note's markdown body.

The one syntax: ``@[Display Name](user:<user id>)``, a markdown-link-like token that an
editor inserts when the writer picks a user; the display name is free text for readers,
the user id is what counts. A bare ``@name`` is plain text, not a mention: names are
ambiguous and user ids are not guessable from them.
"""

from __future__ import annotations

import re

MAX_MENTIONS = 50
MENTION = re.compile(r"@\[([^\]\n]{1,200})\]\(user:([A-Za-z0-9][A-Za-z0-9._@+-]{0,199})\)")

SYNTAX_DOC = (
    "Markdown, at most 100 kB (UTF-8). Mention a user with `@[Display Name](user:<user id>)`; "
    "the mentioned user ids are returned in `mentions` and published with the note's events."
)


def mentions_in(body: str) -> list[str]:
    """The user ids mentioned in ``body``, each once, in order of first appearance."""
    seen: dict[str, None] = {}
    for match in MENTION.finditer(body):
        seen.setdefault(match.group(2))
    return list(seen)
