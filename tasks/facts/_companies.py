"""Actors named in a sentence, from the registry in companies.toml."""

from __future__ import annotations

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


@dataclass(frozen=True, slots=True)
class Mention:
    """An actor named at [start, end) of the text."""

    start: int
    end: int
    actor: Actor


@dataclass(frozen=True, slots=True)
class _Registry:
    pattern: re.Pattern[str]
    by_alias: dict[str, Actor]
    by_name: dict[str, Actor]


@lru_cache(maxsize=1)
def _registry() -> _Registry:
    """Load companies.toml and compile one alternation of all aliases (longest first)."""
    with _REGISTRY_FILE.open("rb") as handle:
        data: dict[str, Any] = tomllib.load(handle)
    by_alias: dict[str, Actor] = {}
    by_name: dict[str, Actor] = {}
    for entry in data["actors"]:
        actor = Actor(entry["name"], entry["type"], int(entry.get("fy_end", 12)),
                      tuple(entry.get("not_before", ())), tuple(entry.get("not_after", ())))
        by_name[actor.name] = actor
        for alias in [*entry.get("aliases", []), *entry.get("tickers", [])]:
            by_alias[alias] = actor
    aliases = sorted(by_alias, key=len, reverse=True)
    # whole words only; "Google's" and "Meta-owned" still match
    pattern = re.compile(r"(?<![\w&.])(?:" + "|".join(re.escape(a) for a in aliases) + r")(?![\w&]|\.\w)")
    return _Registry(pattern, by_alias, by_name)


def actor(name: str) -> Actor | None:
    """The registry entry of a canonical name."""
    return _registry().by_name.get(name)


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
        mentions.append(Mention(match.start(), match.end(), found))
    return mentions


def _is_clash(text: str, start: int, end: int, found: Actor) -> bool:
    """True when the words around a name show it is something else."""
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
