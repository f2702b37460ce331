"""Fact extraction: `extract_facts(text, published)` and `EXTRACTOR_VERSION`.

Rule-based, deterministic and offline: sentences (_sentences) -> money figures (_amounts) -> is it spending (_kinds;
_notspending for rates, funds, order books, sums and stakes) -> companies (_companies; _deals for who buys in a deal,
_unregistered for spenders the registry does not know) -> period (_periods) -> USD (_fx).
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable
from dataclasses import replace
from datetime import date

from tasks.extract.facts._amounts import Money, find_money
from tasks.extract.facts._companies import (
    FALLBACK_TYPES,
    Actor,
    Mention,
    actor,
    attribute,
    clause_spans,
    descriptor_subject,
    find_mentions,
    is_hyperscaler_group,
    names_in,
)
from tasks.extract.facts._deals import deal_buyers, deal_parties, is_tiered_deal, subject_buys, supply_buyers
from tasks.extract.facts._fx import to_usd
from tasks.extract.facts._kinds import (
    asides,
    find_cues,
    has_capex_cue,
    is_comparison,
    is_consensus,
    is_deal_figure,
    is_finance_sentence,
    is_hypothetical,
    is_market_forecast,
    is_other_industry,
    is_power_generation,
    is_sector_figure,
    is_spending,
    kind_of,
    names_ai_infrastructure,
    research_forecast_end,
    spends_on_ai,
    status_of,
    without_consensus,
)
from tasks.extract.facts._notspending import is_listed_sum, is_not_spent, is_order_book, is_rate, is_stake
from tasks.extract.facts._periods import (
    Period,
    PeriodMention,
    find_periods,
    is_quarterly,
    reported_clause_between,
    reported_quarter,
    resolve,
    shift,
    span_start,
    statement_date,
)
from tasks.extract.facts._repeats import drop_headline_restatements, drop_undated_repeats
from tasks.extract.facts._sentences import Sentence, mask_urls, split_sentences
from tasks.extract.facts._unregistered import passive_agent, unregistered_subject
from tasks.models import Fact

EXTRACTOR_VERSION = "rules-1.14"

# an article is far shorter; a 5 MB page is read only this far so that it cannot stall a run
_MAX_TEXT_CHARS = 300_000
# how many sentences back "the company" / an unnamed subject is looked for
_LOOKBACK_SENTENCES = 3
# how many sentences back a descriptor ("the EV maker") looks for a company it fits, before the main subject
_DESCRIBED_SENTENCES = 5
# the first capitalised word of a sentence ("[Rivian Automotive](…) on Thursday", "Rivian's 2026 guidance"), a company
# the registry does not know when the article repeats it this often and it is no common sentence opener
_LEADING_NAME = re.compile(r"\[?([A-Z][a-z]+[A-Za-z]*)\b(?!\s[A-Z][a-z]+\s(?:said|told|says)\b)")
_LEADING_REPEATS = 3
_NOT_LEADING = frozenset({
    "The", "This", "That", "These", "Those", "It", "Its", "In", "On", "At", "By", "For", "From", "With", "But", "And",
    "Or", "So", "Yet", "However", "Meanwhile", "Also", "Still", "A", "An", "He", "She", "They", "We", "I", "You",
    "Analysts", "Investors", "Shares", "Officials", "Executives", "Sources", "After", "Before", "While", "When", "As",
    "If", "Since", "Although", "Though", "Despite", "Last", "Next", "Earlier", "Later", "Now", "Other", "Some", "Many",
    "Most", "One", "Two", "His", "Her", "Their", "Our", "There", "Here", "What", "How", "Why", "Under", "According",
})
# "fiscal" in the sentence: relative years are the company's fiscal years
_FISCAL_WORDS = ("fiscal", "financial year")
# an unregistered name is the subject "the company" refers back to only when the article names it this often
_UNREGISTERED_REPEATS = 2
# a sector word this close to a figure makes it a whole-sector figure
_SECTOR_CHARS = 60
_SECTOR_ACTOR = "hyperscalers"
# a sentence citing a research report: what "the firm" says next is its estimate for a market, not a company's spending
_REPORT_CITED = re.compile(r"(?i:\baccording\sto\s(?:a|an|the)?\s?(?:[\w-]+\s){0,3}(?:report|study|analysis|estimates?|"
                           r"survey|forecast|research)\b)")
# "1 gigawatt", "8GW", "500 megawatts": a capacity target, which a following period dates instead of the money
# a period further after its figure (in prose characters, a blanked URL counting as one space) belongs to another
# phrase: "…is investing $2 billion in a GPU cluster …[a long aside]… and hopes to list its shares in 2027";
# 140 keeps every dated figure of the tuning half (100 lost three)
# a period that owns the next figure: "last year's $91 billion", "2024’s [$52.5 billion"
_POSSESSIVE = re.compile(r"['’]s\s")
_POSSESSIVE_GAP = 6
# a group referred back to: "Together the four are expected to spend", "All five companies plan", "the big four"
_GROUP_REFERENCE = re.compile(r"(?i:\b(?:together,?\s)?(?:the|all|these)\s(?:big\s)?"
                              r"(?:three|four|five|six|seven|eight)\b(?:\s(?:companies|firms|giants|groups|hyperscalers|tech\sgiants|cloud\sproviders))?)")
# an item of a bulleted or numbered list: "- Amazon: about $200 billion in 2026", "2. Meta: $115 billion"
_LIST_ITEM = re.compile(r"\s*(?:[-*•·]|\d{1,2}[.)])\s+\S")
# a list longer than this is not read as one statement's items
_MAX_LIST_ITEMS = 12
_PERIOD_AFTER_CHARS = 140
_SPACES = re.compile(r"\s+")
# companies that sell AI infrastructure: their forecast of a market's spending is not their own spending
_SUPPLIERS = frozenset({"chipmaker", "hardware", "supplier"})
# companies whose spending "on AI" is spending on AI infrastructure (data centres, chips), not software or staff
_AI_BUILDERS = frozenset({"hyperscaler", "big_tech", "china_tech"})
# companies whose business is AI infrastructure: money in a sentence naming one is about infrastructure
_INFRA_OPERATORS = frozenset({"neocloud", "datacenter"})
# a spending figure counts only where its sentence or one this close names AI infrastructure
_NEIGHBOURS = 1
# an earlier forecast for the same period: "$66 billion to $72 billion previously", "its prior outlook of $85 billion"
# ("the $35 billion it projected in September": the forecast the company made before)
_EARLIER_FORECAST = re.compile(r"(?i:\]?\s*(?:\S+\s+){0,2}(?:previously|earlier|before|initially|originally)\b|"
                               r"\]?\s+(?:it|the\scompany|the\sfirm|they)\s(?:had\s)?(?:projected|forecast|expected|"
                               r"guided|predicted|planned)\b)")
_EARLIER_FORECAST_BEFORE = re.compile(
    r"(?i:\b(?:previous|prior|earlier|initial|original|old)\s(?:forecast|guidance|outlook|estimate|range|projection|"
    r"target|plan)s?\b|\bhad\s(?:expected|forecast|projected|guided)\b)")
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
_CAPACITY = re.compile(r"(?i:\b\d[\d.,]*\s?(?:gigawatts?|megawatts?|gw|mw)\b|"
                       r"\b(?:one|two|three|five|ten)\sgigawatts?\b)")


def extract_facts(text: str, published: date | None) -> list[Fact]:
    """Return the AI-capex facts stated in an article's text.

    Args:
        text: the article text; evidence offsets index into it.
        published: the publication date, for relative periods and exchange rates.
    Returns:
        Facts in text order, de-duplicated (same companies, amount, currency and period).
    """
    if not text or not isinstance(text, str):
        return []
    text_end = min(len(text), _MAX_TEXT_CHARS)
    if not find_money(text, 0, text_end):
        return []
    sentences = split_sentences(text[:text_end])
    prose = mask_urls(text[:text_end])
    context = _Context(prose, sentences)
    facts: list[Fact] = []
    seen: dict[tuple[object, ...], int] = {}
    for index, sentence in enumerate(sentences):
        for fact in _sentence_facts(prose, sentence, index, context, published):
            key = (frozenset(fact.companies), fact.amount, fact.amount_low, fact.amount_high, fact.currency,
                   fact.period)
            if key not in seen:
                seen[key] = len(facts)
                facts.append(fact)
            elif facts[seen[key]].qualifier is None and fact.qualifier is not None:
                # "Meta to spend $135bn" then "as much as $135 billion": the hedge holds for the first statement too
                facts[seen[key]] = replace(facts[seen[key]], qualifier=fact.qualifier)
    return drop_headline_restatements(drop_undated_repeats(facts), sentences)


def _is_company(name: str) -> bool:
    """True for a company (not a country or a sector)."""
    found = actor(name)
    return found is not None and found.type not in FALLBACK_TYPES


class _Context:
    """Article-wide lookups: mentions per sentence and the main subject."""

    def __init__(self, text: str, sentences: list[Sentence]) -> None:
        self.text = text
        self.sentences = sentences
        self._mentions: dict[int, list[Mention]] = {}
        self._main: tuple[str, ...] | None = None
        # the spenders of the facts each sentence gave: "the company" / "the figure" refers to them first
        self.fact_actors: dict[int, tuple[str, ...]] = {}
        self.capex_facts: set[int] = set()  # sentences that stated a capital-spending fact
        self.fact_periods: dict[int, Period] = {}  # the period of each sentence's last dated fact

    def mentions(self, index: int) -> list[Mention]:
        """Actors named in sentence `index` (cached)."""
        if index not in self._mentions:
            sentence = self.sentences[index]
            self._mentions[index] = find_mentions(self.text, sentence.start, sentence.end)
        return self._mentions[index]

    def speaks_of_infrastructure(self, index: int) -> bool:
        """True when sentence `index` or the one before it in its paragraph names AI infrastructure."""
        for back in (index, index - 1):
            if back < 0 or self.sentences[back].paragraph != self.sentences[index].paragraph:
                break
            sentence = self.sentences[back]
            if any(c.role in ("infra", "capex") for c in find_cues(self.text[sentence.start:sentence.end])):
                return True
        return False

    def near_ai_infrastructure(self, index: int) -> bool:
        """True when sentence `index` or a sentence next to it names AI infrastructure (see _kinds._AI_INFRA), or
        sentence `index` is a deal between a supplier of infrastructure and its buyer or names a cloud or data-centre
        operator ("$9 billion in CoreWeave capacity")."""
        if is_tiered_deal(self.sentences[index].text, self.mentions(index)) or any(
                m.actor.type in _INFRA_OPERATORS for m in self.mentions(index)):
            return True
        if any(names_ai_infrastructure(self.sentences[i].text)
               for i in range(max(0, index - _NEIGHBOURS), min(len(self.sentences), index + _NEIGHBOURS + 1))):
            return True
        if any(names_ai_infrastructure(lead.text) for lead in self.list_lead(index)):
            return True  # "... to build data centers for AI. Here is what each company has guided:\n- Amazon: $200bn"
        # "Meta plans to spend as much as $65 billion on AI this year": a cloud or tech giant's spending on AI is its
        # build-out of AI infrastructure
        if spends_on_ai(self.sentences[index].text) and any(
                found is not None and found.type in _AI_BUILDERS
                for found in [m.actor for m in self.mentions(index)] + [actor(n) for n in self.main_subject()]):
            return True
        # a run of spending statements: "Next year the figure could reach $500bn, reckons Morgan Stanley. Microsoft
        # alone expects to spend $80bn in the fiscal year that ends in June." - a cloud or tech giant's figure right
        # after a sentence that stated a fact continues it
        return index - 1 in self.fact_actors and any(m.actor.type in _AI_BUILDERS for m in self.mentions(index))

    def list_lead(self, index: int) -> list[Sentence]:
        """For an item of a list introduced by a sentence ending in ":" ("Here is what each company has guided:"), that
        sentence and the one before it; else nothing."""
        if not _LIST_ITEM.match(self.sentences[index].text):
            return []
        back = index - 1
        while back >= 0 and index - back <= _MAX_LIST_ITEMS and _LIST_ITEM.match(self.sentences[back].text):
            back -= 1
        if back < 0 or not self.sentences[back].text.rstrip().endswith(":"):
            return []
        return self.sentences[max(0, back - 1):back + 1]

    def follows_capex(self, index: int) -> bool:
        """True when the previous sentence of the same paragraph speaks of capital spending, or the list the sentence
        is an item of is introduced in words of capital spending."""
        if any(has_capex_cue(find_cues(lead.text)) for lead in self.list_lead(index)):
            return True
        if index == 0 or self.sentences[index - 1].paragraph != self.sentences[index].paragraph:
            return False
        before = self.sentences[index - 1]
        return index - 1 in self.capex_facts or has_capex_cue(find_cues(self.text[before.start:before.end]))

    def subject_before(self, index: int) -> tuple[str, ...]:
        """The spender of the nearest earlier sentence that has one (its fact's, else its subject), else the
        article's main subject; a heading starts afresh."""
        for back in range(index - 1, max(-1, index - 1 - _LOOKBACK_SENTENCES), -1):
            if back in self.fact_actors:
                return self.fact_actors[back]
            sentence = self.sentences[back]
            mentions = [m for m in self.mentions(back) if m.actor.type not in FALLBACK_TYPES]
            if not mentions and _REPORT_CITED.search(self.sentences[back].text):
                return (_SECTOR_ACTOR,)  # "…, according to a report by KPMG. The firm projects…": a market estimate
            if mentions:
                named = attribute(self.text[sentence.start:sentence.end], mentions, sentence.start,
                                  sentence.end - sentence.start, sentence.end - sentence.start).names
                return named or (mentions[0].actor.name,)
            unknown = unregistered_subject(sentence.text, 0, len(sentence.text), self.text)
            if unknown is not None and self.text.count(unknown) >= _UNREGISTERED_REPEATS:
                return (unknown,)
            if self.is_heading(back):
                return ()
        return self.main_subject()

    def nearest_fitting(self, index: int, before: int, fits: Callable[[Actor], bool]) -> tuple[str, ...]:
        """The company named nearest before offset `before` (in sentence `index` or up to _DESCRIBED_SENTENCES
        earlier) that `fits`, else the article's main subject when it fits, else empty."""
        for back in range(index, max(-1, index - 1 - _DESCRIBED_SENTENCES), -1):
            for mention in reversed(self.mentions(back)):
                # (a country fits only a descriptor of countries: "the government")
                if mention.start < before and fits(mention.actor):
                    return (mention.actor.name,)
        main = self.main_subject()
        return main if main and (found := actor(main[0])) is not None and fits(found) else ()

    def leading_unregistered(self, index: int) -> str | None:
        """The unregistered name that opens one of the _DESCRIBED_SENTENCES before sentence `index` and that the
        article writes at least _LEADING_REPEATS times ("Rivian Automotive on Thursday beat …", "Rivian's guidance")."""
        for back in range(index - 1, max(-1, index - 1 - _DESCRIBED_SENTENCES), -1):
            match = _LEADING_NAME.match(self.sentences[back].text)
            if match is None or match.group(1) in _NOT_LEADING or find_mentions(match.group(1)):
                continue
            if self.text.count(match.group(1)) >= _LEADING_REPEATS:
                return match.group(1)
        return None

    def earlier_spender(self, index: int, exclude: tuple[str, ...]) -> tuple[str, ...]:
        """The spender of the nearest earlier fact that does not involve `exclude` (a supplier)."""
        for back in range(index - 1, -1, -1):
            others = tuple(a for a in self.fact_actors.get(back, ()) if a not in exclude and a != _SECTOR_ACTOR)
            if others:
                return others
        return ()

    def is_heading(self, index: int) -> bool:
        """True for a Markdown heading line ("## AI spending to reach $135 billion")."""
        return self.text.startswith("#", self.sentences[index].start)

    def main_country(self) -> tuple[str, ...]:
        """The country named most often in the article (empty when none)."""
        counts = Counter(m.actor.name for m in find_mentions(self.text, 0, min(len(self.text), 200_000))
                         if m.actor.type == "country")
        return (counts.most_common(1)[0][0],) if counts else ()

    def main_subject(self) -> tuple[str, ...]:
        """The company named most often in the article (empty when none)."""
        if self._main is None:
            counts = Counter(m.actor.name for m in find_mentions(self.text, 0, min(len(self.text), 200_000))
                             if m.actor.type not in FALLBACK_TYPES)
            self._main = (counts.most_common(1)[0][0],) if counts else ()
        return self._main


def _sentence_facts(text: str, sentence: Sentence, index: int, context: _Context,
                    published: date | None) -> list[Fact]:
    """Facts of one sentence (URLs masked in `text`): one per spending figure."""
    monies = find_money(text, sentence.start, sentence.end, context=text[:20_000])
    if not monies:
        return []
    body = text[sentence.start:sentence.end]
    base = sentence.start
    cues = find_cues(body)
    if is_hypothetical(body) or not context.near_ai_infrastructure(index) or is_other_industry(body):
        return []  # a chip fab's or an oil producer's own budget is not AI infrastructure (policy rule 5)
    finance = is_finance_sentence(body, cues)
    mentions = context.mentions(index)
    if not mentions and context.is_heading(index):
        return []  # a heading restates a figure of the section below without its spender
    periods = find_periods(text, sentence.start, sentence.end)
    facts: list[Fact] = []
    accepted = False
    compared: Period | None = None  # the period of the last figure, which a prior level is compared with
    # "... about $50 billion for the fiscal year ending May 2026. That is up from the $35 billion it projected in
    # September": the first figure is the prior level of the previous sentence's last fact
    carried = index - 1 in context.fact_actors and _CARRIED_COMPARISON.match(body, 0, monies[0].start - base)
    if carried:
        accepted, compared = True, context.fact_periods.get(index - 1)
    for i, money in enumerate(monies):
        prev_end = monies[i - 1].end - base if i else 0
        next_start = monies[i + 1].start - base if i + 1 < len(monies) else len(body)
        prior = is_comparison(body, money.start - base, prev_end) or (i == 0 and bool(carried))
        consensus = not prior and is_consensus(body, money.start - base, money.end - base, prev_end)
        if prior or consensus:
            pass  # a prior level or the analysts' expectation shares the verdict of the figure it is compared with
        else:
            accepted = is_spending(body, cues, money.start - base, money.end - base, prev_end, next_start,
                                   context.follows_capex(index))
        if (not accepted or is_rate(body, money.end - base) or is_order_book(body, money.start - base)
                or is_not_spent(body, money.start - base)):
            continue
        if is_power_generation(body, money.end - base):
            continue
        if i >= 2 and is_listed_sum(body, money.start - base, money.end - base):
            continue  # "$20 billion in Pennsylvania and $10 billion in North Carolina, or $30 billion in total"
        if finance and not is_deal_figure(body, cues, money.start - base):
            continue  # a sentence about financing or market value: only a deal's own figure in it is spending
        actors = context.fact_actors[index - 1] if i == 0 and carried else _spender(body, mentions, base, money, index,
                                                                                     context)
        # a stake in another company; money a company puts into its own unit ("Alphabet … in Google Cloud") is spending
        targets = [(m.start - base, m.end - base) for m in mentions
                   if m.actor.type not in FALLBACK_TYPES and not m.is_project and m.actor.name not in actors]
        if not actors or is_stake(body, money.start - base, money.end - base, targets):
            continue
        if all(actor(c) is None for c in actors) and not context.speaks_of_infrastructure(index):
            continue  # an unknown spender counts only where the text speaks of AI infrastructure
        found = actor(actors[0])

        def quarter(found: Actor | None = found) -> Period | None:
            return reported_quarter(text, published, found.fy_end if found else 12,
                                    found.fy_start_named if found else False)

        period = _period_for(money, monies, i, periods, published, actors, body, base, before=not prior,
                             quarter=quarter, previous=context.fact_periods.get(index - 1))
        if consensus:
            period = compared  # the expectation is for the period of the figure measured against it
        elif prior and period is None:
            period = _prior_period(body, money.end - base, compared, actors)
        elif period is None and is_quarterly(body):
            period = quarter()
        compared = period if not (prior or consensus) else compared
        # the sector word must sit nearer this figure than its neighbours
        left = max((prev_end + money.start - base) // 2, money.start - base - _SECTOR_CHARS)
        right = min((next_start + money.end - base) // 2 if i + 1 < len(monies) else len(body),
                    money.end - base + _SECTOR_CHARS)
        # a company the registry does not know, named as the subject ("NTT Data said it would invest"), is named too
        named = any(actor(c) is None or actor(c).type not in FALLBACK_TYPES for c in actors)  # type: ignore[union-attr]
        sells = all(actor(c) is not None and actor(c).type in _SUPPLIERS for c in actors)  # type: ignore[union-attr]
        if (is_sector_figure(body, left, right, named) and not is_hyperscaler_group(actors)) or is_market_forecast(
                body, money.start - base, money.end - base, sells) or _research_forecast(body, money, base, mentions):
            actors = (_SECTOR_ACTOR,)
        lead = context.list_lead(index)
        if period is None and lead and not prior:
            # "plans for 2026. Here is what each company has guided:\n- Meta: $115 billion to $135 billion"
            period = next((found for found in (_period_of(text, item, published, actors) for item in reversed(lead))
                           if found is not None), None)
        # an item of a list introduced as capital spending is capital spending
        fact = _fact(sentence, money, actors, period, body, cues, published,
                     capex=any(has_capex_cue(find_cues(item.text)) for item in lead)
                     or bool(i == 0 and carried and index - 1 in context.capex_facts))
        if prior and period is not None and compared is not None and period.end < compared.start:
            # "expects $35 billion in fiscal 2026, up from $21.2 billion in the prior year": the level it is compared
            # with is what was spent in the period before
            fact = replace(fact, status="actual")
        # ("above the $30 billion analysts had expected": "above" compares, it does not hedge)
        facts.append(replace(fact, status="estimate", qualifier=None) if consensus else fact)
        context.fact_actors.setdefault(index, actors)
        if fact.kind == "capex":
            context.capex_facts.add(index)
        if period is not None:
            context.fact_periods[index] = period
    return facts


def _research_forecast(body: str, money: Money, base: int, mentions: list[Mention]) -> bool:
    """True when a research firm's forecast verb stands before the figure with no company named between them."""
    start = money.start - base
    verb_end = research_forecast_end(body, start)
    return verb_end is not None and not any(verb_end <= m.start - base < start for m in mentions
                                            if m.actor.type not in FALLBACK_TYPES) and not _SUBJECT_PRONOUN.search(
        body, verb_end, start)


def _spender(body: str, mentions: list[Mention], base: int, money: Money, index: int,
             context: _Context) -> tuple[str, ...]:
    """The spender of one figure: its clause's subject, else the subject the sentence refers back to."""
    found = attribute(body, mentions, base, money.start - base, money.end - base)
    buyers = supply_buyers(body, mentions, base, money.start - base, money.end - base)
    if buyers is not None:
        # in a compute deal the spender is the buyer: named after the supply verb, else the counterparty of an
        # earlier fact ("Nebius will provide $12 billion of capacity" after Meta's deal with it)
        return buyers or context.earlier_spender(index, exclude=found.names)
    if not found.needs_reference:
        # "Nebius' backlog includes a Microsoft contract": the deal's other party is the buyer when it is downstream
        extra = deal_parties(body, mentions, base)
        if len(found.names) == 1 and extra and extra != found.names:
            buyers = deal_buyers(body, tuple(dict.fromkeys((*found.names, *extra))))
            if found.names[0] not in buyers:
                return buyers
        before = names_in([m for m in mentions if m.start < money.start and m.actor.name in found.names])
        if before and len(found.names) > 1 and subject_buys(body):
            return before  # "Nvidia signed a $6.3 billion deal with CoreWeave to buy its capacity": Nvidia buys
        return deal_buyers(body, found.names)
    clause = next((c for c in clause_spans(body) if c[0] <= money.start - base < c[1]), (0, len(body)))
    described = descriptor_subject(body, clause[0], money.start - base)
    if described is not None:
        # "The Windows maker said capex was …" after a sentence naming Microsoft and a rival: the nearest company the
        # descriptor fits, else the references below
        fitting = context.nearest_fitting(index, base + described.start, described.fits)
        if fitting:
            return fitting
        if "country" in described.targets:
            return context.main_country()  # "The Ministry of Science and ICT" in an article about South Korea
        # "Rivian … The electric vehicle maker also said": a company the registry does not know that opens earlier
        # sentences; a registered company the descriptor does not fit (Rivian's backer Amazon) is never taken for it
        leading = context.leading_unregistered(index)
        return (leading,) if leading else ()
    if not found.names:
        # a spender the registry does not know, named as the subject of the figure's clause ("Iliad will invest")
        unknown = unregistered_subject(body, clause[0], money.start - base, context.text)
        if unknown is None:
            unknown = passive_agent(body, clause[0], money.start - base)
        if unknown is not None:
            return (unknown,)
    if not found.names and _GROUP_REFERENCE.search(body, clause[0], money.start - base):
        return (_SECTOR_ACTOR,)  # the companies of the sentences before, taken together: a sector figure
    referred = context.subject_before(index)
    if len(referred) > 1 and not found.names and _ONE_COMPANY.match(body, clause[0]):
        # "Banks are lending $38 billion to Vantage, which will lease the campuses to Oracle. The company said it
        # expects capex of $35 billion": one company is meant, the article's main one if the sentence before named it
        main = [name for name in context.main_subject() if name in referred]
        referred = tuple(main) or referred[:1]
    return deal_buyers(body, tuple(dict.fromkeys((*referred, *found.names))))


# a company referred back to between a forecaster's verb and its figure: "Morgan Stanley expects it to spend"
_SUBJECT_PRONOUN = re.compile(r"(?i:\b(?:it|the\s(?:company|firm|group))\b)")
# a sentence opening on a comparison with the figure before it: "That is up from the $35 billion", "This compares with
# $21 billion", "That was more than double the"
# ("The figure for the three months to September compares with $20.0 billion in the same period a year earlier")
_CARRIED_COMPARISON = re.compile(r"(?i:\W{0,3}(?:that|this|it|the\s(?:figure|total|amount|sum)(?:\s[\w-]+){0,6}?)"
                                 r"(?:['’]s|\s(?:is|was|would\sbe|compares|marks))\s"
                                 r"(?:[\w-]+\s){0,3}?(?:from|with|to|than)\s(?:the\s|about\s|roughly\s|an?\s)?\W{0,2}$)")
# a clause about one company named earlier: "The company said", "The firm expects", "It plans"
_ONE_COMPANY = re.compile(r"(?:\W{0,3})(?:(?i:the\s(?:company|firm|group))|It)\b")


def _period_of(text: str, sentence: Sentence, published: date | None, companies: tuple[str, ...]) -> Period | None:
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


def _prior_period(body: str, end: int, compared: Period | None, companies: tuple[str, ...]) -> Period | None:
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


def _period_for(money: Money, monies: list[Money], i: int, periods: list[PeriodMention], published: date | None,
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
    # a period after the figure counts in its clause, unless a capacity target stands between them
    # ("$10 billion, with an aim to reach 1 gigawatt by the time it opens in 2028")
    after = [p for p in periods if money.end <= p.start < hi and p.start - base < clause[1]
             and _prose_chars(body[money.end - base:p.start - base]) <= _PERIOD_AFTER_CHARS
             and not (p.form == "prev" and _PERCENT_CHANGE.search(body, money.end - base, p.start - base))
             and not _CAPACITY.search(body, money.end - base, p.start - base)
             # ("$175 billion to $185 billion, roughly double last year's $91 billion": last year's is the next one's)
             and not (hi - p.end <= _POSSESSIVE_GAP and _POSSESSIVE.match(body, p.end - base))
             and not reported_clause_between(body, money.end - base, p.start - base)]
    # a period before the figure counts only in its clause ("(up from $131 billion in 2025), while Google…")
    # ("jumped 83% from a year earlier to $24 billion": the year earlier is the base of the change before the figure)
    # ("OpenAI, which had revenues of $13bn last year, says it has signed": an aside's period is its own figure's)
    aside = [span for span in asides(body) if not span[0] <= money.start - base < span[1]]
    earlier = [p for p in periods if lo <= p.start and p.end <= money.start and p.start - base >= clause[0]
               and before and not (p.form == "prev" and _PERCENT_CHANGE.search(
                   body, max(0, p.start - base - _PERCENT_BASE_CHARS), p.start - base))
               and not any(a <= p.start - base < b for a, b in aside)]
    chosen = after[0] if after else earlier[-1] if earlier else None
    if chosen is None:
        return None
    said = statement_date(body, published)  # relative periods run from when the text says it was stated
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


def _fact(sentence: Sentence, money: Money, companies: tuple[str, ...], period: Period | None, body: str,
          cues: list, published: date | None, capex: bool = False) -> Fact:  # type: ignore[type-arg]
    """Assemble one Fact (`capex`: the context says it is capital spending, whatever its own words)."""
    single = period is not None and "-" not in period.label.lstrip("FY")[4:5] or (
        period is not None and period.label[4:6] in ("-H", "-Q"))
    kind = "capex" if capex else kind_of(body, cues, bool(single))
    if period is not None and period.label.startswith("FY") and len(companies) == 1 and _is_company(companies[0]):
        kind = "capex"  # one company's budget for its own fiscal year is its capital spending
    ended = None if period is None or published is None else period.end < published
    is_sector = is_hyperscaler_group(companies) or all(
        actor(c) is not None and actor(c).type == "sector" for c in companies)  # type: ignore[union-attr]
    status = status_of(without_consensus(body), kind, ended, is_sector)
    usd = money.usd_stated if money.usd_stated is not None else to_usd(money.value, money.currency, published)
    return Fact(companies=companies, amount=money.amount, amount_low=money.low, amount_high=money.high,
                currency=money.currency, amount_usd=usd, period=period.label if period else None,
                period_start=period.start if period else None, period_end=period.end if period else None,
                kind=kind, status=status, qualifier=money.qualifier, evidence=sentence.text,
                evidence_start=sentence.start, evidence_end=sentence.end,
                unregistered=tuple(c for c in companies if actor(c) is None))
