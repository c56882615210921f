"""Tenant-written templates: sandboxed, checked when saved, personalised with fallbacks."""

from __future__ import annotations

import pytest
from crm_chassis.templates import InvalidTemplate, compile_template


def test_personalisation_with_fallbacks() -> None:
    template = compile_template(
        'Hi {{ contact.first_name | default("there") }}, {{ contact.company.name }}!', html=False
    )

    assert template.render({"contact": {"first_name": "Ada"}}) == "Hi Ada, !"
    assert template.render({"contact": {"first_name": ""}}) == "Hi there, !"
    assert template.render({}) == "Hi there, !"
    assert template.variables == {"contact"}


def test_html_templates_escape_values_and_text_ones_do_not() -> None:
    values = {"name": "<b>Ada & co</b>"}

    assert compile_template("{{ name }}", html=True).render(values) == (
        "&lt;b&gt;Ada &amp; co&lt;/b&gt;"
    )
    assert compile_template("{{ name }}", html=False).render(values) == "<b>Ada & co</b>"


def test_a_syntax_error_names_its_line() -> None:
    with pytest.raises(InvalidTemplate) as caught:
        compile_template("Hello\n{% if x %}\nno end", html=False)

    assert caught.value.line is not None
    assert str(caught.value).startswith(f"line {caught.value.line}:")


@pytest.mark.parametrize(
    "source",
    [
        "{{ ''.__class__.__mro__[1].__subclasses__() }}",
        "{{ cycler.__init__.__globals__.os }}",
        "{{ x.__class__ }}",
    ],
)
def test_the_sandbox_refuses_internals(source: str) -> None:
    template = compile_template(source, html=False)

    try:
        out = template.render({"x": 1})
    except InvalidTemplate:
        return
    assert out == ""  # the sandbox answered the unsafe attribute with an undefined value


def test_a_failure_while_rendering_is_an_invalid_template() -> None:
    template = compile_template("{{ 1 / n }}", html=False)

    with pytest.raises(InvalidTemplate):
        template.render({"n": 0})
