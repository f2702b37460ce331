"""DuckDB storage: migrations, views, batched writes and read-only queries.

Only this module touches DuckDB. The file is opened for writing only while a batch is committed,
so that users (the `duckdb` CLI, `capex sql`) can query it while a long poll or backfill runs.
Writers of several processes (a scheduled poll and a backfill) are serialised by an advisory
file lock beside the database with bounded waiting; DuckDB's own lock (held by a reader) is
retried with backoff.
"""

from __future__ import annotations

import base64
import fcntl
import hashlib
import json
import logging
import os
import socket
import threading
import time
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import duckdb

from tasks import rawstore
from tasks.errors import StoreError
from tasks.identity import content_fingerprint, outlet_of
from tasks.models import Article, FeedConfig, FeedItem, FeedState, PageFailure, QueuedPage

logger = logging.getLogger(__name__)

SQL_DIR = Path(__file__).resolve().parent.parent / "sql"

# How long a writer waits for another writer (poll vs backfill) before giving up: a batch commit
# takes well under a second, so two minutes means something is stuck.
WRITER_LOCK_TIMEOUT_S = 120.0
# How long to retry DuckDB's own file lock (held by a user's read-only session or another tool).
DUCKDB_LOCK_TIMEOUT_S = 60.0


def utcnow() -> datetime:
    """Naive UTC timestamp, the convention of every `*_at` column."""
    return datetime.now(UTC).replace(tzinfo=None)


def article_id_for(url: str) -> str:
    """Stable article key: 16 hex digits of sha256 of the normalised URL."""
    return hashlib.sha256(url.encode("utf-8")).hexdigest()[:16]


# ---------------------------------------------------------------- connections and locking


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
        raise StoreError(f"cannot open the writers' lock {lock_path}: {_first_line(exc)}") from exc
    with handle:
        deadline = time.monotonic() + timeout_s
        while True:
            try:
                fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    raise StoreError(f"another writer held {lock_path} for more than {timeout_s:.0f} s")
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
    """Open the database for one write batch (migrating it on first use); close it afterwards."""
    path = Path(db_path)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise StoreError(f"cannot create the directory of {path}: {_first_line(exc)}") from exc
    with _PROCESS_LOCK, _writer_lock(path, WRITER_LOCK_TIMEOUT_S):
        con = _connect_retrying(path, read_only=False, timeout_s=DUCKDB_LOCK_TIMEOUT_S)
        try:
            key = str(path.resolve())
            if key not in _MIGRATED:
                migrate(con)
                _MIGRATED.add(key)
            yield con
        except duckdb.Error as exc:  # a full disk, a corrupt file: one line naming the database
            raise StoreError(f"cannot write to {path}: {_first_line(exc)}") from exc
        finally:
            con.close()


@contextmanager
def read_connection(db_path: str | os.PathLike[str]) -> Iterator[duckdb.DuckDBPyConnection]:
    """Open the database read-only, creating and migrating it first when it does not exist."""
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


def _views_checksum(sql_dir: Path = SQL_DIR) -> str:
    digest = hashlib.sha256()
    for view in sorted((sql_dir / "views").glob("*.sql")):
        digest.update(view.read_bytes())
    return digest.hexdigest()


def _schema_is_current(con: duckdb.DuckDBPyConnection) -> bool:
    """Every migration is recorded and the views were created from the current view files."""
    try:
        done = {row[0] for row in con.execute("select version from schema_migrations").fetchall()}
        views = con.execute("select checksum from schema_views").fetchone()
    except duckdb.CatalogException:
        return False
    return {m.version for m in migrations()} <= done and views is not None and views[0] == _views_checksum()


def init_db(db_path: str | os.PathLike[str]) -> None:
    """Create the database file and apply pending migrations."""
    with write_connection(db_path):
        pass


# ---------------------------------------------------------------- migrations


@dataclass(frozen=True, slots=True)
class Migration:
    """One numbered SQL migration file."""

    version: int
    name: str
    sql: str

    @property
    def checksum(self) -> str:
        return hashlib.sha256(self.sql.encode("utf-8")).hexdigest()


def migrations(sql_dir: Path = SQL_DIR) -> list[Migration]:
    """The migration files `NNNN_<verb>_<object>.sql` in order."""
    found = []
    for path in sorted(sql_dir.glob("[0-9][0-9][0-9][0-9]_*.sql")):
        found.append(Migration(int(path.name[:4]), path.stem[5:], path.read_text(encoding="utf-8")))
    return found


def migrate(con: duckdb.DuckDBPyConnection, sql_dir: Path = SQL_DIR) -> list[int]:
    """Apply pending migrations, each in a transaction with its record, then recreate the views."""
    con.execute(
        "create table if not exists schema_migrations ("
        " version integer primary key, name varchar not null, checksum varchar not null,"
        " applied_at timestamp not null)"
    )
    applied = {row[0]: row[1] for row in con.execute("select version, checksum from schema_migrations").fetchall()}
    newly = []
    for mig in migrations(sql_dir):
        if mig.version in applied:
            if applied[mig.version] != mig.checksum:
                logger.warning("migration %04d_%s changed after it was applied", mig.version, mig.name)
            continue
        con.execute("begin transaction")
        try:
            con.execute(mig.sql)
            con.execute(
                "insert into schema_migrations values (?, ?, ?, ?)",
                [mig.version, mig.name, mig.checksum, utcnow()],
            )
            con.execute("commit")
        except Exception:
            _rollback_quietly(con)
            raise
        newly.append(mig.version)
    _fill_article_identity(con)
    for view in sorted((sql_dir / "views").glob("*.sql")):
        con.execute(view.read_text(encoding="utf-8"))
    # readers compare this with the view files to know whether they must migrate first
    con.execute("create table if not exists schema_views (checksum varchar)")
    con.execute("delete from schema_views")
    con.execute("insert into schema_views values (?)", [_views_checksum(sql_dir)])
    return newly


def _fill_article_identity(con: duckdb.DuckDBPyConnection) -> None:
    """Outlet, fingerprint and first copy of articles stored before migration 0006 (one transaction).

    Articles are taken in the order they were fetched, so the first copy stored stays the original.
    """
    columns = {r[0] for r in con.execute(
        "select column_name from information_schema.columns where table_name = 'articles'").fetchall()}
    if "outlet" not in columns:
        return  # a test migrating to an older schema
    rows = con.execute("select article_id, url, text from articles where outlet is null and content_hash is null "
                       "order by fetched_at, article_id").fetchall()
    if not rows:
        return
    known = dict(con.execute("select content_hash, article_id from articles where content_hash is not null "
                             "and duplicate_of is null").fetchall())
    filled = []
    for article_id, url, text in rows:
        fingerprint = content_fingerprint(text or "")
        original = known.setdefault(fingerprint, article_id) if fingerprint else article_id
        filled.append((article_id, outlet_of(url), fingerprint, None if original == article_id else original))
    subquery, params = typed_columns({
        "article_id": ("VARCHAR", [r[0] for r in filled]), "outlet": ("VARCHAR", [r[1] for r in filled]),
        "content_hash": ("VARCHAR", [r[2] for r in filled]), "duplicate_of": ("VARCHAR", [r[3] for r in filled]),
    })
    con.execute("begin transaction")
    con.execute(f"update articles set outlet = v.outlet, content_hash = v.content_hash, duplicate_of = v.duplicate_of "
                f"from {subquery} as v where articles.article_id = v.article_id", params)
    con.execute("commit")


# ---------------------------------------------------------------- bulk insert


def _column_types(con: duckdb.DuckDBPyConnection, table: str) -> dict[str, str]:
    # a table's columns change only with a migration, and this process migrates before it writes:
    # cache them (the information_schema query costs ~10 ms a call)
    key = (_database_file(con), table)
    if key not in _COLUMN_TYPES:
        rows = con.execute(
            "select column_name, data_type from information_schema.columns where table_name = ?", [table]
        ).fetchall()
        _COLUMN_TYPES[key] = {name: dtype for name, dtype in rows}
    return _COLUMN_TYPES[key]


_COLUMN_TYPES: dict[tuple[str, str], dict[str, str]] = {}


def _database_file(con: duckdb.DuckDBPyConnection) -> str:
    row = con.execute("select path from duckdb_databases() where database_name = current_database()").fetchone()
    return str(row[0]) if row else ""


def _json_default(value: Any) -> str:
    if isinstance(value, (datetime, date)):
        return value.isoformat(sep=" ") if isinstance(value, datetime) else value.isoformat()
    raise TypeError(f"cannot store {type(value).__name__} in a bulk insert")


def typed_columns(columns: dict[str, tuple[str, list[Any]]]) -> tuple[str, list[Any]]:
    """A subquery yielding the given typed columns row by row, and its one parameter.

    The columns travel as one JSON document parsed by DuckDB's from_json: DuckDB's Python binding
    converts list parameters value by value (measured ~0.2-1 ms per value here, most of it failed
    optional-module imports), so 500 rows x 11 columns as lists took seconds; as JSON, milliseconds.
    BLOB columns, which JSON cannot carry, travel base64-encoded and are decoded by from_base64
    (as a list parameter, 50 compressed pages cost ~300 failed imports per batch).
    """
    spec = {name: "VARCHAR[]" if dtype == "BLOB" else f"{dtype}[]" for name, (dtype, _) in columns.items()}
    document = {
        name: [None if v is None else base64.b64encode(v).decode("ascii") for v in values] if dtype == "BLOB" else values
        for name, (dtype, values) in columns.items()
    }
    payload = json.dumps(document, default=_json_default, ensure_ascii=False)
    # a lone surrogate (from a badly decoded page) is not valid UTF-8: replace it, one char for one
    payload = payload.encode("utf-8", "replace").decode("utf-8")
    selects = [
        f'from_base64(unnest(j."{name}")) as "{name}"' if dtype == "BLOB" else f'unnest(j."{name}") as "{name}"'
        for name, (dtype, _) in columns.items()
    ]
    structure = json.dumps(spec).replace("'", "''")
    return f"(select {', '.join(selects)} from (select from_json($1, '{structure}') as j))", [payload]


def _json_list(values: Iterable[str]) -> str:
    """Strings as one JSON parameter for `unnest(?::json::varchar[])`.

    A Python list parameter is converted value by value, each conversion probing for pandas
    (two failed imports per value: ~0.5 ms); one JSON string is one value.
    """
    return json.dumps(list(values), ensure_ascii=False)


def bulk_insert(
    con: duckdb.DuckDBPyConnection,
    table: str,
    columns: Sequence[str],
    rows: Sequence[Sequence[Any]],
    on_conflict: str = "do nothing",
) -> None:
    """Insert many rows in one statement (a typed JSON document unnested: ~1000x faster than executemany)."""
    if not rows:
        return
    types = _column_types(con, table)
    subquery, params = typed_columns({c: (types[c], list(col)) for c, col in zip(columns, zip(*rows))})
    column_list = ", ".join(columns)
    con.execute(
        f"insert into {table} ({column_list}) select * from {subquery} on conflict {on_conflict}",
        params,
    )


# ---------------------------------------------------------------- feeds


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


# ---------------------------------------------------------------- de-duplication


def known_keys(
    db_path: str | os.PathLike[str], urls: Sequence[str], guids: Sequence[str], include_queued: bool = True
) -> tuple[set[str], set[str]]:
    """Which of these URLs are stored articles or in the retry queue, and which GUIDs were seen, in any feed.

    With include_queued=False only given-up pages count as known besides articles (a backfill
    fetches the queued ones itself).
    """
    if not urls and not guids:
        return set(), set()
    with read_connection(db_path) as con:
        known_urls = {
            r[0]
            for r in con.execute(
                "select url from articles where url in (select unnest(?::json::varchar[])) "
                "union select url from page_failures where url in (select unnest(?::json::varchar[])) "
                "and (? or status = 'given_up')",
                [_json_list(urls), _json_list(urls), include_queued],
            ).fetchall()
        }
        known_guids = {
            r[0]
            for r in con.execute(
                "select guid from articles where guid in (select unnest(?::json::varchar[]))", [_json_list(guids)]
            ).fetchall()
        }
    return known_urls, known_guids


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


# ---------------------------------------------------------------- batch writes


@dataclass(frozen=True, slots=True)
class PollRecord:
    """One poll of one feed, and the feed state to save with it."""

    feed_id: int
    run_id: str | None
    started_at: datetime
    status: str
    http_status: int | None
    items_seen: int
    items_new: int
    pages_failed: int
    bytes_received: int | None
    error: str | None
    # feed state (None = keep): validators are saved only after a 200 response was processed
    etag: str | None = None
    last_modified: str | None = None
    save_validators: bool = False
    consecutive_failures: int = 0
    next_poll_at: datetime | None = None
    new_url: str | None = None
    deactivate: bool = False


def write_batch(
    db_path: str | os.PathLike[str],
    articles: Sequence[Article],
    failures: Sequence[PageFailure | QueuedPage] = (),
    items: Sequence[tuple[int, FeedItem]] = (),
    poll: PollRecord | None = None,
    replace_facts: bool = False,
    polls: Sequence[PollRecord] = (),
) -> set[str]:
    """Commit one batch (articles, facts, raw HTML, failed pages, feed items, poll) in one transaction.

    Failed pages go to the retry queue (page_failures) or are given up, as their fault says.
    Returns the ids of the articles actually written (already stored ones are skipped).

    Raises:
        StoreError: the batch could not be written (disk full, database error, lock timeout),
            naming the database and the first error; nothing of the batch is committed.
    """
    with write_connection(db_path) as con:
        con.execute("begin transaction")
        try:
            inserted = _insert_articles(con, db_path, articles, replace_facts)
            _record_failures(con, failures)
            _insert_items(con, items)
            _record_polls(con, ([poll] if poll is not None else []) + list(polls))
            con.execute("commit")
        except (duckdb.Error, OSError) as exc:
            _rollback_quietly(con)
            raise StoreError(f"cannot write to {db_path}: {_first_line(exc)}") from exc
        except BaseException:
            _rollback_quietly(con)
            raise
    return inserted


def _rollback_quietly(con: duckdb.DuckDBPyConnection) -> None:
    """Roll back after a failure without masking it: a rollback that fails too (the transaction
    already aborted, the disk full) is logged, and the first error is the one raised."""
    try:
        con.execute("rollback")
    except duckdb.Error as exc:
        logger.debug("rollback after a failed write also failed: %s", exc)


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return (text[0] if text else type(exc).__name__)[:500]


_ARTICLE_COLUMNS = (
    "article_id", "url", "guid", "feed_id", "title", "author", "site_name", "published_at",
    "fetched_at", "language", "text", "is_capex", "capex_score", "capex_reasons", "extractor_version",
    "outlet", "content_hash", "duplicate_of",
)
_FACT_COLUMNS = (
    "fact_id", "article_id", "companies", "amount", "amount_low", "amount_high", "currency",
    "amount_usd", "period", "period_start", "period_end", "kind", "status", "qualifier", "evidence",
    "evidence_start", "evidence_end", "extractor_version", "created_at",
)


def _insert_articles(
    con: duckdb.DuckDBPyConnection, db_path: str | os.PathLike[str], articles: Sequence[Article], replace: bool
) -> set[str]:
    if not articles:
        return set()
    ids = [a.article_id for a in articles]
    id_list = _json_list(ids)
    existing = {
        r[0] for r in con.execute(
            "select article_id from articles where article_id in (select unnest(?::json::varchar[]))", [id_list]
        ).fetchall()
    }
    if replace:
        con.execute("delete from facts where article_id in (select unnest(?::json::varchar[]))", [id_list])
        con.execute("delete from articles where article_id in (select unnest(?::json::varchar[]))", [id_list])
        fresh = list({a.article_id: a for a in articles}.values())
    else:
        fresh = list({a.article_id: a for a in articles if a.article_id not in existing}.values())
    rows = [_article_row(a) for a in fresh]
    _link_copies(con, rows)
    bulk_insert(con, "articles", _ARTICLE_COLUMNS, rows)
    now = utcnow()
    with_raw = [a for a in fresh if a.raw_html_zstd]
    refs = rawstore.append(db_path, [a.raw_html_zstd for a in with_raw], now)
    bulk_insert(con, "article_raw", ("article_id", "raw_html_zstd", "raw_bytes", "pack", "pack_offset"),
                [(a.article_id, None, ref.length, ref.pack, ref.offset) for a, ref in zip(with_raw, refs)],
                on_conflict="do update set raw_html_zstd = null, raw_bytes = excluded.raw_bytes, "
                            "pack = excluded.pack, pack_offset = excluded.pack_offset")
    fact_rows = [
        _fact_row(a, i, fact, now) for a in fresh for i, fact in enumerate(a.analysis.facts)
    ]
    bulk_insert(con, "facts", _FACT_COLUMNS, fact_rows)
    # a stored page leaves the retry queue, also when it was stored before (a redirect target, a retry)
    con.execute("delete from page_failures where url in (select unnest(?::json::varchar[]))",
                [_json_list([a.url for a in articles])])
    return {a.article_id for a in fresh}


def _article_row(a: Article) -> list[Any]:
    c = a.analysis.classification
    return [
        a.article_id, a.url, a.guid, a.feed_id, a.title, a.author, a.site_name, a.published_at,
        a.fetched_at, a.language, a.text, c.is_capex, c.score, list(c.reasons), a.analysis.extractor_version,
        outlet_of(a.url), content_fingerprint(a.text), None,
    ]


def _link_copies(con: duckdb.DuckDBPyConnection, rows: list[list[Any]]) -> None:
    """Set duplicate_of of rows whose fingerprint an earlier article (stored, or earlier in the batch) has."""
    hashes = {r[-2] for r in rows if r[-2]}
    if not hashes:
        return
    first = dict(con.execute(
        "select content_hash, min_by(article_id, fetched_at) from articles "
        "where content_hash in (select unnest(?::json::varchar[])) and duplicate_of is null group by content_hash",
        [_json_list(sorted(hashes))]).fetchall())
    for row in rows:
        fingerprint = row[-2]
        if fingerprint:
            original = first.setdefault(fingerprint, row[0])
            row[-1] = None if original == row[0] else original


def _fact_row(a: Article, index: int, fact: Any, now: datetime) -> tuple[Any, ...]:
    version = a.analysis.extractor_version
    fact_id = hashlib.sha256(f"{a.article_id}|{version}|{index}".encode()).hexdigest()[:20]
    return (
        fact_id, a.article_id, list(fact.companies), fact.amount, fact.amount_low, fact.amount_high,
        fact.currency, fact.amount_usd, fact.period, fact.period_start, fact.period_end, fact.kind,
        fact.status, fact.qualifier, fact.evidence, fact.evidence_start, fact.evidence_end, version, now,
    )


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


def _record_failures(con: duckdb.DuckDBPyConnection, failures: Sequence[PageFailure | QueuedPage]) -> None:
    """Queue failed pages for retry with backoff, or give them up (permanent fault, attempts spent).

    Pages stored meanwhile (the first group of a batch whose second group failed) are not queued.
    """
    pages = list({q.url: q for q in map(queued_page, failures)}.values())
    if not pages:
        return
    urls = _json_list([q.url for q in pages])
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


def _insert_items(con: duckdb.DuckDBPyConnection, items: Sequence[tuple[int, FeedItem]]) -> None:
    now = utcnow()
    rows = [
        (feed_id, item.guid or item.url, item.url, item.title, item.published_at, now)
        for feed_id, item in items
    ]
    bulk_insert(con, "feed_items", ("feed_id", "item_key", "url", "title", "published_at", "first_seen_at"),
                list({(r[0], r[1]): r for r in rows}.values()))


_POLL_COLUMNS = ("feed_id", "run_id", "started_at", "finished_at", "status", "http_status", "items_seen",
                 "items_new", "pages_failed", "bytes_received", "error")


def _record_polls(con: duckdb.DuckDBPyConnection, polls: Sequence[PollRecord]) -> None:
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


# ---------------------------------------------------------------- runs


def start_run(db_path: str | os.PathLike[str], run_id: str, flow: str) -> None:
    """Record that a flow run started (and close the rows of this host's runs whose process died)."""
    with write_connection(db_path) as con:
        _close_abandoned_runs(con)
        con.execute(
            "insert into pipeline_runs (run_id, flow, started_at, status, host, pid) "
            "values (?, ?, ?, 'running', ?, ?) on conflict do nothing",
            [run_id, flow, utcnow(), socket.gethostname(), os.getpid()],
        )


def _close_abandoned_runs(con: duckdb.DuckDBPyConnection) -> None:
    """A run left 'running' by a process of this host that is gone (killed, or its failure could not
    be recorded, say on a full disk) ends as 'failed'."""
    rows = con.execute(
        "select run_id, pid from pipeline_runs where status = 'running' and host = ? and pid is not null",
        [socket.gethostname()],
    ).fetchall()
    dead = [run_id for run_id, pid in rows if not _process_alive(int(pid))]
    if dead:
        con.execute(
            "update pipeline_runs set status = 'failed', finished_at = ?, "
            "summary = coalesce(summary, json_object('error', 'the process running it ended without recording its end')) "
            "where run_id in (select unnest(?::json::varchar[]))",
            [utcnow(), _json_list(dead)],
        )


def _process_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # alive, owned by another user
    return True


def finish_run(db_path: str | os.PathLike[str], run_id: str, status: str, summary: dict[str, Any]) -> None:
    """Record a flow run's end ('completed', 'completed_with_errors', 'failed') and its summary."""
    with write_connection(db_path) as con:
        con.execute(
            "update pipeline_runs set finished_at = ?, status = ?, summary = ? where run_id = ?",
            [utcnow(), status, json.dumps(summary, default=str), run_id],
        )


def fail_run(db_path: str | os.PathLike[str], run_id: str, exc: BaseException) -> None:
    """Record that a run failed with `exc`; never raises (it runs while `exc` propagates).

    When even this write fails (the disk is full), the row stays 'running' until the next run on
    this host closes it as failed (_close_abandoned_runs).
    """
    try:
        finish_run(db_path, run_id, "failed", {"error": f"{type(exc).__name__}: {_first_line(exc)}"})
    except Exception as cleanup:  # noqa: BLE001 -- the run's own error is the one to report
        logger.warning("could not record the failure of run %s: %s", run_id, _first_line(cleanup))


# ---------------------------------------------------------------- reads


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


# ---------------------------------------------------------------- backfill


@dataclass(frozen=True, slots=True)
class QueuedURL:
    """One URL a backfill discovered and has still to ingest."""

    url: str
    published_at: datetime | None
    listing_url: str | None
    is_trusted: bool


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
            "update backfill_queue set is_done = true where backfill_id = ? and url in (select unnest(?::json::varchar[]))",
            [backfill_id, _json_list(urls)],
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
                [utcnow(), utcnow(), f"{type(exc).__name__}: {_first_line(exc)}", backfill_id],
            )
    except Exception as cleanup:  # noqa: BLE001 -- the run's own error is the one to report
        logger.warning("could not record the failure of backfill %s: %s", backfill_id, _first_line(cleanup))


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
        [_json_list(article_ids)],
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
