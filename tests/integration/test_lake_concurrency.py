"""The lake under several writer processes at once: exactly once without keys, a lost catalog, S3 data."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from tasks import store
from tasks.errors import ConfigError, StoreError
from tasks.store import lake, transfer
from tests.support.paths import REPO
from tests.support.records import make_article, make_fact
from tests.support.services import PostgresServer

pytestmark = pytest.mark.slow

# A writer process: stores `batches` of article URLs (each batch one write_batch), prints what it wrote.
_WRITER = textwrap.dedent("""
    import json, sys
    from tasks import store
    from tests.support.records import make_article, make_fact
    db, batches = sys.argv[1], json.loads(sys.argv[2])
    written = []
    for urls in batches:
        articles = [make_article(u, (make_fact(), make_fact(amount=2e9))) for u in urls]
        written += sorted(store.write_batch(db, articles))
    print(json.dumps(written))
""")


def _writers(db: str, plans: list[list[list[str]]]) -> list[subprocess.Popen[str]]:
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    return [subprocess.Popen([sys.executable, "-c", _WRITER, db, json.dumps(plan)], cwd=REPO, env=env, text=True,
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE) for plan in plans]


def test_overlapping_writers_store_each_article_and_fact_once(lake_db: str) -> None:
    """Four processes writing overlapping batches at once (every URL in two or more of them) store each once."""
    urls = [f"https://news{i % 5}.example/story-{i}" for i in range(60)]
    plans = [
        [urls[k:k + 10] for k in range(0, 60, 10)],                 # all, in order
        [urls[k:k + 15] for k in range(45, -1, -15)],               # all, backwards
        [urls[k::4] for k in range(4)],                             # all, interleaved
        [urls[20:40], urls[0:20]],                                  # a third of them
    ]
    store.init_db(lake_db)
    procs = _writers(lake_db, plans)
    outputs = [p.communicate(timeout=240) for p in procs]
    assert all(p.returncode == 0 for p in procs), [err[-800:] for _, err in outputs]
    claimed = [a for out, _ in outputs for a in json.loads(out)]
    assert len(claimed) == len(set(claimed)) == 60  # each article was new to exactly one writer
    _, rows = store.query(lake_db, "select count(*), count(distinct article_id), count(distinct url) from articles")
    assert rows == [(60, 60, 60)]
    _, rows = store.query(lake_db, "select count(*), count(distinct fact_id) from facts")
    assert rows == [(120, 120)]
    _, rows = store.query(lake_db, "select count(*), count(distinct article_id) from article_raw")
    assert rows == [(60, 60)]


def test_a_catalog_lost_mid_run_fails_the_batch_in_flight_and_a_rerun_completes(
    lake_db: str, pg_server: PostgresServer
) -> None:
    """With PostgreSQL stopped, a batch fails with one clear error and nothing half-written; once it is
    back, the same process writes again and the rerun stores every article once."""
    first = [make_article(f"https://a.example/{i}", (make_fact(),)) for i in range(5)]
    second = [make_article(f"https://b.example/{i}", (make_fact(),)) for i in range(5)]
    store.write_batch(lake_db, first)
    pg_server.stop()
    try:
        with pytest.raises(StoreError, match="lake") as failed:
            store.write_batch(lake_db, second)
        assert "\n" not in str(failed.value)
    finally:
        pg_server.start()
    deadline = time.monotonic() + 30
    while True:  # the server accepts connections a moment after pg_ctl returns
        try:
            written = store.write_batch(lake_db, first + second)
            break
        except StoreError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.5)
    assert written == {a.article_id for a in second}
    _, rows = store.query(lake_db, "select count(*), count(distinct article_id) from articles")
    assert rows == [(10, 10)]


def test_a_writer_killed_while_holding_the_lock_does_not_block_the_others(lake_db: str) -> None:
    """PostgreSQL releases a dead writer's advisory lock: the next writer goes on within seconds."""
    store.init_db(lake_db)
    holder = subprocess.Popen([sys.executable, "-c", textwrap.dedent(f"""
        import time
        from tasks.store import lake, transfer
        target = lake.parse_target({lake_db!r})
        with lake.writers_lock(target).held():
            print("held", flush=True)
            time.sleep(300)
    """)], cwd=REPO, env={**os.environ, "PYTHONPATH": str(REPO)}, text=True, stdout=subprocess.PIPE)
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "held"
        with pytest.raises(StoreError, match="another writer held"), \
                lake.writers_lock(lake.parse_target(lake_db)).held(timeout_s=1):
            pass
    finally:
        holder.kill()
        holder.wait(timeout=30)
    started = time.monotonic()
    store.write_batch(lake_db, [make_article("https://c.example/1", (make_fact(),))])
    assert time.monotonic() - started < 30
    _, rows = store.query(lake_db, "select count(*) from articles")
    assert rows == [(1,)]


def test_a_lake_with_data_in_s3_stores_and_reads_back(s3_lake_db: str) -> None:
    """Articles, raw HTML and facts written to a lake whose files go to S3 (moto) read back, views included."""
    articles = [make_article(f"https://s3.example/{i}", (make_fact(),)) for i in range(3)]
    assert store.write_batch(s3_lake_db, articles) == {a.article_id for a in articles}
    assert store.write_batch(s3_lake_db, articles) == set()
    _, rows = store.query(s3_lake_db, "select (select count(*) from facts), (select count(*) from capex_stories)")
    assert rows == [(3, 3)]
    _, rows = store.query(s3_lake_db, "select count(*), sum(octet_length(raw_html_zstd)) > 0 from article_raw")
    assert rows == [(3, True)]
    report = transfer.maintain(s3_lake_db)  # small batches sit in the catalog until flushed to Parquet
    assert report.steps[0].startswith("inlined rows flushed")
    with lake.cursor(lake.parse_target(s3_lake_db), read_only=True) as con:
        files = [r[0] for r in con.execute("select data_file from ducklake_list_files('lake', 'articles')").fetchall()]
        listed = con.execute("select count(*) from glob(?)", [files[0] if files else "s3://none/x"]).fetchone()
    assert files and all(f.startswith(os.environ["CAPEX_DATA_PATH"]) for f in files)
    assert listed == (1,)  # the Parquet file is in the bucket
    _, rows = store.query(s3_lake_db, "select count(*) from facts")
    assert rows == [(3,)]


def test_bad_lake_settings_are_named_before_any_work(lake_db: str, tmp_path: Path,
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    """An unreachable catalog, an unknown database, a missing data directory and a refusing S3 endpoint
    each give one ConfigError naming the culprit."""
    dsn = lake.parse_target(lake_db).dsn
    port = dsn.split("port=")[1].split()[0]
    cases = {
        lake_db.replace(f"port={port}", "port=1"): "cannot reach the catalog",
        lake_db.replace("dbname=", "dbname=nosuch"): "does not exist",
    }
    for db, message in cases.items():
        with pytest.raises(ConfigError, match=message):
            lake.check_target(db)
    monkeypatch.setenv("CAPEX_DATA_PATH", str(tmp_path / "missing"))
    with pytest.raises(ConfigError, match="CAPEX_DATA_PATH .*missing/: no such directory"):
        lake.check_target(lake_db)
    monkeypatch.setenv("CAPEX_DATA_PATH", "s3://bucket/capex")
    monkeypatch.setenv("CAPEX_S3_ENDPOINT", "http://127.0.0.1:1")
    with pytest.raises(ConfigError, match="S3 .*refused"):
        lake.check_target(lake_db)
    monkeypatch.delenv("CAPEX_DATA_PATH")
    with pytest.raises(ConfigError, match="no capex history"):
        lake.check_target(lake_db, must_exist=True)


def test_the_duckdb_cli_reads_the_lake_read_only_while_writers_ingest(lake_db: str, tmp_path: Path) -> None:
    """The pinned `duckdb` program, with the statements `capex lake-sql` prints, queries the views while two
    writers commit, sees a consistent count each time, and is refused a write."""
    cli = Path(sys.executable).with_name("duckdb")
    store.init_db(lake_db)
    setup = "\n".join(lake.attach_statements(lake_db, extension_directory=str(tmp_path / "ext")))
    urls = [f"https://read{i % 3}.example/{i}" for i in range(120)]
    procs = _writers(lake_db, [[urls[k:k + 10] for k in range(0, 120, 10)], [urls[k::6] for k in range(6)]])
    counts = []
    try:
        while any(p.poll() is None for p in procs) or len(counts) < 2:
            out = subprocess.run([str(cli), "-csv", "-noheader", "-c",
                                  f"{setup}\nselect count(*) from lake.articles; "
                                  "select count(*) = count(distinct article_id) from lake.capex_stories;"],
                                 capture_output=True, text=True, timeout=120)
            assert out.returncode == 0, out.stderr[-800:]
            n, distinct = out.stdout.split()
            assert distinct == "true"
            counts.append(int(n))
    finally:
        outputs = [p.communicate(timeout=240) for p in procs]
    assert all(p.returncode == 0 for p in procs), [err[-800:] for _, err in outputs]
    assert counts == sorted(counts) and counts[-1] <= 120
    write = "insert into lake.pipeline_runs (run_id, flow, started_at, status) values ('x', 'y', now(), 'running');"
    refused = subprocess.run([str(cli), "-c", f"{setup}\n{write}"], capture_output=True, text=True, timeout=120)
    assert refused.returncode != 0 and "read-only" in refused.stderr.lower().replace("read only", "read-only")
    _, rows = store.query(lake_db, "select count(*) from articles")
    assert rows == [(120,)]
    import duckdb  # the README's Python reader

    reader = duckdb.connect(config={"autoinstall_known_extensions": False,
                                    "extension_directory": str(tmp_path / "ext-py")})
    for statement in lake.attach_statements(lake_db):
        reader.execute(statement)
    assert reader.sql("select count(*) from lake.capex_stories").fetchone() == (120,)


def test_reads_and_writes_of_a_long_lived_process_survive_another_process_compacting_the_lake(lake_db: str) -> None:
    """A process holding its lake attachment reads and writes on after `capex maintain` in another process
    flushed the inlined rows its attachment knew about."""
    store.write_batch(lake_db, [make_article(f"https://m.example/{i}", (make_fact(),)) for i in range(3)])
    assert store.query(lake_db, "select count(*) from facts")[1] == [(3,)]
    done = subprocess.run([sys.executable, "-c", f"from tasks.store import transfer; transfer.maintain({lake_db!r})"],
                          cwd=REPO, env={**os.environ, "PYTHONPATH": str(REPO)}, capture_output=True, timeout=120)
    assert done.returncode == 0, done.stderr.decode()[-800:]
    assert store.query(lake_db, "select count(*) from facts")[1] == [(3,)]
    assert store.known_keys(lake_db, ["https://m.example/1"], [])[0] == {"https://m.example/1"}
    store.write_batch(lake_db, [make_article("https://m.example/9", (make_fact(),))])
    assert store.query(lake_db, "select count(*) from facts")[1] == [(4,)]
