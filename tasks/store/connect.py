"""Connections and locking: one write connection per batch under the writers' file lock, readers read-only.

The file is opened for writing only while a batch is committed, so that users (the `duckdb` CLI,
`capex sql`) can query it while a long poll or backfill runs. Writers of several processes (a
scheduled poll and a backfill) are serialised by an advisory file lock beside the database with
bounded waiting; DuckDB's own lock (held by a reader) is retried with backoff."""

from __future__ import annotations

import fcntl
import logging
import os
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import duckdb

from tasks.errors import StoreError
from tasks.store import lake
from tasks.store.migrate import migrate, migrations, views_checksum
from tasks.store.sql import first_line, rollback_quietly

logger = logging.getLogger(__name__)


# How long a writer waits for another writer (poll vs backfill) before giving up: a batch commit
# takes well under a second, so two minutes means something is stuck.
WRITER_LOCK_TIMEOUT_S = 120.0


# How long to retry DuckDB's own file lock (held by a user's read-only session or another tool).
DUCKDB_LOCK_TIMEOUT_S = 60.0


def _is_lock_error(exc: Exception) -> bool:
    text = str(exc)
    return "lock" in text.lower() and ("Conflicting" in text or "Could not set lock" in text)


def _connect_retrying(db_path: Path, read_only: bool, timeout_s: float) -> duckdb.DuckDBPyConnection:
    deadline = time.monotonic() + timeout_s
    delay = 0.02
    while True:
        try:
            return duckdb.connect(str(db_path), read_only=read_only)
        except duckdb.IOException as exc:
            if not _is_lock_error(exc) or time.monotonic() >= deadline:
                raise StoreError(f"cannot open {db_path}: {exc}") from exc
            time.sleep(delay)
            delay = min(delay * 2, 0.5)


@contextmanager
def _writer_lock(db_path: Path, timeout_s: float) -> Iterator[None]:
    lock_path = db_path.with_name(db_path.name + ".lock")
    try:
        handle = open(lock_path, "a+b")  # noqa: SIM115 -- closed by the with below
    except OSError as exc:  # a read-only filesystem or directory: name the file, not a traceback
        raise StoreError(f"cannot open the writers' lock {lock_path}: {first_line(exc)}") from exc
    with handle:
        deadline = time.monotonic() + timeout_s
        while True:
            try:
                fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    raise StoreError(f"another writer held {lock_path} for more than {timeout_s:.0f} s") from None
                time.sleep(0.05)
        try:
            yield
        finally:
            fcntl.flock(handle.fileno(), fcntl.LOCK_UN)


_MIGRATED: set[str] = set()


# DuckDB refuses a read-only and a read-write connection to one file in the same process at once
# ("different configuration"), so every connection of this process is taken under one lock:
# the flow's threads (feed planning reads, batch writes) take turns, each for milliseconds.
_PROCESS_LOCK = threading.RLock()


@contextmanager
def write_connection(db_path: str | os.PathLike[str]) -> Iterator[duckdb.DuckDBPyConnection]:
    """Open the database for one write batch (migrating it on first use); close it afterwards.

    A lake (`ducklake:postgres:...`) is opened under its writers' lock in the catalog database.
    """
    if lake.is_lake(db_path):
        with _PROCESS_LOCK, _lake_write(lake.parse_target(db_path)) as con:
            yield con
        return
    path = Path(db_path)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise StoreError(f"cannot create the directory of {path}: {first_line(exc)}") from exc
    with _PROCESS_LOCK, _writer_lock(path, WRITER_LOCK_TIMEOUT_S):
        con = _connect_retrying(path, read_only=False, timeout_s=DUCKDB_LOCK_TIMEOUT_S)
        try:
            key = str(path.resolve())
            if key not in _MIGRATED:
                migrate(con)
                _MIGRATED.add(key)
            yield con
        except duckdb.Error as exc:  # a full disk, a corrupt file: one line naming the database
            raise StoreError(f"cannot write to {path}: {first_line(exc)}") from exc
        finally:
            con.close()


@contextmanager
def _lake_write(target: lake.LakeTarget) -> Iterator[duckdb.DuckDBPyConnection]:
    with lake.writers_lock(target).held(WRITER_LOCK_TIMEOUT_S), lake.cursor(target, read_only=False) as con:
        try:
            if target.uri not in _MIGRATED:
                # every view replaced is a catalog commit (a snapshot): only when something changed
                if not _schema_is_current(con):
                    migrate(con)
                _MIGRATED.add(target.uri)
            yield con
        except duckdb.Error as exc:  # a catalog gone mid-commit, a refused S3 write: one line
            rollback_quietly(con)
            lake.forget(target)
            raise StoreError(f"cannot write to the lake {target.uri}: {first_line(exc)}") from exc


@contextmanager
def _lake_read(target: lake.LakeTarget) -> Iterator[duckdb.DuckDBPyConnection]:
    if target.uri not in _MIGRATED and target.uri not in _READ_CHECKED:
        try:
            with lake.cursor(target, read_only=True) as con:
                current = _schema_is_current(con)
        except StoreError as exc:
            if "does not exist" not in str(exc):
                raise
            current = False  # a new lake: a read-only attach cannot create it
        if not current:  # migrate once, under the writers' lock
            lake.forget(target)
            init_db(target.uri)
        _READ_CHECKED.add(target.uri)
    with lake.cursor(target, read_only=True) as con:
        yield con


@contextmanager
def read_connection(db_path: str | os.PathLike[str]) -> Iterator[duckdb.DuckDBPyConnection]:
    """Open the database read-only, creating and migrating it first when it does not exist."""
    if lake.is_lake(db_path):
        with _PROCESS_LOCK, _lake_read(lake.parse_target(db_path)) as con:
            yield con
        return
    path = Path(db_path)
    with _PROCESS_LOCK:
        if not path.exists():
            init_db(path)
        con = _connect_retrying(path, read_only=True, timeout_s=DUCKDB_LOCK_TIMEOUT_S)
        key = str(path.resolve())
        if key not in _MIGRATED and key not in _READ_CHECKED:
            # A reader opens the file read-write only when its schema or views are out of date: a
            # read-write open waits for the writers' lock and locks out every other reader.
            if _schema_is_current(con):
                _READ_CHECKED.add(key)
            else:
                con.close()
                init_db(path)
                con = _connect_retrying(path, read_only=True, timeout_s=DUCKDB_LOCK_TIMEOUT_S)
        try:
            yield con
        finally:
            con.close()


_READ_CHECKED: set[str] = set()


def _schema_is_current(con: duckdb.DuckDBPyConnection) -> bool:
    """Every migration is recorded and the views were created from the current view files."""
    try:
        done = {row[0] for row in con.execute("select version from schema_migrations").fetchall()}
        views = con.execute("select checksum from schema_views").fetchone()
    except duckdb.CatalogException:
        return False
    return {m.version for m in migrations()} <= done and views is not None and views[0] == views_checksum()


def init_db(db_path: str | os.PathLike[str]) -> None:
    """Create the database file and apply pending migrations."""
    with write_connection(db_path):
        pass
