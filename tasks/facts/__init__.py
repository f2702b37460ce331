"""Fact extraction: `extract_facts(text, published)` and `EXTRACTOR_VERSION` (first cut)."""

from __future__ import annotations

import re
from datetime import date

from tasks.models import Fact

EXTRACTOR_VERSION = "rules-0.1"

# "$80 billion", "$7bn"
_USD = re.compile(r"\$(\d+(?:\.\d+)?) ?(billion|bn)\b", re.I)
_SENTENCE = re.compile(r"[^.!?\n]+[.!?]?")


def extract_facts(text: str, published: date | None) -> list[Fact]:
    """Return the USD-billion figures of sentences that speak of spending."""
    facts: list[Fact] = []
    for sentence in _SENTENCE.finditer(text):
        if not re.search(r"\b(spend|invest|capex|capital)", sentence.group(), re.I):
            continue
        for match in _USD.finditer(sentence.group()):
            amount = float(match.group(1)) * 1e9
            evidence = sentence.group()
            facts.append(Fact(companies=(), amount=amount, amount_low=None, amount_high=None,
                              currency="USD", amount_usd=amount, period=None, period_start=None,
                              period_end=None, kind="capex", status="actual", qualifier=None,
                              evidence=evidence, evidence_start=sentence.start(),
                              evidence_end=sentence.end()))
    return facts
