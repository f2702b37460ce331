"""Restated figures: a figure said again without its period, or a headline figure the body states again."""

from __future__ import annotations

from dataclasses import replace

from tasks.extract.facts._sentences import Sentence
from tasks.models import Fact

# a headline figure converted at the day's rate and the body's stated dollar figure differ by rounding: 62 billion
# yuan is $8.71 billion at our rate and "$8.6 billion" in the text (1.3 %)
_RESTATED_SHARE = 0.02


def drop_undated_repeats(facts: list[Fact]) -> list[Fact]:
    """A figure restated without its period (a headline, "the $80bn budget") is the dated fact said again; a hedge
    the restatement carries ("about $80bn") goes to the dated fact."""
    def key(f: Fact) -> tuple[object, ...]:
        return frozenset(f.companies), f.amount, f.amount_low, f.amount_high, f.currency

    hedges = {key(f): f.qualifier for f in facts if f.period is None and f.qualifier is not None}
    return [f if f.qualifier is not None or key(f) not in hedges else replace(f, qualifier=hedges[key(f)])
            for f in facts if f.period is not None or key(f) not in {key(d) for d in facts if d.period is not None}]


def drop_headline_restatements(facts: list[Fact], sentences: list[Sentence]) -> list[Fact]:
    """A headline figure that the body states again ("China's tech giants lift AI spending to 62 billion yuan", then
    "Alibaba, Tencent and Baidu together spent 62 billion yuan ($8.6 billion)") is the body's fact said vaguely: the
    body's fact names the spenders, the headline's is dropped."""
    if not sentences or not is_headline(sentences):
        return facts
    end = sentences[0].end
    body = [f for f in facts if f.evidence_start >= end]
    return [f for f in facts if f.evidence_start >= end or not any(_restates(f, b) for b in body)]


def is_headline(sentences: list[Sentence]) -> bool:
    """True when the text opens with a headline: a first line of its own without a full stop."""
    first = sentences[0]
    alone = len(sentences) < 2 or sentences[1].paragraph != first.paragraph
    return alone and not first.text.rstrip().endswith((".", "!", "?", ":"))


def _restates(head: Fact, body: Fact) -> bool:
    """True when `head` gives `body`'s amount (within _RESTATED_SHARE) for the same period or an unstated one."""
    if head.period is not None and body.period is not None and head.period != body.period:
        return False
    if head.amount_usd is not None and body.amount_usd is not None:
        return abs(head.amount_usd - body.amount_usd) <= _RESTATED_SHARE * max(head.amount_usd, body.amount_usd)
    return head.currency == body.currency and head.amount == body.amount
