"""Figures that are not money spent on AI infrastructure for a period, however close a spending word stands: prices
and rates, market and fund sizes, a seller's order book, the sum of figures just listed, stakes in companies."""

from __future__ import annotations

import re

# a price or a rate, not an amount spent over a period: "$40bn per gigawatt", "$500m a day", "$2 million each"
_RATE_AFTER = re.compile(
    r"(?i:[\])]*\s*(?:(?:a|per|each|every)\s(?:day|week|hour|month|gigawatt|megawatt|kilowatt|gw|mw|kw|chip|gpu|"
    r"unit|server|rack|share|person|user|employee|head)\b|each\b(?!\s(?:year|quarter))|apiece\b|/(?:gw|mw|kwh|mwh|day|month|share)\b))")
# a market's size, not money spent: "called robotics a $50 trillion market", "a $1 trillion opportunity"
_MARKET_SIZE_AFTER = re.compile(r"(?i:[\])]*\s(?:(?:total\s)?addressable\s|annual\s|global\s)?(?:market|opportunity|"
                                r"industry|economy|TAM)\b(?!\s(?:value|cap|capitali[sz]ation)))")
# a fund's size or credits handed out, not money spent on infrastructure: "a $1 billion climate innovation fund",
# "launch a dedicated €1 billion fund", "$100 million in usage credits", "$5 million of cloud credits" ("$10 billion to
# fund data centres" is spending: the words between may not be a verb's)
_FUND_AFTER = re.compile(r"(?i:[\])*_]*\s+(?:in\s|of\s)?(?:(?!to\b|will\b|would\b|and\b|or\b|which\b|that\b|for\b)"
                         r"[\w-]+\s){0,3}?(?:fund|funds|endowment|credits)\b)")
# a unit cost stated before its figures: "a gigawatt of AI capacity costs about $50bn", "Each gigawatt of capacity
# costs perhaps $35bn to fill with chips", "every megawatt costs"
# ("Filling a gigawatt of data-centre capacity with top-end accelerators costs $35bn", "puts the price of a gigawatt
# of AI capacity at $50bn-60bn")
# ("a gigawatt of AI capacity, fully equipped with the latest Nvidia systems, costs around $50 billion")
_UNIT_COST = re.compile(r"(?i:\b(?:a|each|every|one|per)\s(?:gigawatt|megawatt|GW|MW)\b(?:,?\s[\w-]+){0,12}?,?\s"
                        r"(?:costs?|runs?)\b|\b(?:price|cost|bill)\sof\s(?:a|one|each|every)\s(?:single\s)?"
                        r"(?:gigawatt|megawatt|GW|MW)\b)")
# a unit cost stated after its figure: "$50 billion: what a rule of thumb says it costs to build and fill one gigawatt"
_UNIT_COST_AFTER = re.compile(r"(?i:[^.;]{0,60}?\bcosts?\sto\s(?:build|fill|equip|power)\b[^.;]{0,40}?"
                              r"\b(?:a|each|every|one|per)\s(?:gigawatt|megawatt|GW|MW)\b)")
# the writer's own sum: "By Reuters' count, ...", "By our reckoning, ...", "On our calculations, ..."
# ("Taken together, the two groups laid out about 44.5 billion yuan", "Together with Tuesday's announcement, that
# puts the company's commitments in the state at about $24 billion"; "All told" was tried: it cost a held-out fact)
_OWN_COUNT = re.compile(r"(?i:\W{0,3}(?:(?:by|on|according\sto)\s(?:our|the\s\w+['’]s?|[A-Z][\w.&-]*['’]s?)\s?"
                        r"(?:own\s)?(?:count|tally|reckoning|calculations?|estimates?|arithmetic|sums?)\b|"
                        r"taken\stogether\b|(?:those|these|the)\s(?:[\w-]+\s){0,2}?(?:deals|pledges|commitments|"
                        r"projects|contracts|budgets)\s(?:alone\s|together\s|combined\s)?(?:come|add|amount|total)\b|"
                        r"add(?:ing)?\s(?:(?:up|together)\b|(?:those|these|them|it\sall)\s"
                        r"(?:up|together)\b)|together\swith\s[^,.;]{1,80},\s(?:that|this|it)\s"
                        r"(?:puts|brings|takes|lifts|raises)\b))")
# a total over the last four quarters, which the writer adds up from quarterly reports: "brought capex for the past
# four quarters to more than 120 billion yuan", "over the trailing 12 months"
_TRAILING = re.compile(r"(?i:\b(?:for|over|in)\sthe\s(?:past|last|previous|trailing|latest)\s(?:four|4|twelve|12)\s"
                       r"(?:quarters|months)\b)")
_TRAILING_CHARS = 80
# one instalment of a stake: "will invest up to $100bn in OpenAI, in tranches of $10bn"
_TRANCHE_BEFORE = re.compile(r"(?i:\btranches?\sof\s(?:about\s|roughly\s|up\sto\s)?\[?$)")
# the price of something sold: "sold its entire Nvidia holding last year for $5.8bn", "the sale of its stake for"
_SALE_BEFORE = re.compile(r"(?i:\b(?:sold|sells|selling|sale\sof)\s(?:[\w'’-]+\s){0,6}?(?:for|at)\s"
                          r"(?:about\s|roughly\s|some\s|around\s)?\[?$)")
_SALE_CHARS = 80
# a seller's order book, not anyone's spending: "$1 trillion of expected Blackwell and Vera Rubin orders", "purchase
# orders for Blackwell and Rubin chips to reach $1 trillion" (an order placed by a buyer, "placed a $10 billion chip
# order", is the buyer's)
_ORDERS_AFTER = re.compile(r"(?i:[\])*_]*\s+(?:of|in)\s(?:(?!by\b|from\b)[\w'’-]+\s){0,6}?"
                           r"(?:orders|bookings|backlog)\b)")
_ORDERS_BEFORE = re.compile(r"(?i:\b(?:orders|bookings|backlog)\s(?:[\w'’-]+\s){0,7}?(?:to\s)?"
                            r"(?:reach|hit|top|total)\w*\s(?:about\s|roughly\s|more\sthan\s|over\s|nearly\s)?\[?$)")
# the sum of figures the sentence has just listed (policy rule 3): "$20 billion in Pennsylvania and $10 billion in North
# Carolina, or $30 billion in total", "…, for a total of $30 billion", "… - $30 billion altogether"
_SUM_BEFORE = re.compile(r"(?i:\b(?:or|for|to)\s(?:a\s)?(?:total|combined|sum)\s(?:of\s)?(?:about\s|roughly\s|some\s|"
                         r"nearly\s|more\sthan\s)?\[?$)")
_SUM_AFTER = re.compile(r"(?i:[\])*_]*\s(?:in\stotal|in\sall|all\stold|altogether|combined|together)\b)")
# money put into a company, not spent on infrastructure: "invest up to $20 billion in Anthropic", "committed more than
# $8 billion to the start-up", "its $2 billion investment in Nebius", "may invest $40bn in the lab in stages"
_STAKE_VERB = re.compile(r"(?i:\b(?:invest(?:s|ed|ing)?|commit(?:s|ted|ting)?|pour(?:s|ed|ing)?|put(?:s|ting)?|"
                         r"inject(?:s|ed|ing)?|back(?:s|ed|ing)?|plow(?:s|ed|ing)?)\b)")
# money to back young companies: "£2bn to back British AI start-ups", "$500m to fund robotics startups"
_BACKING_AFTER = re.compile(r"(?i:[\])]*\s+to\s(?:back|fund|finance|support|invest\sin)\s(?:[\w-]+\s){0,3}?"
                            r"(?:start-?ups|companies|firms|founders|ventures)\b)")
_STAKE_LINK = re.compile(r"(?i:[\])]*\s+(?:(?:worth\s)?of\s(?:equity|shares|stock)\s|"
                         r"in\s(?:equity|cash|new\sfunding)\s)?"
                         # ("its $22.5 billion follow-on investment in the ChatGPT maker")
                         r"(?:(?:follow-on\s|additional\s|further\s|new\s)?(?:equity\s)?investment\]?\s+|stake\]?\s+|"
                         r"equity\s)?(?:in(?:to)?|to)\s(?:the\s)?\[?)")
# ("in data center company CoreWeave" is a purchase of capacity: the noun names a supplier of infrastructure)
_STAKE_NOUN = re.compile(r"(?i:(?!(?:[\w-]+\s)?(?:data\s?cent|cloud|infrastructure|compute|gpu|hosting|colocation))"
                         r"(?:[\w-]+\s){0,2}(?:start-?up|lab|company|companies|firm|developer|chatgpt\smaker|claude\smaker|"
                         r"model\smaker|ai\smaker|neocloud(?!\s(?:providers?|operators?|capacity))|chipmaker|"
                         r"chip\sdesigner)s?\b)")
# a company the registry does not know, by the shape of its name: "in ModelLab", "into Cerulean Labs", "in Voltaris
# AI" (an inner capital or a company word; "in Louisiana", "in New Mexico" are places, where spending is built)
# ("in SB Energy", "into Lumo Holdings": an energy company or a holding is a company too)
_STAKE_NAME = re.compile(r"(?:[A-Z][a-z]+[A-Z][\w-]*|[A-Z][\w.&-]*(?:\s[A-Z][\w.&-]*){0,2}\s(?:AI|Labs?|Inc\.?|"
                         r"Technologies|Intelligence|Robotics|Systems|Energy|Holdings|Group)\b)")
# a purchase from the company, not a stake in it: "in CoreWeave capacity", "into Oracle's cloud services"
_PURCHASE_OBJECT = re.compile(r"(?i:(?:['’]s)?\]?(?:\([^)]*\))?\s+(?:cloud\s)?(?:capacity|compute|computing|services|"
                              r"servers|chips|gpus|infrastructure|data\scent(?:er|re)s?)\b)")


def is_not_spent(sentence: str, start: int, end: int | None = None) -> bool:
    """True when the figure starting at `start` is a unit cost the sentence states ("a gigawatt of AI capacity costs
    about $50bn to build, of which perhaps $35bn ends up with Nvidia"), a sum the writer computes ("By Reuters' count,
    Alibaba's capital spending ... comes to roughly 100 billion yuan", "Add up the projects and the total exceeds
    $50bn", "capex for the past four quarters to 120 billion yuan") or the price of a sale ("sold its entire Nvidia
    holding for $5.8bn"). With `end`, a unit cost stated after the figure counts too ("$50 billion: what it costs to
    build and fill one gigawatt")."""
    return (_UNIT_COST.search(sentence, 0, start) is not None or _OWN_COUNT.match(sentence) is not None
            or (end is not None and _UNIT_COST_AFTER.match(sentence, end) is not None)
            or _SALE_BEFORE.search(sentence, max(0, start - _SALE_CHARS), start) is not None
            or _TRANCHE_BEFORE.search(sentence, max(0, start - _SALE_CHARS), start) is not None
            or _TRAILING.search(sentence, max(0, start - _TRAILING_CHARS), start) is not None)


def is_rate(sentence: str, end: int) -> bool:
    """True when the figure ending at `end` is a price, a rate ("$40bn per gigawatt", "$500m a day"), the size of
    a market ("a $50 trillion market") or of a fund, credits handed out ("$100 million in usage credits") or a
    seller's order book ("$1 trillion of expected chip orders")."""
    return (_RATE_AFTER.match(sentence, end) is not None or _MARKET_SIZE_AFTER.match(sentence, end) is not None
            or _FUND_AFTER.match(sentence, end) is not None or _ORDERS_AFTER.match(sentence, end) is not None)


def is_listed_sum(sentence: str, start: int, end: int) -> bool:
    """True when the figure at [start, end), after two or more others in its sentence, is their total ("or $30
    billion in total", "for a total of $30 billion")."""
    return (_SUM_BEFORE.search(sentence, max(0, start - 30), start) is not None
            or (_SUM_AFTER.match(sentence, end) is not None and re.search(r"(?i:\bor\s\W{0,2}$)",
                                                                          sentence[max(0, start - 12):start])
                is not None))


def is_order_book(sentence: str, start: int) -> bool:
    """True when the figure starting at `start` is the level a seller's orders reach ("orders … to reach $1
    trillion")."""
    return _ORDERS_BEFORE.search(sentence, max(0, start - 120), start) is not None


def is_stake(sentence: str, start: int, end: int, companies_at: list[tuple[int, int]]) -> bool:
    """True when the figure at [start, end) is money put into a company ("invest $2 billion in Nebius").

    `companies_at`: [start, end) of the companies named in the sentence (relative offsets).
    """
    if _BACKING_AFTER.match(sentence, end):
        return True  # "pledged £2bn to back British AI start-ups": money for companies to grow, a venture fund's
    link = _STAKE_LINK.match(sentence, end)
    if link is None:
        return False
    verb_before = _STAKE_VERB.search(sentence, max(0, start - 40), start) is not None
    if not verb_before and "investment" not in link.group().lower() and "stake" not in link.group().lower():
        return False
    target = link.end()
    company = next((c for c in companies_at if c[0] == target), None)
    if company is not None:
        return _PURCHASE_OBJECT.match(sentence, company[1]) is None
    name = _STAKE_NAME.match(sentence, target)
    if name is not None:
        return _PURCHASE_OBJECT.match(sentence, name.end()) is None
    return _STAKE_NOUN.match(sentence, target) is not None
