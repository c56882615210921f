"""Phonetic blocking keys: the same key for typos that keep a name's sound or its start."""

from contacts_service.common.names import name_keys


def shared(a, b):
    return set(name_keys(*a)) & set(name_keys(*b))


def test_a_typo_in_both_names_keeps_the_phonetic_key():
    assert shared(("Katherine", "Johnson"), ("Kathrine", "Jonson")) >= {"p:JNSN K0RN"}


def test_a_typo_that_changes_the_sound_is_caught_by_the_other_field():
    assert shared(("Katherine", "Johnson"), ("Katherine", "Johnston"))  # last name's sound
    assert shared(("Robert", "Johnston"), ("Rbert", "Johnston"))  # first name's sound


def test_swapped_first_and_last_names_share_a_key():
    assert shared(("Johnson", "Katherine"), ("Katherine", "Johnson"))


def test_different_people_with_one_shared_name_share_no_key():
    assert not shared(("Katherine", "Johnson"), ("Robert", "Johnson"))
    assert not shared(("Person1", "Family1"), ("Person2", "Family2"))


def test_names_without_letters_or_digits_have_no_keys():
    assert name_keys(None, None) == []
    assert name_keys("", "---") == []
    assert name_keys(None, "Madonna") == ["p:MTN"]
