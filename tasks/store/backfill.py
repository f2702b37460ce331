"""Backfill checkpoints (backfills, backfill_queue) and the reprocess queries."""

from __future__ import annotations

import json
import logging
import os
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from tasks.models import QueuedURL, utcnow
from tasks.store import rawstore
from tasks.store.bulk import bulk_insert
from tasks.store.connect import write_connection
from tasks.store.reads import query
from tasks.store.sql import first_line, json_list

logger = logging.getLogger(__name__)


def backfill_state(db_path: str | os.PathLike[str], backfill_id: str) -> str | None:
    """The status of a backfill ('discovering', 'running', 'completed', 'completed_with_errors', 'failed') or None."""
    _, rows = query(db_path, "select status from backfills where backfill_id = ?", [backfill_id])
    return rows[0][0] if rows else None


def start_backfill(db_path: str | os.PathLike[str], backfill_id: str, source: str, params: dict[str, Any]) -> None:
    """Begin (or begin again) a backfill: a completed one's queue is cleared for a fresh discovery."""
    now = utcnow()
    with write_connection(db_path) as con:
        con.execute("begin transaction")
        con.execute("delete from backfill_queue where backfill_id = ?", [backfill_id])
        con.execute("delete from backfills where backfill_id = ?", [backfill_id])
        con.execute(
            "insert into backfills (backfill_id, source, params, status, started_at, updated_at) "
            "values (?, ?, ?, 'discovering', ?, ?)",
            [backfill_id, source, json.dumps(params, default=str), now, now],
        )
        con.execute("commit")


def enqueue_backfill(db_path: str | os.PathLike[str], backfill_id: str, urls: Sequence[QueuedURL],
                     errors: Sequence[str]) -> int:
    """Store the discovered URLs and mark discovery complete, in one transaction; returns the queue size."""
    rows = [(backfill_id, u.url, u.published_at, u.listing_url, u.is_trusted, False) for u in urls]
    with write_connection(db_path) as con:
        con.execute("begin transaction")
        bulk_insert(con, "backfill_queue",
                    ("backfill_id", "url", "published_at", "listing_url", "is_trusted", "is_done"), rows)
        n = con.execute("select count(*) from backfill_queue where backfill_id = ?", [backfill_id]).fetchone()
        con.execute(
            "update backfills set status = 'running', n_discovered = ?, updated_at = ?, errors = ? "
            "where backfill_id = ?",
            [n[0] if n else 0, utcnow(), list(errors)[:200], backfill_id],
        )
        con.execute("commit")
    return int(n[0]) if n else 0


def pending_backfill(db_path: str | os.PathLike[str], backfill_id: str) -> list[QueuedURL]:
    """URLs of a backfill not ingested yet, oldest listing order first."""
    _, rows = query(
        db_path,
        "select url, published_at, listing_url, is_trusted from backfill_queue "
        "where backfill_id = ? and not is_done order by url",
        [backfill_id],
    )
    return [QueuedURL(*row) for row in rows]


def mark_backfill_done(db_path: str | os.PathLike[str], backfill_id: str, urls: Sequence[str],
                       n_new: int, n_failed: int) -> None:
    """Record a batch of the backfill as done (its articles were committed just before)."""
    with write_connection(db_path) as con:
        con.execute("begin transaction")
        con.execute(
            "update backfill_queue set is_done = true "
            "where backfill_id = ? and url in (select unnest(?::json::varchar[]))",
            [backfill_id, json_list(urls)],
        )
        con.execute(
            "update backfills set n_done = n_done + ?, n_new = n_new + ?, n_failed = n_failed + ?, updated_at = ? "
            "where backfill_id = ?",
            [len(urls), n_new, n_failed, utcnow(), backfill_id],
        )
        con.execute("commit")


def finish_backfill(db_path: str | os.PathLike[str], backfill_id: str, status: str = "completed") -> None:
    """Mark a backfill 'completed' or 'completed_with_errors' (a rerun resumes the latter's pending URLs)."""
    with write_connection(db_path) as con:
        con.execute("update backfills set status = ?, finished_at = ?, updated_at = ? where backfill_id = ?",
                    [status, utcnow(), utcnow(), backfill_id])


def fail_backfill(db_path: str | os.PathLike[str], backfill_id: str, exc: BaseException) -> None:
    """Mark a backfill 'failed' with its error; never raises (it runs while `exc` propagates)."""
    try:
        with write_connection(db_path) as con:
            con.execute(
                "update backfills set status = 'failed', finished_at = ?, updated_at = ?, "
                "errors = list_append(coalesce(errors, []), ?) where backfill_id = ?",
                [utcnow(), utcnow(), f"{type(exc).__name__}: {first_line(exc)}", backfill_id],
            )
    except Exception as cleanup:  # noqa: BLE001 -- the run's own error is the one to report
        logger.warning("could not record the failure of backfill %s: %s", backfill_id, first_line(cleanup))


def ids_to_reprocess(
    db_path: str | os.PathLike[str], version: str, since: datetime | None, until: datetime | None,
    after: str, limit: int,
) -> list[str]:
    """The next `limit` ids (in id order, after `after`) of stored articles whose extractor version differs.

    Keyset paging: each call reads only the article ids and versions, never the raw HTML, so a
    reprocess of N articles costs N/limit cheap scans, and articles that failed are not picked again.
    """
    _, rows = query(
        db_path,
        "select a.article_id from articles a "
        "where a.extractor_version <> ? and a.article_id > ? "
        "and (?::timestamp is null or a.published_at >= ?::timestamp) "
        "and (?::timestamp is null or a.published_at < ?::timestamp) "
        "and exists (select 1 from article_raw r where r.article_id = a.article_id) "
        "order by a.article_id limit ?",
        [version, after, since, since, until, until, limit],
    )
    return [str(r[0]) for r in rows]


def stored_pages(db_path: str | os.PathLike[str], article_ids: Sequence[str]) -> list[tuple[Any, ...]]:
    """Stored articles with where their raw HTML is, for reprocessing.

    Rows: (article_id, url, guid, feed_id, published_at, title, fetched_at, raw), where raw is the
    compressed HTML itself (rows from before packs) or a RawRef for `rawstore.load`.
    """
    _, rows = query(
        db_path,
        "select a.article_id, a.url, a.guid, a.feed_id, a.published_at, a.title, a.fetched_at, "
        "r.raw_html_zstd, r.pack, r.pack_offset, r.raw_bytes "
        "from articles a join article_raw r using (article_id) "
        "where a.article_id in (select unnest(?::json::varchar[])) order by a.article_id",
        [json_list(article_ids)],
    )
    return [(*row[:7], row[7] if row[7] is not None else rawstore.RawRef(row[8], row[9], row[10]))
            for row in rows]


def count_to_reprocess(db_path: str | os.PathLike[str], version: str, since: datetime | None,
                       until: datetime | None) -> int:
    """How many stored articles a reprocess to `version` has left."""
    _, rows = query(
        db_path,
        "select count(*) from articles a join article_raw r using (article_id) where a.extractor_version <> ? "
        "and (?::timestamp is null or a.published_at >= ?::timestamp) "
        "and (?::timestamp is null or a.published_at < ?::timestamp)",
        [version, since, since, until, until],
    )
    return int(rows[0][0])
