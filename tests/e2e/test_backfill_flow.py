"""End-to-end: the backfill flow under Prefect's test harness against a generated site."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

import pytest

from tasks import store
from tasks.errors import ConfigError
from tests.support.records import write_feeds
from tests.support.site import Site, serve_site

pytestmark = pytest.mark.usefixtures("prefect_harness")


@pytest.fixture()
def gazette() -> Iterator[tuple[Site, str]]:
    """A 12-article site with archives, WordPress paging and sitemaps on 127.0.0.1."""
    site = Site()
    with serve_site(site) as base:
        yield site, base


def _backfill(**params: object) -> dict[str, object]:
    from flows.backfill import backfill

    return backfill(**params)  # type: ignore[arg-type]


def test_feed_archive_backfill_respects_since_and_is_idempotent(gazette: tuple[Site, str], db: str,
                                                                tmp_path: Path) -> None:
    """Walking the RFC 5005 chain back to `since` stores exactly the articles in the window, once."""
    _site, base = gazette
    feeds = write_feeds(tmp_path / "feeds.toml", f"{base}/archive/1.xml")
    first = _backfill(feeds=str(feeds), db=db, since="2025-02-24")
    second = _backfill(feeds=str(feeds), db=db, since="2025-02-24")
    _, rows = store.query(db, "select min(published_at), count(*) from articles")
    assert first["new_articles"] == 6 and first["pages_failed"] == 0
    assert second["new_articles"] == 0 and second["already_stored"] == 6
    assert rows == [(datetime(2025, 2, 24), 6)]


def test_wordpress_paged_feed_is_followed(gazette: tuple[Site, str], db: str, tmp_path: Path) -> None:
    """A WordPress feed without archive links is paged with ?paged=N until it runs out."""
    _site, base = gazette
    feeds = write_feeds(tmp_path / "feeds.toml", f"{base}/wp/feed/")
    summary = _backfill(feeds=str(feeds), db=db)
    assert summary["new_articles"] == 12


def test_archive_loop_is_reported_not_followed(gazette: tuple[Site, str], db: str, tmp_path: Path) -> None:
    """An archive chain that loops stops with a recorded error; what it listed is still stored."""
    _site, base = gazette
    feeds = write_feeds(tmp_path / "feeds.toml", f"{base}/loop/a.xml")
    summary = _backfill(feeds=str(feeds), db=db)
    assert summary["new_articles"] == 2
    assert any("loops" in f for f in summary["failures"])  # type: ignore[union-attr]
    _, rows = store.query(db, "select status, array_length(errors) from backfills")
    assert rows == [("completed", 1)]


def test_sitemap_index_with_news_sitemap_and_broken_child(gazette: tuple[Site, str], db: str) -> None:
    """Sitemap index children (plain and news) are filtered by date; a non-XML child is reported."""
    _site, base = gazette
    summary = _backfill(sitemap=f"{base}/sitemap.xml", db=db, since="2025-02-25", until="2025-02-28")
    _, rows = store.query(db, "select url from articles order by url")
    assert [r[0].rsplit("/", 1)[1] for r in rows] == ["1.html", "2.html", "3.html", "4.html"]
    assert any("not a sitemap" in f for f in summary["failures"])  # type: ignore[union-attr]


def test_url_file_skips_junk_lines(gazette: tuple[Site, str], db: str, tmp_path: Path) -> None:
    """A URL list with junk lines ingests the good URLs and reports each junk line."""
    _site, base = gazette
    url_file = tmp_path / "urls.txt"
    url_file.write_text(f"{base}/news/0.html\nnot a url\n\n# comment\nftp://x/y\n{base}/news/1.html?utm_source=x\n"
                        f"{base}/news/1.html\n")
    summary = _backfill(urls=str(url_file), db=db)
    assert summary["new_articles"] == 2
    assert sum("not an http(s) URL" in f for f in summary["failures"]) == 2  # type: ignore[union-attr]


def test_csv_url_file_with_dates_respects_window(gazette: tuple[Site, str], db: str, tmp_path: Path) -> None:
    """A CSV URL list with published dates keeps only rows inside [since, until]."""
    _site, base = gazette
    url_file = tmp_path / "urls.csv"
    url_file.write_text(f"url,published\n{base}/news/0.html,2025-03-01\n{base}/news/5.html,2025-02-24\n"
                        f"{base}/news/6.html,yesterday\n")
    summary = _backfill(urls=str(url_file), db=db, since="2025-02-28")
    # 0.html is in the window; 6.html's date in the list is not understood, so it is fetched, and
    # dropped once its page says 2025-02-23
    assert summary["new_articles"] == 1 and summary["out_of_window"] == 1
    assert any("not understood" in f for f in summary["failures"])  # type: ignore[union-attr]


def test_resume_continues_from_the_checkpoint(gazette: tuple[Site, str], db: str, tmp_path: Path) -> None:
    """A backfill whose queue is half done re-fetches only the pending URLs when started again."""
    from tasks.ingest.backfill import backfill_id, parse_window, read_url_file

    site, base = gazette
    url_file = tmp_path / "urls.txt"
    url_file.write_text("".join(f"{base}/news/{i}.html\n" for i in range(6)))
    params = {"urls": str(url_file.resolve()), "since": None, "until": None}
    bid = backfill_id("urls", params)
    found = read_url_file(url_file, parse_window(None, None))
    store.start_backfill(db, bid, "urls", params)
    store.enqueue_backfill(db, bid, list(found.urls.values()), [])
    store.mark_backfill_done(db, bid, [f"{base}/news/{i}.html" for i in range(3)], 0, 0)  # "interrupted"
    summary = _backfill(urls=str(url_file), db=db)
    assert summary["resumed"] is True and summary["urls_pending_at_start"] == 3
    assert summary["new_articles"] == 3
    assert [site.hits.get(f"/news/{i}.html", 0) for i in range(6)] == [0, 0, 0, 1, 1, 1]


def _store_old_articles(db: str, n: int) -> list[str]:
    """Store n AI-capex articles analysed by an older extractor version; return their URLs."""
    import zstandard

    from tasks.models import Analysis, Article, Classification, Fact
    from tests.support.site import article_html

    old_fact = Fact(("Contoso",), 1e9, None, None, "USD", 1e9, None, None, None, "capex", "actual", None,
                    "old", 0, 3)
    articles = []
    for i in range(n):
        url = f"https://offline.invalid/{i}"
        html = article_html(i, datetime(2025, 3, 1), capex=True)
        articles.append(Article(store.article_id_for(url), url, None, None, None, None, None, datetime(2025, 3, 1),
                                datetime(2025, 3, 2), "en", "", zstandard.compress(html),
                                Analysis(Classification(True, 1.0), (old_fact,), "rules-0.0-old")))
    store.write_batch(db, articles)
    return [a.url for a in articles]


def test_reprocess_replaces_older_facts_without_network(db: str) -> None:
    """Reprocessing stored raw HTML moves every article to the current extractor version, offline."""
    from tasks.extract.extractor import get_extractor

    _store_old_articles(db, 5)
    summary = _backfill(reprocess=True, db=db)
    version = get_extractor().version
    _, versions = store.query(db, "select distinct extractor_version from facts")
    _, article_versions = store.query(db, "select distinct extractor_version from articles")
    _, stories = store.query(db, "select count(*) from capex_stories")
    assert summary["articles_reprocessed"] == 5 and summary["articles_failed"] == 0
    assert versions == [(version,)] and article_versions == [(version,)]
    assert stories == [(5,)]
    again = _backfill(reprocess=True, db=db)
    assert again["articles_reprocessed"] == 0


def test_reprocess_reports_a_page_cut_off_its_pack_and_goes_on(db: str) -> None:
    """A pack truncated inside the last page fails that article only, with the reason; the others are done."""
    from tasks.store import rawstore

    urls = _store_old_articles(db, 4)
    _, rows = store.query(db, "select pack, max(pack_offset) from article_raw group by pack")
    pack, last_offset = rows[0]
    with open(rawstore.pack_dir(db) / pack, "r+b") as handle:
        handle.truncate(last_offset + 10)
    summary = _backfill(reprocess=True, db=db)
    _, damaged = store.query(db, "select a.url from articles a join article_raw r using (article_id) "
                                 "where r.pack_offset = ?", [last_offset])
    assert summary["articles_reprocessed"] == 3 and summary["articles_failed"] == 1
    assert damaged[0][0] in urls
    assert any(damaged[0][0] in f and "stored HTML unreadable" in f and "ends before" in f
               for f in summary["failures"])  # type: ignore[attr-defined]


@pytest.mark.parametrize(("since", "until", "message"), [
    ("2025-13-01", None, "--since"), (None, "soon", "--until"), ("2025-03-02", "2025-03-01", "after"),
])
def test_bad_dates_are_config_errors(db: str, since: str | None, until: str | None, message: str) -> None:
    """Unparseable dates and since after until raise a ConfigError naming the problem."""
    with pytest.raises(ConfigError, match=message):
        _backfill(reprocess=True, db=db, since=since, until=until)


def test_archive_longer_than_the_page_cap_is_cut_with_a_recorded_error(gazette: tuple[Site, str],
                                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    """An archive chain longer than MAX_FEED_PAGES keeps what the walked pages listed and says where it stopped."""
    import tasks.ingest.backfill as backfill_tasks

    _site, base = gazette
    monkeypatch.setattr(backfill_tasks, "MAX_FEED_PAGES", 2)
    found = backfill_tasks.discover_feed_history([f"{base}/archive/1.xml"], backfill_tasks.parse_window(None, None),
                                                 allow_private=False)
    assert len(found.urls) == 8
    assert found.errors == [f"{base}/archive/1.xml: archive longer than 2 pages; stopped before {base}/archive/3.xml"]
