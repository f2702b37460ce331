"""Ill-formed feeds and XML attacks through the poller over HTTP: nothing crashes, hangs or leaks."""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tasks import store
from tasks.ingest.feeds import fetch_feed
from tasks.ingest.poll import error_poll, finish_feeds, plan_feed
from tasks.models import FeedConfig
from tests.support.faultserver import BILLION_LAUGHS, FaultServer, fault_server, rss, static, xxe_feed

# "Header:      Content-type: text/xml" in the file's header comment (feedparser's test harness)
_HEADER = re.compile(rb"^Header:\s*([A-Za-z-]+):\s*(.*?)\s*$", re.MULTILINE)


@pytest.fixture()
def server() -> Iterator[FaultServer]:
    """A fault server on 127.0.0.1 for one test."""
    with fault_server() as s:
        yield s


def _poll_all(db: str, urls: list[str]) -> None:
    """Poll each feed with the flow's plain functions (fetch, judge, record); pages are not fetched."""
    states = store.sync_feeds(db, [FeedConfig(name=u.rsplit("/", 1)[1], url=u) for u in urls])
    for state in states:
        started = store.utcnow()
        try:
            result = fetch_feed(state)
        except Exception as exc:  # noqa: BLE001 -- the flow's per-feed boundary
            store.write_batch(db, [], poll=error_poll(state, started, None, exc))
            continue
        finish_feeds(db, [(plan_feed(db, state, result, started, None), 0)])


def _all_text(db: str) -> str:
    """Every text column a feed can reach, concatenated."""
    _, rows = store.query(db, "select coalesce(string_agg(coalesce(title, '') || url, ' '), '') from feed_items "
                              "union all select coalesce(string_agg(coalesce(error, ''), ' '), '') from feed_polls "
                              "union all select coalesce(string_agg(coalesce(last_error, '') || name, ' '), '') "
                              "from feeds")
    return " ".join(r[0] for r in rows)


@pytest.mark.corpus
@pytest.mark.slow
def test_every_illformed_corpus_feed_is_polled_and_recorded(corpus: Path, server: FaultServer, db: str) -> None:
    """Each feeds-illformed file, served with its declared headers, gives exactly one recorded poll."""
    files = sorted((corpus / "feeds-illformed").rglob("*.xml"))
    assert files, "feeds-illformed is empty"
    urls = []
    for path in files:
        body = path.read_bytes()
        headers = {m.group(1).decode(): m.group(2).decode("latin-1") for m in _HEADER.finditer(body[:2000])}
        content_type = headers.pop("Content-type", headers.pop("Content-Type", None))
        urls.append(server.route(f"/{path.name}", static(body, headers=headers, content_type=content_type)))
    started = time.monotonic()
    _poll_all(db, urls)
    assert time.monotonic() - started < 60
    _, rows = store.query(
        db, "select f.url, p.status, p.items_seen, p.error from feed_polls p join feeds f using (feed_id)")
    assert sorted(r[0] for r in rows) == sorted(urls)  # one poll row per file, none lost
    by_status = {s: sum(1 for r in rows if r[1] == s) for s in ("ok", "error", "not_modified")}
    assert by_status["ok"] + by_status["error"] == len(files)
    # every error says why, in the poller's own words (no stray exception from a parser)
    reasons = ("not a feed:", "feed entries have no usable links", "refused:")
    assert all(r[3] and r[3].startswith(reasons) for r in rows if r[1] == "error"), rows
    assert by_status["ok"] >= 2


def test_billion_laughs_neither_hangs_nor_expands(server: FaultServer, db: str) -> None:
    """An entity-expansion feed is refused in milliseconds and no expanded text is stored."""
    url = server.route("/laughs.xml", static(BILLION_LAUGHS))
    started = time.monotonic()
    _poll_all(db, [url])
    assert time.monotonic() - started < 5
    _, rows = store.query(db, "select status, error from feed_polls")
    assert rows[0][0] == "error" and "ENTITY" in rows[0][1]
    assert "lollol" not in _all_text(db)


def test_external_entities_never_read_local_files(server: FaultServer, db: str, tmp_path: Path) -> None:
    """XXE feeds (file:// entities, in UTF-8 and UTF-16) store nothing of the local file, nor of /etc/passwd."""
    secret = tmp_path / "secret.txt"
    secret.write_text("TOP-SECRET-MARKER-4242", encoding="utf-8")
    urls = [
        server.route("/xxe.xml", static(xxe_feed(str(secret), server.url("/a")))),
        server.route("/passwd.xml", static(xxe_feed("/etc/passwd", server.url("/b")))),
        server.route("/xxe16.xml", static(xxe_feed(str(secret), server.url("/c")).decode().encode("utf-16"))),
        # a body that is just a local path: feedparser would open that file if handed the bytes
        server.route("/path.xml", static(str(tmp_path / "local-feed.xml").encode())),
    ]
    (tmp_path / "local-feed.xml").write_bytes(rss([("LOCAL-FILE-ITEM", "http://example.com/local")]))
    _poll_all(db, urls)
    text = _all_text(db)
    assert "TOP-SECRET-MARKER" not in text and "root:" not in text and "LOCAL-FILE-ITEM" not in text
    _, rows = store.query(db, "select count(*), count(*) filter (where status = 'error') from feed_polls")
    assert rows == [(4, 4)]


def test_entity_refusal_is_what_stops_xxe(server: FaultServer, db: str) -> None:
    """Without a DOCTYPE the same feed is accepted, so the refusal above is the entity check, not chance."""
    url = server.route("/plain.xml", static(rss([("fine", server.url("/fine"))])))
    _poll_all(db, [url])
    _, rows = store.query(db, "select status, items_seen from feed_polls")
    assert rows == [("ok", 1)]
