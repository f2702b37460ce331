"""Periods and status from the language of earnings news: fiscal quarters, year ends, earlier forecasts, hedges."""

from __future__ import annotations

from datetime import date

import pytest

from tasks.extract.facts import extract_facts
from tasks.extract.facts._periods import find_periods, resolve

AFTER_RESULTS = date(2025, 10, 30)


def _period(text: str, fy_end: int, start_named: bool = False) -> tuple[str, date, date] | None:
    period = resolve(find_periods(text)[-1], AFTER_RESULTS, None, fy_end, False, start_named)
    return None if period is None else (period.label, period.start, period.end)


@pytest.mark.parametrize(("text", "fy_end", "expected"), [
    # Microsoft's year ends in June: its fiscal first quarter is July to September
    ("in its fiscal first quarter", 6, ("2025-Q3", date(2025, 7, 1), date(2025, 9, 30))),
    ("the first quarter of fiscal 2026", 6, ("2025-Q3", date(2025, 7, 1), date(2025, 9, 30))),
    ("for fiscal Q2", 6, ("2025-Q4", date(2025, 10, 1), date(2025, 12, 31))),
    ("in Q4 FY25", 6, ("2025-Q2", date(2025, 4, 1), date(2025, 6, 30))),
    # a year ending in January: the quarter August to October is labelled by its middle month
    ("during the fiscal third quarter", 1, ("2025-Q3", date(2025, 8, 1), date(2025, 10, 31))),
    ("the second fiscal quarter of 2026", 6, ("2025-Q4", date(2025, 10, 1), date(2025, 12, 31))),
])
def test_fiscal_quarters_follow_the_company_calendar(text: str, fy_end: int, expected: tuple[str, date, date]) -> None:
    """A fiscal quarter maps to the months of the company's fiscal calendar."""
    assert _period(text, fy_end) == expected


@pytest.mark.parametrize(("text", "expected"), [
    ("in the quarter ended June 30", ("2025-Q2", date(2025, 4, 1), date(2025, 6, 30))),
    ("for the three months ending Sept. 30, 2024", ("2024-Q3", date(2024, 7, 1), date(2024, 9, 30))),
    # on 30 October the December quarter has begun: it is the current one
    ("in the December quarter", ("2025-Q4", date(2025, 10, 1), date(2025, 12, 31))),
])
def test_quarters_named_by_their_last_month(text: str, expected: tuple[str, date, date]) -> None:
    """"The quarter ended June 30" is the three months to that date, the latest such begun by publication."""
    assert _period(text, 12) == expected


def test_fiscal_year_named_by_its_end_follows_the_company_naming() -> None:
    """A year ending March 2026 is FY2025 for a company naming years by their start, FY2026 otherwise."""
    text = "for the fiscal year ending March 2026"
    assert _period(text, 3, start_named=True) == ("FY2025", date(2025, 4, 1), date(2026, 3, 31))
    assert _period(text, 3) == ("FY2026", date(2025, 4, 1), date(2026, 3, 31))


def test_japanese_fiscal_year_in_a_sentence() -> None:
    """A Japanese group's budget for the year to March is labelled the way the group names its years."""
    text = "SoftBank expects capital spending of 1.2 trillion yen in the fiscal year ending March 2027."
    (fact,) = extract_facts(text, date(2026, 5, 13))
    assert (fact.period, fact.period_start, fact.period_end) == ("FY2026", date(2026, 4, 1), date(2027, 3, 31))


def test_prior_level_gets_the_period_before_and_status_actual() -> None:
    """"Up from $N" without a period of its own is the previous fiscal year, reported."""
    text = ("Oracle said on Monday it now projects capital spending of roughly $40 billion in fiscal 2027, up from "
            "$30 billion, to build more cloud regions.")
    facts = extract_facts(text, date(2026, 9, 9))
    assert [(f.amount, f.period, f.status, f.qualifier) for f in facts] == [
        (40e9, "FY2027", "guidance", "approx"),
        (30e9, "FY2026", "actual", None),
    ]


def test_earlier_guidance_range_is_one_fact() -> None:
    """An earlier forecast range ("from $A to $B previously") is one fact for the same period."""
    text = ("Alphabet lifted its 2026 capital expenditure outlook to $95 billion to $100 billion, from $80 billion "
            "to $90 billion previously.")
    facts = extract_facts(text, date(2026, 7, 28))
    assert [(f.amount_low, f.amount_high, f.period, f.status) for f in facts] == [
        (95e9, 100e9, "2026", "guidance"),
        (80e9, 90e9, "2026", "guidance"),
    ]


def test_hedge_of_a_headline_reaches_the_dated_fact() -> None:
    """A hedge written in the headline or before a linked figure sets the qualifier of the fact."""
    text = ("Amazon to spend about $150bn on data centres\n"
            "Amazon said it expects capital expenditures of [$150 billion](https://example.com/a) in 2026.")
    facts = extract_facts(text, date(2026, 2, 6))
    assert [(f.amount, f.period, f.qualifier) for f in facts] == [(150e9, "2026", "approx")]


def test_far_period_of_another_phrase_does_not_date_the_figure() -> None:
    """A year far after the figure, in a phrase about something else, is not the figure's period."""
    text = ("Yotta, which is investing $2 billion in an Nvidia-powered AI cluster near Mumbai that will house "
            "thousands of GPUs for local model builders and government agencies, hopes to list its shares on the "
            "stock exchange in 2027.")
    (fact,) = extract_facts(text, date(2026, 3, 1))
    assert (fact.companies, fact.amount, fact.period) == (("Yotta",), 2e9, None)


def test_a_level_after_a_change_is_not_a_range() -> None:
    """"raised by $5 billion to $70 billion": the change is no fact, the new level is, and no range is formed."""
    facts = extract_facts("Meta raised its capex forecast by another $5 billion to $70 billion for 2025.",
                          date(2026, 3, 2))
    assert [(f.amount, f.amount_low, f.period) for f in facts] == [(70e9, None, "2025")]


def test_the_level_a_forecast_was_raised_from_is_for_the_same_period() -> None:
    """"raised its 2025 forecast to $70 billion from $66 billion": both figures are for 2025."""
    facts = extract_facts("Meta raised its 2025 capex forecast to $70 billion from $66 billion.", date(2025, 10, 30))
    assert [(f.amount, f.period) for f in facts] == [(70e9, "2025"), (66e9, "2025")]


def test_a_year_earlier_than_a_quarter_is_that_quarter_a_year_before() -> None:
    """"in the quarter ended Dec. 31, up from $X a year earlier": the prior level is the same quarter a year before."""
    text = "Oracle spent $12 billion on AI data centers in the quarter ended Nov. 30, up from $4 billion a year ago."
    facts = extract_facts(text, date(2025, 12, 11))
    assert [(f.amount, f.period, f.status) for f in facts] == [(12e9, "2025-Q4", "actual"),
                                                               (4e9, "2024-Q4", "actual")]


def test_quarterly_figure_of_a_fiscal_year_company_needs_a_named_quarter() -> None:
    """With no quarter named, "capex in the quarter" of a non-calendar fiscal year stays undated."""
    text = "Nvidia said its capital expenditures in the quarter were $1 billion, for AI servers and data centers."
    assert [f.period for f in extract_facts(text, date(2026, 2, 26))] == [None]


_OCT = date(2025, 10, 31)


def test_quarter_figure_that_totaled_takes_the_reported_quarter() -> None:
    """"capital expenditures for the quarter totaled $N": "totaled" is no "to" after the quarter."""
    (fact,) = extract_facts("Meta's capital expenditures for the quarter totaled $18.5 billion, driven by AI servers.",
                            _OCT)
    assert fact.period == "2025-Q3"


def test_change_then_level_keeps_the_period_named_before_the_change() -> None:
    """"raised its fiscal 2026 capex forecast by $X to $Y": $Y is for fiscal 2026."""
    (fact,) = extract_facts("Oracle raised its fiscal 2026 capex forecast by $12 billion to $47 billion for AI data "
                            "centers.", _OCT)
    assert (fact.amount, fact.period) == (47e9, "FY2026")


def test_earlier_range_after_the_new_level_is_one_figure() -> None:
    """"cut its forecast to $A from $B to $C": "$B to $C" is the earlier range, not a change between two levels."""
    facts = extract_facts("CoreWeave cut its 2025 capex forecast to $11 billion from $19 billion to $22 billion "
                          "because of data center delays.", _OCT)
    assert [(f.amount, f.amount_low, f.amount_high, f.period) for f in facts] == [
        (11e9, None, None, "2025"), (None, 19e9, 22e9, "2025")]


def test_year_earlier_of_a_percentage_change_is_not_the_figures_period() -> None:
    """"$37.5 billion, up 66% from a year earlier": the year earlier is the base of the change, not the figure's."""
    (fact,) = extract_facts("Microsoft said capital expenditures including finance leases were $34 billion, up 60% "
                            "from a year earlier, driven by AI data centers.", _OCT)
    assert fact.period != "2024"


def test_level_up_from_a_prior_estimate_is_the_earlier_forecast() -> None:
    """"up from its prior estimate of $35 billion" is the earlier forecast for the same fiscal year."""
    facts = extract_facts("Oracle now expects fiscal 2026 capital expenditures of about $48 billion, up from its prior "
                          "estimate of $33 billion, for AI data centers.", _OCT)
    assert [(f.amount, f.period) for f in facts] == [(48e9, "FY2026"), (33e9, "FY2026")]


def _summary(text: str) -> list[tuple[tuple[str, ...], float | None, str | None, str, str | None]]:
    return [(f.companies, f.amount, f.period, f.status, f.qualifier) for f in extract_facts(text, AFTER_RESULTS)]


def test_a_year_earlier_after_a_quarter_is_that_quarter_of_the_year_before() -> None:
    """"in the quarter ... a year earlier": the prior level is the same quarter a year before, not the whole year."""
    assert _summary("Capex rose to $22.4 billion in the quarter from $13.1 billion a year earlier, Alphabet said.") == [
        (("Alphabet",), 22.4e9, "2025-Q3", "actual", None), (("Alphabet",), 13.1e9, "2024-Q3", "actual", None)]


def test_the_base_of_a_percentage_change_is_not_the_figure_period() -> None:
    """"jumped 83% from a year earlier to $24 billion": the year earlier belongs to the change, not to the figure."""
    facts = extract_facts("Alphabet's capital expenditures jumped 83% from a year earlier to $24 billion in the "
                          "third quarter.", AFTER_RESULTS)
    assert [(f.amount, f.period) for f in facts] == [(24e9, "2025-Q3")]


@pytest.mark.parametrize(("text", "expected"), [
    ("Meta's capex was $19.4 billion in the third quarter, above the $18.7 billion analysts polled by FactSet "
     "expected.", [(("Meta",), 19.4e9, "2025-Q3", "actual", None), (("Meta",), 18.7e9, "2025-Q3", "estimate", None)]),
    ("Amazon's capital expenditures of $34.2 billion in the quarter topped the StreetAccount estimate of "
     "$31.4 billion.", [(("Amazon",), 34.2e9, "2025-Q3", "actual", None),
                        (("Amazon",), 31.4e9, "2025-Q3", "estimate", None)]),
    ("Alphabet's capex of $24 billion in the third quarter beat the consensus estimate of $23.6 billion.",
     [(("Alphabet",), 24e9, "2025-Q3", "actual", None), (("Alphabet",), 23.6e9, "2025-Q3", "estimate", None)]),
    ("Alphabet expects capex of $91 billion to $93 billion in 2025, above analysts' expectations of $88 billion.",
     [(("Alphabet",), None, "2025", "guidance", None), (("Alphabet",), 88e9, "2025", "estimate", None)]),
])
def test_the_analysts_expectation_beside_a_reported_figure(
        text: str, expected: list[tuple[tuple[str, ...], float | None, str | None, str, str | None]]) -> None:
    """The consensus a figure beat or missed is an estimate for the same period, with no hedge ("above the $30
    billion analysts expected" compares); the company's own figure keeps its own status."""
    assert _summary(text) == expected


def test_analysts_as_the_forecasters_make_an_estimate() -> None:
    """"Analysts expect Microsoft to spend ...": the analysts' figure, not the company's guidance."""
    assert _summary("Analysts expect Microsoft to spend $120 billion on capex in fiscal 2026.") == [
        (("Microsoft",), 120e9, "FY2026", "estimate", None)]


def test_the_year_before_reads_against_the_previous_sentence_fiscal_year() -> None:
    """"... in the fiscal year that ends in June. The year before, the figure was $64bn": the fiscal year before the
    one the previous sentence's figure was for, not the calendar year before publication."""
    text = ("Microsoft expects to spend $80bn on data centres in the fiscal year that ends in June. "
            "The year before, the figure was $64bn.")
    assert [(f.companies, f.amount, f.period) for f in extract_facts(text, AFTER_RESULTS)] == [
        (("Microsoft",), 80e9, "FY2026"), (("Microsoft",), 64e9, "FY2025")]


def test_a_prior_period_level_is_actual_and_an_earlier_forecast_stays_guidance() -> None:
    """"expects $35 billion in fiscal 2026, up from $21.2 billion in the prior year": the prior year's level is
    what was spent; "from $66 billion to $72 billion previously" is the earlier forecast for the same year."""
    assert _summary("Oracle expects capital expenditures of about $35 billion in fiscal 2026, up from $21.2 billion "
                    "in the prior year.") == [(("Oracle",), 35e9, "FY2026", "guidance", "approx"),
                                              (("Oracle",), 21.2e9, "FY2025", "actual", None)]
    facts = extract_facts("Meta raised its 2025 capex forecast to $70 billion to $72 billion, from $66 billion to "
                          "$72 billion previously.", AFTER_RESULTS)
    assert [(f.amount_low, f.period, f.status) for f in facts] == [(70e9, "2025", "guidance"),
                                                                  (66e9, "2025", "guidance")]


def test_wire_copy_tickers_and_wall_street_estimates() -> None:
    """Wire copy: "Amazon.com (AMZN.O)" is Amazon; "well above Wall Street estimates of $110.6 billion" is the
    analysts' estimate for the same year."""
    assert _summary("Amazon.com (AMZN.O) said on Thursday it would invest $20 billion in Pennsylvania to expand its "
                    "data center infrastructure.") == [(("Amazon",), 20e9, None, "plan", None)]
    assert _summary("Meta Platforms (META.O) forecast 2026 capital expenditures of $115 billion to $135 billion, well "
                    "above Wall Street estimates of $110.6 billion, according to data compiled by LSEG.") == [
        (("Meta",), None, "2026", "guidance", None), (("Meta",), 110.6e9, "2026", "estimate", None)]


def test_a_bank_forecasting_the_market_is_a_sector_estimate_and_one_company_stays_named() -> None:
    """"Morgan Stanley now expects global spending on data centres to reach $2.9trn": the sector's, an estimate;
    "Morgan Stanley expects Microsoft to spend": Microsoft's figure, still the bank's estimate."""
    assert _summary("Morgan Stanley now expects global spending on data centres to reach $2.9trn between 2025 and "
                    "2028.") == [(("hyperscalers",), 2.9e12, "2025-2028", "estimate", None)]
    assert _summary("Morgan Stanley expects Microsoft to spend $150 billion on capex in fiscal 2026.") == [
        (("Microsoft",), 150e9, "FY2026", "estimate", None)]


def test_a_sentence_opening_on_a_comparison_carries_the_previous_figure() -> None:
    """"... about $50 billion for the fiscal year ending May 2026. That is up from the $35 billion it projected in
    September, and compares with the $21.2 billion Oracle spent in fiscal 2025": the earlier forecast for the same
    year and the prior year's actual, both Oracle's."""
    text = ("Oracle now expects capital expenditures of about $50 billion for the fiscal year ending May 2026. That is "
            "up from the $35 billion it projected in September, and compares with the $21.2 billion Oracle spent in "
            "fiscal 2025.")
    assert _summary(text) == [(("Oracle",), 50e9, "FY2026", "guidance", "approx"),
                              (("Oracle",), 35e9, "FY2026", "guidance", None),
                              (("Oracle",), 21.2e9, "FY2025", "actual", None)]


def test_a_fiscal_quarter_of_a_named_fiscal_year_and_the_figure_compared_with_it() -> None:
    """"in the first quarter of its 2026 fiscal year" is Microsoft's July-September 2025; "The figure for the three
    months to September compares with $20.0 billion in the same period a year earlier" carries it."""
    text = ("Microsoft poured $36.2 billion into capital expenditures, including finance leases, in the first quarter "
            "of its 2026 fiscal year, as it kept adding data-centre capacity. The figure for the three months to "
            "September compares with $20.0 billion in the same period a year earlier.")
    assert _summary(text) == [(("Microsoft",), 36.2e9, "2025-Q3", "actual", None),
                              (("Microsoft",), 20e9, "2024-Q3", "actual", None)]
    assert [f.kind for f in extract_facts(text, AFTER_RESULTS)] == ["capex", "capex"]


def test_a_deal_valued_at_a_range_is_the_deal_figure() -> None:
    """"a deal valued at between $9.6 billion and $12.1 billion": a deal's value, not a company's valuation."""
    facts = extract_facts("Meta signed a deal valued at between $9.6 billion and $12.1 billion with Nebius for GPU "
                          "capacity.", AFTER_RESULTS)
    assert [(f.companies, f.amount_low, f.amount_high) for f in facts] == [(("Meta",), 9.6e9, 12.1e9)]


def test_for_the_same_year_reads_against_the_previous_figure() -> None:
    """"... about $50 billion for fiscal 2026. In September, Oracle had guided to roughly $35 billion for the same
    year": the same fiscal year as the previous sentence's figure."""
    text = ("Oracle now expects capital expenditures of about $50 billion for fiscal 2026, which ends in May. In "
            "September, when it last updated its outlook, Oracle had guided to roughly $35 billion for the same year.")
    assert [(f.amount, f.period) for f in extract_facts(text, date(2025, 12, 11))] == [(50e9, "FY2026"),
                                                                                      (35e9, "FY2026")]


def test_property_and_equipment_is_capital_spending() -> None:
    """"spent $21.2 billion on property and equipment in fiscal 2025": capex in the cash-flow statement's words."""
    facts = extract_facts("Oracle spent $21.2 billion on property and equipment in fiscal 2025.", date(2025, 12, 11))
    assert [(f.companies, f.amount, f.period, f.kind, f.status) for f in facts] == [
        (("Oracle",), 21.2e9, "FY2025", "capex", "actual")]


def test_capex_including_assets_acquired_under_finance_leases() -> None:
    """"Capital expenditures, including assets acquired under finance leases, reached $41.2 billion": the capex
    definition, not an acquisition or an asset figure."""
    text = ("Microsoft reported results. Capital expenditures, including assets acquired under finance leases, "
            "reached $41.2 billion in the fiscal third quarter ended March 31, compared with $21.4 billion in the same "
            "period a year earlier.")
    assert [(f.companies, f.amount, f.period) for f in extract_facts(text, date(2026, 4, 30))] == [
        (("Microsoft",), 41.2e9, "2026-Q1"), (("Microsoft",), 21.4e9, "2025-Q1")]
