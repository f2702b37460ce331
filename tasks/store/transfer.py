"""Moving up: copy a database's whole history into another (a DuckDB file into a lake), and lake upkeep.

The copy goes table by table in key order, in chunks (each read after the last key copied, so no chunk
re-sorts what came before), each chunk one transaction in the target with insert-if-absent on the
table's key, so an interrupted copy run again resumes where it stopped and a second copy adds nothing.
Raw HTML is read from the source's packs and stored inline.
A count check ends it: every source key must be in the target.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from tasks.errors import StoreError
from tasks.store import lake, rawstore
from tasks.store.bulk import bulk_insert
from tasks.store.connect import read_connection, write_connection
from tasks.store.sql import first_line

logger = logging.getLogger(__name__)

# In dependency order (feeds before their polls and items, articles before their raw HTML and facts).
TABLES = ("feeds", "feed_polls", "feed_items", "articles", "article_raw", "facts", "page_failures",
          "pipeline_runs", "backfills", "backfill_queue")

# Rows per chunk (one target transaction each); raw HTML rows are ~60 KB, so fewer of them.
CHUNK_ROWS = 2_000
RAW_CHUNK_ROWS = 200

ProgressFn = Callable[[str, int, int], None]  # (table, rows done, rows in the table)


@dataclass
class CopyReport:
    """Rows per table: in the source, and in the target after the copy; keys missing from the target."""

    source: dict[str, int] = field(default_factory=dict)
    target: dict[str, int] = field(default_factory=dict)
    missing: dict[str, int] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return not any(self.missing.values())


def copy_history(source: str | os.PathLike[str], target: str | os.PathLike[str],
                 progress: ProgressFn | None = None) -> CopyReport:
    """Copy every table of `source` into `target` (created and migrated if new), idempotently.

    Raises:
        StoreError: a feed id of the source names another feed in the target (the target was written
            by other pollers first: copy into an empty lake), or a read or write failed.
    """
    if str(source) == str(target):
        raise StoreError("the source and the target are the same database")
    _check_feed_ids(source, target)
    report = CopyReport()
    for table in TABLES:
        report.source[table] = _copy_table(source, target, table, progress)
    _count_check(source, target, report)
    return report


def _check_feed_ids(source: str | os.PathLike[str], target: str | os.PathLike[str]) -> None:
    with read_connection(source) as con:
        feeds = con.execute("select feed_id, url from feeds").fetchall()
    with read_connection(target) as con:
        there = dict(con.execute("select feed_id, url from feeds").fetchall())
    clashes = [f"{fid} ({url} here, {there[fid]} there)" for fid, url in feeds if fid in there and there[fid] != url]
    if clashes:
        raise StoreError(f"feed ids already used for other feeds in {target}: {', '.join(clashes[:3])}")


def _copy_table(source: str | os.PathLike[str], target: str | os.PathLike[str], table: str,
                progress: ProgressFn | None) -> int:
    """Copy one table in key order, a chunk at a time: each chunk is read after the last key copied
    (a short read, so the source's writers are not held up) and written in one target transaction."""
    keys = lake.TABLE_KEYS[table]
    with read_connection(source) as con:
        columns = [r[0] for r in con.execute(
            "select column_name from information_schema.columns where table_name = ? order by ordinal_position",
            [table]).fetchall()]
        total = int(con.execute(f"select count(*) from {table}").fetchone()[0])  # type: ignore[index]
    chunk = RAW_CHUNK_ROWS if table == "article_raw" else CHUNK_ROWS
    select = f"select {', '.join(columns)} from {table}"
    order = f"order by {', '.join(keys)} limit {chunk}"
    after = f"where ({', '.join(keys)}) > ({', '.join('?' for _ in keys)})"
    key_at = [columns.index(k) for k in keys]
    done, last = 0, None
    while True:
        with read_connection(source) as con:
            rows = con.execute(f"{select} {order}" if last is None else f"{select} {after} {order}", last).fetchall()
        if not rows:
            break
        last = [rows[-1][i] for i in key_at]
        if table == "article_raw":
            rows = [_inline_raw(source, columns, row) for row in rows]
        with write_connection(target) as out:
            out.execute("begin transaction")
            bulk_insert(out, table, columns, rows)
            out.execute("commit")
        done += len(rows)
        if progress:
            progress(table, done, total)
    if progress and total == 0:
        progress(table, 0, 0)
    return total


def _inline_raw(source: str | os.PathLike[str], columns: list[str], row: tuple[Any, ...]) -> tuple[Any, ...]:
    """An article_raw row with its page read from the source's pack and kept inline."""
    values = dict(zip(columns, row, strict=True))
    if values.get("pack"):
        ref = rawstore.RawRef(values["pack"], values["pack_offset"], values["raw_bytes"])
        try:
            values["raw_html_zstd"] = rawstore.load(source, ref)
        except StoreError as exc:
            raise StoreError(f"article {values['article_id']}: {first_line(exc)} (capex doctor --repair "
                             "fixes broken packs)") from exc
        values["pack"] = values["pack_offset"] = None
    return tuple(values[c] for c in columns)


def _count_check(source: str | os.PathLike[str], target: str | os.PathLike[str], report: CopyReport) -> None:
    """Every key of the source is in the target (the target may hold more: polls that ran since)."""
    for table in TABLES:
        keys = lake.TABLE_KEYS[table]
        with read_connection(source) as con:
            source_keys = {tuple(r) for r in con.execute(f"select {', '.join(keys)} from {table}").fetchall()}
        with read_connection(target) as con:
            target_keys = {tuple(r) for r in con.execute(f"select {', '.join(keys)} from {table}").fetchall()}
        report.target[table] = len(target_keys)
        report.missing[table] = len(source_keys - target_keys)


@dataclass
class UpkeepReport:
    """What a lake's upkeep did: inlined rows flushed, files merged, snapshots expired, files removed."""

    steps: list[str] = field(default_factory=list)


# Snapshots younger than this are kept (time travel; readers that started before the upkeep).
KEEP_SNAPSHOTS_DAYS = 7


def maintain(db: str | os.PathLike[str], keep_days: int = KEEP_SNAPSHOTS_DAYS) -> UpkeepReport:
    """Compact a lake: write inlined rows to Parquet, merge small files, expire old snapshots, delete
    the files no snapshot needs (also those a failed commit left). A DuckDB file gets a CHECKPOINT."""
    report = UpkeepReport()
    with write_connection(db) as con:
        if not lake.is_lake(db):
            con.execute("checkpoint")
            report.steps.append("checkpoint: done")
            return report
        older = f"now() - interval '{int(keep_days)} days'"
        for name, sql in (
            ("inlined rows flushed", "call ducklake_flush_inlined_data('lake')"),
            ("small files merged", "call ducklake_merge_adjacent_files('lake')"),
            ("snapshots expired", f"call ducklake_expire_snapshots('lake', older_than => {older})"),
            ("old files deleted", f"call ducklake_cleanup_old_files('lake', older_than => {older})"),
            ("orphaned files deleted", f"call ducklake_delete_orphaned_files('lake', older_than => {older})"),
        ):
            rows = con.execute(sql).fetchall()
            report.steps.append(f"{name}: {len(rows)}")
    lake.forget(lake.parse_target(db))  # this process's attachments know the files just merged away
    return report
