"""Fact extraction: `extract_facts(text, published)` and `EXTRACTOR_VERSION`.

Rule-based, deterministic and offline: sentences (_sentences) -> money figures (_amounts) -> is it spending (_kinds;
_notspending for rates, funds, order books, sums and stakes) -> companies (_companies; _deals for who buys in a deal,
_unregistered for spenders the registry does not know) -> period (_figure_period, over the expressions of _periods) ->
USD (_fx). _context holds what the sentences around one say (who "the company" is, lists, facts found so far).
"""

from __future__ import annotations

import re
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
    is_hyperscaler_group,
    names_in,
)
from tasks.extract.facts._context import SECTOR_ACTOR, Context
from tasks.extract.facts._deals import deal_buyers, deal_parties, subject_buys, supply_buyers
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
from tasks.extract.facts._periods import (
    Period,
    find_periods,
    is_quarterly,
    reported_quarter,
)
from tasks.extract.facts._repeats import drop_headline_restatements, drop_undated_repeats
from tasks.extract.facts._sentences import Sentence, mask_urls, split_sentences
from tasks.extract.facts._unregistered import passive_agent, unregistered_subject
from tasks.models import Fact

EXTRACTOR_VERSION = "rules-1.15"

# an article is far shorter; a 5 MB page is read only this far so that it cannot stall a run
_MAX_TEXT_CHARS = 300_000
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
    context = Context(prose, sentences)
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



def _sentence_facts(text: str, sentence: Sentence, index: int, context: Context,
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
    lead = context.list_lead(index)  # the introduction of the list the sentence is an item of
    lead_capex = any(has_capex_cue(find_cues(item.text)) for item in lead)
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
        # "... expects capex of about $52bn in the 12 months to May. It had guided to $45bn to $48bn in December": an
        # earlier forecast of the fact before it, for the same period
        earlier = not (prior or consensus) and earlier_forecast(body, money.start - base)
        if prior or consensus:
            pass  # a prior level or the analysts' expectation shares the verdict of the figure it is compared with
        else:
            accepted = (earlier and index - 1 in context.capex_facts) or is_spending(
                body, cues, money.start - base, money.end - base, prev_end, next_start, context.follows_capex(index))
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

        period = period_for(money, monies, i, periods, published, actors, body, base, before=not prior,
                             quarter=quarter, previous=context.fact_periods.get(index - 1))
        if period is None and earlier:
            period = context.fact_periods.get(index - 1)
        if consensus:
            period = compared  # the expectation is for the period of the figure measured against it
        elif prior and period is None:
            period = prior_period(body, money.end - base, compared, actors)
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
            actors = (SECTOR_ACTOR,)
        if period is None and lead and not prior:
            # "plans for 2026. Here is what each company has guided:\n- Meta: $115 billion to $135 billion"
            period = next((found for found in (period_of(text, item, published, actors) for item in reversed(lead))
                           if found is not None), None)
        # an item of a list introduced as capital spending is capital spending
        fact = _fact(sentence, money, actors, period, body, cues, published,
                     capex=lead_capex or bool(i == 0 and carried and index - 1 in context.capex_facts))
        if prior and period is not None and compared is not None and period.end < compared.start:
            # "expects $35 billion in fiscal 2026, up from $21.2 billion in the prior year": the level it is compared
            # with is what was spent in the period before
            fact = replace(fact, status="actual")
        # ("above the $30 billion analysts had expected": "above" compares, it does not hedge)
        if earlier and names_consensus(body, money.start - base):
            fact = replace(fact, status="estimate")  # "Analysts had on average expected $38.9 billion."
        facts.append(replace(fact, status="estimate", qualifier=None) if consensus else fact)
        context.fact_actors.setdefault(index, actors)
        if fact.kind == "capex":
            context.capex_facts.add(index)
        if period is not None and (not (prior or consensus) or index not in context.fact_periods):
            context.fact_periods[index] = period  # the statement's own period, not that of a level it is compared with
    return facts


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
    if not found.names and (_GROUP_REFERENCE.search(body, clause[0], money.start - base) or opens_on_sector(body)
                            or is_market_forecast(body, money.start - base, money.end - base, False)):
        # the companies of the sentences before taken together, a whole market, money spent by no one named: a sector
        return (SECTOR_ACTOR,)
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
