"""Unit tests of tasks/feeds.py: feed parsing safety, TTL, and the polling schedule."""

from __future__ import annotations

from datetime import datetime, timedelta

from tasks.feeds import (
    BACKOFF_BASE,
    BACKOFF_CAP,
    BACKOFF_JITTER,
    MIN_POLL_INTERVAL,
    RETRY_AFTER_CAP,
    declares_entities,
    next_poll_after_failure,
    next_poll_after_success,
    parse_feed,
    parse_feed_full,
)

NOW = datetime(2025, 1, 1, 12, 0)
FEED = (b"<?xml version='1.0'?><rss version='2.0'><channel><title>t</title><ttl>90</ttl>"
        b"<item><title>a</title><link>http://example.com/a</link></item></channel></rss>")


def test_feed_items_and_ttl() -> None:
    """A feed's items are parsed with absolute normalised links and its <ttl> in minutes."""
    parsed = parse_feed_full(FEED, "http://example.com/feed")
    assert [i.url for i in parsed.items] == ["http://example.com/a"]
    assert parsed.problem is None and parsed.ttl == timedelta(minutes=90)


def test_bytes_naming_a_local_file_are_not_opened(tmp_path) -> None:  # type: ignore[no-untyped-def]
    """A body that is the path of a local feed file is parsed as text, never opened as that file."""
    local = tmp_path / "secret.xml"
    local.write_bytes(FEED)
    items, problem = parse_feed(str(local).encode(), "http://example.com/feed")
    assert items == [] and problem is not None


def test_entity_declarations_are_detected_in_any_encoding() -> None:
    """Internal, external and parameter entities are found, also in UTF-16 and broken documents."""
    xxe = b'<?xml version="1.0"?><!DOCTYPE r [<!ENTITY x SYSTEM "file:///etc/passwd">]><r>&x;</r>'
    param = b'<?xml version="1.0"?><!DOCTYPE r [<!ENTITY % p "x">]><r/>'
    assert declares_entities(xxe) and declares_entities(param)
    assert declares_entities(xxe.decode().encode("utf-16"))
    assert declares_entities(xxe.replace(b"<r>", b"<r"))
    public_dtd = (b'<?xml version="1.0"?><!DOCTYPE rss PUBLIC "-//Netscape Communications//DTD RSS 0.91//EN" '
                  b'"http://my.netscape.com/publish/formats/rss-0.91.dtd"><rss/>')
    assert not declares_entities(FEED) and not declares_entities(public_dtd)


def test_entity_declaring_feed_is_refused() -> None:
    """A feed declaring entities gives no items and a problem naming the refusal."""
    body = FEED.replace(b"<rss", b'<!DOCTYPE rss [<!ENTITY a "b">]><rss', 1)
    items, problem = parse_feed(body, "http://example.com/feed")
    assert items == [] and problem is not None and "ENTITY" in problem


def test_success_interval_honours_ttl_and_max_age_within_bounds() -> None:
    """TTL and Cache-Control max-age lengthen the interval, never below the minimum nor past a day."""
    assert next_poll_after_success(NOW, {}) == NOW + MIN_POLL_INTERVAL
    assert next_poll_after_success(NOW, {"cache-control": "public, max-age=7200"}) == NOW + timedelta(hours=2)
    assert next_poll_after_success(NOW, {"cache-control": "max-age=60"}) == NOW + MIN_POLL_INTERVAL
    assert next_poll_after_success(NOW, {}, ttl=timedelta(hours=3)) == NOW + timedelta(hours=3)
    assert next_poll_after_success(NOW, {"cache-control": "max-age=99999999"}) == NOW + timedelta(hours=24)


def test_failure_backoff_doubles_with_jitter_and_caps() -> None:
    """Backoff doubles per failure within the jitter band and stops growing at the cap, never ending."""
    for failures in (1, 2, 3, 5, 50, 10_000):
        delay = next_poll_after_failure(NOW, failures, None) - NOW
        nominal = min(BACKOFF_BASE * 2 ** min(failures - 1, 32), BACKOFF_CAP)
        assert nominal * (1 - BACKOFF_JITTER) <= delay <= nominal * (1 + BACKOFF_JITTER)
    delays = {next_poll_after_failure(NOW, 3, None) for _ in range(20)}
    assert len(delays) > 1  # jittered, so feeds failing together do not retry together


def test_retry_after_wins_when_later_and_is_capped() -> None:
    """A server's Retry-After sets the next poll when later than the backoff, up to a week."""
    assert next_poll_after_failure(NOW, 1, 6 * 3600) == NOW + timedelta(hours=6)
    assert next_poll_after_failure(NOW, 1, 10**9) == NOW + RETRY_AFTER_CAP
    assert next_poll_after_failure(NOW, 1, 1) - NOW >= BACKOFF_BASE * (1 - BACKOFF_JITTER)
