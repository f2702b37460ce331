"""Story classification: is this article about AI capital spending?

A story is AI-capex when its main subject, or a substantial part of it, is money spent or committed
on AI infrastructure. The score adds evidence from the title, from sentences that pair spending words
with AI-infrastructure words, and from extracted spending figures; it subtracts near-miss topics
(funding rounds, revenue, chip fabs, name clashes).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from tasks.models import Classification

# Only the start of a huge page is read: a story states its subject early, and a 5 MB page must not hang.
_MAX_CHARS = 60_000
# Weights (fitted on the dev set with a coarse grid of round values): a clear title, a few spending
# sentences, spending figures and a high share of spending sentences make a story; a passing mention
# in a long article does not.
_THRESHOLD = 0.5
_W_TITLE = 0.2
_W_SENTENCE = 0.15
_W_FACT = 0.05
_W_DENSITY = 1.0
_W_LEDE = 0.1
_MAX_SENTENCES = 5
_MAX_FACTS = 2
# the opening sentences state a story's subject like its title does
_LEDE_SENTENCES = 2
# short feed excerpts: the share of spending sentences is taken over at least this many sentences
_MIN_SENTENCES = 8

# "capex", "capital expenditures", "AI spending", "spend $200 billion", "AI infrastructure"
_SPENDING = re.compile(
    r"(?i:\bcap(?:ital)?[\s-]?ex(?:penditures?)?\b|\bcapital\s(?:spending|expenditures?|investments?)\b|"
    r"\b(?:spend(?:s|ing)?|spent|invest(?:s|ed|ing|ment|ments)?|commit(?:s|ted|ment|ments)?|pledg(?:e|es|ed)|"
    r"build(?:s|ing)?\sout|buildout|build-out|outlays?|budget)\b)")
# "data centers", "AI infrastructure", "compute", "GPUs", "gigawatts", "AI chips", "servers"
_INFRA = re.compile(
    r"(?i:\bdata[\s-]?cent(?:er|re)s?\b|\bdatacent(?:er|re)s?\b|\binfrastructure\b|\bcompute\b|\bprocessors\b|"
    r"\bcomputing\s(?:power|capacity)\b|\bGPUs?\b|\bgigawatts?\b|\bAI\s(?:chips?|servers?|capacity|spending|"
    r"investments?|build-?out)\b|\bsupercomputers?\b|\bhyperscalers?\b|\bStargate\b)")
# near misses the policy names: funding rounds, valuations, revenue stories, chip fabs, stock moves
_NEAR_MISS_TITLE = re.compile(
    r"(?i:\bfunding\b|\braises?\b|\bvaluation\b|\bvalued\b|\bIPO\b|\brevenue\b|\bsales\b|\bearnings\b|\bfab\b|"
    r"\bsemiconductor\sfactory\b|\bstake\b|\bacquir|\bacquisition\b|\bbonds?\b|\bloan\b|\bdebt\b|\bstablecoin|"
    r"\bexport\b|\bindicted\b|\bwater\b|\belectricity\b|\bprices?\b|\bopposition\b|\bprotests?\b|\bblocked\b|"
    r"\bdelays?\b)")
_TITLE_CAPEX = re.compile(
    r"(?i:\bcap(?:ital)?[\s-]?ex(?:penditures?)?\b|\bcapital\sspending\b|\bAI\s(?:spending|infrastructure|"
    r"investments?)\b|\bspending\s(?:plan|spree)\b|\bdata[\s-]?cent(?:er|re)s?\b.*\b(?:billion|trillion|invest|"
    r"spend)|\b(?:invest|spend|pledge|commit)\w*\b.*\b(?:data[\s-]?cent(?:er|re)s?|AI|infrastructure|compute)\b|"
    r"\$\d[\d.,]*\s?(?:billion|trillion|[BT]n?)\b.*\b(?:data[\s-]?cent(?:er|re)s?|AI\sinfrastructure|compute|capex)\b)")
# "capex", "capital expenditures", "capital spending": the subject itself
_CAPEX = re.compile(r"(?i:\bcap(?:ital)?[\s-]?ex(?:penditures?)?\b|\bcapital\s(?:spending|expenditures?)\b)")
_MONEY = re.compile(r"(?:[$€£¥₹₩]\s?\d|\b\d[\d.,]*\s?(?:billion|trillion|bn|tn|crore)\b|\byuan\b)", re.IGNORECASE)


@dataclass(frozen=True, slots=True)
class _Evidence:
    title: bool
    title_near_miss: bool
    sentences: tuple[str, ...]
    lede: bool
    n_sentences: int
    n_facts: int


def classify(title: str | None, text: str) -> Classification:
    """Score an article for AI-capex content.

    Args:
        title: the headline (may be None).
        text: the article text.
    Returns:
        is_capex, a score in [0, 1] and the matched evidence as reasons.
    """
    if not isinstance(text, str) or not (text.strip() or (title or "").strip()):
        return Classification(is_capex=False, score=0.0, reasons=())
    evidence = _evidence(title or "", text[:_MAX_CHARS])
    density = len(evidence.sentences) / max(evidence.n_sentences, _MIN_SENTENCES)
    score = (_W_TITLE * evidence.title
             + _W_SENTENCE * min(len(evidence.sentences), _MAX_SENTENCES)
             + _W_FACT * min(evidence.n_facts, _MAX_FACTS)
             + _W_DENSITY * density
             + _W_LEDE * evidence.lede)
    score = round(max(0.0, min(1.0, score)), 3)
    reasons = ((f"title: {title}",) if evidence.title else ()) + evidence.sentences[:3]
    if evidence.n_facts:
        reasons += (f"{evidence.n_facts} spending figure(s)",)
    return Classification(is_capex=score >= _THRESHOLD, score=score, reasons=reasons)


def _evidence(title: str, text: str) -> _Evidence:
    """Collect the title signal, spending+infrastructure sentences and spending figures."""
    from tasks.facts import extract_facts
    from tasks.facts._sentences import split_sentences

    sentences = split_sentences(text)
    strong = tuple(s.text for s in sentences if _CAPEX.search(s.text) or (_SPENDING.search(s.text)
                                                                         and _INFRA.search(s.text)))
    n_facts = len({(f.amount, f.amount_low) for f in extract_facts(text, None)}) if _MONEY.search(text) else 0
    return _Evidence(title=bool(_TITLE_CAPEX.search(title)), title_near_miss=bool(_NEAR_MISS_TITLE.search(title)),
                     sentences=strong, lede=any(s.text in strong for s in sentences[:_LEDE_SENTENCES]),
                     n_sentences=len(sentences), n_facts=n_facts)
