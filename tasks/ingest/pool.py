"""Article extraction in a pool of worker processes: trafilatura, classification and facts.

Each page is bounded in time (EXTRACT_TIMEOUT_S) and memory (WORKER_MEMORY_BYTES).
"""

from __future__ import annotations

import contextlib
import logging
import multiprocessing
import os
import resource
import threading
import warnings
from collections.abc import Sequence
from concurrent.futures import TimeoutError as FutureTimeout
from datetime import datetime
from multiprocessing import forkserver
from typing import Any

import zstandard

from tasks.ingest.pages import extract_page
from tasks.models import Article, PageFailure, PageJob

logger = logging.getLogger(__name__)


# per-page extraction limit: trafilatura's p95 here is ~70 ms; 20 s means a pathological page
EXTRACT_TIMEOUT_S = 20.0


# address-space cap per worker: a worker with trafilatura loaded maps ~150 MB and the largest real
# page of the corpus (2.2 MB of HTML) peaks at ~110 MB RSS; a page that needs more than 640 MiB of
# address space is broken, not news (it fails with MemoryError and the worker is replaced)
WORKER_MEMORY_BYTES = 640 * 1024**2


# recycle a worker after this many pages so fragmentation and caches cannot grow without bound
WORKER_MAX_TASKS = 200


# zstd level 3: ~5x smaller HTML at ~300 MB/s
ZSTD_LEVEL = 3


def process_page(
    job: PageJob, html: bytes, fetched_at: datetime, extractor: str = "rules", keep_raw: bool = True
) -> Article:
    """Extract, classify and extract facts from one fetched page (CPU work, run in a worker).

    With keep_raw=False (reprocessing HTML that is stored already) the article carries no raw HTML.
    """
    from tasks.extract.extractor import get_extractor
    from tasks.models import article_id_for

    page = extract_page(html, job.url)
    published_at = job.published_at or (
        datetime(page.published.year, page.published.month, page.published.day) if page.published else None
    )
    title = page.title or job.title
    analysis = get_extractor(extractor).analyse(title, page.text, published_at.date() if published_at else None)
    return Article(
        article_id=article_id_for(job.url), url=job.url, guid=job.guid, feed_id=job.feed_id, title=title,
        author=page.author, site_name=page.site_name, published_at=published_at, fetched_at=fetched_at,
        language=page.language, text=page.text,
        raw_html_zstd=zstandard.ZstdCompressor(level=ZSTD_LEVEL).compress(html) if keep_raw else b"",
        analysis=analysis,
    )


def decompress_html(blob: bytes) -> bytes:
    """The raw HTML of a compressed page (as `rawstore.load` returns it)."""
    return zstandard.ZstdDecompressor().decompress(blob, max_output_size=64 * 1024 * 1024)


def _worker_init() -> None:
    # A forked worker inherits the parent's warning filters (pytest turns warnings into errors);
    # in a worker a library warning must be logged, never fail the page.
    warnings.resetwarnings()
    with contextlib.suppress(ValueError, OSError):  # not permitted here: the timeout still bounds the work
        resource.setrlimit(resource.RLIMIT_AS, (WORKER_MEMORY_BYTES, WORKER_MEMORY_BYTES))


_POOL: Any = None


_POOL_LOCK = threading.Lock()


def _forkserver_context() -> Any:
    # forkserver: a worker starts from a small clean process, not a fork of the flow process, so
    # its address-space cap measures the page's work, not Prefect's inherited threads and heaps
    context = multiprocessing.get_context("forkserver")
    # the server imports and warms the extraction stack once (tasks/ingest/worker_preload.py); every
    # worker, including those recycled after WORKER_MAX_TASKS pages, forks from it warm
    context.set_forkserver_preload(["tasks.ingest.pool", "tasks.ingest.worker_preload"])
    return context


def start_workers_early() -> None:
    """Start the workers' forkserver now, without waiting: it warms up (~5 s of CPU) while the run fetches.

    Call it as soon as a run knows it has pages to extract; the first extraction then finds it ready.
    """
    _forkserver_context()
    forkserver.ensure_running()


def _pool() -> Any:
    global _POOL
    with _POOL_LOCK:
        if _POOL is None or not _POOL.active:
            from pebble import ProcessPool

            _POOL = ProcessPool(max_workers=worker_count(), max_tasks=WORKER_MAX_TASKS, initializer=_worker_init,
                                context=_forkserver_context())
        return _POOL


def worker_count() -> int:
    """One extraction worker per core."""
    return max(1, len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1))


def shutdown_pool() -> None:
    """Stop the worker processes (end of a run)."""
    global _POOL
    if _POOL is not None:
        _POOL.stop()  # every task has finished; close() would idle ~3 s in pebble's manager loop
        _POOL.join()
        _POOL = None


def process_pages(
    pages: Sequence[tuple[PageJob, bytes, datetime]], extractor: str = "rules", keep_raw: bool = True
) -> list[Article | PageFailure]:
    """Process fetched pages in the worker pool, each bounded in time; failures are returned, not raised."""
    if not pages:
        return []
    pool = _pool()
    futures = [
        pool.schedule(process_page, args=(job, html, fetched_at, extractor, keep_raw), timeout=EXTRACT_TIMEOUT_S)
        for job, html, fetched_at in pages
    ]
    results: list[Article | PageFailure] = []
    for (job, _html, _at), future in zip(pages, futures, strict=True):
        # exception(), not result(): a raised exception's traceback would hold this frame, whose
        # `futures` holds the future that holds the exception, a cycle that kept every page of the
        # batch alive until the next full garbage collection (memory grew over long reprocess runs)
        error = future.exception()
        if error is None:
            results.append(future.result())
        elif isinstance(error, FutureTimeout):
            # a timeout may come from a machine busy with other work: worth another attempt
            results.append(PageFailure(url=job.url, feed_id=job.feed_id,
                                       error=f"extraction exceeded {EXTRACT_TIMEOUT_S:.0f} s", is_retryable=True))
        elif isinstance(error, MemoryError):
            results.append(PageFailure(url=job.url, feed_id=job.feed_id, error="extraction exceeded memory cap"))
        else:
            results.append(PageFailure(url=job.url, feed_id=job.feed_id,
                                       error=f"extraction failed: {type(error).__name__}: {error}"[:500]))
    return results
