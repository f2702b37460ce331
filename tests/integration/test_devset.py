"""The labelled development set: pinned floors for story and fact quality, grounding and the seed."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

pytestmark = [pytest.mark.corpus, pytest.mark.slow]

# Floors measured by `make eval` on the dev set; lowering one needs review (STYLE.md, Tests).
# rules-1.15 (2026-12-01) measures, whole set: story F1 0.9464, fact F1 0.9597; held-out half: story F1 0.9153, fact
# F1 0.9123 (rules-1.14: 0.9464, 0.9440, 0.9153, 0.8787). Floors are those figures cut to three decimals. 57 of the
# 145 held-out items are also articles of the unlabelled news that the precision audit reads, and the held-out gain
# of rules-1.15 came from three of them read that way (docs/EXTRACTION.md); the 88 others, never read, are floored
# apart (rules-1.14 and rules-1.15: story F1 1.0000, fact F1 0.9756, 20 facts).
STORY_F1_FLOOR = 0.946
FACT_F1_FLOOR = 0.959
HELDOUT_STORY_F1_FLOOR = 0.915
HELDOUT_FACT_F1_FLOOR = 0.912
HELDOUT_UNREAD_STORY_F1_FLOOR = 1.0
HELDOUT_UNREAD_FACT_F1_FLOOR = 0.975
# the team-labelled news (tasks/extract/facts/news_labels.jsonl, 256 items; rules-1.14 and rules-1.15 measure story
# F1 0.6923, fact F1 0.8654): mostly hard negatives and figure-less announcements, the kind of text the dev set has
# least of
NEWS_STORY_F1_FLOOR = 0.692
NEWS_FACT_F1_FLOOR = 0.865
# the team-written pages (tests/fixtures/written/, 340 pages; rules-1.16 measures story F1 0.9211, fact F1 0.8804;
# held-out half 0.8962, 0.8424): language the corpus has little of, written blind to the rules; w6 and w7 (40 pages)
# were written after the first rules of rules-1.15 were frozen, w8-w10 (60 pages) after all of them, w11-w13 (60
# pages) after the first rules of rules-1.16, w14-w16 (60 pages) after all but its last (docs/EXTRACTION.md)
WRITTEN_STORY_F1_FLOOR = 0.921
WRITTEN_FACT_F1_FLOOR = 0.880
WRITTEN_HELDOUT_FACT_F1_FLOOR = 0.842


@pytest.fixture(scope="module")
def metrics(corpus: Path) -> dict[str, Any]:
    """Evaluation metrics over ../shared/corpus (skipped when the corpus is absent)."""
    if not (corpus / "labels.jsonl").exists():
        pytest.skip(f"no labels.jsonl in {corpus}")
    from tasks.extract.facts.evaluate import evaluate

    return evaluate(corpus)


def test_story_f1(metrics: dict[str, Any]) -> None:
    """Story classification F1 stays above its floor."""
    assert metrics["story_f1"] >= STORY_F1_FLOOR


def test_fact_f1(metrics: dict[str, Any]) -> None:
    """Fact extraction F1 stays above its floor."""
    assert metrics["fact_f1"] >= FACT_F1_FLOOR


def test_heldout_story_f1(metrics: dict[str, Any]) -> None:
    """Story F1 on the held-out half stays above its floor."""
    assert metrics["heldout_story_f1"] >= HELDOUT_STORY_F1_FLOOR


def test_heldout_fact_f1(metrics: dict[str, Any]) -> None:
    """Fact F1 on the held-out half stays above its floor."""
    assert metrics["heldout_fact_f1"] >= HELDOUT_FACT_F1_FLOOR


def test_heldout_unread_f1(metrics: dict[str, Any]) -> None:
    """Story and fact F1 on the held-out items outside the unlabelled news (never read) stay above their floors."""
    assert metrics["n_heldout_unread"] >= 88
    assert metrics["heldout_unread_story_f1"] >= HELDOUT_UNREAD_STORY_F1_FLOOR
    assert metrics["heldout_unread_fact_f1"] >= HELDOUT_UNREAD_FACT_F1_FLOOR


def test_news_story_f1(metrics: dict[str, Any]) -> None:
    """Story F1 on the team-labelled news stays above its floor (and that set was read: it has items)."""
    assert metrics["n_news"] >= 256
    assert metrics["news_story_f1"] >= NEWS_STORY_F1_FLOOR


def test_news_fact_f1(metrics: dict[str, Any]) -> None:
    """Fact F1 on the team-labelled news stays above its floor."""
    assert metrics["news_fact_f1"] >= NEWS_FACT_F1_FLOOR


def test_written_story_f1(metrics: dict[str, Any]) -> None:
    """Story F1 on the team-written pages stays above its floor (and the pages were read)."""
    assert metrics["n_written"] >= 340
    assert metrics["written_story_f1"] >= WRITTEN_STORY_F1_FLOOR


def test_written_fact_f1(metrics: dict[str, Any]) -> None:
    """Fact F1 on the team-written pages, whole and held-out half, stays above its floors."""
    assert metrics["written_fact_f1"] >= WRITTEN_FACT_F1_FLOOR
    assert metrics["written_heldout_fact_f1"] >= WRITTEN_HELDOUT_FACT_F1_FLOOR


def test_grounding(metrics: dict[str, Any]) -> None:
    """Every fact's evidence sits exactly at its offsets."""
    assert metrics["grounding"] == 1.0


def test_seed_exact(metrics: dict[str, Any]) -> None:
    """The seed article gives exactly its two expected facts."""
    assert metrics["seed"]["exact"]
