"""Extraction runs in recycled worker processes with a hard time limit and an address-space cap."""

from __future__ import annotations

import gc
import os
import resource
import time
import types
from collections.abc import Iterator
from datetime import datetime

import pytest

from tasks.ingest import pool as articles
from tasks.ingest.pool import process_pages, shutdown_pool
from tasks.models import Article, PageFailure, PageJob
from tests.support.faultserver import article

# ~4.5 MB of short paragraphs: trafilatura needs ~15 s and ~350 MB on it (measured)
PATHOLOGICAL = (b"<html><body>" + b"<p>Lorem ipsum dolor sit amet, the plant and the grid.</p>\n" * 80_000
                + b"</body></html>")
DEEP = b"<html><body>" + b"<div>" * 100_000 + b"deep text " * 500 + b"</div>" * 100_000 + b"</body></html>"


@pytest.fixture()
def fresh_pool() -> Iterator[None]:
    """A worker pool created by the test (with its patched limits) and stopped afterwards."""
    shutdown_pool()
    yield
    shutdown_pool()


def _job(name: str) -> PageJob:
    return PageJob(url=f"http://example.com/{name}", guid=None, feed_id=None, published_at=None, title=None)


@pytest.mark.slow
def test_pathological_page_hits_the_time_limit_and_the_batch_goes_on(
    fresh_pool: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A page that would take ~15 s is stopped at the limit; the good pages of the batch are stored."""
    monkeypatch.setattr(articles, "EXTRACT_TIMEOUT_S", 2.0)
    now = datetime(2025, 1, 1)
    pages = [(_job("slow"), PATHOLOGICAL, now), (_job("deep"), DEEP, now), (_job("good"), article("Good one"), now)]
    started = time.monotonic()
    slow, deep, good = process_pages(pages)
    assert time.monotonic() - started < 8
    assert isinstance(slow, PageFailure) and "exceeded 2 s" in slow.error
    assert isinstance(deep, (Article, PageFailure))  # handled either way, within the limit
    assert isinstance(good, Article) and "Good one" in good.text
    # the killed worker was replaced: the pool still extracts
    [again] = process_pages([(_job("again"), article("Again"), now)])
    assert isinstance(again, Article)


def test_workers_run_under_the_address_space_cap(fresh_pool: None) -> None:
    """Every worker has RLIMIT_AS set, and an allocation beyond it fails in the worker, not the run."""
    pool = articles._pool()
    soft, _ = pool.schedule(resource.getrlimit, args=(resource.RLIMIT_AS,)).result(timeout=60)
    assert soft == articles.WORKER_MEMORY_BYTES
    with pytest.raises(MemoryError):
        pool.schedule(bytearray, args=(articles.WORKER_MEMORY_BYTES,)).result(timeout=60)
    assert isinstance(process_pages([(_job("after"), article("After"), datetime(2025, 1, 1))])[0], Article)


def test_workers_are_recycled(fresh_pool: None, monkeypatch: pytest.MonkeyPatch) -> None:
    """A worker is replaced after WORKER_MAX_TASKS pages, so memory cannot creep over a long run."""
    monkeypatch.setattr(articles, "WORKER_MAX_TASKS", 2)
    pool = articles._pool()
    pids = {pool.schedule(os.getpid).result(timeout=60) for _ in range(3 * articles.worker_count() * 2)}
    assert len(pids) > articles.worker_count()


def test_failed_pages_do_not_keep_the_batch_alive(fresh_pool: None) -> None:
    """A batch with a failed page leaves no reference cycle: its pages are freed when it returns.

    Regression: a raised page error's traceback held process_pages' frame, whose futures held the
    error, so each batch's pages stayed in memory until a full garbage collection (a 3,000-article
    reprocess grew from 200 to 430 MB).
    """
    now = datetime(2025, 1, 1)
    pages = [(_job("empty"), b"<html><body></body></html>", now), (_job("good"), article("Good"), now)]
    gc.collect()
    gc.disable()
    try:
        failed, good = process_pages(pages)
        assert isinstance(failed, PageFailure) and isinstance(good, Article)
        kept = [o for o in gc.get_objects()
                if isinstance(o, types.FrameType) and o.f_code is process_pages.__code__]
        assert kept == []
    finally:
        gc.enable()


# Bad input through the whole extractor (classification and facts): negative with a reason, never an error.
_PROSE = ("We spent the quarter on product work and the team shipped two updates to the app. "
          "Customers liked the new layout, and support tickets fell for the third month running. ")
# a 300k-character call transcript: speakers' small talk, one capex remark near the end
_TRANSCRIPT = ("SPEAKER 1: " + _PROSE + "\nSPEAKER 2: Thanks, that is helpful. Next question, please.\n") * 1_500 + (
    "SPEAKER 1: We also spent $2 billion on data centers for AI this quarter.\n")
_TABLE_ONLY = "\n".join(["| Quarter | Revenue | Capex |", "|---|---|---|"]
                        + [f"| Q{q} 20{y} | ${q * y}.1 billion | ${q + y}.4 billion |"
                           for y in range(10, 26) for q in (1, 2, 3, 4)])
_GERMAN = ("Die Bundesregierung will in den kommenden Jahren 20 Milliarden Euro in Rechenzentren für künstliche "
           "Intelligenz investieren, teilte das Wirtschaftsministerium am Dienstag mit. Die Mittel sollen über ein "
           "Förderprogramm an Unternehmen und Forschungseinrichtungen vergeben werden. ") * 6


def _analyse(title: str | None, text: str) -> tuple[bool, tuple[str, ...]]:
    """Analyse one article within a generous bound; return its story flag and reasons."""
    from concurrent.futures import ThreadPoolExecutor
    from datetime import date

    from tasks.extract.extractor import get_extractor

    with ThreadPoolExecutor(max_workers=1) as pool:
        analysis = pool.submit(get_extractor().analyse, title, text, date(2026, 2, 1)).result(timeout=60)
    return analysis.classification.is_capex, analysis.classification.reasons


@pytest.mark.parametrize(("title", "text", "reason"), [
    (None, "", "no text"),
    ("Meta to spend $70 billion on AI data centers", "   \n ", "no article text (headline only)"),
    ("Quarterly figures", _TABLE_ONLY, "no prose (tables or figures only)"),
    ("Deutschland investiert 20 Milliarden Euro in KI-Rechenzentren", _GERMAN, "not English text"),
])
def test_unreadable_input_is_negative_with_a_reason(title: str | None, text: str, reason: str) -> None:
    """Empty, headline-only, table-only and non-English articles are negative and say why."""
    is_capex, reasons = _analyse(title, text)
    assert not is_capex
    assert any(r.startswith(reason) for r in reasons), reasons


def test_long_transcript_is_bounded_and_says_it_was_cut() -> None:
    """A 300k-character transcript with one capex remark is negative, and the output says what was read."""
    assert len(_TRANSCRIPT) > 300_000
    is_capex, reasons = _analyse("Earnings call transcript", _TRANSCRIPT)
    assert not is_capex
    assert any(r.startswith("story judged on the first 60,000 of") for r in reasons), reasons
    assert any(r.startswith("facts read from the first 300,000 of") for r in reasons), reasons


def test_binary_and_non_string_input_never_raise() -> None:
    """Binary noise and a non-string text are negative with a reason, not an exception."""
    assert _analyse(None, "\x00\x01\x02\ufffd" * 5_000)[0] is False
    is_capex, reasons = _analyse("A title", None)  # type: ignore[arg-type]
    assert not is_capex and reasons
