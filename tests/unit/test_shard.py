"""Shard membership: K/N parsing, the stable host hash, feeds and queued pages split between shards."""

from __future__ import annotations

import hashlib
from datetime import datetime

import pytest

from tasks.errors import ConfigError
from tasks.ingest.shard import (
    Shard,
    feeds_in_shard,
    host_of,
    owns,
    parse_shard,
    retries_in_shard,
    shard_of,
)
from tasks.models import FeedState, QueuedPage


def _page(url: str, feed_id: int | None = None, listing_url: str | None = None) -> QueuedPage:
    return QueuedPage(url=url, feed_id=feed_id, guid=None, title=None, published_at=datetime(2025, 1, 1),
                      listing_url=listing_url, is_trusted=False, error="HTTP 503")


@pytest.mark.parametrize(("text", "expected"), [
    ("0/2", Shard(0, 2)), ("1/2", Shard(1, 2)), (" 2 / 3 ", Shard(2, 3)), ("0/1", Shard(0, 1)),
    (None, None), ("", None),
])
def test_parse_shard_reads_k_of_n(text: str | None, expected: Shard | None) -> None:
    """K/N with 0 <= K < N parses; nothing given means no sharding."""
    assert parse_shard(text) == expected


@pytest.mark.parametrize(("text", "problem"), [
    ("3/2", "--shard 3/2: K must be below N"),
    ("2/2", "--shard 2/2: K must be below N"),
    ("a/b", "--shard a/b: not K/N"),
    ("0/0", "--shard 0/0: N must be at least 1"),
    ("-1/2", "--shard -1/2: not K/N"),
    ("1", "--shard 1: not K/N"),
])
def test_parse_shard_rejects_bad_forms_with_one_line(text: str, problem: str) -> None:
    """Bad forms raise a ConfigError (exit 2) whose one line names the option and the value."""
    with pytest.raises(ConfigError) as raised:
        parse_shard(text)
    assert str(raised.value).startswith(problem)
    assert "\n" not in str(raised.value)


def test_shard_of_is_sha256_of_the_lower_cased_host() -> None:
    """The owner is sha256(host) mod N: the same on every machine and in every process, whatever the case."""
    expected = int.from_bytes(hashlib.sha256(b"example.com").digest()[:8], "big") % 7
    assert shard_of("example.com", 7) == expected
    assert shard_of("EXAMPLE.com", 7) == expected
    assert host_of("https://Example.COM:8443/feed.xml") == "example.com"


def test_every_host_has_exactly_one_owner() -> None:
    """Over many hosts and several shard counts, each host belongs to one shard and no shard is empty."""
    hosts = [f"news{i}.example.org" for i in range(200)]
    for count in (1, 2, 3, 5):
        owners = {h: [k for k in range(count) if owns(Shard(k, count), f"https://{h}/rss")] for h in hosts}
        assert all(len(o) == 1 for o in owners.values())
        assert {o[0] for o in owners.values()} == set(range(count))


def test_feeds_in_shard_split_by_configured_host() -> None:
    """Feeds of one host stay together; the shards partition the feeds; no shard keeps them all."""
    states = [FeedState(feed_id=i, name=f"f{i}", url=f"https://site{i % 6}.example.net/feed{i}.xml")
              for i in range(24)]
    parts = [feeds_in_shard(states, Shard(k, 2)) for k in range(2)]
    assert sorted(s.feed_id for p in parts for s in p) == list(range(24))
    assert all(parts)
    assert not {host_of(s.url) for s in parts[0]} & {host_of(s.url) for s in parts[1]}
    assert feeds_in_shard(states, None) == states


def test_retries_follow_the_feed_host_then_the_listing_then_the_page() -> None:
    """A feed's queued page goes with its feed's configured host, a backfill's with its listing or its own host."""
    feed_url = "https://feeds.example.com/rss"
    feeds = {1: feed_url}
    pages = [
        _page("https://cdn.other.org/a.html", feed_id=1, listing_url="https://moved.example.net/rss"),
        _page("https://pages.example.org/b.html", listing_url="https://sitemaps.example.org/sitemap.xml"),
        _page("https://lone.example.io/c.html"),
    ]
    owner_urls = [feed_url, "https://sitemaps.example.org/sitemap.xml", "https://lone.example.io/c.html"]
    for count in (2, 3):
        for k in range(count):
            kept = retries_in_shard(pages, feeds, Shard(k, count))
            assert kept == [p for p, owner in zip(pages, owner_urls, strict=True) if owns(Shard(k, count), owner)]
    assert retries_in_shard(pages, feeds, None) == pages
