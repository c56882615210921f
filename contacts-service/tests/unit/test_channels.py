import pytest
from contacts_service.common.phones import lookup_keys, to_e164
from contacts_service.contacts.schemas import ContactWrite
from pydantic import ValidationError


def test_first_email_is_primary_when_none_is_marked_and_duplicates_collapse():
    c = ContactWrite(emails=[{"email": "a@x.com"}, {"email": "B@x.com"}, {"email": "A@X.com"}])
    assert [(e.email, e.primary) for e in c.emails] == [("a@x.com", True), ("b@x.com", False)]
    assert c.email == "a@x.com"


def test_the_email_shortcut_promotes_an_existing_entry_or_adds_one():
    c = ContactWrite(
        email="b@x.com", emails=[{"email": "a@x.com", "primary": True}, {"email": "b@x.com"}]
    )
    assert [(e.email, e.primary) for e in c.emails] == [("b@x.com", True), ("a@x.com", False)]
    c = ContactWrite(email="new@x.com", emails=[{"email": "a@x.com"}])
    assert [e.email for e in c.emails] == ["new@x.com", "a@x.com"]


def test_two_primaries_are_refused_on_the_list_field():
    with pytest.raises(ValidationError) as caught:
        ContactWrite(
            phones=[
                {"number": "+1 202 555 0100", "primary": True},
                {"number": "+1 202 555 0101", "primary": True},
            ]
        )
    assert caught.value.errors()[0]["loc"] == ("phones",)


def test_a_contact_needs_a_name_an_email_or_a_phone():
    with pytest.raises(ValidationError):
        ContactWrite(title="Nobody")
    assert ContactWrite(phone="+1 202 555 0100").phone == "+1 202 555 0100"


@pytest.mark.parametrize(
    ("raw", "region", "e164"),
    [
        ("+44 20 7946 0000", "US", "+442079460000"),
        ("0044 20 7946 0000", "US", "+442079460000"),
        ("(202) 555-0100", "US", "+12025550100"),
        ("020 7946 0000", "GB", "+442079460000"),
        ("call me", "US", None),
    ],
)
def test_phone_numbers_normalise_to_e164(raw, region, e164):
    assert to_e164(raw, region) == e164


def test_an_unparseable_number_is_still_found_by_its_digits():
    assert lookup_keys("ext 12") == ["12"]
    assert lookup_keys("+1 202 555 0100") == ["+12025550100"]
