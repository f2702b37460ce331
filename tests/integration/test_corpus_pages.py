"""Integration: real feeds and news pages from ../shared/corpus through the real fetch, parse and extract path."""

from __future__ import annotations

import gzip
from collections.abc import Iterator
from pathlib import Path

import pytest

from benchmarks._support import Routes, rss, serve
from tasks import store
from tasks.ingest.feeds import parse_feed
from tasks.ingest.poll import ingest_batch
from tasks.ingest.pool import shutdown_pool
from tasks.models import PageJob

pytestmark = pytest.mark.corpus


def _pages(corpus: Path, limit: int) -> list[tuple[str, bytes]]:
    found = []
    for path in sorted((corpus / "articles").rglob("*"))[::7]:
        if path.suffix == ".gz":
            found.append((path.name, gzip.decompress(path.read_bytes())))
        elif path.suffix == ".html":
            found.append((path.name, path.read_bytes()))
    return found[:limit]


@pytest.fixture()
def corpus_site(corpus: Path) -> Iterator[tuple[str, list[str]]]:
    """About 30 real pages and a feed listing them, served on 127.0.0.1."""
    routes = Routes()
    pages = _pages(corpus, 30)
    with serve(routes) as base:
        links = []
        for i, (_name, body) in enumerate(pages):
            routes.add(f"/a/{i}.html", body, "text/html")
            links.append(f"/a/{i}.html")
        routes.add("/feed.xml", rss(base, "corpus", links), "application/rss+xml")
        yield base, links


@pytest.mark.slow
def test_real_pages_are_extracted_and_stored(corpus_site: tuple[str, list[str]], db: str) -> None:
    """Real news pages (many languages) go through fetch, trafilatura and analysis into DuckDB."""
    base, links = corpus_site
    jobs = [PageJob(url=f"{base}{link}", guid=None, feed_id=None, published_at=None, title=None) for link in links]
    try:
        result = ingest_batch(db, jobs, f"{base}/feed.xml", allow_private=False)
    finally:
        shutdown_pool()
    _, rows = store.query(db, "select count(*), count(title), count(language), avg(length(text)), "
                              "count(*) filter (where is_capex) from articles")
    n, n_title, n_lang, avg_len, n_capex = rows[0]
    assert result.n_new + result.n_failed == len(jobs)
    assert n == result.n_new and n >= 0.9 * len(jobs)
    assert n_title >= 0.9 * n and n_lang >= 0.8 * n and avg_len > 500
    assert n_capex == 0, "none of the corpus's whole pages is an AI-capex story"
    _, raw = store.query(db, "select count(*) from article_raw where raw_bytes > 0")
    assert raw[0][0] == n


@pytest.mark.parametrize("name", ["arstechnica_2025-11-22.xml", "reuters_direct_2026-06-11.xml",
                                  "techcrunch_2023-08-16.xml"])
def test_real_feeds_parse_into_items(corpus: Path, name: str) -> None:
    """Real publisher feeds give items with absolute, normalised links and dates."""
    body = (corpus / "feeds" / name).read_bytes()
    items, problem = parse_feed(body, "https://example.com/feed")
    assert problem is None and len(items) >= 10
    assert all(i.url.startswith("http") and "#" not in i.url and "utm_" not in i.url for i in items)
    assert sum(i.published_at is not None for i in items) >= 0.9 * len(items)
