"""Network, HTTP and payload faults against a local fault server: bounded, recorded, never fatal."""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest

from tasks import store
from tasks.errors import FetchError
from tasks.ingest import feeds as feeds_mod
from tasks.ingest.http import FetchPolicy, fetch, make_client
from tasks.ingest.poll import error_poll, finish_feeds, plan_feed
from tasks.models import FeedConfig
from tests.support.faultserver import (
    FaultServer,
    bomb,
    compressed,
    drip,
    endless,
    fault_server,
    http_date,
    redirect,
    refuse_connection_port,
    rss,
    stall,
    static,
)

CAP = 1024 * 1024
DEADLINE = 1.5


@pytest.fixture()
def server() -> Iterator[FaultServer]:
    """A fault server on 127.0.0.1 for one test."""
    with fault_server() as s:
        yield s


def _get(url: str, deadline: float = DEADLINE, max_bytes: int = CAP) -> tuple[int | None, str]:
    """Fetch `url` with a short deadline; (status, "") on a response, (None, error) on a fault."""
    policy = FetchPolicy(trust_all=True, max_bytes=max_bytes, deadline_s=deadline)
    with make_client(policy) as client:
        try:
            return fetch(client, url, policy).http_status, ""
        except FetchError as exc:
            return None, str(exc)


@pytest.mark.parametrize("responder", [
    stall(after_headers=False), stall(after_headers=True), drip(0.1), drip(0.1, in_headers=True),
], ids=["stalled-headers", "stalled-body", "slow-drip-body", "slow-drip-headers"])
def test_stalls_and_slow_drips_stop_at_the_overall_deadline(server: FaultServer, responder: object) -> None:
    """A server that stalls or drips one byte at a time is cut off at the request deadline, not per read."""
    url = server.route("/slow", responder)  # type: ignore[arg-type]
    started = time.monotonic()
    status, error = _get(url)
    elapsed = time.monotonic() - started
    assert status is None and "timeout" in error
    assert DEADLINE - 0.1 <= elapsed < DEADLINE + 1.0


@pytest.mark.parametrize("responder,expected", [
    (endless(300 * 1024 * 1024), "cap"),
    (endless(300 * 1024 * 1024, declare_length=True), "Content-Length"),
    (bomb(64 * 1024 * 1024, "gzip"), "cap"),
    (bomb(64 * 1024 * 1024, "deflate"), "cap"),
    (bomb(64 * 1024 * 1024, "raw-deflate"), "cap"),
    (static(b"\x1f\x8b\x08\x00garbage", headers={"Content-Encoding": "gzip"}), "corrupt gzip"),
    (static(b"abc", headers={"Content-Encoding": "br"}), "unsupported Content-Encoding"),
], ids=["300MB", "300MB-declared", "gzip-bomb", "deflate-bomb", "raw-deflate-bomb", "corrupt-gzip", "brotli"])
def test_size_caps_count_decompressed_bytes(server: FaultServer, responder: object, expected: str) -> None:
    """Oversized, gzip- and deflate-bombed bodies stop at the cap of decompressed bytes, quickly."""
    url = server.route("/big", responder)  # type: ignore[arg-type]
    started = time.monotonic()
    status, error = _get(url, deadline=10)
    assert status is None and expected in error
    assert time.monotonic() - started < 3


@pytest.mark.parametrize("encoding", ["gzip", "deflate", "raw-deflate"])
def test_compressed_feeds_are_decoded(server: FaultServer, encoding: str) -> None:
    """gzip, zlib-deflate and raw-deflate bodies under the cap decode to the original bytes."""
    body = rss([("a", "http://example.com/a")])
    url = server.route("/z", compressed(body, encoding))
    policy = FetchPolicy(trust_all=True, max_bytes=CAP, deadline_s=DEADLINE)
    with make_client(policy) as client:
        assert fetch(client, url, policy).body == body


def test_network_faults_are_recorded_errors(server: FaultServer) -> None:
    """Refused connections, DNS failures, TLS errors, loops and long redirect chains raise FetchError."""
    server.route("/loop-a", redirect("/loop-b"))
    server.route("/loop-b", redirect("/loop-a", 301))
    for i in range(8):
        server.route(f"/hop{i}", redirect(f"/hop{i + 1}"))
    cases = {
        f"http://127.0.0.1:{refuse_connection_port()}/feed": "refused",
        "http://no-such-host.invalid/feed": "DNS lookup failed",
        f"https://127.0.0.1:{server.port}/feed": "TLS error",
        server.url("/loop-a"): "redirect loop",
        server.url("/hop0"): "more than 5 redirects",
        "ftp://127.0.0.1/feed": "unsupported URL",
    }
    for url, expected in cases.items():
        status, error = _get(url)
        assert status is None and expected in error, (url, error)


def _poll_once(db: str, url: str, allow_private: bool = False) -> None:
    """One feed's poll with the flow's plain functions: fetch, judge, record (no pages)."""
    state = store.sync_feeds(db, [FeedConfig(name=url, url=url)])[0]
    started = store.utcnow()
    try:
        result = feeds_mod.fetch_feed(state, allow_private=allow_private)
    except Exception as exc:  # noqa: BLE001 -- the flow's per-feed boundary
        store.write_batch(db, [], poll=error_poll(state, started, None, exc))
        return
    finish_feeds(db, [(plan_feed(db, state, result, started, None), 0)])


def _feed_row(db: str, url: str) -> tuple[object, ...]:
    _, rows = store.query(db, "select feed_id, url, is_active, consecutive_failures, next_poll_at, last_error "
                              "from feeds where url = ? or feed_id = (select max(feed_id) from feeds)", [url])
    return rows[0]


def test_retry_after_sets_next_poll_and_failures_accumulate(server: FaultServer, db: str) -> None:
    """429 and 503 with Retry-After (seconds or date) set next_poll_at; consecutive_failures counts up."""
    url429 = server.route("/429", static(b"slow down", 429, {"Retry-After": "7200"}))
    url503 = server.route("/503", static(b"busy", 503, {"Retry-After": http_date(3 * 3600)}))
    for _ in range(2):
        _poll_once(db, url429)
    _poll_once(db, url503)
    _, rows = store.query(db, "select url, consecutive_failures, next_poll_at - last_polled_at, last_error "
                              "from feeds order by feed_id")
    (_, fails429, wait429, err429), (_, fails503, wait503, _) = rows
    assert fails429 == 2 and fails503 == 1 and "429" in err429 and "7200" in err429
    assert timedelta(hours=2) - timedelta(seconds=5) <= wait429 <= timedelta(hours=2, seconds=5)
    assert timedelta(hours=3) - timedelta(seconds=10) <= wait503 <= timedelta(hours=3, seconds=5)
    _, polls = store.query(db, "select status, http_status from feed_polls order by poll_id")
    assert polls == [("error", 429), ("error", 429), ("error", 503)]


def test_4xx_5xx_and_garbage_feeds_are_recorded(server: FaultServer, db: str) -> None:
    """404, 500, HTML, binary, empty and truncated feeds each leave one feed_polls row with its reason."""
    good = rss([("a", "http://example.com/a"), ("b", "http://example.com/b")])
    cases = {
        "/404": (static(b"nope", 404), "error", "HTTP 404"),
        "/500": (static(b"oops", 500), "error", "HTTP 500"),
        "/html": (static(b"<html><body><p>hello</p></body></html>", content_type="text/html"), "error", "not a feed"),
        "/binary": (static(bytes(range(256)) * 64, content_type="application/octet-stream"), "error", "not a feed"),
        "/empty": (static(b""), "error", "empty body"),
        "/truncated": (static(good[: good.index(b"</item>") + 7]), "ok", None),
        "/wrong-charset": (static(good.decode().encode("utf-16"), content_type="application/rss+xml; charset=koi8-r"),
                           None, None),
    }
    for path, (responder, _, _) in cases.items():
        _poll_once(db, server.route(path, responder))
    _, rows = store.query(db, "select f.url, p.status, p.error from feed_polls p join feeds f using (feed_id)")
    outcome = {url.rsplit("/", 1)[1]: (status, error) for url, status, error in rows}
    assert len(rows) == len(cases)
    for path, (_, status, error) in cases.items():
        got_status, got_error = outcome[path.lstrip("/")]
        assert status is None or got_status == status, (path, got_status, got_error)
        assert error is None or error in (got_error or ""), (path, got_error)


def test_permanent_redirect_stores_new_url_and_410_stops_the_feed(server: FaultServer, db: str) -> None:
    """A 301/308 chain moves the feed to its new URL; 410 deactivates it with a message saying so."""
    server.route("/new-feed", static(rss([("a", "http://example.com/a")])))
    server.route("/moved", redirect("/moved-again", 301))
    server.route("/moved-again", redirect("/new-feed", 308))
    _poll_once(db, server.url("/moved"))
    _, rows = store.query(db, "select url, last_status from feeds")
    assert rows == [(server.url("/new-feed"), "ok")]
    again = store.sync_feeds(db, [FeedConfig(name="moved", url=server.url("/moved"))])
    assert again[0].url == server.url("/new-feed")  # the moved feed keeps its row and its history
    assert store.table_counts(db)["feeds"] == 1
    gone = server.route("/gone", static(b"gone", 410))
    _poll_once(db, gone)
    _, rows = store.query(db, "select is_active, last_status, last_error from feeds where url = ?", [gone])
    is_active, status, error = rows[0]
    assert not is_active and status == "error" and "410" in error and "polling stopped" in error
    state = store.sync_feeds(db, [FeedConfig(name="gone", url=gone)])[0]
    assert not store.is_due(state, store.utcnow() + timedelta(days=365))


def test_feed_redirect_to_another_private_host_is_blocked(server: FaultServer, db: str) -> None:
    """A trusted feed URL that redirects to another private host:port is refused unless private networks are allowed."""
    with fault_server() as other:
        target = other.route("/feed", static(rss([("a", "http://example.com/a")])))
        url = server.route("/hop", redirect(target))
        _poll_once(db, url)
        assert other.hits["/feed"] == 0
        _, rows = store.query(db, "select last_error from feeds")
        assert "blocked" in rows[0][0]
        _poll_once(str(Path(db).with_name("b.duckdb")), url, allow_private=True)
        assert other.hits["/feed"] == 1
