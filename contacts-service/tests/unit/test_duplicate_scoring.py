"""Duplicate scoring: how alike two contacts or two accounts are, 0-1, with the reasons (C6)."""

from uuid import uuid4

from contacts_service.merge.scoring import (
    AccountFeatures,
    ContactFeatures,
    fold,
    name_similarity,
    score_accounts,
    score_contacts,
)
from hypothesis import given
from hypothesis import strategies as st


def person(first=None, last=None, emails=(), phones=(), company=None, account_id=None):
    return ContactFeatures(
        id=uuid4(),
        first_name=first,
        last_name=last,
        emails=tuple(emails),
        phones=tuple(phones),
        company=company,
        account_id=account_id,
    )


def fields(match):
    return {(r.field, r.match) for r in match.reasons}


def test_names_are_folded_for_accents_case_and_punctuation():
    assert fold("  José-María  O'NEIL ") == "jose maria o neil"
    assert name_similarity("José", "Müller", "jose", "MULLER") == 1.0
    assert name_similarity("Smith", "John", "John", "Smith") == 1.0  # swapped fields


def test_an_initial_matches_the_first_name_it_abbreviates():
    assert name_similarity("J.", "Smith", "John", "Smith") >= 0.9
    assert name_similarity("K.", "Smith", "John", "Smith") < 0.9


def test_a_misspelt_name_is_similar_by_jaro_winkler_and_pairs_on_its_own():
    m = score_contacts(
        person("Katherine", "Johnson", emails=["kj@a.example"]),
        person("Kathrine", "Jonson", emails=["kathy@b.example"]),
    )
    assert [(r.field, r.match, r.detail) for r in m.reasons] == [("name", "fuzzy", "0.94")]
    assert m.score >= 0.6  # the default threshold of scans and lookups


def test_a_shared_last_name_with_another_first_name_is_no_evidence():
    assert name_similarity("Katherine", "Johnson", "Robert", "Johnson") < 0.75
    m = score_contacts(person("Katherine", "Johnson"), person("Robert", "Johnson"))
    assert m.score == 0 and m.reasons == []


def test_numbered_placeholder_names_are_different_people():
    assert name_similarity("Person1", "Family1", "Person2", "Family2") == 0.0
    assert name_similarity("Test1", "User", "Test1", "User") == 1.0


def test_a_shared_email_is_strong_evidence_on_its_own():
    m = score_contacts(
        person(emails=["a@x.com"]), person(first="Zed", emails=["b@y.com", "a@x.com"])
    )
    assert m.score >= 0.85
    assert ("email", "exact") in fields(m)


def test_the_same_phone_is_strong_evidence():
    m = score_contacts(person(phones=["+12025550100"]), person(phones=["+12025550100"]))
    assert m.score >= 0.75 and ("phone", "e164") in fields(m)


def test_the_same_local_part_at_another_domain_is_weak_evidence():
    alone = score_contacts(person(emails=["jsmith@a.com"]), person(emails=["jsmith@b.com"]))
    assert 0 < alone.score < 0.6 and ("email", "local_part") in fields(alone)
    # a role address says nothing about the person
    role = score_contacts(person(emails=["info@a.com"]), person(emails=["info@b.com"]))
    assert role.score == 0 and role.reasons == []


def test_name_and_company_together_pass_the_default_threshold_but_a_name_alone_is_borderline():
    same_name = score_contacts(person("John", "Smith"), person("john", "smith"))
    assert 0.5 <= same_name.score <= 0.65
    acme = uuid4()
    with_account = score_contacts(
        person("John", "Smith", account_id=acme), person("Jon", "Smith", account_id=acme)
    )
    assert with_account.score > 0.65
    assert ("account", "same") in fields(with_account)
    with_company = score_contacts(
        person("John", "Smith", company="Acme Inc"), person("John", "Smith", company="ACME inc.")
    )
    assert ("company", "fuzzy") in fields(with_company) and with_company.score > same_name.score


def test_coworkers_with_different_names_are_not_duplicates():
    acme = uuid4()
    m = score_contacts(
        person("John", "Smith", account_id=acme, emails=["john@acme.com"]),
        person("Maria", "Garcia", account_id=acme, emails=["maria@acme.com"]),
    )
    assert m.score < 0.3


def test_more_evidence_never_lowers_the_score():
    base = score_contacts(person("Ann", "Lee"), person("Ann", "Lee"))
    more = score_contacts(
        person("Ann", "Lee", emails=["ann@x.com"]), person("Ann", "Lee", emails=["ann@x.com"])
    )
    assert more.score > base.score and more.score <= 1.0


def test_accounts_match_on_domain_and_on_names_without_legal_suffixes():
    def account(name, domain=None, website=None, phone=None):
        return AccountFeatures(id=uuid4(), name=name, domain=domain, website=website, phone=phone)

    by_domain = score_accounts(account("Acme", "acme.com"), account("Totally Else", "acme.com"))
    assert by_domain.score >= 0.85 and ("domain", "exact") in fields(by_domain)
    by_name = score_accounts(account("ACME Inc."), account("Acme"))
    assert by_name.score >= 0.6 and ("name", "exact") in fields(by_name)  # once normalised
    typo = score_accounts(account("Globex Corporation"), account("Globexx"))
    assert typo.score >= 0.6 and ("name", "fuzzy") in fields(typo)
    by_website = score_accounts(
        account("A", "acme.com"), account("B", website="https://www.acme.com/x")
    )
    assert ("domain", "exact") in fields(by_website)
    unrelated = score_accounts(account("Acme", "acme.com"), account("Globex", "globex.com"))
    assert unrelated.score < 0.3


_name = st.text(alphabet="abcdeéxyz -", max_size=12)


@given(_name, _name, _name, _name)
def test_name_similarity_is_symmetric_and_bounded(f1, l1, f2, l2):
    s = name_similarity(f1, l1, f2, l2)
    assert 0.0 <= s <= 1.0
    assert abs(s - name_similarity(f2, l2, f1, l1)) < 1e-9


@given(
    st.lists(st.sampled_from(["a@x.com", "b@x.com", "a@y.com"]), max_size=3),
    st.lists(st.sampled_from(["a@x.com", "b@x.com", "a@y.com"]), max_size=3),
    st.sampled_from([None, "Ann", "Anne"]),
)
def test_scores_are_symmetric_and_between_zero_and_one(e1, e2, first):
    a, b = person(first, "Lee", emails=e1), person("Ann", "Lee", emails=e2)
    m1, m2 = score_contacts(a, b), score_contacts(b, a)
    assert 0.0 <= m1.score <= 1.0
    assert abs(m1.score - m2.score) < 1e-9
