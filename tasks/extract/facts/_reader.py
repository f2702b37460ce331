"""The facts of one sentence: each money figure judged (is it money spent?), given its spender and its period, and
written as a Fact. `SentenceReader(text, sentence, index, context, published).facts()`; what the article said
before (who spent, when, in which sentence) is read from and written to the Context."""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from datetime import date

from tasks.extract.facts._amounts import Money, find_money
from tasks.extract.facts._companies import (
    FALLBACK_TYPES,
    Actor,
    Descriptor,
    Mention,
    actor,
    attribute,
    clause_spans,
    descriptor_subject,
    is_hyperscaler_group,
    names_in,
)
from tasks.extract.facts._context import SECTOR_ACTOR, Context
from tasks.extract.facts._deals import deal_buyers, deal_parties, payer_after, subject_buys, supply_buyers
from tasks.extract.facts._figure_period import earlier_forecast, period_for, period_of, prior_period
from tasks.extract.facts._fx import to_usd
from tasks.extract.facts._kinds import (
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
    names_consensus,
    opens_on_sector,
    research_forecast_end,
    status_of,
    without_consensus,
)
from tasks.extract.facts._notspending import is_listed_sum, is_not_spent, is_order_book, is_rate, is_stake
from tasks.extract.facts._periods import Period, find_periods, is_quarterly, reported_quarter
from tasks.extract.facts._sentences import Sentence
from tasks.extract.facts._unregistered import passive_agent, unregistered_subject
from tasks.models import Fact

# a sector word this close to a figure makes it a whole-sector figure
_SECTOR_CHARS = 60
# a group referred back to: "Together the four are expected to spend", "All five companies plan", "the big four"
_GROUP_REFERENCE = re.compile(r"(?i:\b(?:together,?\s)?(?:the|all|these)\s(?:big\s)?"
                              r"(?:three|four|five|six|seven|eight)\b(?:\s(?:companies|firms|giants|groups|"
                              r"hyperscalers|tech\sgiants|cloud\sproviders))?)"
                              # ("in the three months to February": a span of time, not a group)
                              r"(?!\s(?:months|quarters|years|weeks|days|fiscal|financial|calendar)\b)")
# companies that sell AI infrastructure: their forecast of a market's spending is not their own spending
_SUPPLIERS = frozenset({"chipmaker", "hardware", "supplier"})
# a company referred back to between a forecaster's verb and its figure: "Morgan Stanley expects it to spend"
_SUBJECT_PRONOUN = re.compile(r"(?i:\b(?:it|the\s(?:company|firm|group))\b)")
# a sentence opening on a comparison with the figure before it: "That is up from the $35 billion", "This compares with
# $21 billion", "That was more than double the"
# ("The figure for the three months to September compares with $20.0 billion in the same period a year earlier")
_CARRIED_COMPARISON = re.compile(r"(?i:\W{0,3}(?:that|this|it|the\s(?:figure|total|amount|sum)(?:\s[\w-]+){0,6}?)"
                                 r"(?:['’]s|\s(?:is|was|would\sbe|compares|compared|marks))\s"
                                 r"(?:[\w-]+\s){0,3}?(?:from|with|to|than)\s(?:the\s|about\s|roughly\s|an?\s)?\W{0,2}$)")
# a clause about one company named earlier: "The company said", "The firm expects", "It plans"
_ONE_COMPANY = re.compile(r"(?:\W{0,3})(?:(?i:the\s(?:company|firm|group))|It)\b")


@dataclass(frozen=True)
class _Figure:
    """One money figure of the sentence: offsets in the sentence, and how it stands to the figure before it."""

    i: int
    money: Money
    start: int
    end: int
    prev_end: int  # end of the figure before, 0 for the first
    next_start: int  # start of the figure after, the sentence's length for the last
    prior: bool  # a prior level compared with the figure before ("up from $91 billion")
    consensus: bool  # the analysts' expectation the figure before is measured against
    earlier: bool  # an earlier forecast of the fact before it ("It had guided to $45bn in December")


class SentenceReader:
    """Reads the facts of one sentence of `text` (URLs masked): one per spending figure."""

    def __init__(self, text: str, sentence: Sentence, index: int, context: Context, published: date | None) -> None:
        self.text, self.sentence, self.index, self.context, self.published = text, sentence, index, context, published
        self.body = text[sentence.start:sentence.end]
        self.base = sentence.start
        self.accepted = False  # the verdict of the last figure judged, which a prior level or consensus shares
        self.compared: Period | None = None  # the period of the last figure, which a prior level is compared with
        self.carried = False

    def facts(self) -> list[Fact]:
        """The sentence's facts, in order; the context learns of each."""
        self.monies = find_money(self.text, self.sentence.start, self.sentence.end, context=self.text[:20_000])
        if not self.monies or not self._readable():
            return []
        found: list[Fact] = []
        for i, money in enumerate(self.monies):
            figure = self._figure(i, money)
            if not self._is_spending(figure):
                continue
            actors = self._actors(figure)
            if not actors:
                continue
            period = self._period(figure, actors)
            actors = self._sector_or(figure, actors)
            if period is None and self.lead and not figure.prior:
                # "plans for 2026. Here is what each company has guided:\n- Meta: $115 billion to $135 billion"
                period = next((p for p in (period_of(self.text, item, self.published, actors)
                                           for item in reversed(self.lead)) if p is not None), None)
            found.append(self._record(figure, actors, period))
        return found

    def _readable(self) -> bool:
        """False for a sentence none of whose figures can be a fact; else reads what every figure shares."""
        body, index, context = self.body, self.index, self.context
        # ("... climbed to $37.5 billion. The figure compared with $22.6 billion a year earlier. Analysts polled by
        # Visible Alpha had expected about $36.2 billion.": the analysts' expectation right after a fact is about it)
        near = context.near_ai_infrastructure(index) or (
            index - 1 in context.fact_actors and names_consensus(body, self.monies[0].start - self.base))
        if is_hypothetical(body) or not near or is_other_industry(body):
            return False  # a chip fab's or an oil producer's own budget is not AI infrastructure (policy rule 5)
        self.mentions = context.mentions(index)
        if not self.mentions and context.is_heading(index):
            return False  # a heading restates a figure of the section below without its spender
        self.cues = find_cues(body)
        self.finance = is_finance_sentence(body, self.cues)
        self.periods = find_periods(self.text, self.sentence.start, self.sentence.end)
        self.lead = context.list_lead(index)  # the introduction of the list the sentence is an item of
        self.lead_capex = any(has_capex_cue(find_cues(item.text)) for item in self.lead)
        # "... about $50 billion for the fiscal year ending May 2026. That is up from the $35 billion it projected in
        # September": the first figure is the prior level of the previous sentence's last fact
        self.carried = index - 1 in context.fact_actors and bool(
            _CARRIED_COMPARISON.match(body, 0, self.monies[0].start - self.base))
        if self.carried:
            self.accepted, self.compared = True, context.fact_periods.get(index - 1)
            if self.compared is not None:
                # the sentence still speaks of the figure before: a sentence after it reads against that one's period
                context.fact_periods.setdefault(index, self.compared)
        return True

    def _figure(self, i: int, money: Money) -> _Figure:
        """Figure `i` with its neighbours' offsets and its relation to the figure before it."""
        body, base, monies = self.body, self.base, self.monies
        prev_end = monies[i - 1].end - base if i else 0
        next_start = monies[i + 1].start - base if i + 1 < len(monies) else len(body)
        start, end = money.start - base, money.end - base
        prior = is_comparison(body, start, prev_end) or (i == 0 and self.carried)
        consensus = not prior and is_consensus(body, start, end, prev_end)
        earlier = not (prior or consensus) and earlier_forecast(body, start)
        return _Figure(i, money, start, end, prev_end, next_start, prior, consensus, earlier)

    def _is_spending(self, figure: _Figure) -> bool:
        """True when the figure is money spent or committed on its own words (a prior level or the analysts'
        expectation shares the verdict of the figure it is compared with)."""
        body, start, end = self.body, figure.start, figure.end
        if not (figure.prior or figure.consensus):
            # an earlier forecast of the capex fact just before ("It had guided to $45bn") is spending too
            self.accepted = (figure.earlier and self.index - 1 in self.context.capex_facts) or is_spending(
                body, self.cues, start, end, figure.prev_end, figure.next_start, self.context.follows_capex(self.index))
        if (not self.accepted or is_rate(body, end) or is_order_book(body, start) or is_not_spent(body, start, end)
                or is_power_generation(body, end)):
            return False
        if figure.i >= 2 and is_listed_sum(body, start, end):
            return False  # "$20 billion in Pennsylvania and $10 billion in North Carolina, or $30 billion in total"
        # a sentence about financing or market value: only a deal's own figure in it is spending
        return not self.finance or is_deal_figure(body, self.cues, start)

    def _actors(self, figure: _Figure) -> tuple[str, ...]:
        """Who spends the figure; nothing for a stake in another company or an unknown spender far from AI
        infrastructure."""
        context, index = self.context, self.index
        actors = context.fact_actors[index - 1] if figure.i == 0 and self.carried else (
            payer_after(self.body, self.mentions, self.base, figure.end)
            or _spender(self.body, self.mentions, self.base, figure.money, index, context))
        # a stake in another company; money a company puts into its own unit ("Alphabet … in Google Cloud") is spending
        targets = [(m.start - self.base, m.end - self.base) for m in self.mentions
                   if m.actor.type not in FALLBACK_TYPES and not m.is_project and m.actor.name not in actors]
        if not actors or is_stake(self.body, figure.start, figure.end, targets):
            return ()
        if all(actor(c) is None for c in actors) and not context.speaks_of_infrastructure(index):
            return ()  # an unknown spender counts only where the text speaks of AI infrastructure
        return actors

    def _period(self, figure: _Figure, actors: tuple[str, ...]) -> Period | None:
        """The figure's period: its own, else the one its relation to the figures around it gives."""
        found = actor(actors[0])

        def quarter(found: Actor | None = found) -> Period | None:
            return reported_quarter(self.text, self.published, found.fy_end if found else 12,
                                    found.fy_start_named if found else False)

        # "a year earlier" reads against the fact stated just before (across a figure-less sentence)
        period = period_for(figure.money, self.monies, figure.i, self.periods, self.published, actors, self.body,
                            self.base, before=not figure.prior, quarter=quarter,
                            previous=self.context.previous_period(self.index))
        if period is None and figure.earlier:
            period = self.context.fact_periods.get(self.index - 1)  # the forecast it revises, in the sentence before
        if figure.consensus:
            period = self.compared  # the expectation is for the period of the figure measured against it
        elif figure.prior and period is None:
            period = prior_period(self.body, figure.end, self.compared, actors)
        elif period is None and is_quarterly(self.body):
            period = quarter()
        if not (figure.prior or figure.consensus):
            self.compared = period
        return period

    def _sector_or(self, figure: _Figure, actors: tuple[str, ...]) -> tuple[str, ...]:
        """The sector in place of the spenders when the figure is a whole sector's or a market forecast."""
        body, start, end = self.body, figure.start, figure.end
        # the sector word must sit nearer this figure than its neighbours
        left = max((figure.prev_end + start) // 2, start - _SECTOR_CHARS)
        right = min((figure.next_start + end) // 2 if figure.i + 1 < len(self.monies) else len(body),
                    end + _SECTOR_CHARS)
        known = [actor(c) for c in actors]
        # a company the registry does not know, named as the subject ("NTT Data said it would invest"), is named too
        named = any(a is None or a.type not in FALLBACK_TYPES for a in known)
        sells = all(a is not None and a.type in _SUPPLIERS for a in known)
        if (is_sector_figure(body, left, right, named) and not is_hyperscaler_group(actors)) or is_market_forecast(
                body, start, end, sells) or _research_forecast(body, figure.money, self.base, self.mentions):
            return (SECTOR_ACTOR,)
        return actors

    def _record(self, figure: _Figure, actors: tuple[str, ...], period: Period | None) -> Fact:
        """The figure's Fact, its status set by its relation to the figure before; the context learns of it."""
        context, index = self.context, self.index
        # an item of a list introduced as capital spending is capital spending
        fact = _fact(self.sentence, figure.money, actors, period, self.body, self.cues, self.published,
                     capex=self.lead_capex or (figure.i == 0 and self.carried and index - 1 in context.capex_facts))
        if figure.prior and period is not None and self.compared is not None and period.end < self.compared.start:
            # "expects $35 billion in fiscal 2026, up from $21.2 billion in the prior year": the level it is compared
            # with is what was spent in the period before
            fact = replace(fact, status="actual")
        if figure.earlier and names_consensus(self.body, figure.start):
            fact = replace(fact, status="estimate")  # "Analysts had on average expected $38.9 billion."
        if figure.consensus:
            # ("above the $30 billion analysts had expected": "above" compares, it does not hedge)
            fact = replace(fact, status="estimate", qualifier=None)
        context.fact_actors.setdefault(index, actors)
        if fact.kind == "capex":
            context.capex_facts.add(index)
        if period is not None and (not (figure.prior or figure.consensus) or index not in context.fact_periods):
            context.fact_periods[index] = period  # the statement's own period, not that of a level it is compared with
        return fact


def _is_company(name: str) -> bool:
    """True for a company (not a country or a sector)."""
    found = actor(name)
    return found is not None and found.type not in FALLBACK_TYPES


def _research_forecast(body: str, money: Money, base: int, mentions: list[Mention]) -> bool:
    """True when a research firm's forecast verb stands before the figure with no company named between them."""
    start = money.start - base
    verb_end = research_forecast_end(body, start)
    return verb_end is not None and not any(verb_end <= m.start - base < start for m in mentions
                                            if m.actor.type not in FALLBACK_TYPES) and not _SUBJECT_PRONOUN.search(
        body, verb_end, start)


def _spender(body: str, mentions: list[Mention], base: int, money: Money, index: int,
             context: Context) -> tuple[str, ...]:
    """The spender of one figure: its clause's subject, else the subject the sentence refers back to."""
    found = attribute(body, mentions, base, money.start - base, money.end - base)
    buyers = supply_buyers(body, mentions, base, money.start - base, money.end - base)
    if buyers is not None:
        # in a compute deal the spender is the buyer: named after the supply verb, else the counterparty of an
        # earlier fact ("Nebius will provide $12 billion of capacity" after Meta's deal with it)
        return buyers or context.earlier_spender(index, exclude=found.names)
    if not found.needs_reference:
        return _named_spender(body, mentions, base, money, found.names)
    clause_start = next((c for c in clause_spans(body) if c[0] <= money.start - base < c[1]), (0, len(body)))[0]
    described = descriptor_subject(body, clause_start, money.start - base)
    if described is not None:
        return _described_spender(context, index, base, described)
    return _referred_spender(body, base, money, index, context, clause_start, found.names)


def _named_spender(body: str, mentions: list[Mention], base: int, money: Money,
                   names: tuple[str, ...]) -> tuple[str, ...]:
    """The spender when the figure's clause names companies: the buyer among them in a deal."""
    # "Nebius' backlog includes a Microsoft contract": the deal's other party is the buyer when it is downstream
    extra = deal_parties(body, mentions, base)
    if len(names) == 1 and extra and extra != names:
        buyers = deal_buyers(body, tuple(dict.fromkeys((*names, *extra))))
        if names[0] not in buyers:
            return buyers
    before = names_in([m for m in mentions if m.start < money.start and m.actor.name in names])
    if before and len(names) > 1 and subject_buys(body):
        return before  # "Nvidia signed a $6.3 billion deal with CoreWeave to buy its capacity": Nvidia buys
    return deal_buyers(body, names)


def _described_spender(context: Context, index: int, base: int, described: Descriptor) -> tuple[str, ...]:
    """The spender a descriptor ("The Windows maker", "The ministry") stands for."""
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


def _referred_spender(body: str, base: int, money: Money, index: int, context: Context, clause_start: int,
                      names: tuple[str, ...]) -> tuple[str, ...]:
    """The spender of a figure whose clause names no registered company, or refers back ("it", "the company")."""
    if not names:
        # a spender the registry does not know, named as the subject of the figure's clause ("Iliad will invest")
        unknown = unregistered_subject(body, clause_start, money.start - base, context.text)
        if unknown is None:
            unknown = passive_agent(body, clause_start, money.start - base)
        if unknown is not None:
            return (unknown,)
    if not names and (_GROUP_REFERENCE.search(body, clause_start, money.start - base) or opens_on_sector(body)
                      or is_market_forecast(body, money.start - base, money.end - base, False)):
        # the companies of the sentences before taken together, a whole market, money spent by no one named: a sector
        return (SECTOR_ACTOR,)
    referred = context.subject_before(index)
    if len(referred) > 1 and not names and _ONE_COMPANY.match(body, clause_start):
        # "Banks are lending $38 billion to Vantage, which will lease the campuses to Oracle. The company said it
        # expects capex of $35 billion": one company is meant, the article's main one if the sentence before named it
        main = [name for name in context.main_subject() if name in referred]
        referred = tuple(main) or referred[:1]
    return deal_buyers(body, tuple(dict.fromkeys((*referred, *names))))


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
