"""Who spends: spenders the registry does not know, named groups, buyers and sellers of compute."""

from __future__ import annotations

from datetime import date

import pytest

from tasks.facts import extract_facts
from tasks.facts._companies import unregistered_subject

PUBLISHED = date(2026, 4, 14)


@pytest.mark.parametrize(("text", "name"), [
    ("Iliad will invest 3 billion euros in AI data centres in France over the next three years.", "Iliad"),
    ("Italian utility group Enel said it would spend €2bn on power lines for AI data centres.", "Enel"),
    ("The state of Ohio will spend $900 million on grid upgrades for AI data centers.", "Ohio"),
    ("Kenya's Safaricom plans to build a $1 billion AI data center near Nairobi.", "Safaricom"),
])
def test_unregistered_spender_is_kept_and_flagged(text: str, name: str) -> None:
    """A spender missing from the registry is the subject of its clause and is flagged as unregistered."""
    (fact,) = extract_facts(text, PUBLISHED)
    assert fact.companies == (name,)
    assert fact.unregistered == (name,)


def test_registered_spender_is_not_flagged() -> None:
    """A registry company carries no unregistered flag."""
    (fact,) = extract_facts("Nebius plans to spend $2 billion on new data centers this year.", PUBLISHED)
    assert (fact.companies, fact.unregistered) == (("Nebius",), ())


def test_unknown_subject_outside_ai_infrastructure_is_not_a_fact() -> None:
    """An unknown company's spending is kept only where the text speaks of AI infrastructure."""
    assert extract_facts("Lupin will invest $250 million in a drug plant in Florida.", PUBLISHED) == []


@pytest.mark.parametrize("text", [
    "Jane Doe said it will keep its plans.",
    "Although Paramount will cover the fee, talks go on.",
    "The company will invest more.",
])
def test_clause_openers_and_people_are_not_unregistered_spenders(text: str) -> None:
    """Conjunctions, pronoun subjects and a spokesperson's name are not spenders."""
    assert unregistered_subject(text, 0, len(text)) is None
