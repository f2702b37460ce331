"""DuckDB storage: the only package that touches the database.

Modules by concern: connect (connections, the writers' lock), migrate (SQL migrations, views),
bulk (many rows in one statement), feeds, articles (batch writes), queue (the page retry queue),
runs, reads, backfill; lake (the DuckLake backend a `ducklake:` --db selects), transfer (copying a
history between databases, lake upkeep). Callers use the names below (`from tasks import store; store.write_batch`).
"""

from __future__ import annotations

from tasks.errors import StoreError
from tasks.models import PollRecord, QueuedURL, article_id_for, utcnow
from tasks.store.articles import insert_articles, known_keys, write_batch
from tasks.store.backfill import (
    backfill_state,
    count_to_reprocess,
    enqueue_backfill,
    fail_backfill,
    finish_backfill,
    ids_to_reprocess,
    mark_backfill_done,
    pending_backfill,
    start_backfill,
    stored_pages,
)
from tasks.store.bulk import bulk_insert, typed_columns
from tasks.store.connect import init_db, read_connection, write_connection
from tasks.store.feeds import is_due, sync_feeds
from tasks.store.migrate import migrate, migrations
from tasks.store.queue import (
    MAX_PAGE_ATTEMPTS,
    MAX_RETRIES_PER_RUN,
    RETRY_MAX_S,
    due_retries,
    queued_page,
    retry_delay_s,
)
from tasks.store.reads import query, table_counts
from tasks.store.runs import fail_run, finish_run, start_run

__all__ = [
    "MAX_PAGE_ATTEMPTS", "MAX_RETRIES_PER_RUN", "RETRY_MAX_S", "PollRecord", "QueuedURL", "StoreError",
    "article_id_for", "backfill_state", "bulk_insert", "count_to_reprocess", "due_retries", "enqueue_backfill",
    "fail_backfill", "fail_run", "finish_backfill", "finish_run", "ids_to_reprocess", "init_db", "insert_articles",
    "is_due", "known_keys", "mark_backfill_done", "migrate", "migrations", "pending_backfill", "query",
    "queued_page", "read_connection", "retry_delay_s", "start_backfill", "start_run", "stored_pages", "sync_feeds",
    "table_counts", "typed_columns", "utcnow", "write_batch", "write_connection",
]
