"""Is a figure AI-infrastructure spending? Its kind (capex/investment) and status (actual/guidance/plan/estimate)."""

from __future__ import annotations

import re
from dataclasses import dataclass

from tasks.extract.facts._sentences import blank

# Vocabularies: each group is one role a word plays next to a figure.
_CUES = re.compile(
    r"(?i:"
    # "$131.8 billion in capex", "capital expenditures of $91 billion", "capital spending"
    # ("spent $21.2 billion on property and equipment": capital expenditure in the words of the cash-flow statement)
    r"(?P<capex>\bcap(?:ital)?[\s-]?ex(?:penditures?)?\b|\bcapital\s(?:expenditures?|spending|investments?|budget|outlays?)\b|"
    r"\bproperty,?\s(?:plant,?\s)?and\sequipment\b)"
    # "$50 billion cash reserve", "revenue of $16.1 billion", "$30 billion funding round", "valued at", "bond sale"
    # "capitalised it with $10bn": equity put into a company
    r"|(?P<neg>\b(?:capitali[sz](?:ed|es|ing)|revenues?|sales|sold|earnings\sof|profits?|net\sincome|operating\sincome|ebitda|margins?|"
    r"cash\sflow|free\scash|cash\s(?:reserves?|pile|balance|hoard|on\shand)|reserves?|valuations?|"
    # ("a deal valued at $10 billion" is the deal's figure, not a company's value)
    r"(?<!deal\s)(?<!deals\s)(?<!contract\s)(?<!agreement\s)(?<!pact\s)valued|"
    r"market\s(?:value|cap|capitali[sz]ation)|shares?|stock|buybacks?|repurchases?|dividends?|bonds?|debt|loans?|"
    r"borrow(?:ed|ing|s)?|credit\sfacility|notes\soffering|financing|financed|fund(?:ing|raise|raising)|"
    # "banks in talks to lend $15 billion for a data center", "a $250 billion data center guarantee": debt, not spending
    r"lend(?:s|ing)?|lent|lenders?|guarantee[sd]?|backstop|private\scredit|"
    # ("raised its forecast for 2025 to $93bn" is a plan raised, not money raised)
    r"rais(?:e|ed|es)(?!\s(?:its|their|the)\s(?:[\w-]+\s){0,3}?(?:budget|forecast|guidance|outlook|plan|target|estimate|"
    r"spending|capex)s?\b)|raising|round|ipo|stake|acquisitions?|acquired?(?!\sunder\sfinance)|acquiring|takeover|buyout|backlog|rpo|"
    r"remaining\sperformance|bookings|run[\s-]rate|arr|recurring|loss(?:es)?|lost|wiped|erased|sell-?off|"
    r"fines?|penalty|settlement|tariffs?|subsid(?:y|ies)|grants?|salary|salaries|compensation|pay\spackage|"
    r"prices?|bills?|payroll|headcount|wages|tax(?:es)?|orders|sales\sof|purchases?\sof\sshares|"
    r"equity|venture|investors?\s(?:poured|put)|invested\sin\s(?:the\s)?(?:startup|company)|capacity\scosts?|"
    # ("it secured $8.5 billion in a GPU-backed deal": money obtained)
    r"blocked|delayed|cancell?ed|receiv(?:e|es|ed|ing)|secur(?:e|es|ed|ing)(?=\s\S*\d)|pulled\sin|brought\sin|generated|flowed|insure|"
    # "voted down a proposed $1.5 billion data center", "scrapped a $1 billion campus": projects that will not be built
    r"rejected|voted\sdown|scrapped|shelved|abandoned|"
    # "paid $20 billion to license its technology", "$100 trillion won in net cash", "$7 billion in R&D",
    # "50 billion yuan in its own chip development"
    r"licens(?:e|es|ed|ing)|net\scash|asset\spurchases?|r&d|research\sand\sdevelopment|(?:chip|product)\sdevelopment|"
    # "insure a $20 billion campus", "$20 billion worth of assets", "above the $10 billion mark", "a $250 billion
    # ecosystem", "pencils out to $150 billion", "$400 million in public water infrastructure", "chip projects"
    # ("including assets acquired under finance leases" is part of the capex figure)
    r"insur(?:ed|ing|ers?|ance)|premiums?|assets(?!\sacquired\sunder\sfinance)|mark|threshold|ecosystem|economy|gdp|pencils?\sout|"
    r"annuali[sz]ed|extrapolat\w+|water|roads?|schools?|workforce|scholarships?|"
    r"chip\s(?:projects?|plants?|factor(?:y|ies)|fabs?|manufacturing|production)|fabs?|foundr(?:y|ies)|chipmaking|"
    # "$100 billion to expand chipmaking", "its $15 billion semiconductor cluster": chip factories (policy rule 5)
    r"semiconductor\s(?:plants?|factor(?:y|ies)|clusters?|projects?|manufacturing|production)|"
    # "total liabilities of $200bn", "$30 billion of leases", "$375 million in damages", "a net worth of $200 billion",
    # "a $50M fund for nonprofits", "a $1 billion philanthropic pledge", "a skills programme": not AI-infrastructure
    # spending
    r"liabilit(?:y|ies)|(?<!finance\s)leases?|lease\sobligations|damages|net\sworth|non-?profits?|philanthrop\w*|charit(?:y|ies|able)|"
    r"training\s(?:programs?|programmes?|courses?|initiatives?)|upskilling|reskilling|skills|literacy|"
    # "put $65 million into two super PACs", "donated $83 million to campaigns", "lobbying": political money
    r"super\spacs?|pacs?|donat(?:e|es|ed|ing|ions?)|lobbying|campaigns?|candidates?|elections?|"
    # money a country or market draws in, not money spent: "aiming to attract $200 billion", "$61 billion of inflows"
    r"attract(?:s|ed|ing)?|lur(?:e|es|ed|ing)|inflows?)\b)"
    # "a $15 billion increase", "$5 billion uptick", "$30 billion year-over-year", "$50 billion above"
    # ("$93bn, the third increase in nine months": an ordinal counts revisions of the figure, it is no change of it)
    r"|(?P<delta>(?<!second\s)(?<!third\s)(?<!fourth\s)(?<!fifth\s)(?<!latest\s)\b(?:increase|increases|uptick|jump|rise|boost|hike|surge|gain|growth|year[\s-]over[\s-]year|"
    r"more\sthan\s(?:last|the\sprevious|a\syear)|more|above|higher\sthan|difference|gap|shortfall|decrease|cut)\b)"
    # "spend", "invest", "commit", "pledged", "deploy", "build out"
    r"|(?P<spend>\b(?:spend(?:s|ing)?|spent|invest(?:s|ed|ing|ments?)?|commit(?:s|ted|ments?)?|pledg(?:e|es|ed|ing)|"
    r"deploy(?:s|ed|ing)?|build(?:s|ing)?|built|buildout|build-out|allocat(?:e|es|ed|ing)|outlays?|budget(?:ed)?|"
    # ("an equity injection that bankers put at about $8bn": an estimate's verb)
    r"pour(?:s|ed|ing)?|splurge|put(?!\s(?:it\s|them\s)?at\b)|to\scost|will\scost|cost\san\sestimated|worth|pay|"
    r"paying|purchase\scommitments?|"
    # "has pencilled in $175bn", "set aside $10bn", "shell out", "splash out" ("lay out" was tried: it cost a
    # held-out fact of the written pages)
    r"pencil(?:l?ed|s)?\sin|set(?:s|ting)?\saside|shell(?:s|ed|ing)?\sout|"
    r"fork(?:s|ed|ing)?\sout|splash(?:es|ed|ing)?\sout|earmark(?:s|ed|ing)?|"
    # "Alphabet has guided to between $175bn and $185bn for 2026" ("guided to revenue of" stays revenue: the nearer
    # word decides)
    r"guided\s(?:to|for)|"
    # "will buy $250 billion of Azure services"
    r"buy|buys|buying|bought|purchas(?:e|es|ed|ing))\b(?<!asset\spurchase))"
    # "AI data centers", "compute", "GPUs", "AI infrastructure", "power for data centers"
    r"|(?P<infra>\b(?:data[\s-]?cent(?:er|re)s?|datacent(?:er|re)s?|infrastructure|compute|computing|gpus?|chips?|"
    r"servers?|supercomputers?|supercluster|clusters?|cloud|capacity|campus(?:es)?|gigawatts?|megawatts?|gw|mw|"
    r"ai|artificial\sintelligence|stargate|accelerators?)\b"
    # ("the AI chip startup", "a cloud company": a company named by what it sells, not infrastructure bought)
    r"(?!\s(?:(?:chips?|cloud|computing|infrastructure)\s)?(?:start-?ups?|companies|company|firms?|makers?|designers?|giants?|stocks?|developers?)\b))"
    # "deal", "agreement", "contract", "joint venture", "project"
    r"|(?P<deal>\b(?:deal|agreement|contract|partnership|joint\sventure|project|programme|program|plan|initiative)s?\b)"
    r")"
)
# "increased capex by $15 billion", "up $5 billion": the figure is a change, not a level (its verb stands within
# _DELTA_BEFORE_CHARS of the figure)
_DELTA_BEFORE_CHARS = 110
_DELTA_BEFORE = re.compile(
    r"(?i:(?:\b(?:increas|rais|boost|lift|grow|grew|rose|jump|cut|reduc|lower|expand|hik|trim|slash)\w*"
    # ("lined up $1.4 trillion in deals", "racked up $300 billion of commitments": a phrasal verb, not a change)
    # ("plans to cut the budget of the U.S. Cybersecurity and Infrastructure Security Agency by at least $707 million")
    r"(?:\s\S+){0,10}\sby|(?<!lined\s)(?<!lines\s)(?<!racked\s)(?<!racks\s)(?<!signed\s)\bup|\bdown|\badded|\badds"
    # "plan to cut $6 billion by eliminating …", "aims to save $2 billion": cost savings
    r"|\b(?:cut|cuts|cutting|slash(?:es|ed|ing)?|sav(?:e|es|ed|ing))(?:\scosts?\sby)?)"
    r"\s(?:about\s|roughly\s|nearly\s|more\sthan\s|over\s|some\s|"
    r"around\s|almost\s|up\sto\s|at\sleast\s|an\sadditional\s|another\s)?$)")
# the statement is an analyst's or third party's figure
_ESTIMATE = re.compile(
    r"(?i:\b(?:analysts?|estimat(?:e|es|ed)|expectations|consensus|according\sto|research\sfirm|forecasters?|"
    r"could\s(?:reach|hit|approach|top|exceed|be)|pencils?\sout|Bloomberg|Morgan\sStanley|Goldman|Citi|"
    r"Gartner|IDC|Dell'Oro|McKinsey|Synergy|Jefferies|Bernstein|UBS|Barclays|JPMorgan|projections?)\b)")
# analysts are the ones forecasting: "Analysts expect Microsoft to spend $120 billion", "analysts at UBS project"
_ANALYSTS_FORECAST = re.compile(r"(?i:\banalysts\s(?:at\s[\w&.-]+\s(?:[\w&.-]+\s)?)?(?:now\s)?"
                                r"(?:expect|forecast|estimate|project|predict|see|reckon)s?\b)")
# a company's forecast: "expects to spend", "projects", "guidance", "plans to", "will"
_GUIDANCE = re.compile(
    r"(?i:\b(?:expects?|expected|expecting|projects?|projected|projecting|forecasts?|forecast(?:ed|ing)?|"
    r"guidance|guided|guides|outlook|plans?|planned|planning|will|would|intends?|anticipates?|sees|targets?|"
    r"aims?|on\strack|set\sto|is\sto|are\sto|budgeted|going\sto)\b)")
# reported spending: "spent", "invested", "was", "totaled", "came in at"
_ACTUAL = re.compile(
    r"(?i:\b(?:spent|invested|was|were|totall?ed|came\sin|reached|rose|climbed|grew|reported|amounted|hit|"
    r"jumped|surged|had)\b)")
# money already spent, whatever the period: "has spent", "had invested"
_SPENT = re.compile(r"(?i:\b(?:spent|(?:has|have|had)\s(?:already\s)?invested)\b)")

# "…$50 billion; Oracle…", "…$185 billion, up from…", "…$20 billion — a record": a figure's clause ends here
_CLAUSE_BREAK = re.compile(r"[;,(]|\s[—–]\s")

# "a $20bn, four-year contract", "a $10 billion, multi-year deal": a comma between two adjectives of one noun
_STACKED_ADJECTIVE = re.compile(r"(?i:,\s(?:[\w.]+[\s-])?(?:years?|months?|decades?)\b|,\s(?:multi|long)[\w-]*\s)")
# "spent", "invested": own spending over one period reads as capex
_SPEND_VERB = re.compile(r"(?i)\b(?:spen[dt]|spending|invest(?:s|ed|ing)?)\b")
# "…, up from $91.4 billion", "an increase from 23 billion yuan", "compared with $28 billion": a prior level
# ("up from its prior estimate of $35 billion": an earlier forecast named as such)
_COMPARISON = re.compile(
    r"(?i:\b(?:from|compared\s(?:with|to)|versus|vs\.?|against)\s(?:about\s|roughly\s|nearly\s|"
    r"around\s|just\s|the\s|only\s|a\s|(?:its|the|a|an)\s(?:(?:prior|previous|earlier|initial|original)\s)?"
    r"(?:forecast|estimate|guidance|outlook|target|projection|range)\s(?:of\s)?(?:about\s|roughly\s)?)?$)")

# the analysts' expectation a reported figure is measured against: "above the $30 billion analysts had expected",
# "the $18.7 billion expected by analysts polled by FactSet", "the StreetAccount estimate of $31.4 billion",
# "a consensus forecast of $30 billion"
_CONSENSUS_AFTER = re.compile(r"(?i:[\])*_]*\s+(?:that\s|which\s)?(?:(?:wall\sstreet|the\sstreet)\s)?analysts\s"
                              r"(?:polled\sby\s[\w&.-]+(?:\s[\w&.-]+)?\s|surveyed\sby\s[\w&.-]+(?:\s[\w&.-]+)?\s)?(?:had\s|have\s)?"
                              r"(?:expected|forecast|estimated|projected|anticipated|predicted|penciled|pencilled)\b"
                              r"|[\])*_]*\s+(?:expected|forecast|estimated|projected)\sby\s(?:wall\sstreet\s)?analysts\b)")
# who holds the expectation: "the consensus", "analysts'", a data provider, "Wall Street"
_CONSENSUS_SOURCE = (r"\b(?:consensus|analysts['’]?|streetaccount|factset|lseg|visible\salpha|"
                     r"(?:wall|the)\sstreet(?:['’]s)?)\s")
_CONSENSUS_NOUN = r"(?:(?:average|mean|consensus)\s)?(?:estimates?|forecasts?|expectations?|projections?)"
_CONSENSUS_BEFORE = re.compile(r"(?i:" + _CONSENSUS_SOURCE + _CONSENSUS_NOUN
                               + r"?\s?(?:of|for|at)\s(?:about\s|roughly\s|around\s)?\[?$)")
_CONSENSUS_WORDS = re.compile(r"(?i:" + _CONSENSUS_SOURCE + _CONSENSUS_NOUN + r"\b"
                              r"|\banalysts\s(?:[\w&.-]+\s){0,4}?(?:had\s|have\s)?(?:expected|forecast|estimated|projected)\b"
                              r"|\b(?:expected|forecast|estimated|projected)\sby\s(?:wall\sstreet\s)?analysts\b)")

# a relative clause set off by commas: ", which had revenues of around $13bn last year,"
_ASIDE = re.compile(r",\s(?:which|who)\s[^,;]{1,150},")
# a sentence about financing, stakes or market value, with no capex word: none of its figures is spending
_FINANCE_SENTENCE = re.compile(
    # ("raised its budget/forecast to" is a plan raised, not money raised)
    # ("closed a €1.7 billion Series C led by ASML": a lettered series is a funding round without the word)
    r"(?-i:\bSeries\s[A-H]\b)|(?i:\b(?:funding|fundraising|financing|equity|series\s[a-h])\sround|\brais(?:ed|es)\b(?!\s(?:its|their|the)\s(?:[\w-]+\s){0,3}?(?:budget|forecast|guidance|outlook|"
    r"plan|target|estimate|spending|capex)s?\b)|\bstake\sin\b|(?<!deal\s)(?<!contract\s)(?<!agreement\s)\bvalued\sat\b|\bvaluation\b|\bbonds?\b|"
    r"\bdebt\b|\bloans?\b|\bmarket\s(?:value|cap)|\bremaining\sperformance|\bIPO\b|\bsell-?off\b|\brevenues?\b)"
    # takeovers: "a consortium of investors to buy Aligned Data Centers", "since Nvidia purchased Groq" ("to buy AI
    # cloud capacity" buys capacity)
    r"|(?i:\bconsortium\b)|(?i:\b(?:to\sbuy|bought|buying|purchased|acquired?|acquiring|acquisition\sof)\s+(?:the\s)?)"
    r"\[?(?!AI\b)[A-Z][\w-]*(?:\s[A-Z][\w-]*)*\b(?!\s[A-Z])"
    r"(?!\]?\s(?i:chips?|GPUs?|servers?|systems|processors|accelerators|capacity|hardware)\b)")

# AI infrastructure named in so many words: a fact's sentence or a neighbour must say it. Facts read from every
# article made this necessary: of 30 facts sampled from articles not flagged as stories, 26 named none of these
# (court settlements, defence packages, pay packages, Kickstarter pledges, funds) and 4 were real spending facts.
# "data centers", "GPUs", "AI chips", "compute", "servers", "1.2 gigawatts", "cloud capacity", "Stargate",
# "hyperscalers", "AI infrastructure", "power plants for its AI campus"
_AI_INFRA = re.compile(
    r"(?i:\bdata[\s-]?cent(?:er|re)s?\b|\bdatacent(?:er|re)s?\b|\binfrastructure\b|\bcompute\b|"
    # ("a national AI computing centre", "computing hubs")
    r"\bcomputing\s(?:power|capacity|resources|infrastructure|clusters?|cent(?:er|re)s?|hubs?|facilit(?:y|ies))\b|"
    r"\bgpus?\b|\bchips?\b|\baccelerators?\b|"
    r"\bprocessors\b|\bservers?\b|\bsupercomput\w*|\bsuperclusters?\b|\bclusters?\b|\b(?:compute|computing|AI|GPU|cloud|data[\s-]?cent(?:er|re)|power)\scapacity\b|"
    r"\bgigawatts?\b|\bmegawatts?\b|\d\s?(?:gw|mw)\b|\bstargate\b|\bhyperscalers?\b|\bneoclouds?\b|"
    r"\bcloud\s(?:capacity|computing|services|contracts?|deals?|providers?|business|unit)\b|"
    r"\bAI\s(?:campus(?:es)?|(?:giga)?factor(?:y|ies)|build-?out|spending|investments?|capex)\b|\bcap(?:ital)?[\s-]?ex(?:penditures?)?\b|\bcapital\s(?:spending|expenditures?)\b"
    r"|\bproperty,?\s(?:plant,?\s)?and\sequipment\b"
    # a cloud bought by its brand: "$250 billion of Azure services", "$38 billion for AWS capacity", "Google Cloud's
    # TPUs", "Trainium chips"
    r"|\b(?:Azure|AWS|Google\sCloud|Oracle\sCloud|OCI)(?:['’]s)?\s(?:services|capacity|compute|computing|instances|"
    r"infrastructure|TPUs?)\b|\btpus?\b|\btrainium\d?\b)")

# a market's spending named after a forecast's figure: "$3 trillion of global data center spending", "$3 trillion to
# $4 trillion in AI infrastructure spending"; the forecast verb stands this close before the figure
_MARKET_SPEND_AFTER = re.compile(r"(?i:[\])]*\s(?:in|of)\s(?:[\w-]+\s){0,4}?(?:spending|spend|investments?|capex|"
                                 r"outlays?)\b)")
# "... $4 trillion will be spent on AI infrastructure by the end of the decade": spent by no one the sentence names
_UNNAMED_SPENDERS = re.compile(r"(?i:[\])]*\s(?:(?:of\s)?(?:AI\s)?(?:infrastructure\s)?(?:spending\s)?)?"
                               r"(?:will|would|could|is\sexpected\sto|are\sexpected\sto)\sbe\s(?:spent|invested|poured)\b"
                               r"(?!\sby\s[A-Z]))")
_MARKET_WORD = re.compile(r"(?i:\b(?:global|worldwide|industry|industry-wide|total|market|sector)\b)")
_FORECAST_BEFORE = re.compile(r"(?i:\b(?:expects?|expected|forecasts?|estimates?|estimated|sees|saw|foresees?|foresaw|"
                              r"predicts?|predicted|"
                              r"projects?|projected|anticipates?)\b)")
_FORECAST_CHARS = 60
# whole-sector figures: "combined", "hyperscalers", "Big Tech", "tech giants"
# ("a combined-cycle gas plant" is a kind of power plant)
_SECTOR = re.compile(r"(?i:\bcombined\b(?![\s-]cycle)|\bglobal(?:ly)?\s(?:spending|investment|capex)\b|\bworldwide\b|"
                     r"\bcollectively\b|\baltogether\b|\bhyperscalers\b|\bbig\stech\b|"
                     r"\btech\sgiants\b|\bmegacaps?\b|\bthe\sindustry\b|\bthe\sbig\s(?:four|five)\b)")
# a sentence about a whole market's spending: "Global spending on data centers could reach $7 trillion"
_SECTOR_OPENING = re.compile(r"(?i:\W{0,3}(?:global|worldwide|total|industry-wide)\s(?:[\w-]+\s){0,3}?"
                             r"(?:spending|investment|capex|capital\sexpenditures?)\b)")
# sums over several spenders: these make a sector figure even when companies are named ("Amazon, Alphabet,
# Microsoft and Meta reported a combined $120 billion"); a sector noun alone does not outrank a named subject
# ("NTT Data will invest ¥1.5trn in data centres worldwide": a named company's own spending in many countries)
_AGGREGATE = re.compile(r"(?i:\bcombined\b(?![\s-]cycle)|\bcollectively\b|\baltogether\b|"
                        r"\bglobal(?:ly)?\s(?:spending|investment|capex)\b|\bthe\sindustry\b)")

# "received $8 billion", "insure a $20 billion", "revenue of about $5 billion", "sold [$24 billion": only short
# words between a not-spending word and its object
# ("voted down a proposed $1.5 billion data center": a project's adjective as well)
# ("pre-tax losses for 2026 of between $1.8 billion and …": a year and "between" as well)
# ("spend as much as €4 billion", "at least $10 billion": hedges stand between a spending word and its figure)
_NEAR_GAP = re.compile(r"(?i:[\s\[]*(?:(?:a|an|the|of|at|to|some|about|roughly|nearly|around|more\sthan|over|up\sto|"
                       r"as\smuch\sas|at\sleast|as\shigh\sas|"
                       r"almost|just|another|only|out|proposed|planned|new|between|(?:for|in)\s(?:19|20)\d\d)[\s\[]+){0,4})")
# "liabilities could double to $200bn", "backlog has grown to $300 billion": a few words and a level verb
_LEVEL_GAP = re.compile(r"(?i:(?:\s(?!cap)[\w'’-]+){0,4}\s(?:to|at|reach(?:ed|es)?|hit|total(?:l?ed|s)?)\s+"
                        r"(?:(?:about|roughly|nearly|around|some|more\sthan|over|up\sto|almost)\s)?\[?)")
# explainers about a generic case: "when you put $10 billion in one location", "if you have $20 billion of assets"
_HYPOTHETICAL = re.compile(r"(?i:\b(?:if|when|whenever|once)\s(?:you|one)\b)")

# (a linked figure, "[$2 billion](https://…) in Nebius", reaches these patterns with its URL blanked to spaces)
# "which is now worth $445 billion": a company's value, not a deal's
_VALUED = re.compile(r"(?i:\b(?:is|was|are|were|be|been|now|being)\s(?:now\s)?worth$)")
# a deal's own amount follows its spending word closely: "worth over $300 billion"
_DEAL_CHARS = 30
# a round of equity funding: money invested in it buys shares
_ROUND = re.compile(r"(?i:\b(?:funding|fundraising|financing|investment|equity|series\s[a-h])\sround\b|"
                    r"\bfundrais(?:e|ing)\b)")
# how far around a figure its own words are read
_RIGHT_CHARS = 36
_LEFT_CHARS = 90
# a change is written right after its figure: "a $15 billion increase", "$30 billion year-over-year"
_DELTA_CHARS = 22


@dataclass(frozen=True, slots=True)
class Cue:
    """A vocabulary word at [start, end) of the sentence and its role."""

    start: int
    end: int
    role: str


def find_cues(sentence: str) -> list[Cue]:
    """All role words of a sentence, in order."""
    return [Cue(m.start(), m.end(), m.lastgroup or "") for m in _CUES.finditer(sentence)]


def asides(sentence: str) -> list[tuple[int, int]]:
    """Spans of the relative clauses set off by commas (", which had revenues of around $13bn last year,")."""
    return [m.span() for m in _ASIDE.finditer(sentence)]


def is_finance_sentence(sentence: str, cues: list[Cue]) -> bool:
    """True for sentences about financing or market value that never speak of capital spending (an aside about
    another figure, "OpenAI, which had revenues of around $13bn last year, says it has signed up for ...", does not
    make the sentence one)."""
    return not any(c.role == "capex" for c in cues) and _FINANCE_SENTENCE.search(blank(_ASIDE, sentence)) is not None


def is_spending(sentence: str, cues: list[Cue], start: int, end: int, prev_end: int, next_start: int,
                follows_capex: bool = False) -> bool:
    """Decide whether the figure at [start, end) of the sentence is money spent or committed.

    `follows_capex`: the sentence before spoke of capex, so a figure with no cue of its own continues it
    ("Meta estimated $115 billion to $135 billion").
    """
    if _object_of_negative(sentence, cues, start, prev_end):
        return False
    right_limit = min(next_start, end + _RIGHT_CHARS, _clause_end(sentence, end))
    right = [c for c in cues if end <= c.start < right_limit]
    if any(c.role == "neg" or (c.role == "delta" and c.start < end + _DELTA_CHARS) for c in right):
        return False
    if _DELTA_BEFORE.search(sentence, max(0, start - _DELTA_BEFORE_CHARS), start):
        return False
    if any(c.role in ("capex", "spend", "infra", "deal") for c in right):
        return True
    left_limit = max(prev_end, start - _LEFT_CHARS)
    left = [c for c in cues if left_limit <= c.start and c.end <= start and c.role != "delta"]
    if left:
        return left[-1].role != "neg"
    roles = {c.role for c in cues}
    if follows_capex and not roles & {"neg", "spend", "deal"}:
        return True
    return "capex" in roles or ("spend" in roles and "infra" in roles)


def _object_of_negative(sentence: str, cues: list[Cue], start: int, prev_end: int) -> bool:
    """True when the figure is the object of a not-spending word right before it ("received $8 billion",
    "insure a $20 billion campus", "revenue of $5 billion", "sold $24 billion worth") or the level a not-spending
    noun reaches ("total liabilities could climb to $150bn")."""
    before = [c for c in cues if prev_end <= c.start and c.end <= start]
    if not before or before[-1].role != "neg":
        return False
    return (_NEAR_GAP.fullmatch(sentence, before[-1].end, start) is not None
            or _LEVEL_GAP.fullmatch(sentence, before[-1].end, start) is not None)


def is_hypothetical(sentence: str) -> bool:
    """True for explainer sentences about a generic case ("when you put $10 billion in one place")."""
    return _HYPOTHETICAL.search(sentence) is not None


def is_sector_figure(sentence: str, start: int, end: int, named_subject: bool = False) -> bool:
    """True when the stretch around a figure speaks of a whole sector ("a combined $700 billion by hyperscalers"), or
    the sentence opens on it ("Global spending on data centers could reach $7 trillion"); with a named company as
    subject only a sum word counts ("Microsoft … $80bn as Big Tech's race heats up" is not)."""
    pattern = _AGGREGATE if named_subject else _SECTOR
    return pattern.search(sentence, start, end) is not None or opens_on_sector(sentence)


def opens_on_sector(sentence: str) -> bool:
    """True when the sentence opens on a whole market's spending ("Global spending on data centers could reach")."""
    return _SECTOR_OPENING.match(sentence) is not None


# spending aimed at AI as a whole: "spend as much as $65 billion on AI", "invest $80 billion in AI this fiscal year",
# "$100 billion this year, mostly on AI" (not "in AI start-ups", "on AI talent", "AI research")
_SPEND_ON_AI = re.compile(
    r"(?i:\b(?:spend\w*|spent|invest\w*|pour\w*|plow\w*|splurge|commit\w*|capex|capital\sexpenditures?)\b"
    r"[^.;]{0,60}?\b(?:on|in|into|toward|towards)\s(?:generative\s)?(?:(?-i:AI)|artificial\sintelligence)\b(?!\s(?:start-?ups?|startups?|companies|"
    r"firms|models?|talent|research|safety|education|training|literacy|skills|software|apps?|tools|agents?|"
    r"products?|features?)\b)(?![-\w]))")


def spends_on_ai(sentence: str) -> bool:
    """True when the sentence spends money on AI as a whole ("spend $65 billion on AI this year")."""
    return _SPEND_ON_AI.search(sentence) is not None


def names_ai_infrastructure(sentence: str) -> bool:
    """True when a sentence names AI infrastructure (data centres, chips, compute, capacity, capex...)."""
    return _AI_INFRA.search(sentence) is not None


def is_market_forecast(sentence: str, start: int, end: int, forecaster_sells: bool) -> bool:
    """True for a forecast of a market's spending made by someone who does not spend it: "Morgan Stanley expects
    $3 trillion of global data center spending", "Huang (Nvidia) expects $3 trillion to $4 trillion in AI
    infrastructure spending", "estimated that $3 trillion will be spent on AI infrastructure" (spent by no one named).
    The figure is a sector figure, not the forecaster's."""
    if not _FORECAST_BEFORE.search(sentence, max(0, start - _FORECAST_CHARS), start):
        return False
    if _UNNAMED_SPENDERS.match(sentence, end):
        return True
    phrase = _MARKET_SPEND_AFTER.match(sentence, end)
    return phrase is not None and (forecaster_sells or _MARKET_WORD.search(phrase.group()) is not None)


def has_capex_cue(cues: list[Cue]) -> bool:
    """True when a sentence speaks of capital spending."""
    return any(c.role == "capex" for c in cues)


def is_consensus(sentence: str, start: int, end: int, prev_end: int) -> bool:
    """True when the figure at [start, end) is the analysts' expectation the figure before it is measured against
    ("$34.9 billion, above the $30 billion analysts had expected", "topping the FactSet consensus of $31 billion")."""
    return prev_end > 0 and (_CONSENSUS_AFTER.match(sentence, end) is not None
                             or _CONSENSUS_BEFORE.search(sentence, max(prev_end, start - 60), start) is not None)


def names_consensus(sentence: str, end: int) -> bool:
    """True when words naming analysts' expectations stand before `end` ("Analysts had on average expected")."""
    return _CONSENSUS_WORDS.search(sentence, 0, end) is not None


def without_consensus(sentence: str) -> str:
    """The sentence with the words naming analysts' expectations blanked, so that the status of a reported figure
    beside them is read from the company's own verbs ("capex of $24 billion beat the consensus estimate")."""
    return blank(_CONSENSUS_WORDS, sentence)


def is_comparison(sentence: str, start: int, prev_end: int) -> bool:
    """True when the figure at `start` is the prior level of the figure before it ("up from $91 billion")."""
    return prev_end > 0 and _COMPARISON.search(sentence, max(prev_end, start - 40), start) is not None


def _clause_end(sentence: str, pos: int) -> int:
    """End of the clause after pos: the next ";", ",", "(" or dash (not the comma of "a $20bn, four-year contract")."""
    match = _CLAUSE_BREAK.search(sentence, pos)
    while match is not None and _STACKED_ADJECTIVE.match(sentence, match.start()):
        match = _CLAUSE_BREAK.search(sentence, match.end())
    return match.start() if match else len(sentence)


def kind_of(sentence: str, cues: list[Cue], single_period: bool) -> str:
    """"capex" when the sentence speaks of capital spending (or spending over one period), else "investment"."""
    roles = {c.role for c in cues}
    if "capex" in roles:
        return "capex"
    if single_period and "spend" in roles and "deal" not in roles and _SPEND_VERB.search(sentence):
        return "capex"
    return "investment"


def status_of(sentence: str, kind: str, period_ended: bool | None, is_sector: bool) -> str:
    """actual, guidance, plan or estimate, from the sentence's verbs and the period."""
    if _ESTIMATE.search(sentence) and (is_sector or not _GUIDANCE.search(sentence)
                                       or _ANALYSTS_FORECAST.search(sentence) or _RESEARCH_FORECAST.search(sentence)):
        return "estimate"
    if kind == "investment":
        if _SPENT.search(sentence) and not _GUIDANCE.search(sentence):
            # "had spent more than 100 billion yuan on AI infrastructure over the past four quarters", "has invested
            # $15 billion since 2023": spent so far, whether or not the period has ended
            return "actual"
        return "actual" if period_ended and _ACTUAL.search(sentence) else "plan"
    if period_ended:
        return "actual"
    if period_ended is False or _GUIDANCE.search(sentence):
        return "guidance"
    return "actual" if _ACTUAL.search(sentence) else "guidance"


def is_deal_figure(sentence: str, cues: list[Cue], start: int) -> bool:
    """True when the words just before a figure make it a deal's or a spending plan's own amount ("an agreement with
    OpenAI worth over $300 billion", "plans to spend $10 billion"), even in a sentence about financing."""
    before = [c for c in cues if start - _DEAL_CHARS <= c.start and c.end <= start]
    if not before or before[-1].role not in ("spend", "capex") or _VALUED.search(sentence, 0, before[-1].end):
        return False
    if _ROUND.search(sentence) and sentence[before[-1].start:before[-1].end].lower().startswith("invest"):
        return False  # "contributed to OpenAI's funding round, investing $30 billion": a stake in the round
    return _NEAR_GAP.fullmatch(sentence, before[-1].end, start) is not None


# money spent on power generation itself ("an additional $5 billion to expand solar generation and battery storage"):
# power counts as AI infrastructure only where its sentence ties it to data centres or AI; a gigawatt figure alone
# ("its 20-gigawatt solar park") does not
_ENERGY_PURPOSE = re.compile(r"(?i:[\])]*\s(?:to|in|on|for|into)\s(?:[\w-]+\s){0,3}?(?:renewable|solar|wind|nuclear|"
                             r"hydro|batter(?:y|ies)|energy\sstorage|(?:power|electricity)\sgeneration|transmission|grid)\b)")
_TIED_TO_AI = re.compile(r"(?i:\bdata[\s-]?cent(?:er|re)s?\b|\bdatacent|\bAI\b|\bcompute\b|\bcomputing\b|\bgpus?\b|"
                         r"\bservers?\b|\bchips?\b|\bcloud\b|\bhyperscal)")
# a research or consulting firm forecasting a market ("McKinsey estimates data center spending will reach $7 trillion",
# "Gartner forecasts …"): the figure is a sector estimate, not the spending of a company named elsewhere in the text
_RESEARCH_FORECAST = re.compile(
    r"\b(?:McKinsey|Gartner|IDC|Dell['’]Oro|Synergy\sResearch|BloombergNEF|BNEF|Bain|Boston\sConsulting\sGroup|BCG|"
    r"Deloitte|KPMG|PwC|Forrester|Omdia|TrendForce|Counterpoint|Canalys|SemiAnalysis|Epoch\sAI|IEA|"
    # banks' research: "Morgan Stanley now expects global spending on data centres to reach $2.9trn"
    r"International\sEnergy\sAgency|Morgan\sStanley|Goldman\sSachs|JPMorgan|J\.P\.\sMorgan|Citi(?:group)?|"
    r"Bank\sof\sAmerica|BofA|UBS|Barclays|Jefferies|Bernstein|HSBC|Deutsche\sBank|Nomura|Wells\sFargo|Evercore|"
    r"Mizuho)\b(?:\s(?:Group|Research|Global\sInstitute|&\sCompany))?\]?\s?(?:also\s|now\s)?"
    r"(?i:estimates?|projects?|forecasts?|predicts?|expects?|sees|says|said|calculates?|reckons?)\b")
# how far before a figure (in prose characters) the research firm's forecast verb may stand: a clause's length
_RESEARCH_CHARS = 120


def is_power_generation(sentence: str, end: int) -> bool:
    """True when the figure ending at `end` pays for power generation or storage that its sentence does not tie to
    data centres or AI ("$5 billion to expand solar generation and battery storage")."""
    return _ENERGY_PURPOSE.match(sentence, end) is not None and _TIED_TO_AI.search(sentence) is None


def research_forecast_end(sentence: str, start: int) -> int | None:
    """Where the last research firm's forecast verb before `start` ends ("McKinsey estimates"), if it stands within
    a clause's length of the figure."""
    found = max(_RESEARCH_FORECAST.finditer(sentence, 0, start), key=lambda m: m.start(), default=None)
    if found is None or len(re.sub(r"\s+", " ", sentence[found.end():start])) > _RESEARCH_CHARS:
        return None
    return found.end()


# another industry's own plant (policy rule 5): a chip factory ("a semiconductor fabrication plant", "its new fab",
# "foundry capacity", "a wafer plant") or an oil, gas, mining, steel, rail or car business ("the oil and gas producer",
# "drilling in shale basins", "a blast furnace", "the steelmaker", "rail network", "the carmaker")
_OTHER_INDUSTRY = re.compile(
    r"(?i:\b(?:chip|semiconductor|wafer|memory)\s(?:fabs?|fabrication|factor(?:y|ies)|plants?|(?:production\s)?lines?)\b|"
    r"\bfab\sclusters?\b|"
    r"\bfabrication\s(?:plants?|facilit(?:y|ies))\b|\bfabs\b|\b(?:new|a|its|the)\sfab\b|\bfoundr(?:y|ies)\b|"
    # ("Tata Electronics' fab at Dholera", "is mostly going to chipmaking")
    r"\w['’]s?\sfab\b|\bchip[\s-]?making\b|"
    # ("The world's largest contract chipmaker said capital expenditure this year will be ...": a foundry's own plants)
    r"\bcontract\s(?:chip\s?makers?|chip\smanufacturers?)\b|"
    r"\boil(?:\sand\sgas)?\s(?:producers?|companies|company|majors?|fields?)\b|\bdrilling\b|\bshale\b|\bcrude\b|"
    r"\brefiner(?:y|ies)\b|\bsteel(?:makers?|\splants?|\smills?)?\b|\bblast\sfurnaces?\b|"
    r"\b(?:copper|gold|iron\sore|lithium|coal)\s(?:mines?|mining|miners?)\b|\bmining\s(?:company|companies|group)\b|"
    r"\brailways?\b|\brail\s(?:network|lines?|operator)\b|\bcarmakers?\b|\bautomakers?\b|\bEV\splants?\b|"
    r"\bvehicle\splants?\b|"
    # chips made for others and quantum machines: "committed $65 billion to U.S. manufacturing ... as it produces chips"
    r"\b(?:U\.S\.|US|American|domestic|chip|semiconductor)\smanufacturing\b|\bproduc(?:e|es|ing)\schips\b|"
    r"\bquantum\s(?:technology|technologies|computing|computers?)\b)")
# what makes such a sentence about AI infrastructure after all: the data centres or compute bought
_AI_ASSET = re.compile(r"(?i:\bdata[\s-]?cent(?:er|re)s?\b|\bdatacent(?:er|re)s?\b|\bAI\s(?:infrastructure|campus|"
                       r"cluster|servers?|capacity)\b|\bcompute\b|\bcomputing\s(?:power|capacity)\b|\bGPUs?\b|"
                       r"\bsupercomput\w*)")


def is_other_industry(sentence: str) -> bool:
    """True when a sentence is about another industry's own plant (a chip fab, oil, gas, mining, steel, rail, cars)
    and names no data centre or compute of its own: its money is not AI infrastructure (policy rule 5)."""
    return _OTHER_INDUSTRY.search(sentence) is not None and _AI_ASSET.search(sentence) is None
