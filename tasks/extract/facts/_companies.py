"""Actors named in a sentence, from the registry in companies.toml."""

from __future__ import annotations

import itertools
import re
import tomllib
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

_REGISTRY_FILE = Path(__file__).parent / "companies.toml"
# actors attached only when no company is named in the sentence
FALLBACK_TYPES = frozenset({"country", "sector"})
# "the company said", "its capex", "the tech giant": references to the story's main subject
_REFERENCE = re.compile(
    r"\b(?:the company|the firm|the group|the tech giant|the giant|the social media giant|the search giant|"
    r"the e-commerce giant|the cloud giant|the chipmaker|the ChatGPT maker|the startup|the conglomerate|"
    r"the iPhone maker|the retailer|the social network|its|it|It|Its|they|their|The company|The firm|"
    r"The group|The tech giant)\b"
    # "that investment", "the spending": the spending of the subject named before
    r"|\b(?:[Tt]hat|[Tt]his|[Tt]hose|[Tt]hese)\s(?:investment|spending|money|capex|budget|outlay|commitment)s?\b")


@dataclass(frozen=True, slots=True)
class Actor:
    """One registry entry."""

    name: str
    type: str
    fy_end: int
    not_before: tuple[str, ...]
    not_after: tuple[str, ...]
    # names its fiscal years by the year they start in (SoftBank's FY2025 ends in March 2026)
    fy_start_named: bool = False


@dataclass(frozen=True, slots=True)
class Mention:
    """An actor named at [start, end) of the text; `is_project` when the name is one of its projects ("Stargate")."""

    start: int
    end: int
    actor: Actor
    is_project: bool = False


@dataclass(frozen=True, slots=True)
class _Registry:
    pattern: re.Pattern[str]
    by_alias: dict[str, Actor]
    by_name: dict[str, Actor]
    projects: frozenset[str]


@lru_cache(maxsize=1)
def _registry() -> _Registry:
    """Load companies.toml and compile one alternation of all aliases (longest first)."""
    with _REGISTRY_FILE.open("rb") as handle:
        data: dict[str, Any] = tomllib.load(handle)
    by_alias: dict[str, Actor] = {}
    by_name: dict[str, Actor] = {}
    projects: set[str] = set()
    for entry in data["actors"]:
        projects.update(entry.get("projects", ()))
        actor = Actor(entry["name"], entry["type"], int(entry.get("fy_end", 12)),
                      tuple(entry.get("not_before", ())), tuple(entry.get("not_after", ())),
                      entry.get("fy_label") == "start")
        by_name[actor.name] = actor
        for alias in [*entry.get("aliases", []), *entry.get("tickers", [])]:
            by_alias[alias] = actor
    aliases = sorted(by_alias, key=len, reverse=True)
    # whole words only; "Google's" and "Meta-owned" still match, "Dell'Oro" (a research firm) is not Dell
    pattern = re.compile(r"(?<![\w&.])(?:" + "|".join(re.escape(a) for a in aliases) + r")(?![\w&]|\.\w|['’](?!s\b)\w)")
    return _Registry(pattern, by_alias, by_name, frozenset(projects))


def actor(name: str) -> Actor | None:
    """The registry entry of a canonical name."""
    return _registry().by_name.get(name)


def registry_pattern() -> re.Pattern[str]:
    """The compiled alternation of every registry alias (whole words)."""
    return _registry().pattern


def registry_size() -> int:
    """Number of actors in the registry."""
    return len(_registry().by_name)


def find_mentions(text: str, start: int = 0, end: int | None = None) -> list[Mention]:
    """Actors named in text[start:end], name clashes ("Amazon rainforest") removed."""
    registry = _registry()
    end = len(text) if end is None else end
    mentions: list[Mention] = []
    for match in registry.pattern.finditer(text, start, end):
        found = registry.by_alias[match.group()]
        if _is_clash(text, match.start(), match.end(), found):
            continue
        mentions.append(Mention(match.start(), match.end(), found, match.group() in registry.projects))
    return mentions


def _is_clash(text: str, start: int, end: int, found: Actor) -> bool:
    """True when the words around a name show it is something else ("the Paris-based model maker": a home, not
    France)."""
    if text.startswith("-based", end):
        return True
    after = text[end:end + 20].lstrip(" '’s").lower()
    before = text[max(0, start - 16):start].rstrip().lower()
    return any(after.startswith(word) for word in found.not_before) or any(
        before.endswith(word.lower()) for word in found.not_after)


def names_in(mentions: list[Mention]) -> tuple[str, ...]:
    """Canonical names in order of first mention; countries and sectors only when nothing else is named."""
    names: list[str] = []
    for mention in mentions:
        if mention.actor.type not in FALLBACK_TYPES and mention.actor.name not in names:
            names.append(mention.actor.name)
    if names:
        return tuple(names)
    for mention in mentions:
        if mention.actor.name not in names:
            names.append(mention.actor.name)
    return tuple(names)


def has_reference(sentence: str) -> bool:
    """True when the sentence refers back to a subject ("the company", "its", "it")."""
    return _REFERENCE.search(sentence) is not None


# capitalised words after "said" that do not open a new subject: "said Tuesday it would", "said It", "said The company"
_NOT_SPEECH_SUBJECT = (r"(?!(?:Monday|Tuesday|Wednesday|Thursday|Friday|Saturday|Sunday|January|February|March|"
                       r"April|May|June|July|August|September|October|November|December|It|In|On|At|The|This|That|Last|Next|We|"
                       r"Our|Its|CEO|Chief)\b)")
# Attribution: which of the actors named in a sentence is the spender of one figure.
# "…$115 billion for 2026, while Oracle projects $50 billion", "…; Meta…", "…, but Google…", "…, and compatriot
# Adani outlining…": a new clause with its own subject
_CLAUSE_BREAK = re.compile(r";\s|:\s(?=\[?[A-Z])|,\s(?:while|whereas|but|although|though)\s|\s(?:while|whereas)\s|"
                           r",\sand\s(?!\[?[A-Z])"
                           r"|,\sand\s(?=the\s)"
                           # "Tan said Anthropic had placed a $10 billion order", "the chipmaker's CEO told investors
                           # that OpenAI will spend": the speaker is not the spender when a name opens what is said
                           r"|\b(?:said|says|told\s(?:[a-z]+\s)?[A-Za-z]+)\s(?:that\s)?(?=\[?"
                           + _NOT_SPEECH_SUBJECT + r"[A-Z])")
# "After the Intel deal was revealed, the company announced…": an introductory clause is not the subject
_INTRO_CLAUSE = re.compile(r"(?i)^(?:(?:[\w-]+\s){0,2}(?:after|before)|when|once|since|although|though|as|if|until|"
                           r"because|while)\s[^,]{3,120},\s")
# "including Amazon, Alphabet and Microsoft", "such as", "countries like", "rivals", "more than Google":
# examples and comparisons, not the spender; "capacity from Nebius", "on Dutch cloud provider Nebius": suppliers;
# "in OpenAI", "in India": targets and places
_BYSTANDER_BEFORE = re.compile(
    r"(?i:\b(?:including|includes|include|included|such\sas|like|likes\sof|than|rivals?|competitors?|peers?|"
    r"versus|vs\.?|compared\s(?:with|to)|unlike|besides|outpacing|ahead\sof|from|on|at|in|into)\s"
    # (the words between stay in the phrase: "in 2025 and Microsoft", "in December Tan said Anthropic" leave it)
    # ("analysts at Jefferies expect Oracle to spend": a forecasting verb ends the phrase)
    r"(?:(?!(?:and|or|but|said|says|told|with|expects?|expected|forecasts?|estimates?|sees?|thinks?|predicts?|"
    r"reckons?|believes?)\s)[\w'’-]+\s){0,3})\W{0,2}$")
# "including Amazon, Google and Microsoft": members of a group, the spenders when the group is not named
_MEMBERS_BEFORE = re.compile(r"(?i:\b(?:including|includes|include|such\sas|the\slikes\sof)\s\W{0,2})$")
# a backer or owner named as an adjective of the spender: "Microsoft-backed OpenAI", "SoftBank-owned Arm"
_BACKER_AFTER = re.compile(r"\]?-(?:backed|owned|funded|supported|controlled|affiliated)\b")
# what a buyer rents, buys or uses, named by its owner's possessive: "will rent Google Cloud's TPUs", "to use 500,000 of
# Amazon's chips"
_USES_BEFORE = re.compile(r"(?i:\b(?:buy|buys|bought|buying|rent(?:s|ed|ing)?|lease[sd]?|leasing|use|uses|used|using|"
                          r"purchas\w*|access(?:es|ed|ing)?)\s(?:[\w,'’-]+\s){0,3}\W{0,2}$)")
# the payee of a payment is the seller, not a spender: "OpenAI agreed to pay Oracle $300 billion for computing power"
_PAYEE_BEFORE = re.compile(r"(?i:\b(?:pay|pays|paying|paid|owes?|owed)\s(?:the\s)?\W{0,2})$")
# "Meta's last earnings report": a possessive names its owner, whatever the preposition before it
_POSSESSIVE = re.compile(r"['’]s\b")
# after the figure only partners and agents count: "deal with Oracle", "investment from Nvidia", "spending by Meta",
# "agreement with social media giant Meta"
_PARTNER_BEFORE = re.compile(r"(?i:\b(?:with|from|by)\s(?:the\s)?(?-i:[a-z][\w-]*\s){0,3}\W{0,2})$")
# between a country's possessive and the actor it places: "China's tech giants", "Korea's biggest chipmakers"
_OWNED_NEXT = re.compile(r"['’]s\s(?:[a-z][\w-]*\s){0,2}\W{0,2}")
# a purchase before its figure makes the party after "from" the seller, not a spender (policy rule 14): "agreed to
# buy $6.3 billion of computing capacity from CoreWeave", "will rent $2 billion of GPUs from Lambda"; money spent or
# paid on what a seller provides: "will spend $14 billion on AI capacity from Lumo", "agreed to pay $9 billion for GPU
# capacity from Lumo"
_PURCHASE_BEFORE = re.compile(r"(?i:\b(?:buy|buys|bought|buying|purchas\w*|rent(?:s|ed|ing)?|lease[sd]?|leasing|"
                              r"spend|spends|spending|spent|pay|pays|paying|paid|commit(?:s|ted)?|"
                              r"procur\w*)\s(?:[\w-]+\s){0,3}\W{0,2}$)")
# what is bought, then its seller: "of computing capacity from Microsoft", "GPUs from Lambda", "cloud services from"
_SUPPLY_FROM = re.compile(r"(?i:\b(?:capacity|compute|computing(?:\spower)?|chips|GPUs|servers|services|cloud|"
                          r"infrastructure)\sfrom\s(?:the\s)?(?-i:[a-z][\w-]*\s){0,3}\W{0,2})$")
_SELLER_BEFORE = re.compile(r"(?i:\bfrom\s(?:the\s)?(?-i:[a-z][\w-]*\s){0,3}\W{0,2})$")
# a partner is named close after its figure, in the same phrase: "worth $27 billion with Blue Owl Capital",
# "a $27 billion five-year AI infrastructure agreement with social media giant Meta" (48 missed that one; same dev-set
# scores)
_PARTNER_CHARS = 80
# what may stand between the members of one group: "Alibaba, Tencent and Baidu", "[Amazon](…), [Meta](…)"
_GROUP_GAP = re.compile(r"(?:['’]s)?[\s\])]*(?:,|,?\s(?:and|&)|&)[\s\[(]*")
# "the company", "it", "the firm": the subject of the clause is named elsewhere
_SUBJECT_REFERENCE = re.compile(
    r"(?i:\b(?:the\s(?:company|firm|group|tech\sgiant|giant|chipmaker|startup|conglomerate|retailer|"
    r"[\w-]+\s(?:giant|maker|company|firm|provider|operator))|it|its|they|their|we|our|the\sfigure|"
    r"(?:that|this|those|these)\s(?:investment|spending|money|capex|budget|outlay|commitment)s?)\b)")
# Descriptors news uses for a company it has named: "the EV maker", "the Windows maker", "the Chinese tech giant".
# Each resolves to the nearest earlier mention of its companies (a name) or of its registry types, so that a second
# company named in between ("… CoreWeave shares jumped. The social media company expects …") is not taken for it.
_DESCRIPTORS: tuple[tuple[str, frozenset[str]], ...] = (
    # "the social media giant", "the Facebook parent", "the Instagram owner"
    (r"social[\s-]media\s(?:giant|company|firm|group)|(?:facebook|instagram)\s(?:parent|owner)", frozenset({"Meta"})),
    # "the search giant", "the Google parent", "the YouTube owner"
    (r"search\s(?:giant|company)|(?:google|youtube)\s(?:parent|owner)", frozenset({"Alphabet"})),
    # "the Windows maker", "the software giant", "the Xbox maker"
    (r"(?:windows|xbox)\s(?:maker|owner)|software\sgiant", frozenset({"Microsoft"})),
    # "the e-commerce giant", "the online retailer"
    (r"e-?commerce\s(?:giant|company|firm)|online\sretailer", frozenset({"Amazon"})),
    # "the iPhone maker"
    (r"iphone\smaker", frozenset({"Apple"})),
    # "the EV maker", "the electric vehicle maker", "the electric-car company"
    (r"(?:ev|electric[\s-](?:vehicle|car))\s(?:maker|company|giant)|automaker|carmaker", frozenset({"Tesla"})),
    # "the chipmaker", "the chip designer", "the chip giant", "the GPU maker"
    (r"chip\s?(?:maker|designer|giant|company|firm)|(?:gpu|semiconductor)\s(?:maker|giant|company|firm)",
     frozenset({"chipmaker"})),
    # "the AI lab", "the ChatGPT maker", "the Claude maker", "the AI startup", "the lab", "the Paris-based model maker"
    (r"(?:ai\s)?lab|(?:chatgpt|claude|gemini)\s(?:maker|developer|owner)|ai\s(?:startup|start-up|developer|company)|"
     r"(?:ai\s)?model[\s-]?(?:maker|developer|builder)",
     frozenset({"ai_lab"})),
    # "the cloud provider", "the cloud giant", "the neocloud"
    # ("The cloud group", "the cloud operator")
    (r"cloud\s(?:provider|giant|company|firm|group|operator)|neocloud(?:\sprovider)?",
     frozenset({"hyperscaler", "neocloud"})),
    # "the tech giant", "the Chinese tech giant", "the internet giant"
    (r"(?:tech|technology|internet)\s(?:giant|company|group|conglomerate)",
     frozenset({"hyperscaler", "big_tech", "china_tech", "chipmaker", "conglomerate", "telco", "hardware",
                "software"})),
    # "the government", "the Ministry of Science and ICT", "the administration": the country named before
    (r"government|ministry|cabinet|administration", frozenset({"country"})),
)
# "The EV maker said …", "and the Chinese tech giant expects …": a descriptor as the subject, up to two words between
_DESCRIPTOR = re.compile(r"(?i:\bthe\s(?:[\w-]+\s){0,2}?(?:" + "|".join(f"(?P<d{i}>{d})" for i, (d, _) in
                                                                 enumerate(_DESCRIPTORS)) + r")(?!['’]s)\b)")


@dataclass(frozen=True, slots=True)
class Descriptor:
    """A descriptor subject at `start` of a sentence and the names or registry types it can stand for."""

    start: int
    targets: frozenset[str]

    def fits(self, found: Actor) -> bool:
        """True when a registry actor is one the descriptor can stand for."""
        return found.name in self.targets or found.type in self.targets


def descriptor_subject(sentence: str, start: int, end: int) -> Descriptor | None:
    """The last descriptor ("the EV maker") in sentence[start:end], else None."""
    last = next(reversed(list(_DESCRIPTOR.finditer(sentence, start, end))), None)
    if last is None or last.lastgroup is None:
        return None
    return Descriptor(last.start(), _DESCRIPTORS[int(last.lastgroup[1:])][1])


# companies that supply what is inside a project: "a $10 billion Nvidia chip cluster" is not Nvidia's own
_SUPPLIER_TYPES = frozenset({"chipmaker", "hardware", "supplier"})
# four or more of the largest cloud companies sharing one figure: the hyperscalers as a group
_SECTOR_GROUP_SIZE = 4
_SECTOR_GROUP_TYPES = frozenset({"hyperscaler"})


# the antecedent of a relative clause that spends is the spender of its figure, whatever stands before the name:
# "competition with Google, which has announced plans to spend up to $185 billion", "shares of Meta, which expects
# capital expenditures of …"; "a deal with Nebius, which is worth $27 billion" describes the deal, not a spender
_RELATIVE_SPENDS = re.compile(
    # ("Tencent Holdings, which said": a corporate suffix after the name)
    r"(?:\s(?:Holdings|Group|Inc\.?|Corp\.?|Corporation|Ltd\.?|Limited|plc|Platforms|Technologies))?"
    r"(?:['’]s?)?\]?\s*,\s(?:which|that)\s(?:(?:also|now|still|already|recently|has|have|had|last\s\w+|in\sturn)\s){0,2}"
    r"(?:plans?|planned|expects?|expected|intends?|will|would|is\s(?:planning|spending|investing|building)|spends?|"
    r"spent|invest(?:s|ed)?|commit(?:s|ted)|pledg(?:es|ed)|announced|said|projects?|projected|forecasts?|guided|"
    r"earmark(?:s|ed)|allocat(?:es|ed)|budgeted|rais(?:es|ed)|lift(?:s|ed)|boost(?:s|ed))\b")
# how far after the relative pronoun its figure may stand
_RELATIVE_CHARS = 120
# the owner named between a figure and its project: "an $11 billion AWS data center campus", "a $10 billion Meta AI
# data center" (a supplier there names what is inside: "a $10 billion Nvidia chip cluster")
_OWNER_NEXT = re.compile(r"(?:['’]s)?\]?\s(?:[\w-]+\s){0,2}?(?:data\s?cent(?:er|re)s?|campus(?:es)?|project|facility|"
                         r"site|supercomputer)\b", re.IGNORECASE)
# (between the figure and the owner only a link's end and a space: "[$11 billion](…) AWS data center campus")
_OWNER_GAP = re.compile(r"[\])*_]*\s\[?")
# another figure before this one: "Nvidia invested $100 billion in OpenAI stock, and OpenAI then said it would buy
# $100 billion of chips" - a subject named after it opens the second figure's statement
_FIGURE = re.compile(r"[$€£¥₹]\s?\d|\d\s?(?:billion|trillion|bn|million)\b", re.IGNORECASE)


@dataclass(frozen=True, slots=True)
class Attribution:
    """The spender of one figure: the names found and whether a reference must be resolved."""

    names: tuple[str, ...]
    needs_reference: bool


def clause_spans(sentence: str) -> list[tuple[int, int]]:
    """[start, end) of the clauses of a sentence: an introductory clause, then clauses with a new subject."""
    cuts = [0]
    intro = _INTRO_CLAUSE.match(sentence)
    if intro:
        cuts.append(intro.end())
    cuts.extend(m.end() for m in _CLAUSE_BREAK.finditer(sentence))
    cuts = sorted(set(cuts)) + [len(sentence)]
    return [(a, b) for a, b in itertools.pairwise(cuts) if b > a]


def _groups(sentence: str, mentions: list[Mention], base: int) -> list[list[Mention]]:
    """Mentions joined into coordinated groups ("Alibaba, Tencent and Baidu")."""
    groups: list[list[Mention]] = []
    for mention in mentions:
        if groups and _GROUP_GAP.fullmatch(sentence, groups[-1][-1].end - base, mention.start - base):
            groups[-1].append(mention)
        else:
            groups.append([mention])
    return groups


def attribute(sentence: str, mentions: list[Mention], base: int, start: int, end: int) -> Attribution:
    """Who spends the figure at [start, end) of the sentence (offsets relative to the sentence).

    The subject of the figure's clause (the named actors before it that are not examples, comparisons,
    suppliers or places) plus partners and agents after it ("with Oracle", "from Nvidia"); a clause that
    names nobody refers back ("the company", "it") or shares the subject of the sentence.
    """
    clauses = clause_spans(sentence)
    here = next((c for c in clauses if c[0] <= start < c[1]), (0, len(sentence)))
    antecedent = _relative_antecedent(sentence, mentions, base, here, start) or _project_owner(sentence, mentions,
                                                                                               base, end)
    if antecedent:
        return Attribution(antecedent, False)
    chosen, members = _candidates(sentence, mentions, base, here, start, end)
    figures = [m.end() for m in _FIGURE.finditer(sentence, here[0], start)]
    if figures and any(m.start - base >= figures[-1] for m in chosen):
        chosen = [m for m in chosen if m.start - base >= figures[-1]]
    names = names_in(chosen)
    named_before = any(m.start - base < start for m in chosen)
    reference = not named_before and _SUBJECT_REFERENCE.search(sentence, here[0], start) is not None
    if not names and not reference:
        names = names_in(members)
    if (reference or not names) and here[0] > 0:
        # "Oracle spent $21.2 billion…, and it expects to spend another $25 billion": the sentence's own subject
        intro = _INTRO_CLAUSE.match(sentence)
        for clause in clauses:
            if clause[0] >= here[0]:
                break
            if intro and clause[1] == intro.end():
                continue
            earlier = names_in(_candidates(sentence, mentions, base, clause, clause[1], clause[1])[0])
            if earlier:
                return Attribution(tuple(dict.fromkeys((*earlier, *names))), False)
    return Attribution(names, reference or not names)


def _project_owner(sentence: str, mentions: list[Mention], base: int, end: int) -> tuple[str, ...]:
    """The company named right after a figure as the owner of its project ("a $10 billion Meta data center")."""
    for group in _groups(sentence, mentions, base):
        first = group[0].start - base
        if first < end or not _OWNER_GAP.fullmatch(sentence, end, first):
            continue
        if any(m.actor.type in FALLBACK_TYPES or m.actor.type in _SUPPLIER_TYPES for m in group):
            return ()
        return names_in(group) if _OWNER_NEXT.match(sentence, group[-1].end - base) else ()
    return ()


def _relative_antecedent(sentence: str, mentions: list[Mention], base: int, clause: tuple[int, int],
                         start: int) -> tuple[str, ...]:
    """The company group a spending relative clause before the figure hangs on ("Google, which plans to spend"),
    when no other company is named between it and the figure; else empty."""
    found: tuple[str, ...] = ()
    for group in _groups(sentence, mentions, base):
        last = group[-1].end - base
        if not clause[0] <= group[0].start - base < start:
            continue
        relative = _RELATIVE_SPENDS.match(sentence, last)
        if relative is not None and start - relative.end() <= _RELATIVE_CHARS:
            found = names_in(group) if all(m.actor.type not in FALLBACK_TYPES for m in group) else ()
        elif found and last <= start:
            found = ()  # a company named after the relative pronoun: its clause has its own subject
    return found


def _candidates(sentence: str, mentions: list[Mention], base: int, clause: tuple[int, int], start: int,
                end: int) -> tuple[list[Mention], list[Mention]]:
    """The spender candidates of a figure in its clause, and the members of an unnamed group before it."""
    chosen: list[Mention] = []
    members: list[Mention] = []
    groups = _groups(sentence, mentions, base)
    for number, group in enumerate(groups):
        first = group[0].start - base
        if not clause[0] <= first < clause[1]:
            continue
        lead = sentence[max(clause[0], first - 50):first]
        possessive = _POSSESSIVE.match(sentence, group[-1].end - base) is not None
        if possessive and number + 1 < len(groups) and all(m.actor.type == "country" for m in group) and (
                _OWNED_NEXT.fullmatch(sentence, group[-1].end - base, groups[number + 1][0].start - base)):
            continue  # "China's tech giants": the country places the spenders, it does not spend
        if first < start and _PAYEE_BEFORE.search(lead):
            continue  # "agreed to pay Oracle $300 billion": the payee sells
        if _BACKER_AFTER.match(sentence, group[-1].end - base):
            continue  # "Microsoft-backed OpenAI plans to spend": the backer describes the spender
        if possessive and _USES_BEFORE.search(lead):
            continue  # "Meta will rent Google Cloud's TPUs in a $10 billion deal": the owner of what is rented sells
        if first < start and (possessive or not _BYSTANDER_BEFORE.search(lead)):
            chosen.extend(group)
        elif first < start and _MEMBERS_BEFORE.search(lead):
            members.extend(group)
        elif (end <= first < end + _PARTNER_CHARS and _PARTNER_BEFORE.search(sentence, end, first)
              and not re.search(r"[,;\"”]", sentence[end:first])
              and not _sells(sentence, clause[0], start, end, first)):
            chosen.extend(group)
    return chosen, members


def _sells(sentence: str, clause_start: int, start: int, end: int, first: int) -> bool:
    """True when the party named at `first` after a figure sells it: "buy $6.3 billion of capacity from CoreWeave",
    "signed up for some $1.4trn of computing capacity from Microsoft, Oracle and Amazon"."""
    return _SELLER_BEFORE.search(sentence, end, first) is not None and (
        _PURCHASE_BEFORE.search(sentence, max(clause_start, start - 40), start) is not None
        or _SUPPLY_FROM.search(sentence, end, first) is not None)


def is_hyperscaler_group(names: tuple[str, ...] | list[str]) -> bool:
    """True for four or more hyperscalers named together: the sector by its members ("Microsoft, Alphabet, Amazon
    and Meta together plan to spend $650 billion"), kept named and scored like a sector figure (policy rule 6)."""
    found = [actor(n) for n in names]
    return sum(1 for a in found if a is not None and a.type in _SECTOR_GROUP_TYPES) >= _SECTOR_GROUP_SIZE
