"""extract_facts end to end on hand-written sentences: facts, not-facts, periods, grounding, bad input."""

from __future__ import annotations

import time
from datetime import date

import pytest

from tasks.extract.facts import EXTRACTOR_VERSION, extract_facts

PUBLISHED = date(2026, 2, 5)


def _facts(text: str, published: date | None = PUBLISHED):  # type: ignore[no-untyped-def]
    return extract_facts(text, published)


def test_version_is_set() -> None:
    """The extractor names its version."""
    assert EXTRACTOR_VERSION.startswith("rules-")


def test_guidance_and_prior_year() -> None:
    """A guidance range and the prior-year comparison are two facts with their own periods."""
    text = ("Microsoft reported results on Tuesday. The company projected between $140 billion and $150 billion "
            "in capital expenditures for 2026, up from $88 billion the previous year.")
    facts = _facts(text)
    assert [(f.companies, f.amount, f.amount_low, f.period, f.kind, f.status) for f in facts] == [
        (("Microsoft",), None, 140e9, "2026", "capex", "guidance"),
        (("Microsoft",), 88e9, None, "2025", "capex", "actual"),
    ]
    assert facts[0].amount_usd == 145e9


def test_group_mention_is_one_fact() -> None:
    """Several companies spending one figure give one fact naming all of them."""
    text = "In the first half of 2025, Alibaba, Tencent and Baidu spent 60 billion yuan ($8.4 billion) on AI servers."
    (fact,) = _facts(text)
    assert fact.companies == ("Alibaba", "Tencent", "Baidu")
    assert (fact.currency, fact.amount_usd, fact.period) == ("CNY", 8.4e9, "2025-H1")


def test_investment_plan_over_years() -> None:
    """A national-scale pledge over several years is an investment plan with a span."""
    text = "Reliance will invest $50 billion in AI data centers in India over the next five years."
    (fact,) = _facts(text)
    assert (fact.companies, fact.kind, fact.status, fact.period) == (("Reliance",), "investment", "plan", "2026-2030")
    assert fact.period_start == date(2026, 1, 1)


def test_conversion_from_table() -> None:
    """Without a stated USD figure the amount is converted at the month's rate."""
    (fact,) = _facts("Mistral will spend €2 billion on a data center campus near Paris.")
    assert fact.currency == "EUR"
    assert fact.amount_usd is not None and 2.1e9 < fact.amount_usd < 2.5e9


@pytest.mark.parametrize("text", [
    "Oracle reported revenue of $16.1 billion for the quarter.",
    "Anthropic closed a $30 billion funding round at a $380 billion valuation.",
    "ByteDance has a $50 billion cash reserve.",
    "Alphabet sold $20 billion of bonds to fund data centers.",
    "Meta's market value rose by $200 billion.",
    "Oracle's capex plan shows a $15 billion increase from its earlier forecast.",
    "Nvidia will ship two million H20 processors to Chinese buyers.",
    "Amazon lost more than $450 billion in market cap during the streak.",
])
def test_not_facts(text: str) -> None:
    """Revenue, funding, cash, debt, market value, deltas and unit volumes are not facts."""
    assert _facts(text) == []


def test_reference_to_previous_subject() -> None:
    """"The company" takes the company named in the sentence before."""
    text = "Amazon reported earnings on Thursday.\nThe company expects to spend $200 billion on capex in 2026."
    (fact,) = _facts(text)
    assert fact.companies == ("Amazon",)


def test_grounding() -> None:
    """Evidence is the sentence at its offsets and contains the figure."""
    text = ("Intro line here.\n\nMeta said it will spend up to $135 billion on AI infrastructure this year. "
            "Analysts were surprised.")
    (fact,) = _facts(text)
    assert text[fact.evidence_start:fact.evidence_end] == fact.evidence
    assert "$135 billion" in fact.evidence
    assert fact.qualifier == "up_to"


@pytest.mark.parametrize("text", ["", "   ", "\x00\xff\xfe garbage \x01" * 50,
                                  "Die Bundesregierung investiert in Rechenzentren.",
                                  "阿里巴巴将在三年内投资3800亿元用于云计算和人工智能基础设施。"])
def test_bad_input(text: str) -> None:
    """Empty, binary and non-English text give no facts and no error."""
    assert _facts(text) == []
    assert _facts(text, None) == []


@pytest.mark.timeout(60)
def test_huge_text_does_not_hang() -> None:
    """A 5 MB text is processed in seconds."""
    chunk = ("Amazon plans to spend $12 billion on data centers in Louisiana by 2030. " * 20 + "\n") + "x" * 500
    text = (chunk * (5_000_000 // len(chunk) + 1))[:5_000_000]
    started = time.perf_counter()
    facts = _facts(text)
    assert time.perf_counter() - started < 30
    assert facts


def test_objects_of_not_spending_words_are_not_facts() -> None:
    """Money received, insured or sold is not spending even when infrastructure words follow it."""
    from datetime import date as _date

    from tasks.extract.facts import extract_facts as _extract

    day = _date(2026, 3, 1)
    assert _extract("Cohere has received $3 billion in investment from Oracle for data centers.", day) == []
    assert _extract("Underwriters refused to insure a $9 billion campus for Meta in Texas.", day) == []


def test_generic_explainer_and_deal_statistics_are_not_facts() -> None:
    """Generic "when you put $X" explainers, "the $X mark" statistics and ecosystem values are not facts."""
    from datetime import date as _date

    from tasks.extract.facts import extract_facts as _extract

    day = _date(2026, 3, 1)
    assert _extract("When you put $15 billion of GPUs in one place for Meta, power gets tight.", day) == []
    assert _extract("Oracle data center deals stayed above the $5 billion mark this year.", day) == []
    assert _extract("Reliance said the plan will create a $90 billion AI infrastructure ecosystem.", day) == []


def test_takeovers_and_community_spending_are_not_facts() -> None:
    """Buying a company and spending on public water works are not AI-infrastructure spending."""
    from datetime import date as _date

    from tasks.extract.facts import extract_facts as _extract

    day = _date(2026, 3, 1)
    assert _extract("A consortium of investors agreed to buy Switch Data Centers for $12 billion.", day) == []
    assert _extract("Google will invest $300 million in public water infrastructure near the site.", day) == []
    assert _extract("Microsoft will spend $8 billion on AI data centers in Ohio.", day)


def test_fiscal_year_budget_of_one_company_is_capex_and_headline_repeat_merges() -> None:
    """A company's figure for its fiscal year is capex, and an undated headline repeat of it is dropped."""
    from datetime import date as _date

    from tasks.extract.facts import extract_facts as _extract

    text = ("Cisco plans $9bn for AI data centres\n"
            "Cisco will put $9bn into AI data centres in its 2026 financial year, the company said.")
    facts = _extract(text, _date(2025, 9, 1))
    assert [(f.companies, f.amount, f.period, f.kind) for f in facts] == [(("Cisco",), 9e9, "FY2026", "capex")]


def _demo(name: str):  # type: ignore[no-untyped-def]
    """Analyse one bundled demo page."""
    from pathlib import Path

    from tasks.extract.extractor import get_extractor
    from tasks.ingest.pages import extract_page

    page = extract_page((Path(__file__).resolve().parents[2] / "demo" / "articles" / f"{name}.html").read_bytes())
    return get_extractor().analyse(page.title, page.text, page.published)


def test_demo_microsoft_fy2025_articles_give_one_consolidable_fact() -> None:
    """The three outlets' Microsoft $80bn FY2025 stories give the same company, period, kind and amount."""
    names = ("microsoft-80-billion-ai-data-centers-fy2025", "microsoft-80bn-ai-datacentres-spending-race",
             "microsoft-ai-datacentre-budget-asia-suppliers")
    for name in names:
        analysis = _demo(name)
        assert analysis.classification.is_capex, name
        assert [(f.companies, f.amount, f.period, f.kind) for f in analysis.facts] == [
            (("Microsoft",), 80e9, "FY2025", "capex")], name


def test_demo_meta_range_and_negatives() -> None:
    """The Meta outlook keeps its range; buyback, river, fab and funding-round pages are no story."""
    meta = _demo("meta-2025-capex-outlook-64-72-billion")
    assert [(f.amount, f.amount_low, f.amount_high) for f in meta.facts] == [(None, 64e9, 72e9)]
    for name in ("apple-100-billion-buyback-dividend", "amazon-river-record-low-drought",
                 "samsung-pyeongtaek-chip-fab-groundbreaking", "lumora-ai-raises-2-billion-funding-round",
                 "berlin-a100-motorway-extension-opens", "vindhya-steel-27000-crore-blast-furnace"):
        assert not _demo(name).classification.is_capex, name
