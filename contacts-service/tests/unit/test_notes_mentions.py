"""@mentions: one explicit syntax, each user once, in order."""

from contacts_service.notes.mentions import mentions_in


def test_mentions_are_found_once_each_in_order():
    body = (
        "Call @[Ada Lovelace](user:u-ada) about the renewal; "
        "cc @[Bob](user:0192f0c1-7d2e-7aa0-8000-000000000001) and again @[Ada](user:u-ada)."
    )
    assert mentions_in(body) == ["u-ada", "0192f0c1-7d2e-7aa0-8000-000000000001"]


def test_things_that_are_not_mentions():
    assert mentions_in("mail me at ada@example.com, or @ada") == []
    assert mentions_in("a [link](user:x) without @ is a link") == []
    assert mentions_in("@[](user:x) has no name; @[Ada](user:) has no id") == []
    assert mentions_in("@[Ada](user:bad id)") == []
