"""Fact rules of rules-1.12: other industries' plants, sellers after "from", country possessives, headline repeats."""

from __future__ import annotations

from datetime import date

from tasks.extract.facts import extract_facts

PUBLISHED = date(2026, 3, 2)


def _companies(text: str) -> list[tuple[str, ...]]:
    return [f.companies for f in extract_facts(text, PUBLISHED)]


def test_chip_fab_spending_is_not_a_fact() -> None:
    """Money for a semiconductor fabrication plant is not AI infrastructure (policy rule 5), even for AI chips."""
    text = ("Hynix will spend $15 billion on a new semiconductor fabrication plant in Icheon to make memory for AI "
            "accelerators, the company said.")
    assert _companies(text) == []


def test_oil_producer_capex_is_not_a_fact() -> None:
    """An oil and gas producer's capital budget is not AI capex, whatever the article says about data centres."""
    text = ("Ridgeline Energy expects capital expenditure of $9 billion in 2026, the oil and gas producer said, as it "
            "slows drilling.")
    assert _companies(text) == []


def test_fab_sentence_naming_data_centres_still_counts() -> None:
    """A sentence that spends on data centres keeps its fact even when it also names a fab."""
    text = "Microsoft will spend $30 billion on AI data centers in 2026, more than the cost of a new fab."
    assert _companies(text) == [("Microsoft",)]


def test_seller_after_from_is_not_a_spender() -> None:
    """In 'X agreed to buy $N of capacity from Y' only the buyer spends (policy rule 14)."""
    text = "Mistral has agreed to buy $2 billion of computing capacity from Nebius over three years."
    assert _companies(text) == [("Mistral",)]


def test_country_possessive_does_not_spend() -> None:
    """'China's tech giants' are the spenders; the country only places them."""
    text = "China's tech giants will spend $40 billion on AI data centers in 2026."
    assert _companies(text) == [("hyperscalers",)]


def test_headline_restatement_gives_way_to_the_body_fact() -> None:
    """A headline figure the body restates (within 2 %) for the same period is dropped; the body names the spenders."""
    text = ("Big Tech to pour $400bn into AI data centres in 2026\n\n"
            "Microsoft, Alphabet, Amazon and Meta plan to spend $400 billion on AI data centers in 2026, "
            "analysts said.")
    assert _companies(text) == [("Microsoft", "Alphabet", "Amazon", "Meta")]


def test_headline_with_a_different_figure_stays() -> None:
    """A headline figure that the body does not restate is kept."""
    text = ("Orbitel to spend $5bn on AI data centres in 2026\n\n"
            "Separately, Microsoft will spend $30 billion on AI data centers in 2026.")
    assert len(_companies(text)) == 2
