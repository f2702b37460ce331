"""No page left behind (issue 17): every item a feed listed is stored, queued for retry, or given up
with a reason, also when batches fail on a full disk or a held lock, and the next polls store it."""

from __future__ import annotations

import fcntl
import subprocess
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
import zstandard

from tasks import store
from tasks.store import rawstore
from tests.support.cli import capex
from tests.support.faultserver import FaultServer, article, fault_server, rss, send, static
from tests.support.records import write_feeds

HTML = "text/html; charset=utf-8"

pytestmark = [pytest.mark.usefixtures("prefect_harness"), pytest.mark.slow]


# ---------------------------------------------------------------- helpers


@contextmanager
def tmpfs(path: Path, size: str) -> Iterator[Path]:
    """A tmpfs of `size` mounted at `path` (skips the test where mounting is not permitted)."""
    path.mkdir(parents=True, exist_ok=True)
    done = subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(path)],
                          capture_output=True, text=True, check=False)
    if done.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here ({done.stderr.strip() or 'mount failed'}): needs root")
    try:
        yield path
    finally:
        subprocess.run(["umount", "-l", str(path)], check=False)


def fill(directory: Path) -> Path:
    """Fill the filesystem of `directory` to the last byte with one file; delete it to free the space."""
    filler = directory / "filler.bin"
    with open(filler, "wb") as handle:
        try:
            while True:
                handle.write(b"\0" * 65536)
                handle.flush()
        except OSError:
            pass
    return filler


def etag_feed(items: list[tuple[str, str]], etag: str) -> Any:
    """An RSS feed answering 304 to a request that sends its ETag back."""
    body = rss(items)

    def respond(h: Any, s: FaultServer) -> None:
        if h.headers.get("If-None-Match") == etag:
            send(h, 304, b"", {"ETag": etag})
        else:
            send(h, 200, body, {"Content-Type": "application/rss+xml", "ETag": etag})
    return respond


def serve_feeds(server: FaultServer, n_feeds: int, n_pages: int, prefix: str = "") -> dict[str, bytes]:
    """Register `n_feeds` ETag feeds of `n_pages` articles each; returns URL -> the page's HTML."""
    pages: dict[str, bytes] = {}
    for f in range(n_feeds):
        items = []
        for i in range(n_pages):
            html = article(f"Feed {f} story {i}")
            url = server.route(f"/{prefix}f{f}/a{i}.html", static(html, content_type=HTML))
            pages[url] = html
            items.append((f"Feed {f} story {i}", url))
        server.route(f"/{prefix}f{f}/feed.xml", etag_feed(items, f'"{prefix}v{f}"'))
    return pages


def assert_all_stored_once(db: str, pages: dict[str, bytes]) -> None:
    """Every page is one article row whose raw HTML in its pack is byte-identical to what was served."""
    _, rows = store.query(db, "select url, count(*) from articles group by url")
    assert dict(rows) == dict.fromkeys(pages, 1)
    for url, html in pages.items():
        stored = store.stored_pages(db, [store.article_id_for(url)])
        blob = rawstore.load(db, stored[0][7])
        assert zstandard.ZstdDecompressor().decompress(blob, max_output_size=1 << 24) == html


def queue(db: str) -> dict[str, tuple[str, int]]:
    """url -> (status, n_attempts) of the retry queue."""
    _, rows = store.query(db, "select url, status, n_attempts from page_retry_queue")
    return {r[0]: (r[1], r[2]) for r in rows}


def _capex(*args: str) -> subprocess.CompletedProcess[str]:
    """The capex command in a child process against this session's Prefect test server, output as text."""
    from prefect.settings import PREFECT_API_URL

    done = capex(*args, env={"PREFECT_API_URL": str(PREFECT_API_URL.value())})
    return subprocess.CompletedProcess(done.args, done.returncode, done.stdout.decode(), done.stderr.decode())


def poll(feeds: Path, db: str, force: bool = False) -> dict[str, Any]:
    """One poll-feeds run in this process."""
    from flows.poll_feeds import poll_feeds

    return poll_feeds(feeds=str(feeds), db=db, force=force)


# ---------------------------------------------------------------- tests


def test_full_pack_filesystem_then_freed_stores_every_page(tmp_path: Path) -> None:
    """Batches failing on a full pack filesystem leave their pages queued beside the saved ETags; once
    space is freed, a normal poll stores every page exactly once with byte-identical raw HTML."""
    db = str(tmp_path / "capex.duckdb")
    with fault_server() as server, tmpfs(rawstore.pack_dir(db), "512k") as packs:
        pages = serve_feeds(server, n_feeds=3, n_pages=60)
        feeds = write_feeds(tmp_path / "feeds.toml", *[server.url(f"/f{f}/feed.xml") for f in range(3)],
                            allow_private=True)
        filler = fill(packs)
        first = poll(feeds, db)
        assert first["batches_failed"] >= 1 and first["pages_queued"] == len(pages) - first["new_articles"]
        _, etags = store.query(db, "select etag from feeds order by feed_id")
        assert etags == [('"v0"',), ('"v1"',), ('"v2"',)]  # validators saved: safe, the pages are queued
        assert set(queue(db)) | {u for u in pages if u in _stored(db)} == set(pages)
        _, runs = store.query(db, "select status from pipeline_runs")
        assert runs == [("completed_with_errors",)]

        filler.unlink()
        second = poll(feeds, db)
        assert second["pages_retried"] == first["pages_queued"] and second["batches_failed"] == 0
        assert_all_stored_once(db, pages)
        assert queue(db) == {}
        third = poll(feeds, db, force=True)  # the feeds answer 304 and nothing is stored twice
        assert third["feeds_not_modified"] == 3 and third["new_articles"] == 0
        assert_all_stored_once(db, pages)


def _stored(db: str) -> set[str]:
    _, rows = store.query(db, "select url from articles")
    return {r[0] for r in rows}


def test_full_database_filesystem_fails_the_run_in_one_line_and_recovers(tmp_path: Path) -> None:
    """With the database's filesystem filled during a poll, `capex poll` exits 1 with one line naming the
    database and the error; after space is freed the next poll stores every page and closes the failed run."""
    data = tmp_path / "data"
    with fault_server() as server, tmpfs(data, "24m"):
        db = str(data / "capex.duckdb")
        pages = serve_feeds(server, n_feeds=2, n_pages=60)
        feeds = write_feeds(tmp_path / "feeds.toml", *[server.url(f"/f{f}/feed.xml") for f in range(2)],
                            allow_private=True)
        store.init_db(db)
        filled: list[Path] = []

        def fill_on_first_page(h: Any, s: FaultServer) -> None:
            if not filled:
                filled.append(fill(data))
            send(h, 200, article("Trigger"), {"Content-Type": HTML})
        server.route("/f0/a0.html", fill_on_first_page)
        pages[server.url("/f0/a0.html")] = article("Trigger")

        failed = _capex("poll", "--feeds", str(feeds), "--db", db)
        assert failed.returncode == 1, failed.stderr[-2000:]
        errors = [line for line in failed.stderr.splitlines() if line.startswith("capex:")]
        assert len(errors) == 1 and db in errors[0] and "No space left" in errors[0], failed.stderr[-2000:]
        assert "Traceback" not in failed.stderr

        filled[0].unlink()
        ok = _capex("poll", "--feeds", str(feeds), "--db", db)
        assert ok.returncode == 0, ok.stderr[-2000:]
        assert_all_stored_once(db, pages)
        _, runs = store.query(db, "select status from pipeline_runs order by started_at")
        assert [r[0] for r in runs] == ["failed", "completed"]


@contextmanager
def lock_held_from_first_page(server: FaultServer, db: str, pages: dict[str, bytes],
                              monkeypatch: pytest.MonkeyPatch) -> Iterator[list[float]]:
    """"Another writer" takes the writers' lock when the first page is fetched; the first writer of the run
    that times out on it releases it, synchronously, before raising its StoreError. Yields the times at which
    writers of the run timed out on the lock (a minute's safety release keeps a stuck run from hanging)."""
    lock_path = Path(db + ".lock")
    monkeypatch.setattr(store.connect, "WRITER_LOCK_TIMEOUT_S", 0.5)
    guard = threading.Lock()
    held: list[Any] = []
    released = threading.Event()
    timeouts: list[float] = []
    writer_lock = store.connect._writer_lock

    def release() -> None:
        with guard:
            if held and not released.is_set():
                fcntl.flock(held[0].fileno(), fcntl.LOCK_UN)
                released.set()

    @contextmanager
    def releasing_writer_lock(path: Path, timeout_s: float) -> Iterator[None]:
        acquired = False
        try:
            with writer_lock(path, timeout_s):
                acquired = True
                yield
        except store.StoreError:
            if not acquired:
                timeouts.append(time.monotonic())
                release()
            raise

    def hold_lock_on_first_page(h: Any, s: FaultServer) -> None:
        with guard:
            if not held:
                handle = open(lock_path, "a+b")  # noqa: SIM115 -- held across requests, closed below
                fcntl.flock(handle.fileno(), fcntl.LOCK_EX)
                held.append(handle)
                threading.Thread(target=lambda: released.wait(60) or release(), daemon=True).start()
        send(h, 200, pages[s.url(h.path)], {"Content-Type": HTML})

    monkeypatch.setattr(store.connect, "_writer_lock", releasing_writer_lock)
    for url in pages:
        server.route(url.removeprefix(server.base), hold_lock_on_first_page)
    try:
        yield timeouts
    finally:
        release()
        if held:
            held[0].close()


def poll_with_lock_held(server: FaultServer, tmp_path: Path, db: str, monkeypatch: pytest.MonkeyPatch,
                        ) -> tuple[dict[str, bytes], Path, dict[str, Any], list[float]]:
    """One poll of a feed of ten pages, the writers' lock held from its first page fetch (see above).
    Returns the pages, the feeds file, the run's summary and the writers' lock timeouts."""
    pages = serve_feeds(server, n_feeds=1, n_pages=10)
    feeds = write_feeds(tmp_path / "feeds.toml", server.url("/f0/feed.xml"), allow_private=True)
    store.init_db(db)
    with lock_held_from_first_page(server, db, pages, monkeypatch) as timeouts:
        return pages, feeds, poll(feeds, db), timeouts


def test_batch_failing_on_a_held_write_lock_is_queued_and_stored_by_the_next_poll(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A batch whose commit waits past the writers' lock timeout, with Prefect's retry of it turned off,
    is queued whole; the run still ends and commits its queue, and the next poll stores every page once."""
    import flows.poll_feeds
    from tasks.ingest.poll import ingest_batch_task

    monkeypatch.setattr(flows.poll_feeds, "ingest_batch_task", ingest_batch_task.with_options(retries=0))
    db = str(tmp_path / "capex.duckdb")
    with fault_server() as server:
        pages, feeds, first, timeouts = poll_with_lock_held(server, tmp_path, db, monkeypatch)
        assert len(timeouts) == 1
        assert first["batches_failed"] == 1 and first["new_articles"] == 0
        assert any("another writer held" in f for f in first["failures"])
        queued = queue(db)
        assert set(queued) == set(pages) and {status for status, _ in queued.values()} == {"retrying"}
        _, runs = store.query(db, "select status from pipeline_runs")
        assert runs == [("completed_with_errors",)]
        second = poll(feeds, db)
        assert second["pages_retried"] == len(pages) and second["batches_failed"] == 0
        assert_all_stored_once(db, pages)
        assert queue(db) == {}


def test_batch_failing_on_a_held_write_lock_is_retried_by_prefect_within_the_run(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A StoreError is a transient failure: Prefect retries the batch (ingest-pages' retry condition), and
    the retry, finding the lock free, stores every page in the same run with nothing queued."""
    db = str(tmp_path / "capex.duckdb")
    with fault_server() as server:
        pages, feeds, first, timeouts = poll_with_lock_held(server, tmp_path, db, monkeypatch)
        assert len(timeouts) == 1
        assert first["batches_failed"] == 0 and first["new_articles"] == len(pages), first["failures"]
        assert queue(db) == {}
        assert_all_stored_once(db, pages)


def test_page_failing_twice_with_503_then_succeeding(tmp_path: Path) -> None:
    """A page answering 503 twice is queued with its attempts counted and stored by a later poll;
    a 404 is given up at once with its reason, and both show in feed_health."""
    db = str(tmp_path / "capex.duckdb")
    with fault_server() as server:
        flaky, gone = server.url("/flaky.html"), server.url("/gone.html")

        def flaky_page(h: Any, s: FaultServer) -> None:
            if s.hits["/flaky.html"] <= 2:
                send(h, 503, b"busy", {"Content-Type": "text/plain"})
            else:
                send(h, 200, article("Flaky"), {"Content-Type": HTML})
        server.route("/flaky.html", flaky_page)
        server.route("/feed.xml", etag_feed([("Flaky", flaky), ("Gone", gone)], '"e1"'))
        feeds = write_feeds(tmp_path / "feeds.toml", server.url("/feed.xml"), allow_private=True)

        poll(feeds, db)
        assert queue(db) == {flaky: ("retrying", 1), gone: ("given_up", 1)}
        _, health = store.query(db, "select pages_retrying, pages_given_up, etag from feed_health join feeds "
                                    "using (feed_id)")
        assert health == [(1, 1, '"e1"')]
        poll(feeds, db)  # the first retry is due at the next poll; the page answers 503 again
        assert queue(db) == {flaky: ("retrying", 2), gone: ("given_up", 1)}
        _, due = store.query(db, "select is_due, next_attempt_at > now() at time zone 'UTC' from page_retry_queue "
                                 "where url = ?", [flaky])
        assert due == [(False, True)]  # backed off: not due at once after the second failure
        poll(feeds, db, force=True)  # --force retries queued pages before their time
        assert queue(db) == {gone: ("given_up", 1)}
        assert _stored(db) == {flaky}
        assert server.hits["/gone.html"] == 1  # a given-up page is not fetched again


def test_backfill_pages_use_the_same_retry_queue(tmp_path: Path) -> None:
    """A page of a URL-list backfill that fails transiently is queued (trusted, with its backfill) and
    stored by the next poll."""
    from flows.backfill import backfill

    db = str(tmp_path / "capex.duckdb")
    with fault_server() as server:
        flaky = server.url("/flaky.html")
        steady = server.route("/steady.html", static(article("Steady"), content_type=HTML))

        def flaky_page(h: Any, s: FaultServer) -> None:
            if s.hits["/flaky.html"] == 1:
                send(h, 502, b"bad gateway", {"Content-Type": "text/plain"})
            else:
                send(h, 200, article("Flaky"), {"Content-Type": HTML})
        server.route("/flaky.html", flaky_page)
        server.route("/feed.xml", etag_feed([], '"empty"'))
        url_file = tmp_path / "urls.txt"
        url_file.write_text(f"{flaky}\n{steady}\n", encoding="utf-8")

        first = backfill(urls=str(url_file), db=db, feeds=None)
        assert first["new_articles"] == 1 and first["pages_failed"] == 1
        _, rows = store.query(db, "select url, status, is_trusted, backfill_id is not null from page_failures")
        assert rows == [(flaky, "retrying", True, True)]
        poll(write_feeds(tmp_path / "feeds.toml", server.url("/feed.xml"), allow_private=True), db)
        assert _stored(db) == {flaky, steady} and queue(db) == {}
        _, runs = store.query(db, "select flow, status from pipeline_runs order by started_at")
        assert runs == [("backfill", "completed"), ("poll-feeds", "completed")]


def test_backfill_with_a_failed_batch_ends_with_errors_and_a_rerun_takes_it(tmp_path: Path) -> None:
    """A backfill whose batch fails on a full pack filesystem ends completed_with_errors with its URLs
    pending; once space is freed, running it again stores them."""
    from flows.backfill import backfill

    db = str(tmp_path / "capex.duckdb")
    with fault_server() as server, tmpfs(rawstore.pack_dir(db), "256k") as packs:
        pages = {server.route(f"/b{i}.html", static(article(f"Backfilled {i}"), content_type=HTML)):
                 article(f"Backfilled {i}") for i in range(5)}
        url_file = tmp_path / "urls.txt"
        url_file.write_text("\n".join(pages) + "\n", encoding="utf-8")
        filler = fill(packs)
        first = backfill(urls=str(url_file), db=db, feeds=None)
        assert first["batches_failed"] == 1 and first["new_articles"] == 0
        _, rows = store.query(db, "select status, n_done, n_discovered from backfills")
        assert rows == [("completed_with_errors", 0, 5)]
        filler.unlink()
        second = backfill(urls=str(url_file), db=db, feeds=None)
        assert second["resumed"] and second["new_articles"] == 5
        assert_all_stored_once(db, pages)
        _, rows = store.query(db, "select status, n_done from backfills")
        assert rows == [("completed", 5)]
        _, runs = store.query(db, "select status from pipeline_runs order by started_at")
        assert runs == [("completed_with_errors",), ("completed",)]


def test_a_slow_feed_spends_its_page_budget_and_the_rest_waits_for_the_next_run(tmp_path: Path) -> None:
    """Pages a feed lists beyond its per-run page budget are queued at no attempt's cost, and stored next run."""
    db = str(tmp_path / "capex.duckdb")
    with fault_server() as server:
        pages: dict[str, bytes] = {}
        for i in range(20):
            html = article(f"Slow story {i}")

            def slow(h: Any, s: FaultServer, html: bytes = html) -> None:
                time.sleep(1.5)
                send(h, 200, html, {"Content-Type": HTML})
            pages[server.route(f"/s/{i}.html", slow)] = html
        server.route("/feed.xml", etag_feed([(f"Slow story {i}", u) for i, u in enumerate(pages)], '"s"'))
        feeds = write_feeds(tmp_path / "feeds.toml", server.url("/feed.xml"), allow_private=True)
        from flows.poll_feeds import poll_feeds

        first = poll_feeds(feeds=str(feeds), db=db, page_budget_s=0.5)
        # the first FETCH_CONCURRENCY pages started before the budget ran out; the others waited
        assert first["new_articles"] == 8 and first["pages_deferred"] == 12 and first["pages_failed"] == 0
        assert set(queue(db).values()) == {("retrying", 0)}
        second = poll(feeds, db)
        assert second["pages_retried"] == 12
        assert_all_stored_once(db, pages)


def test_undated_backfill_urls_are_windowed_by_the_date_of_their_page(tmp_path: Path) -> None:
    """URL-list entries without a date are kept or dropped by --since/--until once their page gives its date."""
    from flows.backfill import backfill

    db = str(tmp_path / "capex.duckdb")
    with fault_server() as server:
        urls = []
        for day in ("2025-01-05", "2025-03-05", "2025-06-05"):
            html = article(f"Dated {day}").replace(
                b"<head>", f"<head><meta property='article:published_time' content='{day}T09:00:00Z'>".encode())
            urls.append(server.route(f"/{day}.html", static(html, content_type=HTML)))
        url_file = tmp_path / "urls.txt"
        url_file.write_text("\n".join(urls) + "\n", encoding="utf-8")
        summary = backfill(urls=str(url_file), db=db, feeds=None, since="2025-02-01", until="2025-04-30")
        assert summary["out_of_window"] == 2
        _, rows = store.query(db, "select url, cast(published_at as date) from articles")
        assert [(u, str(d)) for u, d in rows] == [(urls[1], "2025-03-05")]
