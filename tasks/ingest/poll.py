"""One poll cycle's steps as plain functions: judge a feed response, ingest a batch, summarise."""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any, Protocol, TypeVar

from prefect import task
from prefect.cache_policies import NO_CACHE

from tasks import progress, store
from tasks.errors import BlockedURLError, FetchError, StoreError
from tasks.ingest.backfill import Window
from tasks.ingest.feeds import fetch_feeds, next_poll_after_failure, next_poll_after_success, parse_feed_full
from tasks.ingest.fetch import iter_page_groups
from tasks.ingest.http import RETRYABLE_STATUS, is_retryable, origin_of
from tasks.ingest.pool import process_pages, shutdown_pool
from tasks.ingest.shard import Shard, retries_in_shard
from tasks.models import (
    Article,
    FeedItem,
    FeedState,
    FetchResult,
    PageFailure,
    PageJob,
    PollRecord,
    QueuedPage,
    utcnow,
)

logger = logging.getLogger(__name__)

# Articles per batch: one transaction and one retry boundary each; large enough to amortise
# the commit, small enough that a crash loses little work.
BATCH_SIZE = 50
# New pages fetched from one feed per poll; when a feed has more, its validators are not saved
# so the next poll picks up the rest.
MAX_NEW_PER_FEED = 500
# Seconds one feed's pages may take in a run (the poll-feeds `page_budget_s` parameter): pages
# not started by then are queued for the next run, so one feed listing hundreds of stalling pages
# (30 s deadline each, 8 at a time) cannot hold the run for many minutes.
PAGE_BUDGET_S = 300.0
# Batches fetching and extracting pages at once in this process: each holds at most GROUP_BYTES of
# pages plus FETCH_CONCURRENCY in flight, so this bounds the run's page memory (~100 MB a batch);
# extraction runs on one worker per core anyway.
MAX_ACTIVE_BATCHES = 3
_BATCH_SLOTS = threading.BoundedSemaphore(MAX_ACTIVE_BATCHES)


@dataclass(slots=True)
class FeedPlan:
    """What to do with one feed response: the poll record to commit and the pages to fetch."""

    state: FeedState
    poll: PollRecord
    items: list[FeedItem] = field(default_factory=list)
    jobs: list[PageJob] = field(default_factory=list)
    listing_url: str = ""


@dataclass(slots=True)
class BatchResult:
    """Counts from one ingested batch."""

    n_new: int = 0
    n_capex: int = 0
    n_facts: int = 0
    n_failed: int = 0
    n_deferred: int = 0  # not fetched: the feed's page budget was spent (queued for the next run)
    n_out_of_window: int = 0  # fetched, dated outside the backfill's window, not stored
    failures: list[str] = field(default_factory=list)


def error_poll(state: FeedState, started_at: datetime, run_id: str | None, exc: BaseException) -> PollRecord:
    """The poll record of a feed whose fetch raised (network fault, blocked, cap)."""
    failures = state.consecutive_failures + 1
    message = f"{type(exc).__name__}: {exc}" if not isinstance(exc, FetchError) else str(exc)
    if isinstance(exc, BlockedURLError):
        message = f"blocked: {message}"
    retry_after = exc.retry_after if isinstance(exc, FetchError) else None
    return PollRecord(
        feed_id=state.feed_id, run_id=run_id, started_at=started_at, status="error", http_status=None,
        items_seen=0, items_new=0, pages_failed=0, bytes_received=None, error=message[:1000],
        consecutive_failures=failures, next_poll_at=next_poll_after_failure(utcnow(), failures, retry_after),
    )


def _http_error(status: int, retry_after: float | None) -> str:
    if status == 410:
        return "HTTP 410 Gone: the feed was removed; polling stopped (re-enable with is_active = true)"
    text = f"HTTP {status}"
    if retry_after is not None:
        text += f"; server asked to retry after {retry_after:.0f} s"
    return text


def plan_feed(
    db: str, state: FeedState, result: FetchResult, started_at: datetime, run_id: str | None
) -> FeedPlan:
    """Judge a feed response; for a 200, parse it and list the items not stored yet (in any feed)."""
    now = utcnow()
    base: dict[str, Any] = {"feed_id": state.feed_id, "run_id": run_id, "started_at": started_at,
                            "http_status": result.http_status,
                "bytes_received": len(result.body)}
    new_url = result.final_url if result.headers.get("x-permanent-redirect") else None
    status = result.http_status or 0
    if status == 304:
        poll = PollRecord(**base, status="not_modified", items_seen=0, items_new=0, pages_failed=0, error=None,
                          next_poll_at=next_poll_after_success(now, result.headers), new_url=new_url)
        return FeedPlan(state=state, poll=poll)
    if status != 200:
        failures = state.consecutive_failures + 1
        poll = PollRecord(**base, status="error", items_seen=0, items_new=0, pages_failed=0,
                          error=_http_error(status, result.retry_after),
                          consecutive_failures=failures, deactivate=status == 410,
                          next_poll_at=next_poll_after_failure(now, failures, result.retry_after))
        return FeedPlan(state=state, poll=poll)
    parsed = parse_feed_full(result.body, result.final_url, result.headers)
    if parsed.problem and not parsed.items:
        failures = state.consecutive_failures + 1
        poll = PollRecord(**base, status="error", items_seen=0, items_new=0, pages_failed=0,
                          error=parsed.problem[:1000], consecutive_failures=failures,
                          next_poll_at=next_poll_after_failure(now, failures, None))
        return FeedPlan(state=state, poll=poll)
    items = _dedupe_items(parsed.items)
    known_urls, known_guids = store.known_keys(db, [i.url for i in items], [i.guid for i in items if i.guid])
    fresh = [i for i in items if i.url not in known_urls and not (i.guid and i.guid in known_guids)]
    capped = len(fresh) > MAX_NEW_PER_FEED
    fresh = fresh[:MAX_NEW_PER_FEED]
    poll = PollRecord(**base, status="ok", items_seen=len(items), items_new=len(fresh), pages_failed=0,
                      error=f"{len(items) - len(fresh)} items left for the next poll" if capped else None,
                      etag=result.headers.get("etag"), last_modified=result.headers.get("last-modified"),
                      save_validators=not capped, new_url=new_url,
                      next_poll_at=next_poll_after_success(now, result.headers, parsed.ttl))
    jobs = [PageJob(url=i.url, guid=i.guid, feed_id=state.feed_id, published_at=i.published_at, title=i.title)
            for i in fresh]
    return FeedPlan(state=state, poll=poll, items=items, jobs=jobs, listing_url=result.final_url)


def claim_jobs(plan: FeedPlan, claimed: set[str]) -> None:
    """Drop jobs whose URL or GUID another feed of this run already took (cross-feed de-duplication)."""
    kept = []
    for job in plan.jobs:
        keys = {job.url} | ({job.guid} if job.guid else set())
        if keys & claimed:
            continue
        claimed |= keys
        kept.append(job)
    plan.jobs = kept


def _dedupe_items(items: Sequence[FeedItem]) -> list[FeedItem]:
    seen: set[str] = set()
    out = []
    for item in items:
        keys = {item.url} | ({item.guid} if item.guid else set())
        if keys & seen:
            continue
        seen |= keys
        out.append(item)
    return out


def ingest_batch(
    db: str, jobs: Sequence[PageJob], listing_url: str | None, allow_private: bool, trust_all: bool = False,
    extractor: str = "rules", backfill_id: str | None = None, deadline: float | None = None,
    window: Window | None = None, progress_label: str | None = None,
) -> BatchResult:
    """Fetch, extract and analyse a batch of pages, committing them in byte-bounded groups.

    Each group (at most about GROUP_BYTES of pages) is one transaction, so memory stays bounded
    whatever the pages weigh, and a crash loses at most the group in progress. Pages that fail go
    to the retry queue with what a later attempt needs (listing URL, trust, GUID, title, date).
    Pages not started by `deadline` (time.time(): the feed's page budget) are queued for the next
    run at no attempt's cost. With a backfill's `window`, pages whose date is known only once
    fetched (URL lists, sitemaps without lastmod) are dropped when it falls outside. With
    `progress_label`, each committed group advances that run's progress (tasks/progress.py).
    """
    result = BatchResult()
    context = _QueueContext(listing_url, trust_all, backfill_id)
    with _BATCH_SLOTS:
        for fetched in iter_page_groups(jobs, listing_url, allow_private, trust_all=trust_all, deadline=deadline):
            new, failed = result.n_new, result.n_failed
            _ingest_group(db, fetched, extractor, result, context, window)
            if progress_label:
                progress.advance(progress_label, len(fetched), result.n_new - new, result.n_failed - failed)
    return result


@dataclass(frozen=True, slots=True)
class _QueueContext:
    """What a batch's failed pages keep for their retry: the listing, its trust, the backfill."""

    listing_url: str | None
    is_trusted: bool
    backfill_id: str | None


def queued_pages(
    jobs: Sequence[PageJob], listing_url: str | None, is_trusted: bool, error: str, backfill_id: str | None = None,
) -> list[QueuedPage]:
    """Retry-queue records for the pages of a batch that failed as a whole with `error` (a batch fault:
    the store's, not the pages', so it spends none of their attempts)."""
    context = _QueueContext(listing_url, is_trusted, backfill_id)
    return [_queued(job, context, error=error) for job in jobs]


def _failed_pages(jobs: Sequence[PageJob], failures: Sequence[PageFailure], context: _QueueContext) -> list[QueuedPage]:
    """Retry-queue records for the pages that failed on their own, each with its own fault."""
    by_url = {f.url: f for f in failures}
    return [_queued(job, context, failure=by_url[job.url]) for job in jobs if job.url in by_url]


def _queued(job: PageJob, context: _QueueContext, failure: PageFailure | None = None, error: str = "") -> QueuedPage:
    base = QueuedPage(url=job.url, feed_id=job.feed_id, guid=job.guid, title=job.title, published_at=job.published_at,
                      listing_url=context.listing_url, is_trusted=context.is_trusted,
                      backfill_id=context.backfill_id, error=error, is_batch_fault=True)
    if failure is None:
        return base
    # a deferred page (the feed's page budget was spent) was never attempted: it costs no attempt either
    return replace(base, error=failure.error, http_status=failure.http_status, is_retryable=failure.is_retryable,
                   retry_after=failure.retry_after, is_batch_fault=failure.is_deferred)


def _ingest_group(
    db: str, fetched: Sequence[tuple[PageJob, FetchResult | PageFailure]], extractor: str, result: BatchResult,
    context: _QueueContext, window: Window | None,
) -> None:
    failures: list[PageFailure] = [r for _, r in fetched if isinstance(r, PageFailure)]
    ok = [(job, r.body, utcnow()) for job, r in fetched if isinstance(r, FetchResult)]
    processed = process_pages(ok, extractor)
    del ok
    articles = [a for a in processed if isinstance(a, Article)]
    failures += [f for f in processed if isinstance(f, PageFailure)]
    if window is not None:
        kept = [a for a in articles if window.contains(a.published_at)]
        result.n_out_of_window += len(articles) - len(kept)
        articles = kept
    result.n_deferred += sum(f.is_deferred for f in failures)
    queued = _failed_pages([job for job, _ in fetched], failures, context)
    # a redirect may land on a URL that another item already stored: write_batch keeps one copy
    inserted = store.write_batch(db, articles, queued)
    stored = [a for a in articles if a.article_id in inserted]
    result.n_new += len(stored)
    result.n_capex += sum(a.analysis.classification.is_capex for a in stored)
    result.n_facts += sum(len(a.analysis.facts) for a in stored)
    result.n_failed += len(failures)
    result.failures += [f"{f.url}: {f.error}" for f in failures]


def finish_feeds(db: str, finished: Sequence[tuple[FeedPlan, int]], queued: Sequence[QueuedPage] = ()) -> None:
    """Commit the poll records, items and new states of several feeds in one transaction, with the
    pages of their failed batches queued for retry.

    One transaction is what makes a saved ETag safe: a feed's validators are committed only
    together with the queue rows of every page it listed that was not stored. A re-poll of
    hundreds of unchanged feeds is one commit, not hundreds.
    """
    if not finished and not queued:
        return
    polls = [replace(plan.poll, pages_failed=pages_failed) for plan, pages_failed in finished]
    items = [(plan.state.feed_id, i) for plan, _ in finished for i in plan.items]
    store.write_batch(db, [], failures=queued, items=items, polls=polls)


_L = TypeVar("_L", bound="_Listed")


class _Listed(Protocol):
    """A page to fetch with where it was listed: a queued retry or a backfill's discovered URL."""

    @property
    def listing_url(self) -> str | None: ...

    @property
    def is_trusted(self) -> bool: ...


def policy_batches(items: Sequence[_L], size: int = BATCH_SIZE) -> list[list[_L]]:
    """Items in batches of at most `size` sharing one listing origin and trust level.

    ingest_batch applies one SSRF policy per batch, and the policy depends only on the listing's
    host and port, so the pages of every archive page of a feed (or every queued page of one site)
    share batches: an archive of 10 items a page would otherwise commit 10 pages at a time.
    """
    groups: dict[tuple[tuple[str, int] | None, bool], list[_L]] = {}
    for item in items:
        groups.setdefault((origin_of(item.listing_url) if item.listing_url else None, item.is_trusted), []).append(item)
    return [g[i:i + size] for g in groups.values() for i in range(0, len(g), size)]


def due_retries(db: str, now: datetime, force: bool, shard: Shard | None = None,
                feeds: Sequence[FeedState] = ()) -> list[QueuedPage]:
    """The queued pages this run retries: those due (all with `force`), of the shard's hosts only.

    With N shards each reads N times the per-run cap, oldest first, and keeps its own hosts' pages up
    to the cap, so a shard is not starved by a backlog of another shard's hosts.
    """
    if shard is None:
        return store.due_retries(db, now, force=force)
    due = store.due_retries(db, now, force=force, limit=store.MAX_RETRIES_PER_RUN * shard.count)
    mine = retries_in_shard(due, {s.feed_id: s.url for s in feeds}, shard)
    return mine[:store.MAX_RETRIES_PER_RUN]


def retry_batches(pages: Sequence[QueuedPage]) -> list[tuple[str | None, bool, list[PageJob]]]:
    """Queued pages as batches of one listing origin and trust level: (listing_url, trusted, jobs)."""
    return [(chunk[0].listing_url, chunk[0].is_trusted,
             [PageJob(url=q.url, guid=q.guid, feed_id=q.feed_id, published_at=q.published_at, title=q.title)
              for q in chunk])
            for chunk in policy_batches(pages)]


@contextmanager
def guarded_run(db: str, run_id: str) -> Iterator[None]:
    """Record the run as failed when its body raises (the error still propagates, unmasked); stop the
    extraction workers either way."""
    try:
        yield
    except BaseException as exc:
        store.fail_run(db, run_id, exc)  # never raises: a failure to record it is only logged
        raise
    finally:
        shutdown_pool()


def stopped_feeds(states: Sequence[FeedState]) -> list[str]:
    """Configured feeds that are no longer polled (deactivated after 410 Gone), to list in every summary."""
    return [f"{s.name} ({s.url}): not polled since it was deactivated" for s in states if not s.is_active]


def summary_markdown(summary: dict[str, object], failing: Sequence[str]) -> str:
    """The run summary as a Markdown artifact: the counts, then failing feeds and pages, then stopped feeds."""
    lines = [
        "# capex-monitor poll", "",
        "| metric | value |", "|---|---|",
        *[f"| {k.replace('_', ' ')} | {v} |" for k, v in summary.items() if not isinstance(v, list)],
    ]
    feeds = [f for f in failing if not f.startswith("page ")]
    pages = [f for f in failing if f.startswith("page ")]
    for title, entries in (("Failing feeds", feeds), ("Failing pages", pages)):
        if entries:
            lines += ["", f"## {title}", "", *[f"- {f}" for f in entries[:50]]]
            if len(entries) > 50:
                lines.append(f"- ... and {len(entries) - 50} more (see feed_health, feed_polls and page_failures)")
    stopped = summary.get("feeds_stopped")
    if isinstance(stopped, list) and stopped:
        lines += ["", "## Stopped feeds", "", *[f"- {f}" for f in stopped]]
    return "\n".join(lines) + "\n"


def _retry_condition(task_obj: object, task_run: object, state: object) -> bool:
    """Prefect retry condition: retry transient network errors only."""
    try:
        state.result()  # type: ignore[attr-defined]
    except Exception as exc:  # noqa: BLE001 -- inspecting the task's own failure
        if isinstance(exc, FetchError) and exc.http_status in RETRYABLE_STATUS:
            return True
        return isinstance(exc, StoreError) or (is_retryable(exc) and not isinstance(exc, BlockedURLError))
    return False


# One task per group of feeds (FEEDS_PER_TASK): each feed inside is isolated (its error is its
# outcome) and retried with backoff on transient network errors by fetch_feed_retrying.
# task(name=...)(fn) rather than task(fn, name=...): the same task, in the form Prefect's overloads type.
fetch_feeds_task = task(name="fetch-feeds", cache_policy=NO_CACHE)(fetch_feeds)
# Thread-run tasks cannot be interrupted by a Prefect timeout; every fetch and extraction
# carries its own deadline instead (tasks/ingest/http.py, tasks/ingest/pool.py).
ingest_batch_task = task(
    name="ingest-pages", retries=1, retry_delay_seconds=2, cache_policy=NO_CACHE, retry_condition_fn=_retry_condition,
)(ingest_batch)

__all__ = [
    "BATCH_SIZE", "due_retries", "error_poll", "finish_feeds", "guarded_run", "ingest_batch", "plan_feed",
    "queued_pages", "retry_batches",
    "stopped_feeds", "summary_markdown",
]
