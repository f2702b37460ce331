"""Period forms: years, halves, quarters, fiscal years, spans and relative periods."""

from __future__ import annotations

from datetime import date

import pytest

from tasks.extract.facts import extract_facts
from tasks.extract.facts._periods import find_periods, half_period, resolve

PUBLISHED = date(2025, 7, 22)


def _label(text: str, fy_end: int = 12, fiscal: bool = False, anchor_text: str | None = None) -> str | None:
    found = find_periods(text)
    assert found, text
    anchor = None
    if anchor_text:
        anchor = resolve(find_periods(anchor_text)[0], PUBLISHED, None, fy_end, fiscal)
    period = resolve(found[-1], PUBLISHED, anchor, fy_end, fiscal)
    return period.label if period else None


@pytest.mark.parametrize(("text", "label"), [
    ("spent in 2024", "2024"),
    ("in the first half of 2024", "2024-H1"),
    ("H2 2025", "2025-H2"),
    ("1H25", "2025-H1"),
    ("Q3 2025", "2025-Q3"),
    ("3Q24", "2024-Q3"),
    ("the third quarter of 2024", "2024-Q3"),
    ("the fourth quarter", "2024-Q4"),
    ("the second quarter", "2025-Q2"),
    ("last quarter", "2025-Q2"),
    ("2025-2028", "2025-2028"),
    ("between 2026 and 2030", "2026-2030"),
    ("by 2028", "2025-2028"),
    ("over the next three years", "2025-2027"),
    ("a five-year deal", "2025-2029"),
    ("over the next decade", "2025-2034"),
    ("this year", "2025"),
    ("next year", "2026"),
    ("last year", "2024"),
])
def test_calendar_forms(text: str, label: str) -> None:
    """Calendar periods resolve against the publication date."""
    assert _label(text) == label


@pytest.mark.parametrize(("text", "fy_end", "label"), [
    ("fiscal 2026", 6, "FY2026"),
    ("FY25", 5, "FY2025"),
    ("its last fiscal year", 5, "FY2025"),
    ("this fiscal year", 5, "FY2026"),
    ("this fiscal year", 1, "FY2026"),
    ("next fiscal year", 6, "FY2027"),
])
def test_fiscal_years(text: str, fy_end: int, label: str) -> None:
    """Fiscal years are named by the year they end in, per the company's calendar."""
    assert _label(text, fy_end) == label


def test_fiscal_year_dates() -> None:
    """Microsoft's FY2025 runs July 2024 to June 2025."""
    period = resolve(find_periods("fiscal 2025")[0], PUBLISHED, None, 6, False)
    assert period is not None
    assert (period.start, period.end) == (date(2024, 7, 1), date(2025, 6, 30))


def test_this_year_in_fiscal_sentence() -> None:
    """"this year" in a sentence about fiscal years is the current fiscal year."""
    assert _label("this year", fy_end=5, fiscal=True) == "FY2026"


def test_previous_year_reads_against_the_sentence_period() -> None:
    """"the previous year" after "the first half of 2024" is the first half of 2023."""
    assert _label("the previous year", anchor_text="first half of 2024") == "2023-H1"
    assert _label("a year earlier", anchor_text="in 2026") == "2025"
    assert _label("a year earlier") == "2024"


def test_half_dates() -> None:
    """A half runs from its first to its last day."""
    assert (half_period(2024, 2).start, half_period(2024, 2).end) == (date(2024, 7, 1), date(2024, 12, 31))


def test_relative_period_without_date() -> None:
    """Relative periods cannot be resolved without a publication date."""
    assert resolve(find_periods("this year")[0], None, None, 12, False) is None


def _period_of(text: str, published: date) -> str | None:
    from tasks.extract.facts import extract_facts

    facts = extract_facts(text, published)
    assert facts, text
    return facts[0].period


def test_statement_dated_earlier_runs_from_that_month() -> None:
    """"In October, X said … over the next five years" counts from October of the year before publication."""
    text = "In October, Cisco said it would invest $4 billion in AI data centers over the next five years."
    assert _period_of(text, date(2026, 2, 1)) == "2025-2029"


def test_duration_with_stated_start_year() -> None:
    """"a three-year, $9 billion deal set to begin in 2028" spans 2028-2030."""
    text = "Apple signed a three-year, $9 billion deal for AI compute capacity, set to begin in 2028."
    assert _period_of(text, date(2026, 2, 1)) == "2028-2030"


def test_financial_year_is_a_fiscal_year() -> None:
    """"this financial year" resolves with the company's fiscal calendar."""
    text = "Oracle expects capital expenditure of $40 billion this financial year."
    assert _period_of(text, date(2025, 12, 11)) == "FY2026"


def test_capacity_target_does_not_date_the_money() -> None:
    """A year after a gigawatt target dates the target, not the figure before it."""
    text = "Meta will spend $6 billion on an AI data center, aiming for 2 gigawatts of capacity by 2029."
    assert _period_of(text, date(2026, 2, 1)) is None


def test_period_of_another_clause_is_not_borrowed() -> None:
    """A figure after ", while" does not take the year of the clause before."""
    from tasks.extract.facts import extract_facts

    text = "Meta projected $120 billion in capex for 2026, while Oracle projects $45 billion in capex."
    facts = {f.companies: f.period for f in extract_facts(text, date(2026, 2, 5))}
    assert facts[("Meta",)] == "2026"
    assert facts[("Oracle",)] is None


def test_earlier_this_year_dates_the_telling() -> None:
    """"told reporters earlier this year that it will list by 2027" gives the figure before it no period."""
    text = ("Crusoe, which is spending $3 billion on an AI data center campus, told reporters earlier this "
            "year that it hopes to list its shares by late 2027.")
    assert _period_of(text, date(2026, 4, 1)) is None


def test_quarterly_figure_takes_the_reported_quarter() -> None:
    """"its quarterly capital expenditure, which was $X" is the quarter the earnings article reports."""
    from tasks.extract.facts import extract_facts

    text = ("Meta raised its outlook for AI data centers in its second-quarter results. So far, its quarterly "
            "capital expenditure on AI data centers, which was $19 billion, matched the quarter before.")
    facts = extract_facts(text, date(2026, 7, 30))
    assert [(f.amount, f.period, f.status) for f in facts] == [(19e9, "2026-Q2", "actual")]


def test_quarterly_figure_without_a_named_quarter_is_the_last_one_ended() -> None:
    """With no quarter named, "capex in the quarter" of a calendar-year company is the last quarter ended."""
    from tasks.extract.facts import extract_facts

    text = "Alphabet said its capital expenditures in the quarter were $24 billion, mostly on AI servers."
    facts = extract_facts(text, date(2026, 4, 28))
    assert [(f.amount, f.period) for f in facts] == [(24e9, "2026-Q1")]


@pytest.mark.parametrize(("text", "label"), [
    ("in the year ended June", "FY2025"),
    ("in its fiscal year ended June 30", "FY2025"),
    ("in the fiscal year ending in June", "FY2026"),
    ("in the financial year to March", "FY2026"),
    ("in 2026 and 2027", "2026-2027"),
])
def test_year_named_by_its_end_without_a_year_and_two_named_years(text: str, label: str) -> None:
    """"the year ended June" is the latest such year ended (publication July 2025), "ending" the one running; "in
    2026 and 2027" is one span."""
    assert _label(text, fy_end=6) == label


def test_fiscal_year_ending_in_a_month_does_not_date_the_statement() -> None:
    """"the fiscal year ending in June" names the year's end: the statement keeps its publication date."""
    from tasks.extract.facts import extract_facts

    (fact,) = extract_facts("Microsoft will spend $70 billion on AI data centers in the fiscal year ending in June.",
                            date(2026, 2, 10))
    assert fact.period == "FY2026"


@pytest.mark.parametrize(("text", "period"), [
    ("Meta last year declared plans for 90 billion euros in AI data center investment.", None),
    ("Last year, Meta's chief executive said the company would invest $40 billion over the next 10 years in AI data "
     "centers.", "2025-2034"),
    ("Meta announced last year that it would spend $60 billion on AI data centers over three years.", "2025-2027"),
    ("Meta's capex was $7 billion last year, the company said, driven by AI servers.", "2025"),
    ("Last year, Meta spent $7 billion on AI data centers.", "2025"),
])
def test_last_year_beside_a_verb_of_telling_dates_the_statement(text: str, period: str | None) -> None:
    """"last year announced plans for $N": the telling was last year (relative spans run from it), not the spending."""
    from tasks.extract.facts import extract_facts

    (fact,) = extract_facts(text, date(2026, 3, 13))
    assert fact.period == period


@pytest.mark.parametrize(("text", "label"), [
    ("by end-2028", "2025-2028"),
    ("over a decade", "2025-2034"),
    ("within a decade", "2025-2034"),
])
def test_end_year_and_a_decade(text: str, label: str) -> None:
    """"by end-2028" runs to 2028; "over a decade" is ten years from the statement (publication July 2025)."""
    assert _label(text) == label


@pytest.mark.parametrize("wording", ["a $138 billion deal spanning eight years", "a $138 billion contract running "
                                     "eight years", "a $138 billion agreement covering eight years"])
def test_a_deal_spanning_years_runs_from_publication(wording: str) -> None:
    """"spanning eight years", "running eight years": a span of that many years from the publication date."""
    facts = extract_facts(f"OpenAI signed {wording} with Amazon for cloud computing capacity.", date(2026, 4, 5))
    assert [(f.companies, f.amount, f.period) for f in facts] == [(("OpenAI",), 138e9, "2026-2033")]


def test_since_a_year_runs_to_the_statement_year() -> None:
    """"has invested $15 billion ... since 2023": from that year to the publication year, money already spent."""
    facts = extract_facts("Microsoft has invested $15 billion in UAE data centers since 2023.", date(2025, 11, 5))
    assert [(f.companies, f.amount, f.period, f.status) for f in facts] == [
        (("Microsoft",), 15e9, "2023-2025", "actual")]


def test_money_already_spent_without_a_period_is_actual() -> None:
    """"had spent ... over the past four quarters" names no period the scheme can write, but the money is spent."""
    facts = extract_facts("Alibaba said it had spent more than 100 billion yuan on AI infrastructure over the past "
                          "four quarters.", date(2025, 11, 5))
    assert [(f.companies, f.amount, f.status, f.qualifier) for f in facts] == [
        (("Alibaba",), 100e9, "actual", "more_than")]


def test_a_hedged_span_is_still_a_span() -> None:
    """"over about five years, starting in 2027": the hedge is on the span's length; the span starts in 2027."""
    facts = extract_facts("Oracle has signed a contract with OpenAI worth more than $300 billion over about five "
                          "years, starting in 2027.", date(2025, 11, 5))
    assert [(f.companies, f.period, f.qualifier) for f in facts] == [(("OpenAI",), "2027-2031", "more_than")]


def test_from_next_year_through_a_year() -> None:
    """"from next year through 2029", said in December 2025: 2026 to 2029."""
    facts = extract_facts("Alphabet committed €5.5bn to German data centres from next year through 2029.",
                          date(2025, 12, 15))
    assert [(f.companies, f.period) for f in facts] == [(("Alphabet",), "2026-2029")]


def test_an_earlier_forecast_without_a_period_is_for_the_period_of_the_fact_before() -> None:
    """"It had guided to $45bn to $48bn in December, itself an increase on the $35bn it pencilled in last June": both
    earlier forecasts are for the fiscal year of the new one stated in the sentence before ("in December" and "last
    June" say when they were made)."""
    text = ("Oracle now expects capital expenditure of about $52bn in the fiscal year to the end of May 2026.\n\n"
            "The group had guided to a range of $45bn to $48bn in December, itself an increase on the $35bn it "
            "pencilled in last June.")
    facts = extract_facts(text, date(2026, 3, 11))
    assert [(f.amount or f.amount_low, f.period) for f in facts] == [(52e9, "FY2026"), (45e9, "FY2026"),
                                                                     (35e9, "FY2026")]


def test_a_number_management_had_put_earlier_is_an_earlier_forecast() -> None:
    """"As recently as September, management had put the number at roughly $35bn": an earlier forecast for the fiscal
    year of the fact before, not a new, undated plan."""
    text = ("Oracle said capital expenditure for its fiscal year 2026, which ends on 31 May, would come to about "
            "$50bn.\n\nAs recently as September, management had put the number at roughly $35bn.")
    facts = extract_facts(text, date(2025, 12, 11))
    assert [(f.amount, f.period, f.status) for f in facts] == [(50e9, "FY2026", "guidance"),
                                                              (35e9, "FY2026", "guidance")]


def test_a_new_forecast_without_a_period_is_not_dated_by_the_sentence_before() -> None:
    """Only an earlier forecast ("had guided") takes the period of the fact before it; a new figure with no period
    of its own stays undated."""
    text = ("Oracle now expects capital expenditure of about $52bn in the fiscal year to the end of May 2026.\n\n"
            "Meta reckons it will need $115bn-135bn for its data centres.")
    facts = extract_facts(text, date(2026, 3, 11))
    assert [(f.companies, f.period) for f in facts] == [(("Oracle",), "FY2026"), (("Meta",), None)]


def test_a_multiple_of_another_year_does_not_date_the_figure() -> None:
    """"$175bn-185bn, roughly twice what it spent last year": last year is the period of what it is compared with."""
    text = "Alphabet has pencilled in $175bn-185bn for data centres, roughly twice what it spent last year."
    (fact,) = extract_facts(text, date(2026, 2, 14))
    assert (fact.companies, fact.amount_low, fact.period) == (("Alphabet",), 175e9, None)


def test_three_months_is_a_span_of_time_not_three_companies() -> None:
    """"Capital spending in the three months to February reached $15.8bn" after a sentence about Oracle is Oracle's,
    not a sector figure of "the three" companies."""
    text = ("Oracle builds data centres at a record pace.\n\n"
            "Capital spending in the three months to the end of February reached $15.8bn.")
    facts = extract_facts(text, date(2026, 3, 11))
    assert [(f.companies, f.amount, f.period) for f in facts] == [(("Oracle",), 15.8e9, "2026-Q1")]


@pytest.mark.parametrize("span", ["the fiscal year to the end of May 2026", "the 12 months to the end of May",
                                  "the financial year to May 31, 2026"])
def test_a_fiscal_year_named_by_the_end_of_its_last_month(span: str) -> None:
    """"the fiscal year to the end of May 2026" and "the 12 months to the end of May" are Oracle's FY2026, not the
    calendar year 2026."""
    (fact,) = extract_facts(f"Oracle expects capital expenditure of about $52bn in {span}.", date(2026, 3, 11))
    assert fact.period == "FY2026"


def test_a_with_phrase_after_the_figure_does_not_date_it() -> None:
    """"capital expenditures in fiscal 2027 to exceed $190 billion, with the growth rate moderating from this year":
    the year of the ", with" phrase is the base of the growth rate; the figure is for fiscal 2027."""
    text = ("Microsoft said: \"We now expect capital expenditures in fiscal 2027 to exceed $190 billion, with the "
            "growth rate moderating from this year.\"")
    (fact,) = extract_facts(text, date(2026, 4, 30))
    assert (fact.companies, fact.period) == (("Microsoft",), "FY2027")


def test_analysts_expectation_in_the_next_sentence_is_for_the_reported_quarter_not_the_year_before() -> None:
    """"Analysts had on average expected $38.9 billion" after a quarter's figure and its level a year earlier is an
    estimate for the quarter reported, not for the quarter a year before."""
    text = ("Microsoft's capital expenditures rose to $41.2 billion in the quarter ended March 31, 2026, from $21.4 "
            "billion a year earlier. Analysts had on average expected $38.9 billion.")
    facts = extract_facts(text, date(2026, 4, 30))
    assert [(f.amount, f.period, f.status) for f in facts] == [
        (41.2e9, "2026-Q1", "actual"), (21.4e9, "2025-Q1", "actual"), (38.9e9, "2026-Q1", "estimate")]


def test_a_sentence_comparing_the_figure_before_and_the_analysts_expectation_after_it() -> None:
    """"The total compared with $X a year earlier" compares the fact before (past tense as well as "compares"); the
    analysts' expectation in the next sentence, which names no company or infrastructure, is for the fact's quarter."""
    text = ("Amazon said capital expenditures for data centres climbed to $35.1 billion in the quarter that ended "
            "Sept. 30, as it kept buying chips for AWS. The total compared with $22.6 billion in the same period a "
            "year earlier and was up from about $31.4 billion in the June quarter. Analysts surveyed by FactSet had "
            "expected roughly $33 billion.")
    facts = extract_facts(text, date(2025, 10, 30))
    assert [(f.companies, f.amount, f.period, f.status) for f in facts] == [
        (("Amazon",), 35.1e9, "2025-Q3", "actual"), (("Amazon",), 22.6e9, "2024-Q3", "actual"),
        (("Amazon",), 31.4e9, "2025-Q2", "actual"), (("Amazon",), 33e9, "2025-Q3", "estimate")]


def test_an_analysts_figure_after_no_fact_is_not_taken() -> None:
    """Analysts' expectations with nothing about AI infrastructure near them and no fact before stay out."""
    text = ("The retailer reported quarterly sales of $12 billion. Shares rose 3%. Analysts polled by LSEG had "
            "expected about $11.8 billion.")
    assert extract_facts(text, date(2025, 10, 30)) == []


@pytest.mark.parametrize(("phrase", "period"), [
    ("in the second quarter of its fiscal year ending March 2026", "2025-Q3"),
    ("in the third quarter of Alibaba's fiscal year", "2025-Q4"),
    ("in the fourth quarter of Tencent's fiscal year ended June 30, 2025", "2025-Q2"),
    ("in the third quarter of the financial year to March 2026", "2025-Q4"),
])
def test_a_quarter_of_a_fiscal_year_named_by_its_end(phrase: str, period: str) -> None:
    """"the second quarter of Alibaba's fiscal year ending March 2026" is a fiscal quarter: the year's last month
    places it (July-September 2025), whatever the company's registered year-end; the year alone would date it FY2026."""
    (fact,) = extract_facts(f"Alibaba's capital expenditure on AI data centres came to 31.4 billion yuan {phrase}.",
                            date(2026, 2, 20))
    assert (fact.period, fact.status) == (period, "actual")


@pytest.mark.parametrize(("phrase", "period"), [("in the July-September quarter", "2025-Q3"),
                                                ("for the October-December period of 2024", "2024-Q4")])
def test_a_quarter_named_by_its_months(phrase: str, period: str) -> None:
    """"the July-September quarter", "the October-December period": a calendar quarter named by its first and last
    months (the latest one begun when no year is given)."""
    (fact,) = extract_facts(f"Tencent's capital expenditure on AI servers fell to 13 billion yuan {phrase}.",
                            date(2025, 11, 14))
    assert (fact.period, fact.status) == (period, "actual")


def test_a_quarter_named_by_its_month_and_year() -> None:
    """"up from $22.6 billion in the December quarter of 2024": the year after the quarter's month places it."""
    text = ("Capital expenditures including finance leases came to $37.5 billion in the three months ended Dec. 31, "
            "Microsoft said, up from $22.6 billion in the December quarter of 2024.")
    facts = extract_facts(text, date(2026, 1, 29))
    assert [(f.amount, f.period) for f in facts] == [(37.5e9, "2025-Q4"), (22.6e9, "2024-Q4")]


def test_a_period_before_on_top_of_dates_the_new_figure_not_the_earlier_one() -> None:
    """"will put $15bn into new campuses between 2026 and 2030, on top of the $11bn site it is already finishing": the
    span is the new money's; the site it is added to has no period of its own."""
    text = ("Amazon will put $15bn into new data-centre campuses in northern Indiana between 2026 and 2030, on top of "
            "the $11bn site it is already finishing near New Carlisle.")
    facts = extract_facts(text, date(2025, 12, 15))
    assert [(f.amount, f.period) for f in facts] == [(15e9, "2026-2030"), (11e9, None)]


def test_a_month_after_an_earlier_forecast_dates_that_forecast_not_the_new_one() -> None:
    """"to reach $680bn this year, up from a forecast of $540bn it published in December": December is when the
    earlier forecast was made; "this year" is the publication's, and the earlier forecast is for the same year."""
    text = ("Goldman Sachs now expects capital expenditure by the large US hyperscalers on AI data centers to reach "
            "$680bn this year, up from a forecast of $540bn it published in December.")
    facts = extract_facts(text, date(2026, 2, 10))
    assert [(f.amount, f.period) for f in facts] == [(680e9, "2026"), (540e9, "2026")]


def test_a_pledge_made_in_a_month_of_last_year_runs_from_that_year() -> None:
    """"its pledge, made in February last year, to invest more than 380 billion yuan in cloud and AI infrastructure
    over the next three years": the three years run from when the pledge was made (2025), not from publication."""
    text = ("Chief Executive Eddie Wu said Alibaba was on track with its pledge, made in February last year, to invest "
            "more than 380 billion yuan in cloud and AI infrastructure over the next three years.")
    facts = extract_facts(text, date(2026, 2, 20))
    assert [(f.amount, f.period) for f in facts] == [(380e9, "2025-2027")]


def test_the_n_years_from_a_year_start_in_that_year() -> None:
    """"committed $17.5 billion to cloud and AI infrastructure in India over the four years from 2026": 2026-2029,
    not the year 2026 alone nor four years from the statement."""
    text = ("Microsoft, which in December committed $17.5 billion to cloud and AI infrastructure in India over the "
            "four years from 2026, said the first region would open soon.")
    facts = extract_facts(text, date(2026, 2, 19))
    assert [(f.amount, f.period) for f in facts] == [(17.5e9, "2026-2029")]


def test_between_now_and_a_year_runs_from_the_year_it_is_said() -> None:
    """"between now and 2030", "from now until 2028": from the publication year to the year named."""
    facts = extract_facts("Humain expects to spend some $10bn building data centres between now and 2030.",
                          date(2026, 2, 10))
    assert [(f.companies, f.period) for f in facts] == [(("Humain",), "2026-2030")]


def test_a_deal_length_not_the_results_it_was_announced_with_dates_the_deal() -> None:
    """"a five-year agreement ... worth as much as $6.2bn, the company said alongside fourth-quarter results": the
    results date the announcement; the deal runs five years from it."""
    text = ("Nebius has won a five-year agreement to supply dedicated GPU capacity to Meta worth as much as $6.2bn, "
            "the company said alongside fourth-quarter results on Tuesday.")
    (fact,) = extract_facts(text, date(2026, 2, 10))
    assert (fact.companies, fact.period, fact.qualifier) == (("Meta",), "2026-2030", "up_to")


@pytest.mark.parametrize("opening", ["with sites coming online through 2026",
                                     "with delivery starting in the third quarter of 2026",
                                     "which is due to open in phases from 2026",
                                     "which is scheduled to be completed in 2026"])
def test_when_sites_come_online_does_not_date_the_spending(opening: str) -> None:
    """"$50bn building its own data centres ..., with sites coming online through 2026", "due to open in phases from
    2027": the year the sites open, not the spending's period."""
    text = f"In November, Anthropic said it would spend $50bn building its own data centres in Texas, {opening}."
    (fact,) = extract_facts(text, date(2025, 12, 10))
    assert (fact.companies, fact.period) == (("Anthropic",), None)


def test_a_year_earlier_after_a_figure_less_sentence_is_the_quarter_before_it() -> None:
    """"... in the September quarter. The three months to September were the second quarter of its fiscal year. In
    the same period a year earlier the company's capex was 17.5 billion yuan": the September quarter a year before."""
    text = ("Alibaba Group spent 31.5 billion yuan on capital expenditure in the September quarter as it poured money "
            "into AI data centres. The three months to September were the second quarter of Alibaba's fiscal year. In "
            "the same period a year earlier the company's capex was 17.5 billion yuan.")
    facts = extract_facts(text, date(2025, 11, 25))
    assert [(f.amount, f.period) for f in facts] == [(31.5e9, "2025-Q3"), (17.5e9, "2024-Q3")]
