"""Crash safety and feed health end to end: SIGKILLed runs resume cleanly; hostile feeds never stop a run."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from tasks import store
from tests.support.faultserver import (
    BILLION_LAUGHS,
    FaultServer,
    article,
    bomb,
    fault_server,
    redirect,
    rss,
    stall,
    static,
)
from tests.support.paths import REPO
from tests.support.records import write_feeds

pytestmark = pytest.mark.usefixtures("prefect_harness")

N_PAGES = 120  # three batches of 50


def _slow_article(title: str, delay: float) -> Callable[..., None]:
    page = static(article(title), content_type="text/html; charset=utf-8")

    def respond(h: object, s: FaultServer) -> None:
        time.sleep(delay)
        page(h, s)  # type: ignore[arg-type]
    return respond


def _serve_big_feed(server: FaultServer) -> str:
    """A feed of N_PAGES articles: the first batch answers fast, the others slowly, so a late kill
    lands while the first batch is committed and the others are still in flight."""
    items = []
    for i in range(N_PAGES):
        link = server.route(f"/a/{i}.html", _slow_article(f"Story number {i}", 0.01 if i < 50 else 1.0))
        items.append((f"Story {i}", link))
    return server.route("/feed.xml", static(rss(items)))


def _run_flow(feeds: Path, db: str, kill_when: Callable[[], bool] | None = None) -> int:
    """Run poll-feeds in a child process group; SIGKILL the whole group once `kill_when()` holds."""
    from prefect.settings import PREFECT_API_URL

    env = dict(os.environ, PREFECT_API_URL=str(PREFECT_API_URL.value()))
    code = ("from flows.poll_feeds import poll_feeds; "
            f"poll_feeds(feeds={str(feeds)!r}, db={db!r}, force=True)")
    proc = subprocess.Popen([sys.executable, "-c", code], cwd=REPO, env=env, start_new_session=True,
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 120
    try:
        while proc.poll() is None and time.monotonic() < deadline:
            if kill_when is not None and kill_when():
                os.killpg(proc.pid, signal.SIGKILL)  # the run and its extraction workers, mid-flight
                proc.wait(timeout=30)
                return -9
            time.sleep(0.01)
        rc = proc.wait(timeout=max(1.0, deadline - time.monotonic()))
        assert rc == 0, proc.stderr.read().decode()[-3000:] if proc.stderr else rc
        return rc
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
        if proc.stderr:
            proc.stderr.close()


_LAST_LOOK = [0.0]


def _committed_soon(db: str) -> bool:
    """True once some article is committed (looked up at most every 0.2 s, read-only, between the run's writes)."""
    if time.monotonic() - _LAST_LOOK[0] < 0.2:
        return False
    _LAST_LOOK[0] = time.monotonic()
    _, rows = store.query(db, "select count(*) from articles")
    return bool(rows[0][0])


def _stored_urls(db: str) -> list[str]:
    _, rows = store.query(db, "select url from articles")
    return [r[0] for r in rows]


@pytest.mark.slow
def test_sigkill_at_any_point_then_rerun_loses_nothing_and_duplicates_nothing(tmp_path: Path, db: str) -> None:
    """Kill -9 while fetching the feed, mid-pages and late in the run; the DB opens, a rerun completes exactly once."""
    with fault_server() as server:
        feeds = write_feeds(tmp_path / "feeds.toml", _serve_big_feed(server))

        def page_hits() -> int:
            return sum(n for p, n in server.hits.items() if p.startswith("/a/"))

        # each kill point is measured from the start of its own run: (feed fetches, page fetches) -> kill?
        kill_points: list[Callable[[int, int], bool]] = [
            lambda feed0, pages0: server.hits["/feed.xml"] > feed0,          # feed fetched, nothing committed
            lambda feed0, pages0: page_hits() - pages0 >= 30,               # first batch half fetched
            lambda feed0, pages0: page_hits() - pages0 >= 50 and _committed_soon(db),  # a batch committed, others not
        ]
        committed: list[str] = []
        for kill_point in kill_points:
            feed0, pages0 = server.hits["/feed.xml"], page_hits()
            assert _run_flow(feeds, db, kill_when=lambda kp=kill_point, f=feed0, p=pages0: kp(f, p)) == -9
            urls = _stored_urls(db)  # the database opens after the kill
            assert len(urls) == len(set(urls)) and set(committed) <= set(urls)  # nothing committed is lost
            committed = urls
        assert 0 < len(committed) < N_PAGES  # the last kill really fell between commits
        hits_before = dict(server.hits)
        assert _run_flow(feeds, db) == 0
        urls = _stored_urls(db)
        assert len(urls) == len(set(urls)) == N_PAGES  # every article exactly once
        assert set(committed) <= set(urls)
        refetched = [u for u in committed if server.hits[u.split(str(server.port), 1)[1]] > hits_before.get(
            u.split(str(server.port), 1)[1], 0)]
        assert refetched == []  # what was committed is not fetched again; the rest was
    _, dupes = store.query(db, "select count(*) - count(distinct fact_id), (select count(*) - count(distinct "
                               "(feed_id, item_key)) from feed_items) from facts")
    assert dupes == [(0, 0)]
    _, runs = store.query(db, "select count(*) filter (where status = 'completed') from pipeline_runs")
    assert runs[0][0] >= 1


@pytest.mark.slow
def test_hostile_feeds_are_recorded_and_listed_while_good_articles_are_kept_once(
    tmp_path: Path, db: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Stalled, bombed, rate-limited, gone, entity and private-link feeds fail loudly; the good feed is stored once."""
    from flows.poll_feeds import poll_feeds
    from tasks.ingest import feeds as feeds_mod
    from tasks.ingest.poll import summary_markdown

    monkeypatch.setattr(feeds_mod, "FEED_DEADLINE_S", 2.0)
    with fault_server() as server, fault_server() as private:
        private.route("/admin", static(article("Internal"), content_type="text/html"))
        good_items = [(f"Good {i}", server.route(f"/good/{i}.html", static(article(f"Good story {i}"),
                                                                              content_type="text/html")))
                      for i in range(5)]
        urls = {
            "good": server.route("/good.xml", static(rss(good_items))),
            "good-again": server.route("/good-again.xml", static(rss(good_items[:3]))),
            "stalled": server.route("/stalled.xml", stall()),
            "bomb": server.route("/bomb.xml", bomb(64 * 1024 * 1024)),
            "limited": server.route("/limited.xml", static(b"", 429, {"Retry-After": "3600"})),
            "gone": server.route("/gone.xml", static(b"", 410)),
            "laughs": server.route("/laughs.xml", static(BILLION_LAUGHS)),
            "loop": server.route("/loop.xml", redirect("/loop.xml", 301)),
            "ssrf": server.route("/ssrf.xml", static(rss([("x", private.url("/admin")),
                                                          ("y", f"http://localhost:{private.port}/admin")]))),
        }
        feeds = write_feeds(tmp_path / "feeds.toml", *urls.values())
        started = time.monotonic()
        summary = poll_feeds(feeds=str(feeds), db=db, force=True)
        assert time.monotonic() - started < 30
        assert private.hits["/admin"] == 0
        second = poll_feeds(feeds=str(feeds), db=db, force=True)
    assert summary["new_articles"] == 5 and second["new_articles"] == 0
    assert summary["feeds_failed"] == 6
    failing = "\n".join(summary["failures"])  # type: ignore[arg-type]
    for name in ("feed 2", "feed 3", "feed 4", "feed 5", "feed 6", "feed 7"):
        assert f"{name}:" in failing
    assert "blocked" in failing and "polling stopped" in failing
    assert any("not polled since it was deactivated" in s for s in second["feeds_stopped"])  # type: ignore[union-attr]
    assert "## Stopped feeds" in summary_markdown(second, second["failures"])  # type: ignore[arg-type]
    _, rows = store.query(db, "select f.name, f.is_active, h.consecutive_failures from feed_health h "
                              "join feeds f using (feed_id) order by feed_id")
    health = {r[0]: r[1:] for r in rows}
    assert health["feed 5"][0] is False and health["feed 4"][1] == 2 and health["feed 0"][1] == 0
    _, urls_stored = store.query(db, "select count(*), count(distinct url) from articles")
    assert urls_stored == [(5, 5)]
