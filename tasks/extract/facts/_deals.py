"""Who buys in a compute deal: the supplier's side, tiers of the supply chain, deals signed to buy."""

from __future__ import annotations

import re

from tasks.extract.facts._companies import FALLBACK_TYPES, Mention, actor, clause_spans, names_in

# A supplier's side of a compute deal: "will provide $12 billion of capacity", "won a $14bn contract to supply computing
# power to Meta", "a deal to deliver computing resources to Microsoft, worth $19 billion"
# ("30 gigawatts of power, enough to supply 20 million households" measures the power; it is no supplier's side)
# (supply as a noun is no verb: "as demand outran supply", "in short supply", "supply chains", "the supply of chips")
_SUPPLY = re.compile(r"(?i:(?<!enough\sto\s)(?<!outran\s)(?<!outstripped\s)(?<!outstrips\s)(?<!outpaced\s)"
                     r"(?<!short\s)(?<!tight\s)(?<!of\s)\b(?:provid(?:e|es|ed|ing)|(?<!the\s)suppl(?:y|ies|ied|ying)(?!\schains?\b|\sof\b)|"
                     r"deliver(?:s|ed|ing)?|sell(?:s|ing)?|rent(?:s|ed|ing)?\sout|lease(?:s|d)?\sout)\b)")
# how far from its figure a supply verb is read
_SUPPLY_BEFORE_CHARS = 40
_SUPPLY_AFTER_CHARS = 80
# the buyer after a supply verb: "to Meta", "for OpenAI", "providing Meta with"
_RECIPIENT_BEFORE = re.compile(r"(?i:\b(?:to|for)\s(?:the\s)?\W{0,2}|" + _SUPPLY.pattern[4:-1] + r"\s\W{0,2})$")


# the payer of the figure: "will pay it roughly $14bn", "agreed to pay Nebius $17.4bn"
_PAY_BEFORE = re.compile(r"(?i:\bpay(?:s|ing)?\s(?:it|them|\[?[A-Z][\w.&-]*\]?)?\s?"
                         r"(?:about\s|roughly\s|some\s|up\sto\s|as\smuch\sas\s|more\sthan\s|nearly\s|around\s)?\W{0,2}$)")
# "$17.4bn that Microsoft agreed to pay Nebius": the relative clause naming the payer (it ends where the payer starts)
_PAYER_AFTER = re.compile(r"\]?\s+(?:that|which)\s(?=\[?[A-Z][\w.&-]*\]?\s(?:has\s|had\s)?"
                          r"(?:agreed\sto\s|will\s|would\s|is\sto\s)?pay\b)\[?")
# "a $300 billion deal with OpenAI": the party a deal is with
_DEAL_WITH_BEFORE = re.compile(r"(?i:\b(?:deal|agreement|contract|pact|partnership)s?\swith\s(?:the\s)?\W{0,2}$)")


def payer_after(sentence: str, mentions: list[Mention], base: int, end: int) -> tuple[str, ...]:
    """The company named as the payer in a relative clause right after the figure ("the $17.4bn that Microsoft agreed
    to pay Nebius"), else nothing."""
    clause = _PAYER_AFTER.match(sentence, end)
    if clause is None:
        return ()
    return names_in([m for m in mentions if m.start - base == clause.end() and m.actor.type not in FALLBACK_TYPES])


def supply_buyers(sentence: str, mentions: list[Mention], base: int, start: int, end: int) -> tuple[str, ...] | None:
    """For a figure on the supplier's side of a compute deal, the buyers named after it ("to Meta"); None when the
    figure is not a supplier's (an empty tuple: a supplier's figure whose buyer is named elsewhere)."""
    clause = next((c for c in clause_spans(sentence) if c[0] <= start < c[1]), (0, len(sentence)))
    verb = _SUPPLY.search(sentence, max(clause[0], start - _SUPPLY_BEFORE_CHARS),
                          min(len(sentence), end + _SUPPLY_AFTER_CHARS))
    if verb is None:
        return None
    pay = _PAY_BEFORE.search(sentence, max(clause[0], start - _SUPPLY_AFTER_CHARS), start)
    if pay is not None:
        payers = [m for m in mentions if m.end - base <= pay.start() and m.actor.type not in FALLBACK_TYPES]
        if payers:  # "Microsoft will pay it roughly $14bn to supply 200,000 chips": the payer buys
            return names_in(payers[-1:])
    buyers = [m for m in mentions if m.start - base > verb.end() and m.actor.type not in FALLBACK_TYPES
              and _RECIPIENT_BEFORE.search(sentence, max(0, m.start - base - 12), m.start - base)]
    if not buyers:
        # "Oracle signed a $300 billion deal with OpenAI to supply computing power": the party the deal is with
        buyers = [m for m in mentions if end <= m.start - base < verb.start() and m.actor.type not in FALLBACK_TYPES
                  and _DEAL_WITH_BEFORE.search(sentence, max(0, m.start - base - 40), m.start - base)]
    return names_in(buyers)


# Who buys from whom in a compute deal: chips and power flow to cloud operators, cloud capacity to hyperscalers and
# labs. The party further downstream is the buyer ("Nebius's $27 billion agreement with Meta": Meta spends).
_DOWNSTREAM = {"chipmaker": 0, "hardware": 0, "supplier": 0, "energy": 0, "neocloud": 1, "datacenter": 1,
               "hyperscaler": 2}
# a type not listed (an AI lab, a software or consumer company) buys from all of them
_END_BUYER = 3
# a hyperscaler named by its cloud unit in a deal sells the capacity: "Meta's $10 billion deal with Google Cloud"
_CLOUD_UNIT = {"Alphabet": re.compile(r"\bGoogle\sCloud\b"), "Amazon": re.compile(r"\bAWS\b|\bAmazon\sWeb\sServices\b"),
               "Microsoft": re.compile(r"\bAzure\b"), "Oracle": re.compile(r"\bOracle\sCloud\b|\bOCI\b")}
_SELLER_TIER = 1
_DEAL = re.compile(r"(?i:\b(?:deal|agreement|contract|partnership|commitment)s?\b)")


# a deal the subject signs in order to buy: "Nvidia signed a $6.3 billion deal with CoreWeave to buy its unused cloud
# capacity" - the subject is the buyer, whatever the tiers say
_DEAL_TO_BUY = re.compile(r"(?i:\b(?:deal|agreement|contract|pact)s?\s(?:with\s)?(?:\[?[\w'’.&-]+\]?\s+){0,4}?to\s"
                          r"(?:buy|purchase|rent|lease)\b)")


def subject_buys(sentence: str) -> bool:
    """True when the sentence's deal is one its subject signs in order to buy ("a deal with CoreWeave to buy")."""
    return _DEAL_TO_BUY.search(sentence) is not None


def deal_buyers(sentence: str, names: tuple[str, ...]) -> tuple[str, ...]:
    """In a deal between registered companies of different tiers, the buyers (the furthest downstream)."""
    found = [actor(n) for n in names]
    if len(names) < 2 or any(a is None or a.type in FALLBACK_TYPES for a in found) or not _DEAL.search(sentence):
        return names
    tiers = [_SELLER_TIER if _named_as_cloud_unit(n, sentence) else _DOWNSTREAM.get(a.type, _END_BUYER)
             for n, a in zip(names, found, strict=True) if a is not None]
    top = max(tiers)
    return tuple(n for n, tier in zip(names, tiers, strict=True) if tier == top)


def _named_as_cloud_unit(name: str, sentence: str) -> bool:
    """True when the sentence names the hyperscaler `name` by its cloud unit ("Google Cloud", "AWS", "Azure")."""
    unit = _CLOUD_UNIT.get(name)
    return unit is not None and unit.search(sentence) is not None


def is_tiered_deal(sentence: str, mentions: list[Mention]) -> bool:
    """True for a deal between a supplier of AI infrastructure and a party downstream of it ("Oracle's agreement
    with OpenAI", "Nebius's deal with Meta"): a compute deal, even when the sentence names no infrastructure."""
    tiers = {_DOWNSTREAM.get(m.actor.type, _END_BUYER) for m in mentions if m.actor.type not in FALLBACK_TYPES}
    return bool(_DEAL.search(sentence)) and len(tiers) > 1 and min(tiers) < _END_BUYER


# a company named as the adjunct of a deal noun is a party to it: "a Microsoft contract worth $19.4 billion",
# "a $14 billion Meta contract", "Meta Platforms' capacity agreements worth nearly $30 billion"
# (a verb between makes the company the subject of its own deal: "and xAI signed new commitments")
_DEAL_ADJUNCT = re.compile(r"(?i:(?:['’]s?)?\]?\s(?:(?!(?:signed|signs|inked|struck|made|makes|announced|has|have|had|"
                           r"agreed|won|landed|secured|reached)\b)[a-z][\w-]*\s){0,2}(?:deal|contract|agreement|"
                           r"commitment)s?\b)")


def deal_parties(sentence: str, mentions: list[Mention], base: int) -> tuple[str, ...]:
    """Registered companies named as the adjunct of a deal noun in the sentence ("a Microsoft contract")."""
    return names_in([m for m in mentions if m.actor.type not in FALLBACK_TYPES
                     and _DEAL_ADJUNCT.match(sentence, m.end - base)])
