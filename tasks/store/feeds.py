"""Feeds: the configured feeds' rows and state, their poll records and seen items."""

from __future__ import annotations

import logging
import os
from collections.abc import Sequence
from datetime import datetime
from typing import Any

import duckdb

from tasks.models import FeedConfig, FeedItem, FeedState, PollRecord, utcnow
from tasks.store.bulk import bulk_insert, typed_columns
from tasks.store.connect import write_connection

logger = logging.getLogger(__name__)


def sync_feeds(db_path: str | os.PathLike[str], feeds: Sequence[FeedConfig]) -> list[FeedState]:
    """Upsert the configured feeds (matched on the URL the file gives, even after the feed moved).

    Returns the state of each feed, in the file's order.
    """
    now = utcnow()
    with write_connection(db_path) as con:
        con.execute("begin transaction")
        rows = _feed_rows(con)
        new = [f for f in feeds if f.url not in rows]
        changed = [(f.name, list(f.tags), rows[f.url][0]) for f in feeds
                   if f.url in rows and (rows[f.url][1], list(rows[f.url][2] or [])) != (f.name, list(f.tags))]
        if changed:
            con.executemany("update feeds set name = ?, tags = ? where feed_id = ?", changed)
        bulk_insert(con, "feeds", ("name", "url", "configured_url", "tags", "next_poll_at"),
                    list({f.url: (f.name, f.url, f.url, list(f.tags), now) for f in new}.values()))
        con.execute("commit")
        states = _feed_states(con)
    return [states[feed.url] for feed in feeds]


_STATE_COLUMNS = "feed_id, name, url, etag, last_modified, consecutive_failures, next_poll_at, is_active"


def _feed_rows(con: duckdb.DuckDBPyConnection) -> dict[str, tuple[Any, ...]]:
    """configured URL (or current URL) -> (feed_id, name, tags); the configured URL wins."""
    out: dict[str, tuple[Any, ...]] = {}
    for feed_id, name, tags, url, configured in con.execute(
        "select feed_id, name, tags, url, configured_url from feeds"
    ).fetchall():
        out.setdefault(url, (feed_id, name, tags))
        if configured:
            out[configured] = (feed_id, name, tags)
    return out


def _feed_states(con: duckdb.DuckDBPyConnection) -> dict[str, FeedState]:
    """Every feed's state keyed by its configured URL and by its current URL."""
    out: dict[str, FeedState] = {}
    for row in con.execute(f"select {_STATE_COLUMNS}, configured_url from feeds").fetchall():
        state = FeedState(*row[:-1])
        out.setdefault(state.url, state)
        if row[-1]:
            out[row[-1]] = state
    return out


def is_due(state: FeedState, now: datetime) -> bool:
    """A feed is due when it is active and its next poll time has come."""
    return state.is_active and (state.next_poll_at is None or state.next_poll_at <= now)


def insert_items(con: duckdb.DuckDBPyConnection, items: Sequence[tuple[int, FeedItem]]) -> None:
    now = utcnow()
    rows = [
        (feed_id, item.guid or item.url, item.url, item.title, item.published_at, now)
        for feed_id, item in items
    ]
    bulk_insert(con, "feed_items", ("feed_id", "item_key", "url", "title", "published_at", "first_seen_at"),
                list({(r[0], r[1]): r for r in rows}.values()))


_POLL_COLUMNS = ("feed_id", "run_id", "started_at", "finished_at", "status", "http_status", "items_seen",
                 "items_new", "pages_failed", "bytes_received", "error")


def record_polls(con: duckdb.DuckDBPyConnection, polls: Sequence[PollRecord]) -> None:
    """Insert the poll rows and update the feeds' state, in bulk (500 polls: two statements, not 1,000)."""
    if not polls:
        return
    now = utcnow()
    bulk_insert(con, "feed_polls", _POLL_COLUMNS, [
        (p.feed_id, p.run_id, p.started_at, now, p.status, p.http_status, p.items_seen, p.items_new,
         p.pages_failed, p.bytes_received, p.error) for p in polls])
    columns: dict[str, tuple[str, list[Any]]] = {
        "feed_id": ("INTEGER", [p.feed_id for p in polls]),
        "status": ("VARCHAR", [p.status for p in polls]),
        "http_status": ("INTEGER", [p.http_status for p in polls]),
        "error": ("VARCHAR", [p.error for p in polls]),
        "failures": ("INTEGER", [p.consecutive_failures for p in polls]),
        "next_poll_at": ("TIMESTAMP", [p.next_poll_at for p in polls]),
        "save_validators": ("BOOLEAN", [p.save_validators for p in polls]),
        "etag": ("VARCHAR", [p.etag for p in polls]),
        "last_modified": ("VARCHAR", [p.last_modified for p in polls]),
        "deactivate": ("BOOLEAN", [p.deactivate for p in polls]),
    }
    subquery, params = typed_columns(columns)
    now_param = f"${len(params) + 1}::timestamp"
    con.execute(
        f"update feeds set last_polled_at = {now_param}, last_status = v.status, last_http_status = v.http_status, "
        "last_error = v.error, consecutive_failures = v.failures, next_poll_at = v.next_poll_at, "
        f"last_success_at = case when v.status <> 'error' then {now_param} else feeds.last_success_at end, "
        "etag = case when v.save_validators then v.etag else feeds.etag end, "
        "last_modified = case when v.save_validators then v.last_modified else feeds.last_modified end, "
        "is_active = feeds.is_active and not v.deactivate "
        f"from {subquery} as v where feeds.feed_id = v.feed_id",
        [*params, now],
    )
    for p in polls:
        if p.new_url:
            taken = con.execute("select 1 from feeds where url = ?", [p.new_url]).fetchone()
            if taken is None:
                con.execute("update feeds set url = ? where feed_id = ?", [p.new_url, p.feed_id])
