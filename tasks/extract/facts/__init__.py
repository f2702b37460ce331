"""Fact extraction: `extract_facts(text, published)` and `EXTRACTOR_VERSION`.

Rule-based, deterministic and offline. Each sentence is read by _reader: sentences (_sentences) -> money figures
(_amounts) -> is it spending (_kinds; _notspending for rates, funds, order books, sums and stakes) -> companies
(_companies; _deals for who buys in a deal, _unregistered for spenders the registry does not know) -> period
(_figure_period, over the expressions of _periods) -> USD (_fx). _context holds what the sentences around one say (who
"the company" is, lists, facts found so far).
"""

from __future__ import annotations

from dataclasses import replace
from datetime import date

from tasks.extract.facts._amounts import find_money
from tasks.extract.facts._context import Context
from tasks.extract.facts._reader import SentenceReader
from tasks.extract.facts._repeats import drop_headline_restatements, drop_undated_repeats
from tasks.extract.facts._sentences import mask_urls, split_sentences
from tasks.models import Fact

EXTRACTOR_VERSION = "rules-1.16"

# an article is far shorter; a 5 MB page is read only this far so that it cannot stall a run
_MAX_TEXT_CHARS = 300_000


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
        for fact in SentenceReader(prose, sentence, index, context, published).facts():
            key = (frozenset(fact.companies), fact.amount, fact.amount_low, fact.amount_high, fact.currency,
                   fact.period)
            if key not in seen:
                seen[key] = len(facts)
                facts.append(fact)
            elif facts[seen[key]].qualifier is None and fact.qualifier is not None:
                # "Meta to spend $135bn" then "as much as $135 billion": the hedge holds for the first statement too
                facts[seen[key]] = replace(facts[seen[key]], qualifier=fact.qualifier)
    return drop_headline_restatements(drop_undated_repeats(facts), sentences)
