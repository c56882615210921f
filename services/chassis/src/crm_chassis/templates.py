"""User-written templates (emails, quotes, replies) rendered safely: Jinja2's sandbox.

Templates come from tenants, so they run in a :class:`~jinja2.sandbox.SandboxedEnvironment`
(no attribute access to internals, no imports, no file system) and are checked when they
are saved: :func:`compile_template` raises :class:`InvalidTemplate` with the line, which a
route answers as a 422 problem. Personalisation falls back instead of failing: a missing
variable renders empty, and ``{{ contact.first_name | default("there") }}`` gives
"there" when the contact has no first name (empty or missing).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from jinja2 import ChainableUndefined, Template, TemplateError, TemplateSyntaxError, nodes
from jinja2.sandbox import SandboxedEnvironment, SecurityError


class InvalidTemplate(ValueError):
    """A template that does not compile or that failed while rendering."""

    def __init__(self, message: str, line: int | None = None) -> None:
        super().__init__(message if line is None else f"line {line}: {message}")
        self.line = line


def _default(value: Any, fallback: Any = "", boolean: bool = True) -> Any:
    """``default`` that also replaces empty values: personalisation wants that."""
    if isinstance(value, ChainableUndefined) or (boolean and not value):
        return fallback
    return value


def _environment(*, html: bool) -> SandboxedEnvironment:
    env = SandboxedEnvironment(
        autoescape=html, undefined=ChainableUndefined, keep_trailing_newline=True
    )
    env.filters["default"] = env.filters["d"] = _default
    return env


_ENVIRONMENTS = {True: _environment(html=True), False: _environment(html=False)}


@dataclass(frozen=True)
class CompiledTemplate:
    """A checked template, ready to render many times."""

    source: str
    html: bool
    variables: frozenset[str]
    """The top-level names the template reads (``contact``, ``unsubscribe_url`` ...)."""
    template: Template = field(repr=False, compare=False)

    def render(self, context: Mapping[str, Any]) -> str:
        """The template with ``context``; :class:`InvalidTemplate` if it fails."""
        try:
            return self.template.render(context)
        except SecurityError as exc:
            raise InvalidTemplate(f"not allowed in a template: {exc}") from exc
        except TemplateError as exc:
            raise InvalidTemplate(str(exc), getattr(exc, "lineno", None)) from exc
        except (TypeError, ValueError, ArithmeticError) as exc:
            raise InvalidTemplate(f"{type(exc).__name__}: {exc}") from exc


def compile_template(source: str, *, html: bool) -> CompiledTemplate:
    """Check ``source`` and return it compiled; :class:`InvalidTemplate` names the line."""
    env = _ENVIRONMENTS[html]
    try:
        tree = env.parse(source)
        template = env.from_string(tree)
    except TemplateSyntaxError as exc:
        raise InvalidTemplate(exc.message or "syntax error", exc.lineno) from exc
    except TemplateError as exc:
        raise InvalidTemplate(str(exc)) from exc
    names = frozenset(n.name for n in tree.find_all(nodes.Name) if n.ctx == "load")
    return CompiledTemplate(source=source, html=html, variables=names, template=template)
