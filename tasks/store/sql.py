"""Small helpers every storage module uses: one-line errors, quiet rollbacks, JSON list parameters."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterable

import duckdb

logger = logging.getLogger(__name__)


def first_line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return (text[0] if text else type(exc).__name__)[:500]


def rollback_quietly(con: duckdb.DuckDBPyConnection) -> None:
    """Roll back after a failure without masking it: a rollback that fails too (the transaction
    already aborted, the disk full) is logged, and the first error is the one raised."""
    try:
        con.execute("rollback")
    except duckdb.Error as exc:
        logger.debug("rollback after a failed write also failed: %s", exc)


def current_database(con: duckdb.DuckDBPyConnection) -> tuple[str, str]:
    """The path (or attach string) and type ('duckdb', 'ducklake') of a connection's current database."""
    row = con.execute("select path, type from duckdb_databases() where database_name = current_database()").fetchone()
    return (str(row[0] or ""), str(row[1])) if row else ("", "")


def json_list(values: Iterable[str]) -> str:
    """Strings as one JSON parameter for `unnest(?::json::varchar[])`.

    A Python list parameter is converted value by value, each conversion probing for pandas
    (two failed imports per value: ~0.5 ms); one JSON string is one value.
    """
    return json.dumps(list(values), ensure_ascii=False)
