"""Money surface forms: symbols, codes, names, scales, ranges, hedges and stated USD."""

from __future__ import annotations

from datetime import date

import pytest

from tasks.extract.facts._amounts import find_money
from tasks.extract.facts._fx import per_usd, to_usd


def _one(text: str):  # type: ignore[no-untyped-def]
    found = find_money(text)
    assert len(found) == 1, found
    return found[0]


@pytest.mark.parametrize(("text", "amount", "currency"), [
    ("it will spend $80 billion", 80e9, "USD"),
    ("a US$3.5bn campus", 3.5e9, "USD"),
    ("USD 12 billion in servers", 12e9, "USD"),
    ("€1.2bn for compute", 1.2e9, "EUR"),
    ("a 1.2-billion-euro plan", 1.2e9, "EUR"),
    ("£22 billion over four years", 22e9, "GBP"),
    ("₹10 trillion of projects", 10e12, "INR"),
    ("Rs 5,000 crore for a campus", 50e9, "INR"),
    ("RMB 30 billion in chips", 30e9, "CNY"),
    ("50 billion yuan in servers", 50e9, "CNY"),
    ("10 trillion won for a cluster", 10e12, "KRW"),
    ("₩2 trillion on servers", 2e12, "KRW"),
    ("three billion dollars on GPUs", 3e9, "USD"),
    ("$750 million data center", 750e6, "USD"),
    ("a $1.5tn buildout", 1.5e12, "USD"),
    ("$500m for power", 500e6, "USD"),
])
def test_single_amounts(text: str, amount: float, currency: str) -> None:
    """Each written form gives its amount in units of its currency."""
    money = _one(text)
    assert money.amount == pytest.approx(amount)
    assert money.currency == currency


@pytest.mark.parametrize("text", [
    "between $64 billion and $72 billion",
    "$64 billion to $72 billion",
    "in the range of $64-72 billion",
    "$64bn–$72bn",
])
def test_ranges(text: str) -> None:
    """Ranges leave amount empty and give both ends."""
    money = _one(text)
    assert money.amount is None
    assert (money.low, money.high) == (64e9, 72e9)
    assert money.value == 68e9


def test_from_to_is_two_levels() -> None:
    """"from $1.5 billion to $10 billion" is a change between two figures, not a range."""
    assert [m.amount for m in find_money("raised it from $1.5 billion to $10 billion")] == [1.5e9, 10e9]


@pytest.mark.parametrize(("text", "qualifier"), [
    ("about $7 billion", "approx"),
    ("nearly $700 billion", "approx"),
    ("at least $10 billion", "at_least"),
    ("more than $200 billion", "more_than"),
    ("in excess of $20 billion", "more_than"),
    ("up to $135 billion", "up_to"),
    ("as much as $185 billion", "up_to"),
    ("$185 billion", None),
])
def test_qualifiers(text: str, qualifier: str | None) -> None:
    """Hedges before a figure become its qualifier."""
    assert _one(text).qualifier == qualifier


@pytest.mark.parametrize(("text", "usd"), [
    ("invested 80 billion yuan ($11 billion) in servers", 11e9),
    ("£10 billion (around $13.5 billion)", 13.5e9),
    ("₹90 billion, or about $1 billion,", 1e9),
])
def test_stated_usd(text: str, usd: float) -> None:
    """A USD figure written beside another currency is kept, not read as a second figure."""
    money = _one(text)
    assert money.usd_stated == usd


def test_yen_and_yuan_from_context() -> None:
    """"¥" reads as yen in a Japanese context and as yuan in a Chinese one."""
    assert find_money("¥1 trillion", context="SoftBank in Tokyo said")[0].currency == "JPY"
    assert find_money("¥1 trillion", context="Beijing said Chinese firms")[0].currency == "CNY"


@pytest.mark.parametrize("text", ["$50-100 price rise", "in 2025 and 2026", "a million processors",
                                  "5 m tall", "tens of billions of dollars"])
def test_not_money(text: str) -> None:
    """Small prices, years, unit counts and vague amounts are not figures."""
    assert find_money(text) == []


def test_fx_conversion_uses_the_month() -> None:
    """Conversion uses the month's average rate and the last month beyond the table."""
    assert per_usd("USD", None) == 1.0
    assert to_usd(7.1e9, "CNY", date(2024, 8, 27)) == pytest.approx(1e9, rel=0.02)
    assert to_usd(1e9, "EUR", date(2031, 1, 1)) == pytest.approx(to_usd(1e9, "EUR", date(2025, 12, 15)))
    assert to_usd(1e9, "XYZ", date(2025, 1, 1)) is None


@pytest.mark.parametrize(("hedged", "qualifier"), [
    ("no more than $90 billion", "up_to"),
    ("less than $90 billion", "up_to"),
    ("just under $90 billion", "approx"),
    ("$90 billion or more", "at_least"),
    ("$90 billion-plus", "more_than"),
    ("$90 billion or so", "approx"),
    ("$90 billion at most", "up_to"),
])
def test_hedges_before_and_after_a_figure_set_the_qualifier(hedged: str, qualifier: str) -> None:
    """A ceiling ("no more than") is up_to, not more_than; a hedge after the figure ("or more") is read too."""
    from tasks.extract.facts import extract_facts

    (fact,) = extract_facts(f"Lumo Cloud will spend {hedged} on AI data centers this year.", date(2026, 2, 10))
    assert (fact.amount, fact.qualifier) == (90e9, qualifier)


def test_plus_between_two_figures_is_not_a_hedge() -> None:
    """"$90 billion plus $10 billion" names two figures; the first is not hedged."""
    (first, second) = find_money("$90 billion plus $10 billion")
    assert (first.qualifier, second.amount) == (None, 10e9)


def test_half_a_trillion_is_half() -> None:
    """"half a trillion dollars" is 0.5 trillion: the scale binds to its own number only."""
    assert _one("it will spend half a trillion dollars").amount == 0.5e12


def test_non_usd_restatement_in_brackets_is_not_a_second_figure() -> None:
    """"€15bn (£13bn)": the bracketed pounds restate the euros; one figure, not two."""
    assert [m.currency for m in find_money("a plan worth €15bn (£13bn) for data centres")] == ["EUR"]


def test_near_hedges_a_figure() -> None:
    """"a near-$700 billion bill" is about $700 billion."""
    assert _one("a near-$700 billion bill").qualifier == "approx"
