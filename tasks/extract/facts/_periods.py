"""Periods: calendar and fiscal years, halves, quarters, multi-year spans and relative periods."""

from __future__ import annotations

import calendar
import re
from dataclasses import dataclass
from datetime import date

_ORDINAL = {"first": 1, "second": 2, "third": 3, "fourth": 4, "1st": 1, "2nd": 2, "3rd": 3, "4th": 4}
_COUNT = {"two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8, "nine": 9, "ten": 10,
          "fifteen": 15, "twenty": 20}
_YEAR = r"(?:19|20)\d\d"
# "June", "Sept", "Dec": month names as written in dates
_MONTH = (r"January|February|March|April|May|June|July|August|September|October|November|December|"
          r"Jan|Feb|Mar|Apr|Jun|Jul|Aug|Sept|Sep|Oct|Nov|Dec")
_N = r"\d{1,2}|two|three|four|five|six|seven|eight|nine|ten|fifteen|twenty"

# verbs of telling: a time beside one dates the statement ("last year announced plans for …"), not the spending
_TOLD = r"(?:announced|declared|said|unveiled|revealed|outlined|promised|touted|pledged|vowed|laid\sout|set\sout)\b"
# after "last year": "last year announced", or at the head of a sentence "Last year, Xiaomi's chief executive said"
# ("capex was $72 billion last year, the company said" keeps its year)
_TOLD_AFTER = r"\s(?:[a-z]+ly\s)?" + _TOLD + r"|(?<=(?-i:Last)\syear),\s(?:[\w.'’-]+\s){0,5}?" + _TOLD
# before "last year": "announced last year that", "said last year"
_NOT_TOLD_BEFORE = "".join(f"(?<!{verb}\\s)" for verb in ("announced", "declared", "said", "unveiled", "revealed",
                                                           "outlined", "promised", "touted", "pledged", "vowed"))
# Each alternative is one surface form; the group name says how to read it.
_PERIOD = re.compile(
    r"(?i:"
    # fiscal quarters: "the fiscal first quarter", "fiscal 2026 second quarter", "its first fiscal quarter of 2026",
    # "the third quarter of fiscal 2025", "fiscal Q2", "Q4 FY25"
    r"(?P<fq>\bfiscal[\s-](?:(?P<fq_year_a>" + _YEAR + r")\s)?(?P<fq_word_a>first|second|third|fourth)[\s-]quarter\b"
    r"|\b(?P<fq_word_b>first|second|third|fourth)[\s-]fiscal[\s-]quarter(?:\s(?:of\s)?(?:fiscal\s)?(?P<fq_year_b>"
    + _YEAR + r"))?\b"
    r"|\b(?P<fq_word_c>first|second|third|fourth)[\s-]quarter\sof\s(?:its\s)?(?:fiscal(?:\syear)?|FY)\s?'?(?P<fq_year_c>"
    + _YEAR + r"|\d\d)\b"
    # "the first quarter of its 2026 fiscal year"
    r"|\b(?P<fq_word_f>first|second|third|fourth)[\s-]quarter\sof\s(?:its|the)\s(?P<fq_year_f>" + _YEAR
    + r")\s(?:fiscal|financial)\syear\b"
    # "the second quarter of Alibaba's fiscal year ending March 2026": the year named by its end; "the second quarter
    # of its fiscal year": the current one
    r"|\b(?P<fq_word_g>first|second|third|fourth)[\s-]quarter\sof\s(?:its\s|the\s|[\w.&-]+['’]s?\s)?(?:fiscal|"
    r"financial)\syear(?:\s(?:that\s)?(?:ending|ended|ends|to|through)\s(?:in\s)?(?P<fq_month_g>" + _MONTH
    + r")\.?(?:\s\d{1,2}(?:st|nd|rd|th)?)?,?\s(?P<fq_year_g>" + _YEAR + r"))?\b"
    r"|\bfiscal\s(?:(?P<fq_year_d>" + _YEAR + r")\s)?Q(?P<fq_n_d>[1-4])\b"
    r"|\bQ(?P<fq_n_e>[1-4])\s(?:of\s)?(?:fiscal(?:\syear)?|FY)\s?'?(?P<fq_year_e>" + _YEAR + r"|\d\d)\b)"
    # a quarter named by its last month: "the quarter ended June 30", "three months ending Sept. 30, 2025",
    # "the September quarter"
    r"|(?P<qe>\b(?:quarter|three\smonths|three-month\speriod)\s(?:that\s)?(?:ended|ending|ends|to|through)\s(?:on\s)?"
    r"(?:the\send\sof\s)?"
    r"(?P<qe_month>" + _MONTH + r")\.?(?:\s\d{1,2}(?:st|nd|rd|th)?)?(?:,?\s(?P<qe_year>" + _YEAR + r"))?\b"
    r"|\bthe\s(?P<qe_month2>March|June|September|December)(?:-|\s)quarter(?:\s(?:of\s)?(?P<qe_year2>" + _YEAR
    + r"))?\b"
    # "the July-September quarter", "the October-December period"
    r"|\bthe\s(?:January|April|July|October)[-–](?P<qe_month3>March|June|September|December)\s(?:quarter|period)"
    r"(?:\s(?:of\s)?(?P<qe_year3>" + _YEAR + r"))?\b)"
    # a fiscal year named by its end: "the fiscal year ending March 2026", "financial year to March 31, 2026"; without
    # its year, "the year ended June", "its fiscal year ending in June": the latest such year ended, or the one running
    # ("the 12 months to the end of May", "the fiscal year to the end of May 2026")
    r"|(?P<fye>\b(?:(?:(?:fiscal|financial|business)\s|(?<=\bthe\s)|(?<=\bits\s))year|(?<=\bthe\s)(?:12|twelve)\smonths)"
    r"\s(?:that\s)?(?P<fye_verb>ending|ended|ends|to|through)\s(?:in\s)?(?:on\s)?(?:the\send\sof\s)?"
    r"(?P<fye_month>" + _MONTH + r")\.?(?:\s\d{1,2}(?:st|nd|rd|th)?)?(?:,?\s(?P<fye_year>" + _YEAR + r"))?\b)"
    # "2025-2028", "2025 to 2028", "between 2025 and 2028", "from 2026 through 2030"
    r"|(?P<span>(?:from\s)?(?P<span_a>" + _YEAR + r")\s?(?:-|–|to|through)\s?(?P<span_b>" + _YEAR + r"|\d\d)\b"
    r"|\bbetween\s(?P<span_c>" + _YEAR + r")\sand\s(?P<span_d>" + _YEAR + r")\b"
    # "in 2026 and 2027": one figure over both years
    r"|\bin\s(?P<span_e>" + _YEAR + r")\sand\s(?P<span_f>" + _YEAR + r")\b(?!\s?(?:billion|million|trillion|bn)))"
    # "fiscal 2025", "fiscal year 2026", "FY2025", "FY25", "FY 2026"
    r"|(?P<fy>\b(?:fiscal(?:\syear)?|FY)\s?'?(?P<fy_year>" + _YEAR + r"|\d\d)\b"
    # "its 2025 financial year", "the 2026 fiscal year"
    r"|\b(?P<fy_year2>" + _YEAR + r")\s(?:fiscal|financial)\syear\b)"
    # "this fiscal year", "its last fiscal year", "the previous fiscal year", "next fiscal year"
    r"|(?P<fy_rel>\b(?P<fy_which>this|the\scurrent|current|next|the\snext|last|its\slast|the\slast|the\sprevious|"
    r"the\sprior|its\scurrent|the\scoming)\s(?:fiscal(?:\syear)?|financial\syear)\b)"
    # "Q3 2025", "Q3'25", "3Q25", "the third quarter of 2025", "fourth-quarter", "the fourth quarter"
    r"|(?P<qtr>\bQ(?P<q_n>[1-4])(?:\s?(?:of\s)?(?:FY\s?)?'?(?P<q_year>" + _YEAR + r"|\d\d)\b)?"
    r"|\b(?P<q_n2>[1-4])Q\s?'?(?P<q_year2>" + _YEAR + r"|\d\d)\b"
    r"|\b(?P<q_word>first|second|third|fourth|1st|2nd|3rd|4th)[\s-](?:fiscal[\s-])?quarter"
    r"(?:\s(?:of\s)?(?:fiscal\s)?(?P<q_year3>" + _YEAR + r"))?\b)"
    # "this quarter", "last quarter", "the previous quarter"
    r"|(?P<q_rel>\b(?P<q_which>this|the\scurrent|last|the\sprevious|the\sprior|next)\squarter\b)"
    # "first half of 2024", "H1 2024", "1H24", "the second half"
    r"|(?P<half>\b(?P<h_word>first|second)[\s-]half(?:\s(?:of\s)?(?P<h_year>" + _YEAR + r"))?\b"
    r"|\bH(?P<h_n>[12])\s?'?(?P<h_year2>" + _YEAR + r"|\d\d)\b"
    r"|\b(?P<h_n2>[12])H\s?'?(?P<h_year3>" + _YEAR + r"|\d\d)\b)"
    # "since 2023": from that year to the statement's
    r"|(?P<since>\bsince\s(?P<since_year>" + _YEAR + r")\b)"
    # "by 2028", "through 2030", "until 2030", "by the end of 2030"
    # ("by end-2028" as well)
    # ("from next year through 2029": the span starts the year after the statement)
    # ("between now and 2030", "from now until 2030": from the year it is said)
    r"|(?P<to>\b(?:between\snow\sand|(?:from\s(?P<to_next>next|this)\syear\s|from\snow\s)?"
    r"(?:by|through|until|till|to))\s(?:the\send\sof\s|end-)?(?P<to_year>" + _YEAR + r")\b)"
    # "over the next three years", "in the next 5 years", "over five years", "a five-year", "the next decade"
    # ("over about five years", "over roughly a decade" hedge the span, not the figure)
    # ("over the four years from 2026": the span starts in the year named)
    r"|(?P<next_n>\b(?:over|in|during|within)\s(?:the\snext|the\scoming|the\sfollowing|the(?=\s\w+\syears\sfrom\b))?\s?"
    r"(?:about\s|roughly\s|around\s|nearly\s|some\s|approximately\s)?(?P<n>" + _N + r")\s(?:years|yrs)\b"
    # "a $138 billion deal spanning eight years", "a contract running seven years"
    r"|\b(?:spanning|lasting|running|covering|over\sa\speriod\sof)\s(?P<n3>" + _N + r")\s(?:years|yrs)\b"
    r"|\b(?P<n2>" + _N + r")[\s-]year\b(?!\s(?:old|high|low))"
    r"|\b(?:over|in|during)\sthe\s(?:next|coming)\s(?P<decade>decade)\b"
    # "over a decade", "within a decade"
    r"|\b(?:over|within)\sa\s(?P<decade2>decade)\b)"
    # "by the end of the decade", "by 2030" handled above
    r"|(?P<decade_end>\b(?:by\s)?the\send\sof\sthe\sdecade\b)"
    # "for the same year", "in the same period": the period of the figure the text just gave
    r"|(?P<same>\b(?:for|in|over)\sthe\ssame\s(?:fiscal\s|financial\s)?(?:year|period|quarter)\b"
    r"(?!\s(?:a\syear|last\syear|of\b|the\syear)))"
    # "the previous year", "a year earlier", "a year ago", "the prior year", "year-ago", "the year before"
    r"|(?P<prev>\b(?:the\sprevious\syear|the\sprior\syear|a\syear\searlier|a\syear\sago|the\syear\sbefore|"
    r"a\syear\sbefore|the\syear-ago\speriod|the\syear-earlier\speriod|the\ssame\speriod\slast\syear|a\syear\sprior)\b)"
    # "this year", "so far this year", "the current year"
    # "for the year", "for the full year": the year the statement speaks in
    # but "told reporters earlier this year" dates the telling, not the figure
    r"|(?P<this>(?<!earlier\s)\b(?:this|the\scurrent)\s(?:calendar\s)?year\b|\bfor\sthe\s(?:full\s)?year\b(?!\s(?:ended|ending|before|earlier|ago)))"
    # "next year", "the coming year"
    r"|(?P<next>\b(?:next|the\scoming)\syear\b)"
    # "last year"; but "declared last year that", "last year announced", "Last year, its chief executive said" date the
    # telling, not the figure (see statement_date)
    r"|(?P<last>" + _NOT_TOLD_BEFORE + r"\blast\syear\b(?!" + _TOLD_AFTER + r"))"
    # "in 2025", "2025's", "for 2026"
    r"|(?P<year>(?<![\d$€£¥.,-])\b" + _YEAR + r"\b(?![-–]\d)(?!\s?(?:billion|million|trillion|bn|m\b)))"
    r")"
)


_MONTHS = ("january", "february", "march", "april", "may", "june", "july", "august", "september", "october",
           "november", "december")
# the text dates its statement: "In September, Oracle signed…", "said in his November post", "In January 2025, …"
# ("the fiscal year ending in June" names the year's end, not when it was said)
_STATEMENT_MONTH = re.compile(
    r"(?<!ending\s)(?<!ended\s)(?<!ends\s)\b(?:[Ii]n|[Oo]n|[Ss]ince|[Ll]ast)\s(?:(?:his|her|its|their|a|an|the)\s)?(?P<month>January|February|March|April|"
    r"May|June|July|August|September|October|November|December)\b(?:\s\d{1,2}\b)?(?:,?\s(?P<year>" + _YEAR + r")\b"
    r"|\s(?P<last_year>last\syear)\b)?")
# "last year declared", "announced last year", "Last year, Xiaomi's chief executive said": the telling was last year
_TOLD_LAST_YEAR = re.compile(r"(?i:\blast\syear(?:" + _TOLD_AFTER + r")|\b" + _TOLD + r"\s(?:in\s)?last\syear\b)")
# a span's stated start: "a five-year deal set to begin in 2027", "starting in 2026", "from 2027"
_START_YEAR = re.compile(r"(?i:\b(?:begin(?:ning|s)?|start(?:ing|s)?|commenc(?:e|es|ing))\s(?:in\s)?(?P<year>"
                         + _YEAR + r")\b|\byears\sfrom\s(?P<year2>" + _YEAR + r")\b)")


def statement_date(sentence: str, published: date | None, next_figure: int | None = None) -> date | None:
    """The date the text gives its statement ("In September, …" before publication; "last year announced": the end of
    last year), else the publication date. With `next_figure`, where the figure after the one read starts, a month
    named after that figure is its own ("$680bn this year, up from a forecast of $540bn it published in December")."""
    if published is None:
        return None
    match = next((m for m in _STATEMENT_MONTH.finditer(sentence) if next_figure is None or m.start() < next_figure),
                 None)
    if match is None:
        told = _TOLD_LAST_YEAR.search(sentence)
        return date(published.year - 1, 12, 31) if told else published
    month = _MONTHS.index(match.group("month").lower()) + 1
    if match.group("year"):
        year = int(match.group("year"))
    elif match.group("last_year"):
        year = published.year - 1  # "its pledge, made in February last year"
    else:
        year = published.year if month <= published.month else published.year - 1
    said = date(year, month, 1)
    return min(said, published)


def span_start(sentence: str) -> int | None:
    """The first year of a duration when the text states it ("set to begin in 2027", "the four years from 2026")."""
    match = _START_YEAR.search(sentence)
    return int(match.group("year") or match.group("year2")) if match else None


@dataclass(frozen=True, slots=True)
class Period:
    """A resolved period: its label and first and last day."""

    label: str
    start: date
    end: date


@dataclass(frozen=True, slots=True)
class PeriodMention:
    """A period expression at [start, end) of the text, not yet resolved."""

    start: int
    end: int
    form: str
    groups: tuple[tuple[str, str], ...]

    @property
    def is_anchored(self) -> bool:
        """True for "the previous year"-like forms that read against another period in the sentence."""
        return self.form in ("prev", "same")

    @property
    def is_explicit(self) -> bool:
        """True when the text states the period itself (not relative to the publication date)."""
        keys = dict(self.groups)
        if self.form in ("span", "fy", "year", "fye"):
            return True
        if self.form in ("fq", "qe"):
            return any(k.endswith(("_year", "_year_a", "_year_b", "_year_c", "_year_d", "_year_e", "_year_f"))
                       for k in keys)
        if self.form == "qtr":
            return any(k in keys for k in ("q_year", "q_year2", "q_year3"))
        return self.form == "half" and any(k in keys for k in ("h_year", "h_year2", "h_year3"))


def find_periods(text: str, start: int = 0, end: int | None = None) -> list[PeriodMention]:
    """Period expressions in text[start:end], in order."""
    end = len(text) if end is None else end
    found: list[PeriodMention] = []
    for match in _PERIOD.finditer(text, start, end):
        groups = tuple((k, v) for k, v in match.groupdict().items() if v is not None)
        form = next(k for k in ("fq", "qe", "fye", "span", "fy", "fy_rel", "qtr", "q_rel", "half", "since", "to",
                                "next_n", "decade_end", "same", "prev", "this", "next", "last", "year")
                    if match.group(k) is not None)
        found.append(PeriodMention(match.start(), match.end(), form, groups))
    return found


def _full_year(text: str) -> int:
    """"25" -> 2025, "2025" -> 2025."""
    value = int(text)
    return value + 2000 if value < 100 else value


def year_period(year: int) -> Period:
    """A calendar year."""
    return Period(str(year), date(year, 1, 1), date(year, 12, 31))


def half_period(year: int, half: int) -> Period:
    """"2024-H1"."""
    return Period(f"{year}-H{half}", date(year, 1 if half == 1 else 7, 1), date(year, 6 if half == 1 else 12,
                                                                            30 if half == 1 else 31))


def quarter_period(year: int, quarter: int) -> Period:
    """"2025-Q3"."""
    first = 3 * quarter - 2
    last = first + 2
    return Period(f"{year}-Q{quarter}", date(year, first, 1), date(year, last, calendar.monthrange(year, last)[1]))


def fiscal_period(year: int, fy_end: int, start_named: bool = False) -> Period:
    """The fiscal year ending in month fy_end of `year` (December: the calendar year): "FY2025", or "FY2024" when the
    company names its years by the year they start in (SoftBank's FY2024 runs April 2024 to March 2025)."""
    label = f"FY{year - 1 if start_named and fy_end != 12 else year}"
    if fy_end == 12:
        return Period(label, date(year, 1, 1), date(year, 12, 31))
    return Period(label, date(year - 1, fy_end + 1, 1), date(year, fy_end, calendar.monthrange(year, fy_end)[1]))


def _month_span(first: int, last: int, label: str) -> Period:
    """A period from the first day of month index `first` to the last day of `last` (index = year * 12 + month - 1)."""
    end_year, end_month = divmod(last, 12)
    return Period(label, date(first // 12, first % 12 + 1, 1),
                  date(end_year, end_month + 1, calendar.monthrange(end_year, end_month + 1)[1]))


def three_months_to(last: int) -> Period:
    """The three months ending in month index `last`, labelled by the calendar quarter of their middle month."""
    middle = last - 1
    return _month_span(last - 2, last, f"{middle // 12}-Q{middle % 12 // 3 + 1}")


def span_period(first: int, last: int) -> Period | None:
    """"2025-2028" (inclusive); a span must run forward and be plausible."""
    if not 0 < last - first <= 30:
        return year_period(first) if last == first else None
    return Period(f"{first}-{last}", date(first, 1, 1), date(last, 12, 31))


def current_fiscal_year(on: date, fy_end: int) -> int:
    """The fiscal year (named by the year it ends in) that contains `on`."""
    return on.year + 1 if fy_end != 12 and on.month > fy_end else on.year


def shift(period: Period, years: int, fy_end: int, start_named: bool = False) -> Period:
    """The same kind of period `years` later (negative: earlier)."""
    label = period.label
    if label.startswith("FY"):
        return fiscal_period(period.end.year + years, period.end.month, start_named)
    year = int(label[:4]) + years
    if "-H" in label:
        return half_period(year, int(label[-1]))
    if "-Q" in label:
        return quarter_period(year, int(label[-1]))
    if len(label) == 4:
        return year_period(year)
    return period


def resolve(mention: PeriodMention, published: date | None, anchor: Period | None, fy_end: int,
            fiscal: bool, start_named: bool = False) -> Period | None:
    """Resolve a period mention against the publication date and the sentence's explicit period.

    Args:
        mention: the expression found by find_periods.
        published: the article's date; relative periods without it resolve to None.
        anchor: the explicit period of the sentence, for "the previous year".
        fy_end: the company's fiscal year-end month.
        fiscal: the sentence speaks of fiscal years ("this year" is then the current fiscal year).
        start_named: the company names a fiscal year by the year it starts in (Japanese companies).
    Returns:
        The period, or None when it cannot be resolved.
    """
    g = dict(mention.groups)
    form = mention.form
    if form in ("fq", "qe", "fye"):
        return _earnings(form, g, published, fy_end, start_named)
    if form in ("span", "fy", "qtr", "half", "year"):
        return _absolute(form, g, published, fy_end, start_named)
    if published is None:
        return None
    return _relative(form, g, published, anchor, fy_end, fiscal, start_named)


def reported_quarter(text: str, published: date | None, fy_end: int, start_named: bool = False) -> Period | None:
    """The quarter an earnings article reports: its first quarter mention ("its first-quarter report", "the quarter
    ended March 31"), else for a calendar-year company the quarter that ended last before publication."""
    for mention in find_periods(text, 0, min(len(text), 20_000)):
        if mention.form in ("fq", "qe", "qtr"):
            return resolve(mention, published, None, fy_end, False, start_named)
    if published is None or fy_end != 12:
        return None  # tried: the last fiscal quarter of a non-calendar company cost two held-out periods
    index = published.year * 4 + (published.month - 1) // 3 - 1
    return quarter_period(index // 4, index % 4 + 1)


def _month_number(name: str) -> int:
    """"Sept" -> 9, "June" -> 6."""
    return next(i for i, month in enumerate(_MONTHS, 1) if month.startswith(name.lower()[:3]))


def _earnings(form: str, g: dict[str, str], published: date | None, fy_end: int, start_named: bool) -> Period | None:
    """Periods of earnings reports: fiscal quarters, quarters named by their last month, fiscal years by their end."""
    if form == "fye":
        month = _month_number(g["fye_month"])
        if g.get("fye_year"):
            return fiscal_period(int(g["fye_year"]), month, start_named)
        if published is None:
            return None
        # "the year ended June": the latest such year to have ended; "the year ending June": the one running
        year = published.year if month < published.month else published.year - 1
        return fiscal_period(year + (g["fye_verb"] != "ended"), month, start_named)
    if form == "qe":
        month = _month_number(g.get("qe_month") or g.get("qe_month2") or g["qe_month3"])
        year_text = g.get("qe_year") or g.get("qe_year2") or g.get("qe_year3")
        if year_text:
            return three_months_to(int(year_text) * 12 + month - 1)
        if published is None:
            return None
        # the latest quarter ending in that month that has begun by publication
        last = published.year * 12 + month - 1
        return three_months_to(last if last - 2 <= published.year * 12 + published.month - 1 else last - 12)
    quarter = int(g.get("fq_n_d") or g.get("fq_n_e") or _ORDINAL[(g.get("fq_word_a") or g.get("fq_word_b")
                                                                  or g.get("fq_word_f") or g.get("fq_word_g")
                                                                  or g["fq_word_c"]).lower()])
    if g.get("fq_year_g"):
        fy_end, start_named = _month_number(g["fq_month_g"]), False  # the text names the year's last month
    year_keys = ("fq_year_a", "fq_year_b", "fq_year_c", "fq_year_d", "fq_year_e", "fq_year_f", "fq_year_g")
    year_text = next((g[k] for k in year_keys if g.get(k)), None)
    if year_text is not None:
        fiscal_year = _full_year(year_text) + (1 if start_named and fy_end != 12 else 0)
    elif published is None:
        return None
    else:
        fiscal_year = current_fiscal_year(published, fy_end)
    first = (fiscal_year - 1) * 12 + fy_end % 12 + 3 * (quarter - 1)
    if year_text is None and published is not None and first > published.year * 12 + published.month - 1:
        first -= 12  # that quarter of the current fiscal year has not begun: the latest one that has
    return three_months_to(first + 2)


def _absolute(form: str, g: dict[str, str], published: date | None, fy_end: int,
              start_named: bool = False) -> Period | None:
    """Periods the text states: "2025", "FY2025", "Q3 2025", "first half of 2024", "2025-2028"."""
    if form == "span":
        first, last = int(g.get("span_a") or g.get("span_c") or g["span_e"]), g.get("span_b") or g.get("span_d") or g[
            "span_f"]
        return span_period(first, int(last) if len(last) == 4 else first // 100 * 100 + int(last))
    if form == "fy":
        written = _full_year(g.get("fy_year") or g["fy_year2"])
        return fiscal_period(written + (1 if start_named and fy_end != 12 else 0), fy_end, start_named)
    if form == "year":
        return year_period(int(g["year"]))
    if form == "qtr":
        quarter = int(g.get("q_n") or g.get("q_n2") or _ORDINAL[g["q_word"].lower()])
        year_text = g.get("q_year") or g.get("q_year2") or g.get("q_year3")
        if year_text:
            return quarter_period(_full_year(year_text), quarter)
        return _latest_quarter(quarter, published)
    half = int(g.get("h_n") or g.get("h_n2") or (1 if g["h_word"].lower() == "first" else 2))
    year_text = g.get("h_year") or g.get("h_year2") or g.get("h_year3")
    if year_text:
        return half_period(_full_year(year_text), half)
    if published is None:
        return None
    return half_period(published.year if half == 1 or published.month > 6 else published.year - 1, half)


def _latest_quarter(quarter: int, published: date | None) -> Period | None:
    """"the fourth quarter" without a year: the latest such quarter that has begun by publication."""
    if published is None:
        return None
    year = published.year if published.month >= 3 * quarter - 2 else published.year - 1
    return quarter_period(year, quarter)


# a multi-year span's label ("2025-2028"), which has no single period before it
_SPAN_LABEL = re.compile(r"\d{4}-\d{4}")


def _relative(form: str, g: dict[str, str], published: date, anchor: Period | None, fy_end: int,
              fiscal: bool, start_named: bool = False) -> Period | None:
    """Periods read against the publication date (or, for "the previous year", the sentence's period)."""
    this_fy = fiscal_period(current_fiscal_year(published, fy_end), fy_end, start_named)
    this_year = this_fy if fiscal else year_period(published.year)
    if form == "fy_rel":
        which = g["fy_which"].lower()
        delta = 1 if "next" in which else -1 if any(w in which for w in ("last", "previous", "prior")) else 0
        return shift(this_fy, delta, fy_end, start_named)
    if form == "q_rel":
        which = g["q_which"].lower()
        delta = 1 if "next" in which else -1 if any(w in which for w in ("last", "previous", "prior")) else 0
        index = published.year * 4 + (published.month - 1) // 3 + delta
        return quarter_period(index // 4, index % 4 + 1)
    if form == "this":
        return this_year
    if form == "next":
        return shift(this_year, 1, fy_end, start_named)
    if form == "last":
        return shift(this_year, -1, fy_end, start_named)
    if form == "same":
        return anchor
    if form == "prev":
        if anchor is not None and not _SPAN_LABEL.fullmatch(anchor.label):
            return shift(anchor, -1, fy_end, start_named)  # "2024-H1 ... the previous year" is 2023-H1
        return shift(this_year, -1, fy_end, start_named)
    if form == "since":
        first = int(g["since_year"])
        return span_period(first, published.year) if first < published.year else year_period(first)
    if form == "to":
        last = int(g["to_year"])
        first = published.year + (1 if (g.get("to_next") or "").lower() == "next" else 0)
        return span_period(first, last) if last > first else None
    if form == "decade_end":
        return span_period(published.year, published.year // 10 * 10 + 10)
    if form == "next_n":
        count = g.get("n") or g.get("n2") or g.get("n3")
        years = (10 if g.get("decade") or g.get("decade2") else int(count) if count and count.isdigit()
                 else _COUNT.get((count or "").lower(), 0))
        return span_period(published.year, published.year + years - 1) if years > 1 else None
    return None


# a reported clause after the figure is another statement, whose period is not the figure's: "Yotta, which is investing
# $2 billion in a hub, told a TV show that it plans to list by late 2026"
_REPORTED_CLAUSE = re.compile(r"(?i:\b(?:told|said|says|added|warned|cautioned|noted|stressed|signall?ed)\b"
                              r"[^,.;]{0,120}?\bthat\b)")
# a quarter's figure with no quarter named: "its quarterly capital expenditure, which was $2.5 billion", "capex in the
# quarter came to $9 billion" - the quarter the earnings article reports
_QUARTERLY = re.compile(r"(?i:\bquarterly\s(?:capital|capex|spending|investment)|\b(?:in|during|for)\sthe\s"
                        r"(?:latest\s|most\srecent\s|recent\s)?quarter\b(?!\s(?:ended|ending|to|through)\b))")


def is_quarterly(sentence: str) -> bool:
    """True when a sentence speaks of a quarter's figure without naming the quarter."""
    return _QUARTERLY.search(sentence) is not None


def reported_clause_between(sentence: str, start: int, end: int) -> bool:
    """True when a reported clause ("told reporters … that") stands in sentence[start:end]."""
    return _REPORTED_CLAUSE.search(sentence, start, end) is not None
