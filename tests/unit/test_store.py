"""Unit tests of tasks/store.py: migrations, bulk inserts, batch writes and idempotence."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import duckdb
import pytest

from tasks import store
from tasks.models import PageFailure, QueuedPage
from tests.support.records import make_article, make_fact


@pytest.fixture(params=["file_db", "lake_db"])
def db(request: pytest.FixtureRequest) -> str:
    """Each store test runs on both backends: a DuckDB file and a lake (PostgreSQL catalog)."""
    return str(request.getfixturevalue(request.param))


def test_migration_files_are_numbered_contiguously() -> None:
    """Migration numbers start at 1 and have no gaps or duplicates."""
    versions = [m.version for m in store.migrations()]
    assert versions == list(range(1, len(versions) + 1))


def test_migrations_apply_once_and_record_checksums(tmp_path: Path) -> None:
    """A fresh database gets every migration once; migrating again applies nothing."""
    con = duckdb.connect(str(tmp_path / "m.duckdb"))
    first = store.migrate(con)
    second = store.migrate(con)
    rows = con.execute("select version, checksum from schema_migrations order by version").fetchall()
    assert first == [m.version for m in store.migrations()]
    assert second == []
    assert [r[1] for r in rows] == [m.checksum for m in store.migrations()]


def test_upgrade_from_first_migration_reaches_the_same_schema(tmp_path: Path) -> None:
    """A database created at migration 1 and upgraded has the same tables as a fresh one."""
    sql_dir = tmp_path / "sql"
    (sql_dir / "views").mkdir(parents=True)
    first = store.migrations()[0]
    (sql_dir / f"{first.version:04d}_{first.name}.sql").write_text(first.sql)
    old = duckdb.connect(str(tmp_path / "old.duckdb"))
    store.migrate(old, sql_dir)
    store.migrate(old)
    fresh = duckdb.connect(str(tmp_path / "fresh.duckdb"))
    store.migrate(fresh)
    tables = "select table_name, column_name from information_schema.columns order by all"
    assert old.execute(tables).fetchall() == fresh.execute(tables).fetchall()


def test_bulk_insert_handles_nulls_lists_and_conflicts(tmp_path: Path) -> None:
    """bulk_insert writes typed columns (NULLs, VARCHAR[]) and skips rows whose key exists."""
    con = duckdb.connect(str(tmp_path / "b.duckdb"))
    con.execute("create table t (k varchar primary key, n double, tags varchar[])")
    store.bulk_insert(con, "t", ("k", "n", "tags"), [("a", None, ["x", "y"]), ("b", 2.5, [])])
    store.bulk_insert(con, "t", ("k", "n", "tags"), [("a", 9.0, ["z"]), ("c", None, None)])
    assert con.execute("select * from t order by k").fetchall() == [
        ("a", None, ["x", "y"]), ("b", 2.5, []), ("c", None, None)]


def test_write_batch_is_idempotent(db: str) -> None:
    """Writing the same article twice stores it once, with its facts once."""
    article = make_article("https://example.com/a", (make_fact(),))
    first = store.write_batch(db, [article])
    second = store.write_batch(db, [article])
    counts = store.table_counts(db)
    assert first == {article.article_id} and second == set()
    assert (counts["articles"], counts["facts"], counts["article_raw"]) == (1, 1, 1)


def test_replace_facts_swaps_versions_atomically(db: str) -> None:
    """Reprocessing an article replaces its facts with the new version's only."""
    store.write_batch(db, [make_article("https://example.com/a", (make_fact(5e9), make_fact(6e9)), version="v1")])
    store.write_batch(db, [make_article("https://example.com/a", (make_fact(7e9),), version="v2")], replace_facts=True)
    _, rows = store.query(db, "select amount, extractor_version from facts")
    _, current = store.query(db, "select amount from int_current_facts")
    assert rows == [(7e9, "v2")]
    assert current == [(7e9,)]


def test_page_failures_count_attempts_and_clear_on_success(db: str) -> None:
    """A failing page records its attempts; a later success removes the failure."""
    failure = PageFailure(url="https://example.com/a", feed_id=None, error="HTTP 503", http_status=503)
    store.write_batch(db, [], [failure])
    store.write_batch(db, [], [failure])
    _, rows = store.query(db, "select n_attempts, error from page_failures")
    assert rows == [(2, "HTTP 503")]
    store.write_batch(db, [make_article("https://example.com/a")])
    assert store.table_counts(db)["page_failures"] == 0


def _queued(url: str, retryable: bool = True, batch_fault: bool = False,
            retry_after: float | None = None) -> QueuedPage:
    return QueuedPage(url=url, feed_id=None, guid="g", title="T", published_at=datetime(2025, 1, 2),
                      listing_url="https://example.com/feed.xml", is_trusted=False, error="HTTP 503",
                      http_status=503, is_retryable=retryable, retry_after=retry_after, is_batch_fault=batch_fault)


def test_retry_delay_grows_fourfold_from_the_next_poll_and_honours_retry_after() -> None:
    """The first retry is due at once, later ones after 5, 20, 80 min, capped at a day; a later Retry-After wins."""
    assert [store.retry_delay_s(n) for n in (1, 2, 3, 4)] == [0.0, 300.0, 1200.0, 4800.0]
    assert store.retry_delay_s(20) == store.RETRY_MAX_S
    assert store.retry_delay_s(1, retry_after=90.0) == 90.0


def test_retry_queue_counts_attempts_gives_up_and_keeps_batch_faults_free(db: str) -> None:
    """Transient failures stay queued until MAX_PAGE_ATTEMPTS; permanent ones are given up at once; a batch
    fault costs no attempt; the queue keeps the job's context for the retry."""
    for _ in range(store.MAX_PAGE_ATTEMPTS - 1):
        store.write_batch(db, [], [_queued("https://example.com/flaky")])
    store.write_batch(db, [], [_queued("https://example.com/gone", retryable=False)])
    store.write_batch(db, [], [_queued("https://example.com/batch", batch_fault=True)] * 2)
    _, rows = store.query(db, "select url, status, n_attempts from page_failures order by url")
    assert rows == [("https://example.com/batch", "retrying", 0),
                    ("https://example.com/flaky", "retrying", store.MAX_PAGE_ATTEMPTS - 1),
                    ("https://example.com/gone", "given_up", 1)]
    due = store.due_retries(db, datetime(2100, 1, 1))
    assert [(q.url, q.guid, q.title, q.listing_url) for q in due] == [
        (u, "g", "T", "https://example.com/feed.xml") for u in ("https://example.com/batch", "https://example.com/flaky")]
    store.write_batch(db, [], [_queued("https://example.com/flaky")])
    _, rows = store.query(db, "select status, next_attempt_at from page_failures where url like '%flaky'")
    assert rows == [("given_up", None)]


def test_429_spends_no_attempt_and_waits_for_retry_after(db: str) -> None:
    """A page answering 429 is paced by its Retry-After and never given up for the count of its answers."""
    page = QueuedPage(url="https://example.com/busy", feed_id=None, guid=None, title=None, published_at=None,
                      listing_url=None, is_trusted=False, error="HTTP 429", http_status=429, retry_after=600.0)
    for _ in range(store.MAX_PAGE_ATTEMPTS + 1):
        store.write_batch(db, [], [page])
    _, rows = store.query(
        db, "select status, n_attempts, next_attempt_at > now() at time zone 'UTC' from page_failures")
    assert rows == [("retrying", 0, True)]


def test_due_retries_wait_for_their_time_unless_forced(db: str) -> None:
    """A page that asked to wait (Retry-After) is not due before its time; force takes it anyway."""
    store.write_batch(db, [], [_queued("https://example.com/later", retry_after=3600.0)])
    assert store.due_retries(db, store.utcnow()) == []
    assert [q.url for q in store.due_retries(db, store.utcnow(), force=True)] == ["https://example.com/later"]


def test_known_keys_include_queued_pages_for_polls_only(db: str) -> None:
    """Polls leave queued pages to the retry path; a backfill fetches them itself but skips given-up ones."""
    store.write_batch(db, [], [_queued("https://example.com/q"), _queued("https://example.com/x", retryable=False)])
    urls = ["https://example.com/q", "https://example.com/x", "https://example.com/new"]
    assert store.known_keys(db, urls, [])[0] == {"https://example.com/q", "https://example.com/x"}
    assert store.known_keys(db, urls, [], include_queued=False)[0] == {"https://example.com/x"}


def _migrated_to(tmp_path: Path, version: int) -> duckdb.DuckDBPyConnection:
    """A database migrated up to `version` only (to test the upgrade that follows)."""
    sql_dir = tmp_path / "sql"
    (sql_dir / "views").mkdir(parents=True)
    for mig in store.migrations()[:version]:
        (sql_dir / f"{mig.version:04d}_{mig.name}.sql").write_text(mig.sql)
    con = duckdb.connect(str(tmp_path / "old.duckdb"))
    store.migrate(con, sql_dir)
    return con


def test_migration_5_keeps_old_failures_given_up_or_retrying(tmp_path: Path) -> None:
    """Rows of page_failures from before the retry queue: three attempts or more were given up, fewer retry."""
    con = _migrated_to(tmp_path, 4)
    con.execute("insert into page_failures (url, first_failed_at, last_failed_at, n_attempts, error) values "
                "('https://a/1', '2025-01-01', '2025-01-02', 3, 'HTTP 503'), "
                "('https://a/2', '2025-01-01', '2025-01-02', 1, 'timeout')")
    store.migrate(con)
    rows = con.execute("select url, status, next_attempt_at from page_failures order by url").fetchall()
    assert rows == [("https://a/1", "given_up", None), ("https://a/2", "retrying", datetime(2025, 1, 2))]


def test_a_run_left_running_by_a_dead_process_is_closed_as_failed(db: str) -> None:
    """The next run on the host closes a 'running' row whose process is gone; a live one's row stays."""
    store.start_run(db, "live", "poll-feeds")
    store.init_db(db)
    with store.write_connection(db) as con:
        con.execute("insert into pipeline_runs (run_id, flow, started_at, status, host, pid) "
                    "select 'dead', 'poll-feeds', now(), 'running', host, 2147483646 from pipeline_runs")
    store.start_run(db, "next", "poll-feeds")
    _, rows = store.query(db, "select run_id, status from pipeline_runs order by run_id")
    assert rows == [("dead", "failed"), ("live", "running"), ("next", "running")]


_STORY = " ".join(f"Sentence {w} of the report says the company will spend more on data centres and chips this year."
                  for w in ("one", "two", "three", "four", "five", "six"))


def test_outlet_and_copies_are_recorded_on_insert(db: str) -> None:
    """An article gets its URL's registered domain as outlet; the same text at a second URL is linked to the first."""
    from dataclasses import replace

    first = replace(make_article("https://www.techwire.com/a"), text=_STORY)
    copy = replace(make_article("https://amp.techwire.com/a?utm=x"), text="By a reporter. " + _STORY + " Read more.")
    other = make_article("https://news.marketdesk.co.uk/b")
    store.write_batch(db, [first])
    store.write_batch(db, [copy, other])
    _, rows = store.query(db, "select url, outlet, duplicate_of from articles order by fetched_at, url")
    assert sorted(rows) == [("https://amp.techwire.com/a?utm=x", "techwire.com", first.article_id),
                            ("https://news.marketdesk.co.uk/b", "marketdesk.co.uk", None),
                            ("https://www.techwire.com/a", "techwire.com", None)]


def test_migration_6_fills_the_identity_of_stored_articles(tmp_path: Path) -> None:
    """Articles stored before migration 0006 get their outlet and fingerprint, the earlier copy staying the original."""
    con = _migrated_to(tmp_path, 5)
    store.bulk_insert(con, "articles", ("article_id", "url", "fetched_at", "text", "is_capex", "capex_score",
                                        "extractor_version"),
                      [("b", "https://m.example.org/x", datetime(2025, 1, 2), _STORY, True, 0.9, "v1"),
                       ("a", "https://www.example.org/x", datetime(2025, 1, 1), _STORY, True, 0.9, "v1")])
    store.migrate(con)
    rows = con.execute("select article_id, outlet, duplicate_of from articles order by article_id").fetchall()
    assert rows == [("a", "example.org", None), ("b", "example.org", "a")]


def test_query_is_read_only(db: str) -> None:
    """store.query refuses writes with a StoreError."""
    store.init_db(db)
    with pytest.raises(store.StoreError):
        store.query(db, "delete from articles")


def test_bulk_insert_keeps_unicode_and_replaces_lone_surrogates(tmp_path: Path) -> None:
    """Text with emoji, CJK, NUL and quotes round-trips; a lone surrogate becomes one '?' (offsets kept)."""
    con = duckdb.connect(str(tmp_path / "u.duckdb"))
    con.execute("create table t (k integer primary key, s varchar, seen_at timestamp, b blob)")
    values = ["héllo 中文 😀", "nul\x00byte", "quote ' and \\ back", "bad\ud800x"]
    store.bulk_insert(con, "t", ("k", "s", "seen_at", "b"),
                      [(i, v, datetime(2025, 1, 2, 3, 4, 5), b"\x00\xff") for i, v in enumerate(values)])
    rows = con.execute("select s, seen_at, b from t order by k").fetchall()
    assert [r[0] for r in rows] == values[:3] + ["bad?x"]
    assert {(r[1], r[2]) for r in rows} == {(datetime(2025, 1, 2, 3, 4, 5), b"\x00\xff")}


def test_reader_does_not_take_the_write_lock_when_schema_is_current(file_db: str) -> None:
    """A read in a fresh process opens the file read-only only, so an open read-only session does not block it."""
    import subprocess
    import sys

    store.init_db(file_db)
    holder = duckdb.connect(file_db, read_only=True)  # a user's read-only session in this process
    code = (f"from tasks import store; import time; t = time.monotonic(); "
            f"store.query({file_db!r}, 'select count(*) from articles'); print(round(time.monotonic() - t, 2))")
    try:
        out = subprocess.run([sys.executable, "-c", code], check=False, capture_output=True, timeout=120)
    finally:
        holder.close()
    assert out.returncode == 0, out.stderr.decode()[-1000:]
    assert float(out.stdout.decode().strip()) < 10
