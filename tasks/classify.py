"""Story classification: is this article about AI capital spending? (first rule-based cut)."""

from __future__ import annotations

import re

from tasks.models import Classification

# "data center", "AI chips", "capital expenditure": vocabulary of AI-infrastructure spending
_INFRA = re.compile(r"\b(data ?cent(?:er|re)s?|AI chips?|GPUs?|capital (?:expenditure|spending)s?|capex)\b", re.I)
_MONEY = re.compile(r"[$€£¥]\s?\d|\b\d+(?:\.\d+)? ?(?:billion|bn|trillion)\b", re.I)


def classify(title: str | None, text: str) -> Classification:
    """Score an article by AI-infrastructure vocabulary near money amounts."""
    body = f"{title or ''}\n{text}"
    infra = _INFRA.findall(body)
    money = _MONEY.findall(body)
    score = min(1.0, 0.15 * len(infra) + 0.1 * len(money))
    reasons = tuple(sorted({m.lower() for m in infra}))[:5]
    return Classification(is_capex=score >= 0.5 and bool(money), score=round(score, 3), reasons=reasons)
