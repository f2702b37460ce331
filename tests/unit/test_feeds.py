"""Unit tests of tasks/ingest/feeds.py: the feeds file, feed parsing safety, TTL, and the polling schedule."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path

import pytest

from tasks.errors import ConfigError
from tasks.ingest.feeds import (
    BACKOFF_BASE,
    BACKOFF_CAP,
    BACKOFF_JITTER,
    MIN_POLL_INTERVAL,
    RETRY_AFTER_CAP,
    check_feeds_file,
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


def _feeds_file(tmp_path: Path, content: bytes) -> Path:
    path = tmp_path / "feeds.toml"
    path.write_bytes(content)
    return path


def test_feeds_file_with_bom_and_windows_line_endings_is_read(tmp_path: Path) -> None:
    """A feeds file saved with a UTF-8 byte-order mark and CRLF line endings loads like any other."""
    path = _feeds_file(tmp_path, b'\xef\xbb\xbf[settings]\r\nallow_private_networks = true\r\n\r\n'
                                 b'[[feeds]]\r\nname = "A"\r\nurl = "https://a.example/feed.xml"\r\ntags = ["x"]\r\n')
    config, warnings = check_feeds_file(path)
    assert [(f.name, f.url, f.tags) for f in config.feeds] == [("A", "https://a.example/feed.xml", ("x",))]
    assert config.allow_private_networks is True and warnings == []


def test_unknown_keys_are_warnings_naming_them(tmp_path: Path) -> None:
    """Unknown keys at the top, in [settings] and in a feed are named in warnings; the feeds still load."""
    path = _feeds_file(tmp_path, b'title = "mine"\n[settings]\nallow_private = true\n'
                                 b'[[feeds]]\nname = "A"\nurl = "https://a.example/f"\nlabel = "x"\ncolour = 1\n')
    config, warnings = check_feeds_file(path)
    assert len(config.feeds) == 1
    assert warnings == [
        f"{path}: unknown key 'title' ignored (known: feeds, settings)",
        f"{path}: [settings] unknown key 'allow_private' ignored (known: allow_private_networks)",
        f"{path}: feed #1 unknown keys 'colour', 'label' ignored (known: name, tags, url)",
    ]


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"", "no feeds listed"),
        (b'[[feeds]]\nname = "A"\nurl = "https://a.example/f"\n[[feeds]]\nname = "B"\nurl = "https://A.example/f#x"\n',
         "feed #2 url 'https://A.example/f#x' is already listed as feed #1"),
        (b'[[feeds]]\nname = "A"\nurl = "https://a.example/f"\n[[feeds]]\nname = "A"\nurl = "https://b.example/f"\n',
         "feed #2 name 'A' is already used by feed #1"),
        (b'[[feeds]]\nname = "A"\nurl = "file:///etc/passwd"\n',
         "feed #1 url 'file:///etc/passwd' is not an http(s) URL"),
        (b'[[feeds]]\nname = "A"\nurl = "https:///no-host"\n', "is not an http(s) URL"),
        (b"\xff\xfe[[feeds]]", "invalid TOML: not UTF-8 text"),
    ],
)
def test_feeds_file_errors_name_the_file_and_problem(tmp_path: Path, content: bytes, message: str) -> None:
    """No feeds, a URL or name listed twice, a non-HTTP URL or non-UTF-8 bytes raise ConfigError naming the file."""
    path = _feeds_file(tmp_path, content)
    with pytest.raises(ConfigError) as caught:
        check_feeds_file(path)
    assert str(caught.value).startswith(f"{path}: ") and message in str(caught.value)


def test_feeds_without_names_on_one_host_are_allowed(tmp_path: Path) -> None:
    """Two unnamed feeds of one host (both named after it by default) are not duplicates."""
    path = _feeds_file(tmp_path, b'[[feeds]]\nurl = "https://a.example/f1"\n[[feeds]]\nurl = "https://a.example/f2"\n')
    config, _ = check_feeds_file(path)
    assert [f.name for f in config.feeds] == ["a.example", "a.example"]
