"""Sharded polls (issue 14): `capex poll --shard K/N` and the poll-feeds `shard` parameter split the feeds and
the retry queue by host, so shard runs together poll every feed exactly once."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest

from tasks import store
from tasks.ingest.shard import shard_of
from tests.support.cli import capex
from tests.support.faultserver import FaultServer, article, fault_server, rss, send, static
from tests.support.records import write_feeds

HTML = "text/html; charset=utf-8"
# Five spellings of the loopback address, each a different host name (the server binds 127.0.0.1 only):
# the first three hash to shard 0 of 2, the last two to shard 1 (asserted in _hosts_split).
HOSTS = ("127.0.0.1", "localhost", "127.1", "0x7f.1", "127.0x0.1")
PAGES_PER_FEED = 2


def _feed_path(i: int) -> str:
    return f"/feed{i}.xml"


def _page_path(i: int, j: int) -> str:
    return f"/a/{i}-{j}.html"


@pytest.fixture()
def hosts_site() -> Iterator[FaultServer]:
    """One feed per host name on the fault server, each listing two article pages on its own host."""
    with fault_server() as server:
        for i, host in enumerate(HOSTS):
            base = f"http://{host}:{server.port}"
            items = [(f"Story {i}-{j}", base + _page_path(i, j)) for j in range(PAGES_PER_FEED)]
            server.route(_feed_path(i), static(rss(items, title=f"Feed {i}")))
            for j in range(PAGES_PER_FEED):
                server.route(_page_path(i, j), static(article(f"Story {i}-{j}"), content_type=HTML))
        yield server


def _feeds_file(server: FaultServer, path: Path) -> Path:
    return write_feeds(path, *[f"http://{h}:{server.port}{_feed_path(i)}" for i, h in enumerate(HOSTS)],
                       allow_private=True)


def test_hosts_split_between_two_shards() -> None:
    """The test's host names fall on both shards of two (otherwise the e2e tests below would prove little)."""
    assert [shard_of(h, 2) for h in HOSTS] == [0, 0, 0, 1, 1]


@pytest.mark.slow
def test_two_shard_runs_poll_every_feed_exactly_once(hosts_site: FaultServer, tmp_path: Path) -> None:
    """`capex poll --shard 0/2` then `--shard 1/2`: every feed and page fetched once, every article stored once."""
    feeds = _feeds_file(hosts_site, tmp_path / "feeds.toml")
    db = tmp_path / "sharded.duckdb"
    for shard in ("0/2", "1/2"):
        done = capex("poll", "--feeds", str(feeds), "--db", str(db), "--shard", shard)
        assert done.returncode == 0, done.stderr.decode()[-3000:]
        assert re.search(rf"^  shard +{shard}$", done.stderr.decode(), re.MULTILINE), done.stderr.decode()
    for i in range(len(HOSTS)):
        assert hosts_site.hits[_feed_path(i)] == 1, _feed_path(i)
        for j in range(PAGES_PER_FEED):
            assert hosts_site.hits[_page_path(i, j)] == 1, _page_path(i, j)
    _, polls = store.query(db, "select feed_id, count(*) from feed_polls group by feed_id order by feed_id")
    assert [n for _, n in polls] == [1] * len(HOSTS)
    _, articles = store.query(db, "select count(*), count(distinct url) from articles")
    assert articles == [(len(HOSTS) * PAGES_PER_FEED, len(HOSTS) * PAGES_PER_FEED)]
    _, runs = store.query(db, "select summary->>'shard', (summary->>'feeds_polled')::int from pipeline_runs "
                              "order by started_at")
    assert runs == [("0/2", 3), ("1/2", 2)]


@pytest.mark.usefixtures("prefect_harness")
def test_queued_page_is_retried_by_its_feeds_shard_only(hosts_site: FaultServer, tmp_path: Path) -> None:
    """A failed page listed by a shard-1 feed but hosted on a shard-0 host is retried by shard 1, once."""
    from flows.poll_feeds import poll_feeds

    server = hosts_site
    failing = {"on": True}
    moved = f"http://127.0.0.1:{server.port}/elsewhere.html"  # host 127.0.0.1: shard 0's

    def flaky(h: object, s: FaultServer) -> None:
        if failing["on"]:
            send(h, 503, b"busy")  # type: ignore[arg-type]
        else:
            send(h, 200, article("Moved story"), {"Content-Type": HTML})  # type: ignore[arg-type]

    server.route("/elsewhere.html", flaky)
    feed_host = HOSTS[3]  # shard 1
    items = [(f"Story 3-{j}", f"http://{feed_host}:{server.port}{_page_path(3, j)}") for j in range(PAGES_PER_FEED)]
    server.route(_feed_path(3), static(rss([*items, ("Moved story", moved)], title="Feed 3")))
    feeds = _feeds_file(server, tmp_path / "feeds.toml")
    db = str(tmp_path / "retries.duckdb")
    for shard in ("0/2", "1/2"):
        poll_feeds(feeds=str(feeds), db=db, force=True, shard=shard)
    first_hits = server.hits["/elsewhere.html"]
    assert first_hits >= 1
    _, queued = store.query(db, "select url, status from page_failures")
    assert queued == [(moved, "retrying")]
    failing["on"] = False
    retried = {shard: poll_feeds(feeds=str(feeds), db=db, force=True, shard=shard)["pages_retried"]
               for shard in ("0/2", "1/2")}
    assert retried == {"0/2": 0, "1/2": 1}
    assert server.hits["/elsewhere.html"] == first_hits + 1
    _, stored = store.query(db, "select count(*) from articles where url = ?", [moved])
    assert stored == [(1,)]


@pytest.mark.parametrize(("args", "env", "line"), [
    (("--shard", "3/2"), {}, "capex: --shard 3/2: K must be below N"),
    (("--shard", "a/b"), {}, "capex: --shard a/b: not K/N"),
    (("--shard", "0/0"), {}, "capex: --shard 0/0: N must be at least 1"),
    ((), {"CAPEX_SHARD": "2/2"}, "capex: CAPEX_SHARD 2/2: K must be below N"),
])
def test_bad_shard_exits_2_with_one_line_before_prefect(args: tuple[str, ...], env: dict[str, str], line: str,
                                                        tmp_path: Path) -> None:
    """A bad shard is one `capex:` line and exit 2, before Prefect starts or a database is created."""
    feeds = write_feeds(tmp_path / "feeds.toml", "http://127.0.0.1:9/feed.xml")
    db = tmp_path / "never.duckdb"
    done = capex("poll", "--feeds", str(feeds), "--db", str(db), *args, env=env, timeout=60)
    lines = done.stderr.decode().strip().splitlines()
    assert done.returncode == 2
    assert len(lines) == 1 and lines[0].startswith(line), lines
    assert not db.exists()
