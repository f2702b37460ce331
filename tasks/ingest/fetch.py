"""Article pages fetched concurrently under the SSRF policy of the listing that named them, in byte-bounded groups."""

from __future__ import annotations

import time
from collections.abc import Iterator, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from typing import Any

from tasks.errors import BlockedURLError, FetchError
from tasks.ingest.http import RETRYABLE_STATUS, FetchPolicy, fetch, make_client, origin_of
from tasks.models import FetchResult, PageFailure, PageJob

# Tuning constants, each with its reason:
# pages fetched at once per batch: polite to one site, enough to hide latency
FETCH_CONCURRENCY = 8


# fetched page bytes a batch holds before it extracts and commits them: bounds a batch's memory
# whatever the pages weigh (50 pages at the 5 MB cap would otherwise be 250 MB per batch)
GROUP_BYTES = 32 * 1024**2


HTML_ACCEPT = "text/html, application/xhtml+xml;q=0.9, */*;q=0.5"


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
