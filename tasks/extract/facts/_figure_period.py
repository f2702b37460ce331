"""The period of one figure: the nearest period expression in its clause, a prior level's period, an anchor for
"a year earlier" or "the same year", and the period a list's introduction names."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import date

from tasks.extract.facts._amounts import Money
from tasks.extract.facts._companies import actor, clause_spans
from tasks.extract.facts._kinds import asides
from tasks.extract.facts._periods import (
    Period,
    PeriodMention,
    find_periods,
    is_quarterly,
    reported_clause_between,
    resolve,
    shift,
    span_start,
    statement_date,
)
from tasks.extract.facts._sentences import Sentence

# "fiscal" in the sentence: relative years are the company's fiscal years
_FISCAL_WORDS = ("fiscal", "financial year")
# a period further after its figure (in prose characters, a blanked URL counting as one space) belongs to another
# phrase: "…is investing $2 billion in a GPU cluster …[a long aside]… and hopes to list its shares in 2027";
# 140 keeps every dated figure of the tuning half (100 lost three)
_PERIOD_AFTER_CHARS = 140
_SPACES = re.compile(r"\s+")
# a period that owns the next figure: "last year's $91 billion", "2024’s [$52.5 billion"
_POSSESSIVE = re.compile(r"['’]s\s")
_POSSESSIVE_GAP = 6
# a multiple of another period's spending after the figure: "$175bn, roughly twice what it spent last year"
_MULTIPLE_OF = re.compile(r"(?i:\b(?:twice|double|triple|treble|\w+\stimes|more\sthan|less\sthan|as\smuch\sas)\s"
                          r"(?:what|the\s(?:amount|sum)|the\s\$?[\d.,]+\s?(?:bn|billion|trn|trillion)?)\b)")
# "capex in fiscal 2027 to exceed $190 billion, with the growth rate moderating from this year": a phrase set off
# by ", with" speaks of something else; its period does not date the figure when one stands before it
_WITH_PHRASE = re.compile(r",\s(?:with|while)\s")
# when what the money builds starts working, not when it is spent
# ("a 300-megawatt AI data centre ..., which is due to open in phases from 2027": when it opens, too)
_ONLINE = re.compile(r"(?i:\b(?:com(?:e|es|ing)\s(?:online|on\sstream|into\sservice)|go(?:es|ing)?\slive|"
                     r"(?:become|becomes|becoming)\soperational|(?:due|set|scheduled|slated)\sto\s(?:open|start\s"
                     r"operations|begin\soperations|be\scompleted)|"
                     # ("with delivery starting in the third quarter of next year": when the chips arrive)
                     r"deliver(?:y|ies)\s(?:starting|beginning|due|to\s(?:start|begin)))\b)")
# a figure that another one is added to: "on top of the $11bn site", "in addition to the $5bn it spent"
_ADDED_TO = re.compile(r"(?i:\b(?:on\stop\sof|in\saddition\sto)\b)")
# a period that names a reporting event: "fourth-quarter results", "its first-half earnings"
_RESULTS_EVENT = re.compile(r"(?i:[\s-]+(?:results|earnings|report)\b)")
# an earlier forecast for the same period: "$66 billion to $72 billion previously", "its prior outlook of $85 billion"
# ("the $35 billion it projected in September": the forecast the company made before)
_EARLIER_FORECAST = re.compile(r"(?i:\]?\s*(?:\S+\s+){0,2}(?:previously|earlier|before|initially|originally)\b|"
                               r"\]?\s+(?:it|the\scompany|the\sfirm|they)\s(?:had\s)?(?:projected|forecast|expected|"
                               r"guided|predicted|planned|pencil+ed\sin|budgeted|earmarked)\b)")
_EARLIER_FORECAST_BEFORE = re.compile(
    r"(?i:\b(?:previous|prior|earlier|initial|original|old)\s(?:forecast|guidance|outlook|estimate|range|projection|"
    r"target|plan)s?\b|\bhad\s(?:[\w-]+\s){0,2}?(?:expected|forecast|projected|guided)\b"
    # ("up from a forecast of $540bn it published in December": the forecast it revises)
    r"|\b(?:up|down|raised|lifted|cut)\sfrom\s(?:a|an|its|the)\s(?:forecast|estimate|projection|guidance)\sof\b"
    # ("management had put the number at roughly $35bn", "had pencilled in")
    r"|\bhad\s(?:put|set|pegged|pencill?ed)\s(?:the\s(?:number|figure|total|budget)\s|it\s)?(?:at|in)\b)")
# a revised forecast: "raised its 2025 capex forecast to $70 billion from $66 billion" - the level it was raised from
# is the earlier forecast for the same period, not the period before
_REVISED_FORECAST = re.compile(r"(?i:\b(?:rais|lift|boost|increas|cut|lower|trim|reduc|revis|hik)\w*\s(?:\S+\s){0,4}?"
                               r"(?:forecast|guidance|outlook|target|estimate|projection|budget|plan)s?\b)")
# "$37.5 billion, up 66% from a year earlier": the year earlier is the base of the change, not the figure's period
_PERCENT_CHANGE = re.compile(r"(?i:\d\s?(?:%|percent)|\bdoubl\w*|\btripl\w*)")
# how far before "a year earlier" a percentage change makes it the change's base ("83% from a year earlier")
_PERCENT_BASE_CHARS = 24
# "by $15 billion to $50 billion": a change, then the level it reached
_BY_TO = re.compile(r"\]?\s+to\s+\[?")
# ("from 380 billion yuan to 480 billion yuan": the level reached shares the period named before the pair)
_BY_BEFORE = re.compile(r"(?i:\b(?:by|from)\s+(?:about\s+|roughly\s+|nearly\s+|some\s+|more\sthan\s+)?\[?$)")
# period forms shorter than a year, which anchor "a year earlier" even when they name no year
_SUBYEAR_FORMS = ("fq", "qe", "qtr", "half")
# "1 gigawatt", "8GW", "500 megawatts": a capacity target, which a following period dates instead of the money
_CAPACITY = re.compile(r"(?i:\b\d[\d.,]*\s?(?:gigawatts?|megawatts?|gw|mw)\b|"
                       r"\b(?:one|two|three|five|ten)\sgigawatts?\b)")


def period_of(text: str, sentence: Sentence, published: date | None, companies: tuple[str, ...]) -> Period | None:
    """The one period a sentence names ("capital spending plans for 2026"), resolved; None when it names none or
    several."""
    periods = find_periods(text, sentence.start, sentence.end)
    if len(periods) != 1 or published is None:
        return None
    found = actor(companies[0]) if companies else None
    return resolve(periods[0], published, None, found.fy_end if found else 12, False,
                   found.fy_start_named if found else False)


def _prose_chars(stretch: str) -> int:
    """Characters of prose in a stretch, blanked URLs and line breaks counted as one space."""
    return len(_SPACES.sub(" ", stretch))


def earlier_forecast(body: str, start: int) -> bool:
    """True when the words before the figure at `start` make it an earlier forecast ("had guided to $45bn")."""
    return _EARLIER_FORECAST_BEFORE.search(body, max(0, start - 80), start) is not None


def prior_period(body: str, end: int, compared: Period | None, companies: tuple[str, ...]) -> Period | None:
    """The period of a prior level without its own: an earlier forecast ("from $66 billion to $72 billion previously")
    is for the same period; a comparison ("up from $21.2 billion") is for the period before."""
    if compared is None:
        return None
    if (_EARLIER_FORECAST.match(body, end) or _EARLIER_FORECAST_BEFORE.search(body, max(0, end - 80), end)
            or _REVISED_FORECAST.search(body, 0, end)):
        return compared
    if compared.label[4:5] == "-" and compared.label[5:6].isdigit():
        return None  # a multi-year span has no single period before it
    found = actor(companies[0]) if companies else None
    return shift(compared, -1, found.fy_end if found else 12, found.fy_start_named if found else False)


def period_for(money: Money, monies: list[Money], i: int, periods: list[PeriodMention], published: date | None,
                companies: tuple[str, ...], body: str, base: int, before: bool = True,
                quarter: Callable[[], Period | None] | None = None, previous: Period | None = None) -> Period | None:
    """The period of a figure: the nearest one after it in its stretch, else before it (unless `before` is false,
    for a prior level), else the sentence's. `quarter` gives the quarter the article reports, which anchors "a year
    earlier" in a sentence about "the quarter"; `previous` is the period of the sentence before, which anchors it
    otherwise."""
    lo = monies[i - 1].end if i else -1
    if i and _BY_TO.fullmatch(body, monies[i - 1].end - base, money.start - base) and _BY_BEFORE.search(
            body, max(0, monies[i - 1].start - base - 12), monies[i - 1].start - base):
        # "raised its fiscal 2026 capex forecast by $15 billion to $50 billion": the change's period is the level's
        lo = monies[i - 2].end if i > 1 else -1
    hi = monies[i + 1].start if i + 1 < len(monies) else 1 << 60
    clause = next((c for c in clause_spans(body) if c[0] <= money.start - base < c[1]), (0, len(body)))
    earlier_in_clause = any(lo <= p.start and p.end <= money.start and p.start - base >= clause[0] for p in periods)
    length_before = any(p.form == "next_n" and lo <= p.start and p.end <= money.start for p in periods)
    # a period after the figure counts in its clause, unless a capacity target stands between them
    # ("$10 billion, with an aim to reach 1 gigawatt by the time it opens in 2028")
    after = [p for p in periods if money.end <= p.start < hi and p.start - base < clause[1]
             and _prose_chars(body[money.end - base:p.start - base]) <= _PERIOD_AFTER_CHARS
             and not (p.form == "prev" and _PERCENT_CHANGE.search(body, money.end - base, p.start - base))
             and not _CAPACITY.search(body, money.end - base, p.start - base)
             # ("$50bn building data centres ..., with sites coming online through 2026": when they open)
             and not _ONLINE.search(body, money.end - base, p.start - base)
             # ("$175 billion to $185 billion, roughly double last year's $91 billion": last year's is the next one's)
             and not (hi - p.end <= _POSSESSIVE_GAP and _POSSESSIVE.match(body, p.end - base))
             and not reported_clause_between(body, money.end - base, p.start - base)
             and not _MULTIPLE_OF.search(body, money.end - base, p.start - base)
             and not (earlier_in_clause and _WITH_PHRASE.search(body, money.end - base, p.start - base))
             # ("a five-year agreement ... worth $6.2bn, the company said alongside fourth-quarter results": the
             # results date the statement; the agreement's length dates the figure)
             and not (length_before and _RESULTS_EVENT.match(body, p.end - base))]
    # a period before the figure counts only in its clause ("(up from $131 billion in 2025), while Google…")
    # ("jumped 83% from a year earlier to $24 billion": the year earlier is the base of the change before the figure)
    # ("OpenAI, which had revenues of $13bn last year, says it has signed": an aside's period is its own figure's)
    aside = [span for span in asides(body) if not span[0] <= money.start - base < span[1]]
    earlier = [p for p in periods if lo <= p.start and p.end <= money.start and p.start - base >= clause[0]
               and before and not (p.form == "prev" and _PERCENT_CHANGE.search(
                   body, max(0, p.start - base - _PERCENT_BASE_CHARS), p.start - base))
               and not any(a <= p.start - base < b for a, b in aside)
               # ("$15bn ... between 2026 and 2030, on top of the $11bn site it is already finishing": another figure)
               and not _ADDED_TO.search(body, p.end - base, money.start - base)]
    chosen = after[0] if after else earlier[-1] if earlier else None
    if chosen is None:
        return None
    # relative periods run from when the text says it was stated
    said = statement_date(body, published, hi - base)
    durations = [p for p in (*after, *earlier) if p.form == "next_n"]
    first_year = span_start(body)
    if durations and first_year is not None:
        # "a five-year, $300 billion deal set to begin in 2027": the span starts in the stated year
        chosen, said = durations[0], date(first_year, 1, 1)
    found = actor(companies[0]) if companies else None
    fy_end = found.fy_end if found else 12
    start_named = found.fy_start_named if found else False
    fiscal = any(word in body.lower() for word in _FISCAL_WORDS)
    anchor = None
    if chosen.is_anchored:
        # "in the quarter ended Dec. 31, up from $22.6 billion a year earlier": a quarter or half named without its
        # year anchors "a year earlier" as well (the same quarter of the year before)
        explicit = [p for p in periods if (p.is_explicit or p.form in _SUBYEAR_FORMS) and p.start < chosen.start]
        anchor_mention = explicit[-1] if explicit else None
        if anchor_mention is not None:
            anchor = resolve(anchor_mention, said, None, fy_end, fiscal, start_named)
        elif quarter is not None and is_quarterly(body):
            # "$22.4 billion in the quarter, from $13.1 billion a year earlier": the same quarter of the year before
            anchor = quarter()
        else:
            # "... in the fiscal year that ends in June. The year before, the figure was $64bn": the period before the
            # one the previous sentence's figure was for
            anchor = previous
    return resolve(chosen, said, anchor, fy_end, fiscal, start_named)

