"""The one interface between the pipeline and fact extraction.

The flows and `capex extract` call `get_extractor().analyse(...)`. Another extractor (an LLM, say)
implements the same protocol and can be compared with the rule-based one on the same data.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from typing import Protocol

from tasks.models import Analysis


class Extractor(Protocol):
    """Classifies an article and extracts its AI-capex facts."""

    version: str

    def analyse(self, title: str | None, text: str, published: date | None) -> Analysis:
        """Return the classification and facts of one article."""
        ...


class RuleExtractor:
    """The deterministic, offline extractor in tasks/extract/classify.py and tasks/extract/facts/."""

    def __init__(self) -> None:
        from tasks.extract.facts import EXTRACTOR_VERSION

        self.version = EXTRACTOR_VERSION

    def analyse(self, title: str | None, text: str, published: date | None) -> Analysis:
        """Extract the facts wherever they appear, then judge separately whether the article is a story."""
        from tasks.extract.classify import classify
        from tasks.extract.facts import _MAX_TEXT_CHARS as FACTS_MAX_CHARS  # limit: to say when text was cut
        from tasks.extract.facts import extract_facts

        facts = tuple(extract_facts(text, published)) if isinstance(text, str) else ()
        classification = classify(title, text, facts)
        if isinstance(text, str) and len(text) > FACTS_MAX_CHARS:
            cut = f"facts read from the first {FACTS_MAX_CHARS:,} of {len(text):,} characters"
            classification = replace(classification, reasons=(*classification.reasons, cut))
        return Analysis(classification=classification, facts=facts, extractor_version=self.version)


_EXTRACTORS: dict[str, Extractor] = {}


def get_extractor(name: str = "rules") -> Extractor:
    """Return the named extractor (cached per process)."""
    if name not in _EXTRACTORS:
        if name != "rules":
            from tasks.errors import ConfigError

            raise ConfigError(f"unknown extractor {name!r} (known: rules)")
        _EXTRACTORS[name] = RuleExtractor()
    return _EXTRACTORS[name]
