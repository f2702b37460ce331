"""Scale-out end to end (issue 14): shard workers and a backfill on Dask writing one lake at once while a
reader queries it; a worker killed mid-batch and run again; moving a file's history up into a lake."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tasks import store
from tests.support.cli import BIN, ENV, capex
from tests.support.daskcluster import dask_cluster
from tests.support.faultserver import FaultServer, article, drip, fault_server, rss, static
from tests.support.paths import REPO
from tests.support.records import write_feeds

pytestmark = pytest.mark.slow

HTML = "text/html; charset=utf-8"
# host names of the loopback server: the first three fall on shard 0 of 2, the last two on shard 1
HOSTS = ("127.0.0.1", "localhost", "127.1", "0x7f.1", "127.0x0.1")
PAGES = 4  # own pages per feed
SHARED = "/a/shared-{k}.html"  # pages every feed links (two shards and the backfill all meet them)


@pytest.fixture()
def overlapping_site() -> Iterator[FaultServer]:
    """Five feeds on five host names; each lists its own pages and the same three shared pages."""
    with fault_server() as server:
        shared = [(f"Shared {k}", f"http://127.0.0.1:{server.port}{SHARED.format(k=k)}") for k in range(3)]
        for k in range(3):
            server.route(SHARED.format(k=k), static(article(f"Shared story {k}"), content_type=HTML))
        for i, host in enumerate(HOSTS):
            own = [(f"Story {i}-{j}", f"http://{host}:{server.port}/a/{i}-{j}.html") for j in range(PAGES)]
            server.route(f"/feed{i}.xml", static(rss(own + shared, title=f"Feed {i}")))
            for j in range(PAGES):
                server.route(f"/a/{i}-{j}.html", static(article(f"Story {i}-{j}"), content_type=HTML))
        yield server


def _feeds(server: FaultServer, path: Path) -> Path:
    return write_feeds(path, *[f"http://{h}:{server.port}/feed{i}.xml" for i, h in enumerate(HOSTS)],
                       allow_private=True)


def _start(*args: str, env: dict[str, str]) -> subprocess.Popen[bytes]:
    return subprocess.Popen([str(BIN / "capex"), *args], cwd=REPO, env={**ENV, **env}, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, start_new_session=True)


def _lake_env() -> dict[str, str]:
    return {k: os.environ[k] for k in ("CAPEX_DATA_PATH", "NO_PROXY", "no_proxy") if k in os.environ}


def _assert_exactly_once(db: str, n_urls: int) -> None:
    _, rows = store.query(db, "select count(*), count(distinct article_id), count(distinct url) from articles")
    assert rows == [(n_urls, n_urls, n_urls)]
    _, rows = store.query(db, "select count(*) = count(distinct fact_id) from facts")
    assert rows == [(True,)]
    _, rows = store.query(db, "select count(*), count(distinct article_id) from article_raw")
    assert rows == [(n_urls, n_urls)]
    _, rows = store.query(db, "select count(*) from page_failures")
    assert rows == [(0,)]


def test_two_shards_and_a_dask_backfill_write_one_lake_at_once_while_a_reader_queries(
    overlapping_site: FaultServer, lake_db: str, tmp_path: Path
) -> None:
    """Two shard polls and a backfill on a two-worker Dask cluster, all meeting the same pages, run at once
    on one lake while `capex sql` reads it: every page is stored once, every run completes."""
    server = overlapping_site
    feeds = _feeds(server, tmp_path / "feeds.toml")
    own = [f"http://{h}:{server.port}/a/{i}-{j}.html" for i, h in enumerate(HOSTS) for j in range(PAGES)]
    shared = [f"http://127.0.0.1:{server.port}{SHARED.format(k=k)}" for k in range(3)]
    urls = tmp_path / "urls.txt"
    urls.write_text("\n".join(own[::2] + shared) + "\n")  # half the feeds' pages and all shared ones
    env = _lake_env()
    with dask_cluster(tmp_path / "dask", n_workers=2, n_threads=1, env=env) as address:
        runs = [_start("poll", "--feeds", str(feeds), "--db", lake_db, "--shard", s, env=env) for s in ("0/2", "1/2")]
        runs.append(_start("backfill", "--feeds", str(feeds), "--db", lake_db, "--urls", str(urls),
                           "--dask", address, env=env))
        reads = 0
        while any(r.poll() is None for r in runs):
            seen = capex("sql", "--db", lake_db, "--format", "csv",
                         "select count(*) = count(distinct url) from articles", env=env)
            if seen.returncode == 0:  # before the first commit the lake may not exist yet (exit 2)
                assert seen.stdout.decode().split()[-1] == "True"
                reads += 1
            time.sleep(0.5)
        outcomes = [r.communicate(timeout=60) for r in runs]
    assert [r.returncode for r in runs] == [0, 0, 0], [e.decode()[-2000:] for _, e in outcomes]
    assert reads >= 1
    _assert_exactly_once(lake_db, len(own) + len(shared))
    _, rows = store.query(lake_db, "select flow, status from pipeline_runs order by flow, status")
    assert rows == [("backfill", "completed"), ("poll-feeds", "completed"), ("poll-feeds", "completed")]


def test_a_worker_killed_mid_batch_then_run_again_stores_everything_once(
    overlapping_site: FaultServer, lake_db: str, tmp_path: Path
) -> None:
    """A shard worker killed (SIGKILL) while one page still drips leaves no half batch; its rerun, beside the
    other shard, completes and every page is stored once."""
    server = overlapping_site
    slow = f"http://127.0.0.1:{server.port}/a/slow.html"
    server.route("/a/slow.html", drip(interval_s=0.2, total_s=8))
    listed = [(f"Story 0-{j}", f"http://127.0.0.1:{server.port}/a/0-{j}.html") for j in range(PAGES)]
    server.route("/feed0.xml", static(rss([*listed, ("Slow", slow)], title="Feed 0")))
    feeds = _feeds(server, tmp_path / "feeds.toml")
    env = _lake_env()
    victim = _start("poll", "--feeds", str(feeds), "--db", lake_db, "--shard", "0/2", env=env)
    deadline = time.monotonic() + 120
    while server.hits["/a/slow.html"] == 0 and time.monotonic() < deadline and victim.poll() is None:
        time.sleep(0.1)
    assert server.hits["/a/slow.html"] >= 1, "the worker never reached the slow page"
    os.killpg(victim.pid, signal.SIGKILL)
    victim.wait(timeout=30)
    server.route("/a/slow.html", static(article("Slow story"), content_type=HTML))
    for shard in ("0/2", "1/2"):
        done = capex("poll", "--feeds", str(feeds), "--db", lake_db, "--shard", shard, "--force", env=env)
        assert done.returncode == 0, done.stderr.decode()[-2000:]
    n_urls = PAGES * len(HOSTS) + 3 + 1  # own pages, shared pages, the slow one
    _assert_exactly_once(lake_db, n_urls)
    _, rows = store.query(lake_db, "select status, count(*) from pipeline_runs group by status order by status")
    assert dict(rows) == {"completed": 2, "failed": 1}  # the next run on this host closed the killed one's row


def test_migrate_copies_a_files_history_into_a_lake_and_the_lake_commands_work(
    overlapping_site: FaultServer, lake_db: str, tmp_path: Path
) -> None:
    """`capex migrate --to` copies everything (raw HTML from the packs inline) with a count check, twice
    without duplicating; `maintain`, `lake-sql`, `sql` and `report` then work on the lake."""
    feeds = _feeds(overlapping_site, tmp_path / "feeds.toml")
    file_db = str(tmp_path / "capex.duckdb")
    env = _lake_env()
    assert capex("poll", "--feeds", str(feeds), "--db", file_db, env=env).returncode == 0
    for _ in range(2):
        moved = capex("migrate", "--db", file_db, "--to", lake_db, env=env)
        assert moved.returncode == 0, moved.stderr.decode()[-2000:]
        assert f"every row of {file_db} is in {lake_db}" in moved.stdout.decode()
    for table in ("feeds", "feed_polls", "articles", "facts", "pipeline_runs"):
        _, here = store.query(file_db, f"select count(*) from {table}")
        _, there = store.query(lake_db, f"select count(*) from {table}")
        assert here == there, table
    _, here = store.query(file_db, "select article_id, raw_bytes from article_raw order by 1")
    _, there = store.query(lake_db, "select article_id, octet_length(raw_html_zstd) from article_raw order by 1")
    assert here == there
    upkeep = capex("maintain", "--db", lake_db, env=env)
    assert upkeep.returncode == 0 and "inlined rows flushed" in upkeep.stdout.decode()
    setup = capex("lake-sql", "--db", lake_db, env=env)
    assert setup.returncode == 0 and "(read_only);" in setup.stdout.decode()
    answer = capex("sql", "--db", lake_db, "--format", "csv", "select count(*) from capex_stories", env=env)
    _, expected = store.query(file_db, "select count(*) from capex_stories")
    assert answer.returncode == 0 and answer.stdout.decode().split()[-1] == str(expected[0][0])
    made = capex("report", "--db", lake_db, "--out", str(tmp_path / "report"), env=env)
    assert made.returncode == 0, made.stderr.decode()[-2000:]
    assert (tmp_path / "report" / "report.html").is_file()


@pytest.mark.parametrize(("db_edit", "env_edit", "message"), [
    ((r"port=\d+", "port=1"), {}, "cannot reach the catalog"),
    (("dbname=", "dbname=nosuch"), {}, "does not exist"),
    ((), {"CAPEX_DATA_PATH": "/nonexistent/capex-lake"}, "CAPEX_DATA_PATH /nonexistent/capex-lake/: no such directory"),
    ((), {"CAPEX_DATA_PATH": "s3://bucket/capex", "CAPEX_S3_ENDPOINT": "http://127.0.0.1:1"}, "refused"),
])
def test_bad_lake_settings_exit_2_with_one_line(lake_db: str, tmp_path: Path, db_edit: tuple[str, ...],
                                                env_edit: dict[str, str], message: str) -> None:
    """An unreachable catalog, an unknown database, a missing data path, a refusing S3 endpoint: exit 2 with
    one `capex:` line before any work."""
    db = re.sub(db_edit[0], db_edit[1], lake_db, count=1) if db_edit else lake_db
    feeds = write_feeds(tmp_path / "feeds.toml", "http://127.0.0.1:9/feed.xml", allow_private=True)
    done = capex("poll", "--feeds", str(feeds), "--db", db, env={**_lake_env(), **env_edit}, timeout=120)
    lines = done.stderr.decode().strip().splitlines()
    assert done.returncode == 2 and len(lines) == 1, done.stderr.decode()
    assert lines[0].startswith("capex: ") and message in lines[0]
