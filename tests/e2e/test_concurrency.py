"""End-to-end with real processes: a killed backfill resumes; poll, backfill and readers share one database."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tasks import store
from tests.support.cli import BIN, ENV
from tests.support.records import write_feeds
from tests.support.site import Site, serve_site

pytestmark = pytest.mark.slow


@pytest.fixture()
def big_site() -> Iterator[tuple[Site, str]]:
    """A 150-article site whose pages answer slowly, so runs last long enough to interfere."""
    site = Site(n_articles=150)
    site.delay_s = 0.05
    with serve_site(site) as base:
        yield site, base


def _start(*args: str, env: dict[str, str] = ENV, cwd: Path | None = None) -> subprocess.Popen[bytes]:
    return subprocess.Popen([str(BIN / "capex"), *args], env=env, stdout=subprocess.DEVNULL,
                            stderr=subprocess.PIPE, start_new_session=True, cwd=cwd)


def _done(db: Path) -> int:
    if not db.exists():
        return 0
    try:
        _, rows = store.query(db, "select coalesce(sum(n_done), 0) from backfills")
    except store.StoreError:
        return 0
    return int(rows[0][0])


def test_killed_backfill_resumes_without_duplicates(big_site: tuple[Site, str], tmp_path: Path) -> None:
    """SIGKILL during a backfill loses nothing committed; the rerun fetches only what was pending."""
    site, base = big_site
    urls = tmp_path / "urls.txt"
    urls.write_text("".join(f"{base}{site.article_path(i)}\n" for i in range(150)))
    db = tmp_path / "b.duckdb"
    proc = _start("backfill", "--urls", str(urls), "--db", str(db))
    deadline = time.monotonic() + 240
    while _done(db) < 50 and time.monotonic() < deadline and proc.poll() is None:
        time.sleep(0.2)
    assert proc.poll() is None, "the backfill ended before it could be killed"
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait(timeout=30)
    done_at_kill = _done(db)
    hits_before = dict(site.hits)
    rerun = subprocess.run([str(BIN / "capex"), "backfill", "--urls", str(urls), "--db", str(db)], env=ENV,
                           capture_output=True, timeout=600, check=False)
    assert rerun.returncode == 0, rerun.stderr.decode()[-2000:]
    _, rows = store.query(db, "select count(*), count(distinct url) from articles")
    _, status = store.query(db, "select status, n_done + 0 from backfills")
    refetched = sum(site.hits.get(site.article_path(i), 0) - hits_before.get(site.article_path(i), 0)
                    for i in range(150))
    assert 50 <= done_at_kill < 150
    assert rows == [(150, 150)]
    assert status[0][0] == "completed"
    assert refetched <= 150 - done_at_kill + 50  # at most the batch in flight at the kill is fetched twice


def test_poll_backfill_and_readers_run_together(big_site: tuple[Site, str], tmp_path: Path) -> None:
    """A poll and a backfill on one database both finish while another process keeps querying it."""
    site, base = big_site
    # the poll takes articles 0-74 through a feed; the backfill takes 75-149 from a URL list
    site.routes["/feed.xml"] = (site.rss(base, list(range(75)), ""), "application/rss+xml")
    feeds = write_feeds(tmp_path / "feeds.toml", f"{base}/feed.xml")
    urls = tmp_path / "urls.txt"
    urls.write_text("".join(f"{base}{site.article_path(i)}\n" for i in range(75, 150)))
    db = tmp_path / "c.duckdb"
    store.init_db(db)
    poll = _start("poll", "--feeds", str(feeds), "--db", str(db))
    back = _start("backfill", "--urls", str(urls), "--db", str(db))
    waits = []
    while poll.poll() is None or back.poll() is None:
        started = time.monotonic()
        reader = subprocess.run([str(BIN / "capex"), "sql", "--db", str(db), "--format", "csv",
                                 "select count(*) from articles"], env=ENV, capture_output=True, timeout=120,
                                check=False)
        waits.append(time.monotonic() - started)
        assert reader.returncode == 0, reader.stderr.decode()
    poll_err = poll.stderr.read().decode() if poll.stderr else ""
    back_err = back.stderr.read().decode() if back.stderr else ""
    assert poll.returncode == 0, poll_err[-2000:]
    assert back.returncode == 0, back_err[-2000:]
    _, rows = store.query(db, "select count(*), count(distinct url) from articles")
    assert rows == [(150, 150)]
    assert len(waits) >= 3
    print(f"concurrent reader: {len(waits)} queries, max {max(waits):.2f} s")


def _burn(seconds: float) -> subprocess.Popen[bytes]:
    """A process keeping one core busy for `seconds`."""
    code = f"import time\nend = time.monotonic() + {seconds}\nwhile time.monotonic() < end:\n    pass\n"
    return subprocess.Popen([sys.executable, "-c", code])


def test_poll_backfill_and_report_started_together_on_a_busy_machine_all_complete(
    big_site: tuple[Site, str], tmp_path: Path,
) -> None:
    """Three commands, each starting its own temporary Prefect server, all complete while both cores are
    kept busy by other processes (the server start-up waits as long as CAPEX's default allows)."""
    site, base = big_site
    site.routes["/feed.xml"] = (site.rss(base, list(range(20)), ""), "application/rss+xml")
    feeds = write_feeds(tmp_path / "feeds.toml", f"{base}/feed.xml")
    urls = tmp_path / "urls.txt"
    urls.write_text("".join(f"{base}{site.article_path(i)}\n" for i in range(20, 40)))
    db = tmp_path / "l.duckdb"
    store.init_db(db)
    unset = ("PREFECT_API_URL", "PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS")
    env = {k: v for k, v in ENV.items() if k not in unset}
    load = [_burn(240) for _ in range(4)]
    try:
        procs = {name: _start(*args, env=env, cwd=tmp_path)
                 for name, args in (("poll", ("poll", "--feeds", str(feeds), "--db", str(db))),
                                    ("backfill", ("backfill", "--urls", str(urls), "--db", str(db))),
                                    ("report", ("report", "--db", str(db), "--out", str(tmp_path / "r"))))}
        errors = {name: p.communicate(timeout=600)[1].decode() for name, p in procs.items()}
    finally:
        for burner in load:
            burner.kill()
    assert {name: p.returncode for name, p in procs.items()} == {"poll": 0, "backfill": 0, "report": 0}, errors
    _, rows = store.query(db, "select count(*), count(distinct url) from articles")
    assert rows == [(40, 40)]
