"""The retry queue of pages (page_failures): backoff, attempts, giving up, what is due."""

from __future__ import annotations

import logging
import os
from collections.abc import Sequence
from datetime import datetime, timedelta

import duckdb

from tasks.models import PageFailure, QueuedPage, utcnow
from tasks.store.bulk import bulk_insert
from tasks.store.reads import query
from tasks.store.sql import json_list

logger = logging.getLogger(__name__)


# A page whose fetch or extraction failed this many times with a transient fault is given up (not
# fetched again by polls; a backfill listing it again still tries once more).
MAX_PAGE_ATTEMPTS = 5


# Delay before a page's next attempt after its n-th failure: the next poll after the first, then
# fourfold (5, 20, 80, 320 min), so a site down for hours is tried a few times, not every poll.
RETRY_BASE_S = 300.0


RETRY_MAX_S = 86_400.0


# A page still failing this long after its first failure is given up, whatever the count (pages
# answering 429, which spend no attempt, or failing only with batch faults, end too).
RETRY_WINDOW = timedelta(days=7)


# Queued pages one run retries at most (ten batches): a long outage drains over several runs.
MAX_RETRIES_PER_RUN = 500


def retry_delay_s(n_attempts: int, retry_after: float | None = None) -> float:
    """Seconds to wait before the next attempt of a page that failed `n_attempts` times."""
    delay = 0.0 if n_attempts <= 1 else min(RETRY_BASE_S * 4 ** (n_attempts - 2), RETRY_MAX_S)
    return max(delay, retry_after or 0.0)


_QUEUE_COLUMNS = (
    "url", "feed_id", "first_failed_at", "last_failed_at", "n_attempts", "http_status", "error", "status",
    "next_attempt_at", "guid", "title", "published_at", "listing_url", "is_trusted", "backfill_id",
)


_QUEUE_UPSERT = (
    "(url) do update set feed_id = coalesce(excluded.feed_id, page_failures.feed_id), "
    "last_failed_at = excluded.last_failed_at, n_attempts = excluded.n_attempts, "
    "http_status = excluded.http_status, error = excluded.error, status = excluded.status, "
    "next_attempt_at = excluded.next_attempt_at, guid = coalesce(excluded.guid, page_failures.guid), "
    "title = coalesce(excluded.title, page_failures.title), "
    "published_at = coalesce(excluded.published_at, page_failures.published_at), "
    "listing_url = coalesce(excluded.listing_url, page_failures.listing_url), "
    "is_trusted = excluded.is_trusted or page_failures.is_trusted, "
    "backfill_id = coalesce(excluded.backfill_id, page_failures.backfill_id)"
)


def queued_page(failure: PageFailure | QueuedPage) -> QueuedPage:
    """A failed page as a retry-queue record (a bare PageFailure carries no listing context)."""
    if isinstance(failure, QueuedPage):
        return failure
    return QueuedPage(url=failure.url, feed_id=failure.feed_id, guid=None, title=None, published_at=None,
                      listing_url=None, is_trusted=False, error=failure.error, http_status=failure.http_status,
                      is_retryable=failure.is_retryable, retry_after=failure.retry_after)


def record_failures(con: duckdb.DuckDBPyConnection, failures: Sequence[PageFailure | QueuedPage]) -> None:
    """Queue failed pages for retry with backoff, or give them up (permanent fault, attempts spent).

    Pages stored meanwhile (the first group of a batch whose second group failed) are not queued.
    """
    pages = list({q.url: q for q in map(queued_page, failures)}.values())
    if not pages:
        return
    urls = json_list([q.url for q in pages])
    stored = {r[0] for r in con.execute(
        "select url from articles where url in (select unnest(?::json::varchar[]))", [urls]).fetchall()}
    before = {r[0]: (int(r[1]), r[2]) for r in con.execute(
        "select url, n_attempts, first_failed_at from page_failures where url in (select unnest(?::json::varchar[]))",
        [urls]).fetchall()}
    now = utcnow()
    rows = []
    for q in pages:
        if q.url in stored:
            continue
        attempts, first_failed = before.get(q.url, (0, now))
        # a batch fault was the store's, not the page's, and a 429 the server's pacing: no attempt spent
        n = attempts + (0 if q.is_batch_fault or q.http_status == 429 else 1)
        given_up = not q.is_retryable or n >= MAX_PAGE_ATTEMPTS or now - first_failed > RETRY_WINDOW
        next_at = None if given_up else now + timedelta(seconds=retry_delay_s(n, q.retry_after))
        rows.append((q.url, q.feed_id, now, now, n, q.http_status, q.error[:2000],
                     "given_up" if given_up else "retrying", next_at, q.guid, q.title, q.published_at,
                     q.listing_url, q.is_trusted, q.backfill_id))
    bulk_insert(con, "page_failures", _QUEUE_COLUMNS, rows, on_conflict=_QUEUE_UPSERT)


def due_retries(
    db_path: str | os.PathLike[str], now: datetime, force: bool = False, limit: int = MAX_RETRIES_PER_RUN,
) -> list[QueuedPage]:
    """Queued pages whose next attempt has come (every queued page with force), oldest first."""
    _, rows = query(
        db_path,
        "select url, feed_id, guid, title, published_at, listing_url, is_trusted, error, http_status, backfill_id "
        "from page_failures q where status = 'retrying' and (? or coalesce(next_attempt_at, now()) <= ?) "
        "and not exists (select 1 from articles a where a.url = q.url) "
        "order by next_attempt_at nulls first, url limit ?",
        [force, now, limit],
    )
    return [QueuedPage(url=r[0], feed_id=r[1], guid=r[2], title=r[3], published_at=r[4], listing_url=r[5],
                       is_trusted=bool(r[6]), error=r[7], http_status=r[8], backfill_id=r[9]) for r in rows]
