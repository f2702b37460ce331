"""Precision audit: what the story decision flags on unlabelled real news.

Runs the extractor over ../shared/corpus/news-2025-2026/articles.jsonl.gz (6,450 articles, 2025-2026,
Markdown bodies) and reports the flag rate and a seeded random sample of flagged titles to read.
"""

from __future__ import annotations

import gzip
import json
import random
from dataclasses import dataclass
from pathlib import Path

from tasks.extract.facts._devset import parse_date

NEWS_FILE = Path("news-2025-2026") / "articles.jsonl.gz"
# the sample is drawn with a fixed seed, so a rerun shows the same titles until the flags change
AUDIT_SEED = 2026
AUDIT_SAMPLE = 30


@dataclass(frozen=True, slots=True)
class Audit:
    """Flag counts over the unlabelled articles and a sample of the flagged titles."""

    n_articles: int
    n_flagged: int
    n_with_facts: int
    sample: tuple[str, ...]

    @property
    def flag_rate(self) -> float:
        """Share of the articles flagged as AI-capex stories."""
        return self.n_flagged / self.n_articles if self.n_articles else 0.0


def audit(corpus: Path, sample_size: int = AUDIT_SAMPLE, seed: int = AUDIT_SEED) -> Audit | None:
    """Flag rate and a seeded sample of flagged titles over the unlabelled news (None when absent).

    Args:
        corpus: the shared corpus folder.
        sample_size: how many flagged titles to draw.
        seed: the random seed of the draw.
    Returns:
        The audit, or None when the news file is not in the corpus.
    """
    from tasks.extract.extractor import get_extractor

    path = corpus / NEWS_FILE
    if not path.exists():
        return None
    extractor = get_extractor()
    flagged: list[str] = []
    n_articles = n_with_facts = 0
    with gzip.open(path, "rt", encoding="utf-8") as lines:
        for line in lines:
            row = json.loads(line)
            n_articles += 1
            analysis = extractor.analyse(row.get("title"), row.get("markdown") or "", parse_date(row.get("published")))
            n_with_facts += bool(analysis.facts)
            if analysis.classification.is_capex:
                flagged.append(f"{str(row.get('published') or '')[:10]} {row.get('title')}")
    sample = tuple(sorted(random.Random(seed).sample(flagged, min(sample_size, len(flagged)))))
    return Audit(n_articles=n_articles, n_flagged=len(flagged), n_with_facts=n_with_facts, sample=sample)
