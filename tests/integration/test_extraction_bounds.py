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
from faultserver import article

from tasks import articles
from tasks.articles import PageJob, process_pages, shutdown_pool
from tasks.models import Article, PageFailure

# ~4.5 MB of short paragraphs: trafilatura needs ~15 s and ~350 MB on it (measured)
PATHOLOGICAL = b"<html><body>" + b"<p>Lorem ipsum dolor sit amet, the plant and the grid.</p>\n" * 80_000 + b"</body></html>"
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
