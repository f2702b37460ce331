"""Unit tests of URL normalisation and item de-duplication used for idempotent polling."""

from __future__ import annotations

import pytest

from tasks.ingest.feeds import normalize_url
from tasks.ingest.poll import FeedPlan, _dedupe_items, claim_jobs
from tasks.models import FeedItem, FeedState, PageJob, PollRecord, article_id_for, utcnow


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("https://Example.com/a/b?utm_source=rss&utm_medium=feed", "https://example.com/a/b"),
        ("https://example.com/a/b#comments", "https://example.com/a/b"),
        ("https://example.com/a?id=3&utm_campaign=x", "https://example.com/a?id=3"),
        ("http://example.com:80/x?fbclid=abc", "http://example.com/x"),
        ("  https://example.com/story?ref=rss  ", "https://example.com/story"),
    ],
)
def test_normalize_url_drops_tracking_and_fragments(raw: str, expected: str) -> None:
    """Tracking parameters, fragments, default ports and host case do not make a new article."""
    assert normalize_url(raw) == expected


def test_article_id_is_stable_per_normalised_url() -> None:
    """Two spellings of one article URL get one article_id."""
    a = article_id_for(normalize_url("https://example.com/a?utm_source=x#top"))
    b = article_id_for(normalize_url("https://EXAMPLE.com/a"))
    assert a == b and len(a) == 16


def test_items_deduplicate_by_url_and_guid() -> None:
    """Items repeating a URL or a GUID within a feed are dropped."""
    items = [
        FeedItem("https://e.com/1", "g1", "a", None),
        FeedItem("https://e.com/1", "g2", "b", None),
        FeedItem("https://e.com/2", "g1", "c", None),
        FeedItem("https://e.com/3", None, "d", None),
    ]
    assert [i.title for i in _dedupe_items(items)] == ["a", "d"]


def test_claim_jobs_deduplicates_across_feeds() -> None:
    """A URL or GUID claimed by one feed of the run is not fetched again for another."""
    def plan(*jobs: PageJob) -> FeedPlan:
        poll = PollRecord(1, None, utcnow(), "ok", 200, 0, 0, 0, 0, None)
        return FeedPlan(state=FeedState(1, "f", "https://e.com/feed"), poll=poll, jobs=list(jobs))

    claimed: set[str] = set()
    first = plan(PageJob("https://e.com/1", "g1", 1, None, None))
    second = plan(PageJob("https://e.com/1", None, 2, None, None), PageJob("https://e.com/2", "g1", 2, None, None),
                  PageJob("https://e.com/3", None, 2, None, None))
    claim_jobs(first, claimed)
    claim_jobs(second, claimed)
    assert [j.url for j in first.jobs] == ["https://e.com/1"]
    assert [j.url for j in second.jobs] == ["https://e.com/3"]
