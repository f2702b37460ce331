"""Backfills on a Dask cluster (issue 14): `capex backfill --dask ADDRESS` runs the page batches on a local
scheduler with two worker processes, stores every page once, and a batch run twice stores nothing twice."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tasks import store
from tasks.store.rawstore import pack_dir
from tests.support.cli import capex
from tests.support.daskcluster import dask_cluster, free_port
from tests.support.site import Site, serve_site

pytestmark = pytest.mark.slow

N_ARTICLES = 120  # three batches of BATCH_SIZE (50): both workers get work


@pytest.fixture(scope="module")
def cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A scheduler and two single-thread worker processes on 127.0.0.1 for the whole module."""
    with dask_cluster(tmp_path_factory.mktemp("dask"), n_workers=2, n_threads=1) as address:
        yield address


@pytest.fixture(scope="module")
def gazette() -> Iterator[tuple[Site, str]]:
    """A generated site of N_ARTICLES article pages on 127.0.0.1."""
    site = Site(n_articles=N_ARTICLES)
    with serve_site(site) as base:
        yield site, base


def _executed(address: str) -> int:
    """Tasks the cluster's workers have run so far."""
    from distributed import Client

    with Client(address, timeout="10s", set_as_default=False) as client:
        counts: dict[str, int] = client.run(lambda dask_worker: dask_worker.state.executed_count)
    return sum(counts.values())


def _worker_servers(address: str) -> list[str]:
    """Command lines of Prefect servers (uvicorn) started under the cluster's worker processes."""
    from distributed import Client

    def servers() -> list[str]:
        import psutil

        return [" ".join(c.cmdline()) for c in psutil.Process().children(recursive=True)
                if "uvicorn" in " ".join(c.cmdline())]

    with Client(address, timeout="10s", set_as_default=False) as client:
        found: dict[str, list[str]] = client.run(servers)
    return [line for lines in found.values() for line in lines]


def _pack_bytes(db: Path) -> int:
    return sum(p.stat().st_size for p in pack_dir(db).rglob("*") if p.is_file())


def test_backfill_on_dask_stores_every_page_once_and_a_rerun_nothing(cluster: str, gazette: tuple[Site, str],
                                                                     tmp_path: Path) -> None:
    """A URL-list backfill with --dask runs its batches on the workers; the rerun stores nothing new."""
    site, base = gazette
    urls = tmp_path / "urls.txt"
    urls.write_text("".join(f"{base}{site.article_path(i)}\n" for i in range(N_ARTICLES)))
    db = tmp_path / "dask.duckdb"
    before = _executed(cluster)
    first = capex("backfill", "--urls", str(urls), "--db", str(db), "--dask", cluster)
    assert first.returncode == 0, first.stderr.decode()[-3000:]
    assert f"backfill: page batches on the Dask cluster at {cluster} (2 workers, 2 threads)" in first.stderr.decode()
    assert _executed(cluster) - before >= 3  # the three batches ran on the workers
    assert _worker_servers(cluster) == []  # they reported to the run's Prefect server, not one of their own
    counts = store.table_counts(db)
    _, rows = store.query(db, "select count(*), count(distinct url) from articles")
    assert rows == [(N_ARTICLES, N_ARTICLES)]
    assert all(site.hits[site.article_path(i)] == 1 for i in range(N_ARTICLES))
    packed = _pack_bytes(db)
    second = capex("backfill", "--urls", str(urls), "--db", str(db), "--dask", cluster)
    assert second.returncode == 0, second.stderr.decode()[-3000:]
    assert store.table_counts(db) == counts
    assert _pack_bytes(db) == packed
    _, runs = store.query(db, "select status, (summary->>'new_articles')::int from pipeline_runs order by started_at")
    assert runs == [("completed", N_ARTICLES), ("completed", 0)]


def test_reprocess_on_dask_reads_the_stored_pages_on_the_workers(cluster: str, gazette: tuple[Site, str],
                                                                 tmp_path: Path) -> None:
    """`--reprocess --dask` re-extracts every stale article on the workers, once, and leaves the raw HTML alone."""
    import duckdb

    site, base = gazette
    urls = tmp_path / "urls.txt"
    urls.write_text("".join(f"{base}{site.article_path(i)}\n" for i in range(20)))
    db = tmp_path / "reprocess.duckdb"
    assert capex("backfill", "--urls", str(urls), "--db", str(db)).returncode == 0
    counts, packed = store.table_counts(db), _pack_bytes(db)
    with duckdb.connect(str(db)) as con:
        con.execute("update articles set extractor_version = 'stale'")
    before = _executed(cluster)
    done = capex("backfill", "--reprocess", "--db", str(db), "--dask", cluster)
    assert done.returncode == 0, done.stderr.decode()[-3000:]
    assert _executed(cluster) > before
    _, rows = store.query(db, "select (summary->>'articles_reprocessed')::int, (summary->>'articles_failed')::int "
                              "from pipeline_runs order by started_at desc limit 1")
    assert rows == [(20, 0)]
    assert store.table_counts(db) == counts and _pack_bytes(db) == packed
    _, stale = store.query(db, "select count(*) from articles where extractor_version = 'stale'")
    assert stale == [(0,)]


def test_relative_db_path_names_the_same_file_on_the_workers(cluster: str, gazette: tuple[Site, str],
                                                             tmp_path: Path) -> None:
    """`--db rel.duckdb` is the file in the command's directory, also for workers started elsewhere."""
    from tests.support.paths import REPO

    site, base = gazette
    (tmp_path / "urls.txt").write_text("".join(f"{base}{site.article_path(i)}\n" for i in range(5)))
    done = capex("backfill", "--urls", "urls.txt", "--db", "rel.duckdb", "--dask", cluster, cwd=tmp_path)
    assert done.returncode == 0, done.stderr.decode()[-3000:]
    assert not (REPO / "rel.duckdb").exists()  # the workers' directory
    _, rows = store.query(tmp_path / "rel.duckdb", "select count(*) from articles")
    assert rows == [(5,)]


def test_a_batch_run_twice_on_dask_stores_nothing_twice(cluster: str, gazette: tuple[Site, str],
                                                        tmp_path: Path) -> None:
    """The same batch run twice at once on two workers, then again (as Dask re-runs after a worker death)."""
    from distributed import Client

    from tasks.ingest.poll import BatchResult, ingest_batch
    from tasks.models import PageJob

    site, base = gazette
    jobs = [PageJob(url=f"{base}{site.article_path(i)}", guid=None, feed_id=None, published_at=None, title=None)
            for i in range(10)]
    db = tmp_path / "rerun.duckdb"
    store.init_db(db)
    kwargs: dict[str, Any] = {"db": str(db), "jobs": jobs, "listing_url": None, "allow_private": True}
    with Client(cluster, timeout="10s", set_as_default=False) as client:
        together = [client.submit(ingest_batch, **kwargs, pure=False, workers=[w])
                    for w in client.scheduler_info()["workers"]]
        results: list[BatchResult] = client.gather(together)
        counts, packed = store.table_counts(db), _pack_bytes(db)
        again: BatchResult = client.submit(ingest_batch, **kwargs, pure=False).result()
    assert sorted(r.n_new for r in results) == [0, 10]
    assert again.n_new == 0 and again.n_failed == 0
    assert counts["articles"] == counts["article_raw"] == 10
    assert store.table_counts(db) == counts
    assert _pack_bytes(db) == packed


def test_daemonic_workers_are_refused_before_any_work(tmp_path: Path, gazette: tuple[Site, str]) -> None:
    """Workers left as daemons (cannot start the extraction processes): exit 2, one line, nothing written."""
    site, base = gazette
    urls = tmp_path / "urls.txt"
    urls.write_text(f"{base}{site.article_path(0)}\n")
    db = tmp_path / "never.duckdb"
    with dask_cluster(tmp_path / "daemonic", n_workers=1, daemon=True) as address:
        done = capex("backfill", "--urls", str(urls), "--db", str(db), "--dask", address, timeout=120)
    lines = done.stderr.decode().strip().splitlines()
    assert done.returncode == 2, lines
    assert len(lines) == 1 and "run as daemons" in lines[0] and "DASK_DISTRIBUTED__WORKER__DAEMON=False" in lines[0]
    assert not db.exists()


@pytest.mark.parametrize(("address", "env", "problem"), [
    ("tcp://127.0.0.1:{free}", {}, "cannot connect"),
    ("", {"CAPEX_DASK_ADDRESS": "tcp://127.0.0.1:{free}"}, "cannot connect"),
    ("http://127.0.0.1:8786", {}, "not a Dask scheduler address (tcp://HOST:PORT)"),
    ("tcp://127.0.0.1", {}, "not a Dask scheduler address (tcp://HOST:PORT)"),
])
def test_unusable_dask_address_exits_2_with_one_line(address: str, env: dict[str, str], problem: str,
                                                     tmp_path: Path) -> None:
    """No scheduler at the address, or not an address: one `capex: --dask` line, exit 2, before any work."""
    free = str(free_port())
    urls = tmp_path / "urls.txt"
    urls.write_text("http://127.0.0.1:9/a.html\n")
    db = tmp_path / "never.duckdb"
    args = ["--dask", address.format(free=free)] if address else []
    done = capex("backfill", "--urls", str(urls), "--db", str(db), *args,
                 env={k: v.format(free=free) for k, v in env.items()}, timeout=60)
    lines = done.stderr.decode().strip().splitlines()
    assert done.returncode == 2, lines
    assert len(lines) == 1 and lines[0].startswith("capex: --dask ") and problem in lines[0], lines
    assert not db.exists()
