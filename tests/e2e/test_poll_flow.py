"""End-to-end: the poll-feeds flow under Prefect's test harness against a local site."""

from __future__ import annotations

from pathlib import Path

import pytest

from tasks import store
from tests.support.records import write_feeds

pytestmark = pytest.mark.usefixtures("prefect_harness")


def _poll(feeds: Path, db: str, force: bool = True) -> dict[str, object]:
    from flows.poll_feeds import poll_feeds

    return poll_feeds(feeds=str(feeds), db=db, force=force)


def test_poll_stores_articles_facts_and_polls(site: str, db: str, tmp_path: Path) -> None:
    """One poll stores each article once (across two feeds), its facts, raw HTML and every poll."""
    feeds = write_feeds(tmp_path / "feeds.toml", f"{site}/feed.xml", f"{site}/feed2.atom")
    summary = _poll(feeds, db)
    counts = store.table_counts(db)
    assert summary["feeds_polled"] == 2 and summary["feeds_failed"] == 0
    assert summary["new_articles"] == 2 and summary["pages_failed"] == 1
    assert (counts["articles"], counts["article_raw"], counts["feed_polls"]) == (2, 2, 2)
    _, rows = store.query(db, "select url, is_capex, language, published_at is not null from articles order by url")
    assert rows == [
        (f"{site}/articles/ferry.html", False, "en", True),
        (f"{site}/articles/northwind-capex.html", True, "en", True),
    ]
    _, facts = store.query(db, "select count(*) from facts where amount_usd = 80e9")
    assert facts[0][0] >= 1
    _, failures = store.query(db, "select url, http_status from page_failures")
    assert failures == [(f"{site}/articles/missing.html", 404)]
    _, polls = store.query(db, "select status, http_status, items_seen from feed_polls order by feed_id")
    assert polls == [("ok", 200, 3), ("ok", 200, 1)]


def test_second_poll_is_conditional_and_adds_nothing(site: str, db: str, tmp_path: Path) -> None:
    """A second poll sends the stored ETag, gets 304 and adds no article, fact or item rows."""
    feeds = write_feeds(tmp_path / "feeds.toml", f"{site}/feed.xml", f"{site}/feed2.atom")
    _poll(feeds, db)
    before = store.table_counts(db)
    summary = _poll(feeds, db)
    after = store.table_counts(db)
    assert summary["feeds_not_modified"] == 2 and summary["new_articles"] == 0
    assert {k: v for k, v in after.items() if k != "feed_polls"} == {
        k: v for k, v in before.items() if k != "feed_polls"}
    assert after["feed_polls"] == before["feed_polls"] + 2
    _, rows = store.query(db, "select etag is not null, last_status from feeds order by feed_id")
    assert rows == [(True, "not_modified"), (True, "not_modified")]


def test_feeds_not_due_are_skipped(site: str, db: str, tmp_path: Path) -> None:
    """Without --force a feed polled a moment ago is not polled again."""
    feeds = write_feeds(tmp_path / "feeds.toml", f"{site}/feed.xml")
    _poll(feeds, db, force=False)
    summary = _poll(feeds, db, force=False)
    assert summary["feeds_polled"] == 0
    assert store.table_counts(db)["feed_polls"] == 1


def test_unreachable_feed_is_recorded_and_others_go_on(site: str, db: str, tmp_path: Path) -> None:
    """A feed on a closed port is an error poll with a message; the good feed is still ingested."""
    feeds = write_feeds(tmp_path / "feeds.toml", "http://127.0.0.1:9/feed.xml", f"{site}/feed.xml")
    summary = _poll(feeds, db)
    assert summary["feeds_failed"] == 1 and summary["new_articles"] == 2, str(summary)
    _, rows = store.query(db, "select f.url, p.status, p.error is not null, f.consecutive_failures "
                              "from feed_polls p join feeds f using (feed_id) order by f.feed_id")
    assert rows[0] == ("http://127.0.0.1:9/feed.xml", "error", True, 1)
    assert rows[1][1] == "ok"
