"""Read-only queries."""

from __future__ import annotations

import logging
import os
from collections.abc import Sequence
from typing import Any

import duckdb

from tasks.errors import StoreError
from tasks.store.connect import read_connection

logger = logging.getLogger(__name__)


def query(
    db_path: str | os.PathLike[str], sql: str, params: Sequence[Any] | None = None
) -> tuple[list[str], list[tuple[Any, ...]]]:
    """Run a read-only query and return (column names, rows)."""
    with read_connection(db_path) as con:
        try:
            cur = con.execute(sql, list(params) if params else None)
        except duckdb.Error as exc:
            raise StoreError(f"query failed: {exc}".splitlines()[0]) from exc
        columns = [d[0] for d in cur.description] if cur.description else []
        return columns, cur.fetchall()


def table_counts(db_path: str | os.PathLike[str]) -> dict[str, int]:
    """Row counts of the main tables (for summaries and idempotence checks)."""
    names = ("feeds", "feed_polls", "feed_items", "articles", "article_raw", "facts", "page_failures")
    with read_connection(db_path) as con:
        return {n: con.execute(f"select count(*) from {n}").fetchone()[0] for n in names}  # type: ignore[index]
