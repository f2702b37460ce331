"""Articles: fetch pages, extract them with trafilatura and analyse them, in bounded worker processes.

Trafilatura is CPU-bound, holds the GIL and can run unbounded on pathological pages, so
extraction + classification + fact extraction run in a pool of worker processes (pebble) with a
hard time limit per page, an address-space limit per worker, and workers recycled after a number
of pages so memory cannot creep up over a long run.
"""

from __future__ import annotations

import contextlib
import logging
import multiprocessing
import os
import resource
import threading
import time
import warnings
from collections.abc import Iterator, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from concurrent.futures import TimeoutError as FutureTimeout
from dataclasses import dataclass
from datetime import datetime
from multiprocessing import forkserver
from typing import Any

import zstandard

from tasks.errors import BlockedURLError, FetchError
from tasks.http import RETRYABLE_STATUS, FetchPolicy, fetch, make_client, origin_of
from tasks.models import Article, FetchResult, PageFailure
from tasks.pages import extract_page

logger = logging.getLogger(__name__)

# Tuning constants, each with its reason:
# pages fetched at once per batch: polite to one site, enough to hide latency
FETCH_CONCURRENCY = 8
# per-page extraction limit: trafilatura's p95 here is ~70 ms; 20 s means a pathological page
EXTRACT_TIMEOUT_S = 20.0
# address-space cap per worker: a worker with trafilatura loaded maps ~150 MB and the largest real
# page of the corpus (2.2 MB of HTML) peaks at ~110 MB RSS; a page that needs more than 640 MiB of
# address space is broken, not news (it fails with MemoryError and the worker is replaced)
WORKER_MEMORY_BYTES = 640 * 1024**2
# fetched page bytes a batch holds before it extracts and commits them: bounds a batch's memory
# whatever the pages weigh (50 pages at the 5 MB cap would otherwise be 250 MB per batch)
GROUP_BYTES = 32 * 1024**2
# recycle a worker after this many pages so fragmentation and caches cannot grow without bound
WORKER_MAX_TASKS = 200
# zstd level 3: ~5x smaller HTML at ~300 MB/s
ZSTD_LEVEL = 3
HTML_ACCEPT = "text/html, application/xhtml+xml;q=0.9, */*;q=0.5"


@dataclass(frozen=True, slots=True)
class PageJob:
    """One page to fetch and process."""

    url: str
    guid: str | None
    feed_id: int | None
    published_at: datetime | None
    title: str | None


# ---------------------------------------------------------------- fetching


def fetch_pages(
    jobs: Sequence[PageJob], listing_url: str | None, allow_private: bool, trust_all: bool = False
) -> list[tuple[PageJob, FetchResult | PageFailure]]:
    """Fetch article pages concurrently under the SSRF policy of links found in `listing_url`."""
    return [r for group in iter_page_groups(jobs, listing_url, allow_private, trust_all, group_bytes=None)
            for r in group]


def iter_page_groups(
    jobs: Sequence[PageJob], listing_url: str | None, allow_private: bool, trust_all: bool = False,
    group_bytes: int | None = GROUP_BYTES, deadline: float | None = None,
) -> Iterator[list[tuple[PageJob, FetchResult | PageFailure]]]:
    """Fetch pages concurrently and yield them in groups of at most about `group_bytes` of bodies.

    At most FETCH_CONCURRENCY fetches are in flight, so a batch never holds more than one group
    plus the pages being read. `group_bytes=None` yields everything as one group. Once `deadline`
    (time.time(), so it means the same in every process) has passed, no new fetch starts: the pages
    left are returned as deferred
    failures (not attempted, so they cost no attempt in the retry queue).
    """
    policy = FetchPolicy(
        trust_all=trust_all, allow_private=allow_private,
        trusted_origin=origin_of(listing_url) if listing_url else None,
    )
    pending = list(reversed(jobs))
    group: list[tuple[PageJob, FetchResult | PageFailure]] = []
    size = 0
    with make_client(policy) as client, ThreadPoolExecutor(FETCH_CONCURRENCY) as pool:
        running: dict[Future[FetchResult | PageFailure], PageJob] = {}
        while pending or running:
            if deadline is not None and time.time() >= deadline:
                group += [(job, _deferred(job)) for job in reversed(pending)]
                pending = []
            while pending and len(running) < FETCH_CONCURRENCY:
                job = pending.pop()
                running[pool.submit(_fetch_page, client, policy, job)] = job
            if not running:
                break
            done, _ = wait(running, return_when=FIRST_COMPLETED)
            for future in done:
                result = future.result()
                group.append((running.pop(future), result))
                size += len(result.body) if isinstance(result, FetchResult) else 0
            if group_bytes is not None and size >= group_bytes:
                yield group
                group, size = [], 0
    if group:
        yield group


def _deferred(job: PageJob) -> PageFailure:
    return PageFailure(url=job.url, feed_id=job.feed_id, is_retryable=True, is_deferred=True,
                       error="not fetched: the feed's page budget for this run was spent (left for the next run)")


def _fetch_page(client: Any, policy: FetchPolicy, job: PageJob) -> FetchResult | PageFailure:
    try:
        result = fetch(client, job.url, policy, accept=HTML_ACCEPT)
    except BlockedURLError as exc:
        return PageFailure(url=job.url, feed_id=job.feed_id, error=f"blocked: {exc}")
    except FetchError as exc:
        transient = exc.retryable or exc.http_status in RETRYABLE_STATUS
        return PageFailure(url=job.url, feed_id=job.feed_id, error=str(exc), http_status=exc.http_status,
                           is_retryable=transient, retry_after=exc.retry_after)
    except Exception as exc:  # noqa: BLE001 -- per-page boundary: an unexpected fault fails this page only
        return PageFailure(url=job.url, feed_id=job.feed_id, error=f"fetch failed: {type(exc).__name__}: {exc}"[:500],
                           is_retryable=True)
    problem = page_problem(result)
    if problem:
        return PageFailure(url=job.url, feed_id=job.feed_id, error=problem, http_status=result.http_status,
                           is_retryable=result.http_status in RETRYABLE_STATUS, retry_after=result.retry_after)
    return result


def page_problem(result: FetchResult) -> str | None:
    """Why a fetched page cannot be an article (status, content type, empty or binary body), or None."""
    if result.http_status != 200:
        return f"HTTP {result.http_status}"
    content_type = result.headers.get("content-type", "").lower()
    if content_type and not any(t in content_type for t in ("html", "xml", "text/plain")):
        return f"not an HTML page ({content_type[:100]})"
    if not result.body.strip():
        return "empty body"
    if looks_binary(result.body):
        return "not an HTML page (binary content)"
    return None


def looks_binary(body: bytes) -> bool:
    """True when the start of a body is binary: NUL bytes outside UTF-16 text, or mostly control bytes."""
    head = body[:4096]
    if head.startswith((b"\xff\xfe", b"\xfe\xff")):
        return False
    sample = head[:256]
    even, odd = sample[0::2], sample[1::2]
    if len(sample) >= 8 and (
        (all(b == 0 for b in odd) and all(b != 0 for b in even))
        or (all(b == 0 for b in even) and all(b != 0 for b in odd))
    ):
        return False  # UTF-16 text without a byte order mark: a NUL in every other byte
    controls = sum(1 for b in head if b < 32 and b not in (9, 10, 12, 13))
    return b"\x00" in head or controls > len(head) // 10


# ---------------------------------------------------------------- extraction (runs in workers)

def process_page(
    job: PageJob, html: bytes, fetched_at: datetime, extractor: str = "rules", keep_raw: bool = True
) -> Article:
    """Extract, classify and extract facts from one fetched page (CPU work, run in a worker).

    With keep_raw=False (reprocessing HTML that is stored already) the article carries no raw HTML.
    """
    from tasks.extractor import get_extractor
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


# ---------------------------------------------------------------- the pool

_POOL: Any = None
_POOL_LOCK = threading.Lock()


def _forkserver_context() -> Any:
    # forkserver: a worker starts from a small clean process, not a fork of the flow process, so
    # its address-space cap measures the page's work, not Prefect's inherited threads and heaps
    context = multiprocessing.get_context("forkserver")
    # the server imports and warms the extraction stack once (tasks/worker_preload.py); every
    # worker, including those recycled after WORKER_MAX_TASKS pages, forks from it warm
    context.set_forkserver_preload(["tasks.articles", "tasks.worker_preload"])
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
