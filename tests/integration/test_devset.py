"""The labelled development set: pinned floors for story and fact quality, grounding and the seed."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

pytestmark = [pytest.mark.corpus, pytest.mark.slow]

# Floors measured by `make eval` on the dev set; lowering one needs review (STYLE.md, Tests).
# Re-pinned when labels.jsonl grew from 86 to 160 items (74 real articles, mostly hard negatives):
# rules-1.1 measures story F1 0.830 and fact F1 0.882 on the grown set.
STORY_F1_FLOOR = 0.83
FACT_F1_FLOOR = 0.88


@pytest.fixture(scope="module")
def metrics(corpus: Path) -> dict[str, Any]:
    """Evaluation metrics over ../shared/corpus (skipped when the corpus is absent)."""
    if not (corpus / "labels.jsonl").exists():
        pytest.skip(f"no labels.jsonl in {corpus}")
    from tasks.facts.evaluate import evaluate

    return evaluate(corpus)


def test_story_f1(metrics: dict[str, Any]) -> None:
    """Story classification F1 stays above its floor."""
    assert metrics["story_f1"] >= STORY_F1_FLOOR


def test_fact_f1(metrics: dict[str, Any]) -> None:
    """Fact extraction F1 stays above its floor."""
    assert metrics["fact_f1"] >= FACT_F1_FLOOR


def test_grounding(metrics: dict[str, Any]) -> None:
    """Every fact's evidence sits exactly at its offsets."""
    assert metrics["grounding"] == 1.0


def test_seed_exact(metrics: dict[str, Any]) -> None:
    """The seed article gives exactly its two expected facts."""
    assert metrics["seed"]["exact"]
