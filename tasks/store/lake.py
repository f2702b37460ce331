"""The DuckLake backend: the same tables and views in a lake (catalog in PostgreSQL, data as Parquet).

`--db ducklake:postgres:dbname=capex host=HOST port=5432 user=USER` selects it; the data files live
under CAPEX_DATA_PATH (a directory or s3://bucket/prefix, resolved in tasks/settings.py). What
differs from the DuckDB file, and how this module bridges it:

- Extensions. DuckLake, postgres and httpfs come from the pinned `duckdb-extension-*` wheels and are
  installed from their files into a per-user directory (never downloaded: autoinstall is off).
- Constraints. DuckLake has no PRIMARY KEY, UNIQUE or sequences. The migrations are the same files,
  applied through `lake_ddl`, which removes those clauses; the keys they declared are TABLE_KEYS
  (a unit test checks them against the file backend's constraints) and ids the sequences gave are
  allocated as max + row number by the writer (SERIAL_COLUMNS).
- Exactly once. Writers of every process and machine take one PostgreSQL advisory lock on the
  catalog database for the length of a batch (the lake's twin of the file backend's lock file), and
  every insert is insert-if-absent on the table's key inside the batch's transaction. Two writers
  therefore never interleave a check and an insert, so two workers that fetched the same article
  store it once. The lock lives in a database session: a writer that dies releases it.
- Raw HTML. Pages are kept inline in article_raw (Parquet files are immutable, so the rewrite cost
  that moved the file backend's pages into pack files does not arise, and S3 has no append).
"""

from __future__ import annotations

import fcntl
import hashlib
import importlib.util
import logging
import os
import re
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import duckdb

from tasks.errors import ConfigError, StoreError
from tasks.settings import LakeSettings, lake_settings
from tasks.store.sql import current_database, first_line

if TYPE_CHECKING:  # imported when a lake is used: psycopg costs start-up time every command would pay
    import psycopg

logger = logging.getLogger(__name__)

LAKE_PREFIX = "ducklake:"
CATALOG_PREFIX = "ducklake:postgres:"
# the name the lake is attached under; `use lake` makes its tables the unqualified ones
ALIAS = "lake"

# The natural key of every table: what insert-if-absent matches on (the file backend declares them
# as PRIMARY KEY in sql/; tests/unit/test_lake.py checks the two agree).
TABLE_KEYS: dict[str, tuple[str, ...]] = {
    "schema_migrations": ("version",),
    "feeds": ("feed_id",),
    "feed_polls": ("poll_id",),
    "feed_items": ("feed_id", "item_key"),
    "articles": ("article_id",),
    "article_raw": ("article_id",),
    "page_failures": ("url",),
    "facts": ("fact_id",),
    "pipeline_runs": ("run_id",),
    "backfills": ("backfill_id",),
    "backfill_queue": ("backfill_id", "url"),
}

# The file backend also keeps feeds.url unique: a feed is matched on its URL, never inserted twice.
INSERT_KEYS: dict[str, tuple[str, ...]] = {**TABLE_KEYS, "feeds": ("url",)}

# Columns a sequence fills in the file backend: the lake writer allocates max(id) + row number.
SERIAL_COLUMNS = {"feeds": "feed_id", "feed_polls": "poll_id"}

# How long a writer waits for the lake's writers' lock before giving up (as for the file's lock).
LOCK_TIMEOUT_S = 120.0

# pg_advisory_lock takes a bigint: the first 8 bytes of a hash of the project's name
_LOCK_KEY = int.from_bytes(hashlib.sha256(b"capex-monitor writers").digest()[:8], "big", signed=True)

_EXTENSIONS = ("ducklake", "postgres", "httpfs")


def is_lake(db: str | os.PathLike[str]) -> bool:
    """Whether a --db value names a lake rather than a DuckDB file."""
    return str(db).startswith(LAKE_PREFIX)


def is_lake_connection(con: duckdb.DuckDBPyConnection) -> bool:
    """Whether a connection's current database is a lake (its SQL then avoids keys and sequences)."""
    return current_database(con)[1] == "ducklake"


@dataclass(frozen=True, slots=True)
class LakeTarget:
    """A lake: its ATTACH string, the catalog's libpq DSN, and where its data files go."""

    uri: str
    dsn: str
    settings: LakeSettings


def parse_target(db: str | os.PathLike[str]) -> LakeTarget:
    """The lake a --db value names; a ConfigError for catalogs other than PostgreSQL."""
    text = str(db)
    if not text.startswith(CATALOG_PREFIX):
        raise ConfigError(f"--db {text}: only a PostgreSQL catalog is supported "
                          "(ducklake:postgres:dbname=... host=... port=... user=...)")
    dsn = text[len(CATALOG_PREFIX):].strip()
    if "dbname=" not in dsn:
        raise ConfigError(f"--db {text}: the catalog needs dbname=... (a libpq connection string)")
    return LakeTarget(text, dsn, lake_settings())


def lake_ddl(sql: str) -> str:
    """A migration's SQL without what DuckLake refuses: sequences, PRIMARY KEY and UNIQUE clauses."""
    sql = _SEQUENCE.sub("", sql)
    sql = _NEXTVAL.sub("", sql)
    sql = _TABLE_KEY.sub("", sql)
    sql = _COLUMN_KEY.sub("", sql)
    return _UNIQUE.sub("", sql)


# "create sequence feeds_seq start 1;"
_SEQUENCE = re.compile(r"(?im)^\s*create\s+sequence\b[^;]*;")
# "feed_id integer primary key default nextval('feeds_seq')"
_NEXTVAL = re.compile(r"(?i)\s+default\s+nextval\s*\(\s*'[^']*'\s*\)")
# ",\n    primary key (feed_id, item_key)"
_TABLE_KEY = re.compile(r"(?i),\s*primary\s+key\s*\([^)]*\)")
# "article_id varchar primary key,"
_COLUMN_KEY = re.compile(r"(?i)\s+primary\s+key\b(?!\s*\()")
# "url varchar not null unique,"
_UNIQUE = re.compile(r"(?i)\s+unique\b(?=\s*[,\n)])")


def extension_file(name: str) -> Path:
    """The .duckdb_extension file of `name` (ducklake, postgres, httpfs) inside its installed wheel, built for
    this DuckDB version; a StoreError naming the package otherwise."""
    spec = importlib.util.find_spec(f"duckdb_extension_{name}")
    if spec is None or spec.origin is None:
        raise StoreError(f"package duckdb-extension-{name} is not installed (make install)")
    path = Path(spec.origin).parent / "extensions" / f"v{duckdb.__version__}" / f"{name}.duckdb_extension"
    if not path.is_file():
        raise StoreError(f"{path} not found: duckdb-extension-{name} does not match duckdb {duckdb.__version__}")
    return path


def _extension_directory() -> Path:
    """A per-user directory the extensions are installed into from the wheels' files."""
    directory = Path(tempfile.gettempdir()) / f"capex-duckdb-extensions-{os.getuid()}"
    directory.mkdir(mode=0o700, exist_ok=True)
    return directory


def _load_extensions(con: duckdb.DuckDBPyConnection, names: tuple[str, ...], directory: Path) -> None:
    # an INSTALL copies the file into the directory: serialise it between processes
    with open(directory / ".install.lock", "a+b") as lock:
        fcntl.flock(lock.fileno(), fcntl.LOCK_EX)
        try:
            for name in names:
                installed = list(directory.rglob(f"{name}.duckdb_extension"))
                if not installed:
                    con.execute(f"install '{extension_file(name)}'")
                con.execute(f"load {name}")
        finally:
            fcntl.flock(lock.fileno(), fcntl.LOCK_UN)


def _offline_connection(extensions: tuple[str, ...]) -> duckdb.DuckDBPyConnection:
    """An in-memory DuckDB connection with `extensions` loaded from the wheels' files, never downloaded."""
    directory = _extension_directory()
    con = duckdb.connect(config={
        "autoinstall_known_extensions": False, "autoload_known_extensions": False,
        "extension_directory": str(directory),
    })
    try:
        _load_extensions(con, extensions, directory)
    except BaseException:
        con.close()
        raise
    return con


def open_lake(target: LakeTarget, read_only: bool) -> duckdb.DuckDBPyConnection:
    """An in-memory DuckDB connection with the lake attached (as `lake`, and in use).

    Raises:
        StoreError: the catalog or the data path cannot be reached, naming which.
    """
    s3 = target.settings.data_path is not None and target.settings.data_path.startswith("s3://")
    con = _offline_connection(_EXTENSIONS if s3 else _EXTENSIONS[:2])
    try:
        if s3:
            con.execute(_secret_sql(target.settings))
        options = []
        if target.settings.data_path:
            options.append(f"data_path '{_quote(target.settings.data_path)}'")
        if read_only:
            options.append("read_only")
        suffix = f" ({', '.join(options)})" if options else ""
        con.execute(f"attach '{_quote(target.uri)}' as {ALIAS}{suffix}")
        con.execute(f"use {ALIAS}")
    except duckdb.Error as exc:
        con.close()
        raise StoreError(f"cannot open the lake {target.uri}: {first_line(exc)}") from exc
    except BaseException:
        con.close()
        raise
    return con


_OPEN: dict[tuple[int, str, bool], duckdb.DuckDBPyConnection] = {}
_UPKEEP_SEEN: dict[tuple[int, str, bool], int] = {}
_OPEN_GUARD = threading.Lock()

# The newest snapshot that moved rows between files (a flush of inlined rows, a merge, a rewrite): an
# attachment made before it keeps metadata of tables that are gone (measured: "Attempting to fetch from
# an unsuccessful query result" on the first read after `capex maintain` ran in another process).
_LAST_UPKEEP = (f"select coalesce(max(snapshot_id), -1) from ducklake_snapshots('{ALIAS}') "
                "where len(list_filter(map_keys(changes), k -> k like '%flush%' or k like '%compact%' "
                "or k like '%merge%' or k like '%rewrite%')) > 0")


@contextmanager
def cursor(target: LakeTarget, read_only: bool) -> Iterator[duckdb.DuckDBPyConnection]:
    """A cursor on this process's attached lake, opened once and kept (loading the extensions and
    attaching costs ~0.3 s; a cursor, nothing). Every transaction sees the lake's latest snapshot.

    Reads get a read-only attachment of their own, so a query can never write. An attachment older
    than the lake's last compaction is replaced (one catalog query a use); an error closes the
    attachments, so the next use reconnects (after PostgreSQL restarted, say).
    """
    key = (os.getpid(), target.uri, read_only)
    with _OPEN_GUARD:
        con = _OPEN.get(key)
        if con is not None and not _still_valid(con, _UPKEEP_SEEN.get(key, -1)):
            _close(key)
            con = None
        if con is None:
            con = _OPEN[key] = open_lake(target, read_only)
            _UPKEEP_SEEN[key] = _upkeep_since(con)
    cur = con.cursor()  # a cursor starts in the in-memory catalog: the lake must be chosen again
    try:
        cur.execute(f"use {ALIAS}")
        yield cur
    except (duckdb.Error, StoreError):  # a failed statement, raw or already turned into a StoreError
        forget(target)
        raise
    finally:
        cur.close()


def _still_valid(con: duckdb.DuckDBPyConnection, seen: int) -> bool:
    try:
        return _upkeep_since(con) <= seen
    except duckdb.Error as exc:  # the catalog went away and came back, say: attach again
        logger.debug("a kept lake attachment failed its check: %s", first_line(exc))
        return False


def _upkeep_since(con: duckdb.DuckDBPyConnection) -> int:
    row = con.execute(_LAST_UPKEEP).fetchone()
    return int(row[0]) if row else -1


def _close(key: tuple[int, str, bool]) -> None:
    _UPKEEP_SEEN.pop(key, None)
    try:
        _OPEN.pop(key).close()
    except duckdb.Error as exc:
        logger.debug("closing a broken lake connection: %s", first_line(exc))


def forget(target: LakeTarget) -> None:
    """Close this process's attachments of a lake (after an error; the next use reconnects)."""
    with _OPEN_GUARD:
        for key in [k for k in _OPEN if k[1] == target.uri]:
            _close(key)


def _quote(text: str) -> str:
    return text.replace("'", "''")


def _secret_sql(s: LakeSettings) -> str:
    """DuckDB's S3 secret for the lake's data files (CREATE SECRET takes no bound parameters)."""
    fields = {"type": "s3", "region": s.s3_region, "url_style": "path" if s.s3_endpoint else "vhost"}
    if s.s3_key_id:
        fields.update(key_id=s.s3_key_id, secret=s.s3_secret or "")
    if s.s3_endpoint:
        fields["endpoint"] = s.s3_endpoint
    body = ", ".join(f"{k} '{_quote(v)}'" for k, v in fields.items())
    use_ssl = "true" if s.s3_use_ssl else "false"
    return f"create or replace secret capex_s3 ({body}, use_ssl {use_ssl})"


class WritersLock:
    """The lake's writers' lock: a PostgreSQL advisory lock on the catalog database, held per batch.

    One session per process is kept and reused; a broken session (PostgreSQL restarted) is replaced
    on the next acquire. PostgreSQL releases the lock when the holder's session ends, so a killed
    writer never leaves the lake locked.
    """

    def __init__(self, dsn: str) -> None:
        self.dsn = dsn
        self._session: psycopg.Connection[tuple[Any, ...]] | None = None

    def _connect(self) -> psycopg.Connection[tuple[Any, ...]]:
        import psycopg

        try:
            return psycopg.connect(self.dsn, autocommit=True, connect_timeout=10)
        except psycopg.Error as exc:
            raise StoreError(f"cannot reach the lake's catalog ({self.dsn}): {first_line(exc)}") from exc

    @contextmanager
    def held(self, timeout_s: float = LOCK_TIMEOUT_S) -> Iterator[None]:
        import psycopg

        deadline = time.monotonic() + timeout_s
        while True:
            try:
                if self._session is None or self._session.closed:
                    self._session = self._connect()
                row = self._session.execute("select pg_try_advisory_lock(%s)", [_LOCK_KEY]).fetchone()
            except psycopg.Error as exc:
                self._session = None
                raise StoreError(f"cannot take the lake's writers' lock ({self.dsn}): {first_line(exc)}") from exc
            if row is not None and row[0]:
                break
            if time.monotonic() >= deadline:
                raise StoreError(f"another writer held the lake's writers' lock for more than {timeout_s:.0f} s")
            time.sleep(0.05)
        try:
            yield
        finally:
            try:
                self._session.execute("select pg_advisory_unlock(%s)", [_LOCK_KEY])
            except psycopg.Error as exc:  # the session is gone, and the lock with it
                logger.debug("releasing the lake's writers' lock: %s", first_line(exc))
                self._session = None


_LOCKS: dict[tuple[int, str], WritersLock] = {}
_LOCKS_GUARD = threading.Lock()


def writers_lock(target: LakeTarget) -> WritersLock:
    """This process's lock object for a lake's catalog (a forked child gets its own session)."""
    key = (os.getpid(), target.dsn)
    with _LOCKS_GUARD:
        if key not in _LOCKS:
            _LOCKS[key] = WritersLock(target.dsn)
        return _LOCKS[key]


def check_target(db: str | os.PathLike[str], must_exist: bool = False) -> None:
    """Before any work: the catalog answers, the data path is there, S3 accepts us; a ConfigError naming
    what is wrong otherwise (the CLI exits 2 with it).

    Args:
        db: the --db value (a lake; file paths are checked elsewhere).
        must_exist: a read command: the lake must already hold capex's tables.
    """
    import psycopg

    target = parse_target(db)
    try:
        with psycopg.connect(target.dsn, connect_timeout=10) as session:
            is_new = session.execute("select to_regclass('ducklake_metadata') is null").fetchone() == (True,)
    except psycopg.Error as exc:
        raise ConfigError(f"--db {target.uri}: cannot reach the catalog: {first_line(exc)}") from None
    if must_exist and is_new:
        raise ConfigError(f"--db {target.uri}: no capex history in this catalog (run capex poll first)")
    data_path = target.settings.data_path
    if data_path is None and is_new:
        raise ConfigError(f"--db {target.uri}: a new lake needs CAPEX_DATA_PATH (a directory or s3://bucket/prefix)")
    if data_path and not data_path.startswith("s3://") and not Path(data_path).is_dir():
        raise ConfigError(f"CAPEX_DATA_PATH {data_path}: no such directory")
    if data_path and data_path.startswith("s3://"):
        _check_s3(target)


def _check_s3(target: LakeTarget) -> None:
    con = _offline_connection(("httpfs",))
    try:
        con.execute(_secret_sql(target.settings))
        con.execute("select count(*) from glob(?)", [f"{target.settings.data_path}*"]).fetchall()
    except duckdb.Error as exc:
        where = target.settings.s3_endpoint or "AWS S3"
        raise ConfigError(f"CAPEX_DATA_PATH {target.settings.data_path}: S3 ({where}) refused: "
                          f"{first_line(exc)}") from None
    finally:
        con.close()


def attach_statements(db: str | os.PathLike[str], extension_directory: str | None = None) -> list[str]:
    """The SQL a user runs in the `duckdb` CLI (or any DuckDB 1.5.5) to attach a lake read-only, offline.

    The extensions come from this installation's wheels; the views are then `lake.capex_facts` etc.
    """
    target = parse_target(db)
    s3 = bool(target.settings.data_path and target.settings.data_path.startswith("s3://"))
    names = _EXTENSIONS if s3 else _EXTENSIONS[:2]
    lines = ["set autoinstall_known_extensions = false;", "set autoload_known_extensions = false;"]
    if extension_directory:
        lines.append(f"set extension_directory = '{_quote(extension_directory)}';")
    for name in names:
        lines += [f"install '{_quote(str(extension_file(name)))}';", f"load {name};"]
    if s3:  # with the credentials of this environment (AWS_*), as the pipeline itself uses them
        lines.append(_secret_sql(target.settings) + ";")
    lines.append(f"attach '{_quote(target.uri)}' as {ALIAS} (read_only);")
    return lines
