"""Feeds: the feeds file, fetching a feed, parsing its bytes and normalising its item URLs."""

from __future__ import annotations

import logging
import random
import tomllib
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import courlan
import feedparser

from tasks.errors import ConfigError, FetchError
from tasks.http import FEED_DEADLINE_S, MAX_FEED_BYTES, FetchPolicy, fetch, is_retryable, make_client
from tasks.models import FeedConfig, FeedItem, FeedsFile, FeedState, FetchResult

logger = logging.getLogger(__name__)

# Polling cadence: the schedule runs every 30 minutes; a feed is polled at most this often.
MIN_POLL_INTERVAL = timedelta(minutes=15)
# Backoff after failures: 15 min doubling per failure, capped at a day, with ±20 % jitter.
BACKOFF_BASE = timedelta(minutes=15)
BACKOFF_CAP = timedelta(hours=24)
FEED_ACCEPT = "application/rss+xml, application/atom+xml, application/feed+json, application/xml;q=0.9, */*;q=0.5"

# Never let feedparser fetch anything itself (it has no timeout) nor resolve entities.
feedparser.RESOLVE_RELATIVE_URIS = True
feedparser.SANITIZE_HTML = True


def load_feeds_file(path: Path) -> FeedsFile:
    """Read and validate the TOML feeds file; raise ConfigError naming the file and the problem."""
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        raise ConfigError(f"{path}: feeds file not found") from None
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read feeds file: {exc.strerror}") from None
    try:
        data = tomllib.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise ConfigError(f"{path}: invalid TOML: {exc}") from None
    settings = data.get("settings", {})
    if not isinstance(settings, dict):
        raise ConfigError(f"{path}: [settings] must be a table")
    allow_private = settings.get("allow_private_networks", False)
    if not isinstance(allow_private, bool):
        raise ConfigError(f"{path}: settings.allow_private_networks must be true or false, not {allow_private!r}")
    entries = data.get("feeds", [])
    if not isinstance(entries, list):
        raise ConfigError(f"{path}: 'feeds' must be an array of tables ([[feeds]])")
    feeds = tuple(_feed_config(path, i, entry) for i, entry in enumerate(entries, start=1))
    return FeedsFile(feeds=feeds, allow_private_networks=allow_private)


def _feed_config(path: Path, index: int, entry: Any) -> FeedConfig:
    if not isinstance(entry, dict):
        raise ConfigError(f"{path}: feed #{index} must be a table")
    url = entry.get("url")
    if not isinstance(url, str) or not url.strip():
        raise ConfigError(f"{path}: feed #{index} ({entry.get('name', 'unnamed')}) has no url")
    url = url.strip()
    if urlsplit(url).scheme not in ("http", "https") or not urlsplit(url).hostname:
        raise ConfigError(f"{path}: feed #{index} url {url!r} is not an http(s) URL")
    name = entry.get("name") or urlsplit(url).hostname or url
    tags = entry.get("tags", [])
    if not isinstance(tags, list) or not all(isinstance(t, str) for t in tags):
        raise ConfigError(f"{path}: feed #{index} tags must be a list of strings")
    return FeedConfig(name=str(name), url=url, tags=tuple(tags))


def normalize_url(url: str) -> str:
    """Canonical form of an article URL: lower-case host, no tracking parameters, no fragment."""
    url = url.strip()
    cleaned = courlan.normalize_url(url, strict=False) or url
    parts = urlsplit(cleaned)
    return urlunsplit((parts.scheme, parts.netloc, parts.path or "/", parts.query, ""))


def fetch_feed(state: FeedState) -> FetchResult:
    """Conditional GET of one feed URL (trusted: the user wrote it); raises FetchError on faults."""
    policy = FetchPolicy(trust_all=True, max_bytes=MAX_FEED_BYTES, deadline_s=FEED_DEADLINE_S)
    with make_client(policy) as client:
        return fetch(client, state.url, policy, etag=state.etag, last_modified=state.last_modified,
                     accept=FEED_ACCEPT)


def parse_feed(body: bytes, base_url: str, headers: dict[str, str] | None = None) -> tuple[list[FeedItem], str | None]:
    """Parse feed bytes with feedparser; return the items and a problem description (or None)."""
    response_headers = {"content-location": base_url}
    if headers and "content-type" in headers:
        response_headers["content-type"] = headers["content-type"]
    parsed = feedparser.parse(body, response_headers=response_headers, sanitize_html=True)
    problem = None
    if parsed.get("bozo") and not parsed.entries:
        problem = f"not a feed: {type(parsed.get('bozo_exception')).__name__}: {parsed.get('bozo_exception')}"
    items = [item for entry in parsed.entries if (item := _item(entry, base_url)) is not None]
    if not items and parsed.entries:
        problem = "feed entries have no usable links"
    return items, problem


def _item(entry: Any, base_url: str) -> FeedItem | None:
    link = entry.get("link") or next(
        (l.get("href") for l in entry.get("links", []) if l.get("rel") in (None, "alternate") and l.get("href")),
        None,
    )
    if not link or not isinstance(link, str):
        return None
    from urllib.parse import urljoin

    absolute = urljoin(base_url, link.strip())
    if urlsplit(absolute).scheme not in ("http", "https"):
        return None
    published = None
    for key in ("published_parsed", "updated_parsed"):
        value = entry.get(key)
        if value:
            try:
                published = datetime(*value[:6])
            except (TypeError, ValueError):
                published = None
            break
    guid = entry.get("id") or None
    return FeedItem(url=normalize_url(absolute), guid=str(guid)[:2000] if guid else None,
                    title=entry.get("title"), published_at=published, summary=entry.get("summary"))


def next_poll_after_success(now: datetime, headers: dict[str, str]) -> datetime:
    """Next poll time after a good poll: the minimum interval or the server's max-age, if longer."""
    interval = MIN_POLL_INTERVAL
    cache_control = headers.get("cache-control", "")
    for part in cache_control.split(","):
        key, _, value = part.strip().partition("=")
        if key.lower() == "max-age" and value.isdigit():
            interval = max(interval, min(timedelta(seconds=int(value)), BACKOFF_CAP))
    return now + interval


def next_poll_after_failure(now: datetime, failures: int, retry_after: float | None) -> datetime:
    """Capped exponential backoff with jitter; a Retry-After from the server wins when later."""
    delay = min(BACKOFF_BASE * (2 ** max(0, failures - 1)), BACKOFF_CAP)
    delay = delay * random.uniform(0.8, 1.2)
    if retry_after is not None:
        delay = max(delay, timedelta(seconds=min(retry_after, BACKOFF_CAP.total_seconds())))
    return now + delay


def utc_now() -> datetime:
    """Naive UTC now (the database convention)."""
    return datetime.now(timezone.utc).replace(tzinfo=None)


__all__ = [
    "FetchError", "fetch_feed", "is_retryable", "load_feeds_file", "next_poll_after_failure",
    "next_poll_after_success", "normalize_url", "parse_feed",
]
