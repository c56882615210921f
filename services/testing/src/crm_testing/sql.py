"""SQL shapes in assertions: an expression rendered as PostgreSQL with its values inline."""

from __future__ import annotations

import re
from typing import Any

from sqlalchemy.dialects import postgresql


def render(expression: Any) -> str:
    """The PostgreSQL text of ``expression``, each parameter shown as its Python repr,
    casts (``::TEXT[]``) dropped and white space folded: for comparing SQL shapes."""
    compiled = expression.compile(dialect=postgresql.dialect())
    text = str(compiled)
    for name, value in compiled.params.items():
        text = text.replace(f"%({name})s", repr(value))
    return " ".join(re.sub(r"::[A-Z]+(\[\])?", "", text).split())
