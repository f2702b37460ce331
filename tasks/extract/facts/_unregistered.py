"""Spenders the registry does not know: the subject of a clause ("Iliad will invest"), the agent of a passive."""

from __future__ import annotations

import re

from tasks.extract.facts._companies import registry_pattern

# A spender the registry does not know, named as the subject of its clause: "Iliad will invest", "French telecom group
# Iliad said it would spend", "the state of Texas will spend", "Kenya's Safaricom plans", "Norway's sovereign wealth
# fund has committed". Descriptor words may come before the name; an appositive may stand between it and the verb.
_UNREGISTERED = re.compile(
    r"(?:(?:[A-Z][a-z]+|[a-z][\w-]*)\s){0,4}?"
    r"(?P<name>(?:[A-Z][\w&.-]*(?:['’]s)?)(?:\s(?:[A-Z][\w&.-]*(?:['’]s)?|AI|of|de|&))*"
    r"(?:\s(?:sovereign\swealth\sfund|wealth\sfund|pension\sfund|government|state))?)"
    r"(?:,\s[^,]{2,80},)?\s"
    r"(?=(?:(?:also|now|still|already)\s)?"  # "Rivian also projects capital expenditures of …"
    r"(?:will|would|plans?|planned|is\splanning|intends?|aims?|expects?|projects|projected|forecasts|guided|"
    r"commit(?:s|ted)|pledg(?:es|ed)|"
    r"announc(?:es|ed)|unveil(?:s|ed)|is\s(?:investing|spending|building)|invest(?:s|ed)|spen(?:ds|t)|"
    r"to\s(?:invest|spend|build)|agreed|signed|allocat(?:es|ed)|earmark(?:s|ed)|budgeted|approved|"
    r"has\s(?:committed|pledged|earmarked|allocated|invested|spent|signed|agreed|announced|unveiled)|"
    r"said\s(?:on\s\w+\s)?(?:that\s)?it\s(?:will|would|plans|expects|intends|is))\b)")
# the agent of a passive before the figure: "a 12-MW data centre opened by Lumo in Munich cost 1 billion euros", "the
# campus being built by Crusoe will cost $15 billion"
_PASSIVE_AGENT = re.compile(r"\b(?:built|opened|operated|owned|developed|run|planned|proposed|launched|constructed)\s"
                            r"by\s(?P<name>[A-Z][\w&.-]*(?:\s[A-Z][\w&.-]*){0,2})")


def passive_agent(sentence: str, start: int, end: int) -> str | None:
    """The unregistered company named as the agent of a passive in sentence[start:end] ("opened by Lumo"), else None."""
    match = _PASSIVE_AGENT.search(sentence, start, end)
    if match is None:
        return None
    name = match.group("name")
    if name.split()[0] in _NOT_A_NAME or registry_pattern().search(name):
        return None
    return name


# "Texas-based Lumo Cloud", "San Francisco-based Lumo": the home before an unregistered company's name
_PLACE_BASED = re.compile(r"^(?:[A-Z][\w.]*\s){0,2}?[A-Z][\w.]*-based\s")
# "Jane Doe": two plain capitalised words, as a person's name is written (a company name usually carries a word
# such as "Group", "Bank" or "Energy")
_PERSON = re.compile(r"[A-Z][a-z]+\s(?!(?:Group|Bank|Capital|Energy|Partners|Holdings|Fund|Cloud|Technologies|Systems|"
                     r"Networks|Labs|Data|Power|Corp|Inc|Telecom|Digital|Computing|Compute|Infrastructure)\b)[A-Z][a-z]+")
# capitalised words that open a clause without naming a spender
_NOT_A_NAME = frozenset({
    "The", "This", "That", "These", "Those", "It", "Its", "In", "On", "At", "By", "For", "From", "With", "But", "And",
    "Or", "So", "Yet", "However", "Meanwhile", "Also", "Still", "A", "An", "He", "She", "They", "We", "I", "You",
    "Analysts", "Investors", "Shares", "Officials", "Executives", "Sources", "Reports", "Today", "Monday", "Tuesday",
    "Wednesday", "Thursday", "Friday", "Saturday", "Sunday", "January", "February", "March", "April", "May", "June",
    "July", "August", "September", "October", "November", "December", "CEO", "CFO", "Chief", "President",
    "Minister", "Prime", "Mr", "Ms", "Mrs", "Dr", "Separately", "Last", "Next", "Earlier", "Later", "Now", "AI",
    "Our", "Their", "His", "Her", "Each", "Both", "All", "Some", "Many", "Most", "Other", "Another", "One", "Two",
    "Although", "Though", "While", "When", "If", "As", "After", "Before", "Since", "Because", "Until", "Under",
    "Despite", "Plans", "Why", "How", "What", "Here", "There", "Then", "Instead", "Together", "Overall",
    # the company's own people: "Management guided to capital expenditure of roughly $5bn" is the company's guidance
    "Management", "Bosses", "Leadership", "Directors",
})


def unregistered_subject(sentence: str, start: int, end: int, article: str = "") -> str | None:
    """The spender named at the start of sentence[start:end] when the registry does not know it, else None; a
    single word that the `article` writes elsewhere after a first name ("Jane Doe") is a person's surname."""
    match = _UNREGISTERED.match(sentence, start, end)
    if match is None:
        return None
    name = _PLACE_BASED.sub("", match.group("name"))  # "Texas-based Lumo Cloud": the company, not its home
    first = re.split(r"[\s'’]", name, maxsplit=1)[0]
    if first in _NOT_A_NAME or registry_pattern().search(name):
        return None
    if " " not in name and _is_surname(name, article):
        return None  # "Doe said it would spend": the chief executive speaking for the company
    if _PERSON.fullmatch(name) and sentence.startswith("said", match.end()):
        return None  # "Jane Doe said it will": a spokesperson, the company is "it"
    _owner, sep, rest = name.rpartition("'s ") if "'s " in name else name.rpartition("’s ")
    if sep and rest[:1].isupper():
        return rest  # "Kenya's Safaricom": the company, not its country
    return name


def _is_surname(word: str, article: str) -> bool:
    """True when `article` writes `word` after a capitalised first name ("CEO Jane Doe"), as a person's name."""
    for found in re.finditer(r"\b([A-Z][a-z]+)\s" + re.escape(word) + r"\b", article):
        first = found.group(1)
        if first not in _NOT_A_NAME and not registry_pattern().fullmatch(first) and _PERSON.fullmatch(found.group(0)):
            return True
    return False
