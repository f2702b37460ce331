"""Feeds: the feeds file, fetching a feed, parsing its bytes and normalising its item URLs."""

from __future__ import annotations

import io
import logging
import random
import re
import time
import tomllib
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urljoin, urlsplit, urlunsplit
from xml.etree.ElementTree import ParseError

import courlan
import feedparser
from defusedxml import DefusedXmlException
from defusedxml.ElementTree import DefusedXMLParser

from tasks.errors import ConfigError, FetchError
from tasks.ingest.http import (
    FEED_DEADLINE_S,
    MAX_FEED_BYTES,
    FetchPolicy,
    fetch,
    is_retryable,
    make_client,
    origin_of,
)
from tasks.models import FeedConfig, FeedItem, FeedsFile, FeedState, FetchResult
from tasks.settings import file_problem

logger = logging.getLogger(__name__)

# Polling cadence: the schedule runs every 30 minutes; a feed is polled at most this often.
MIN_POLL_INTERVAL = timedelta(minutes=15)
# Backoff after failures: 15 min doubling per failure, capped at a day, with ±20 % jitter.
BACKOFF_BASE = timedelta(minutes=15)
BACKOFF_CAP = timedelta(hours=24)
BACKOFF_JITTER = 0.2
# A server's Retry-After is honoured up to a week: longer is more likely a bug than a plan.
RETRY_AFTER_CAP = timedelta(days=7)
# RSS <ttl> and Cache-Control max-age lengthen the interval up to a day, never shorten it.
FRESHNESS_CAP = timedelta(hours=24)
FEED_ACCEPT = "application/rss+xml, application/atom+xml, application/feed+json, application/xml;q=0.9, */*;q=0.5"

# feedparser only ever parses bytes fetched by tasks/ingest/http.py (it has no timeout of its own); links are
# resolved against the feed's URL and entry HTML is sanitised. Entities are refused before parsing
# (declares_entities), since feedparser's XML parser would expand them.
feedparser.RESOLVE_RELATIVE_URIS = True
feedparser.SANITIZE_HTML = True
# "<!ENTITY" in a document we could not pre-parse (unknown encoding, broken prolog)
_ENTITY_DECL = re.compile(rb"<!ENTITY", re.IGNORECASE)


@dataclass(frozen=True, slots=True)
class ParsedFeed:
    """A parsed feed: its items, a problem description (or None) and its RSS <ttl>, if any."""

    items: list[FeedItem]
    problem: str | None = None
    ttl: timedelta | None = None


# Keys the feeds file knows; any other key is named in a warning (a typo must not pass silently).
_TOP_KEYS = frozenset({"settings", "feeds"})
_SETTINGS_KEYS = frozenset({"allow_private_networks"})
_FEED_KEYS = frozenset({"name", "url", "tags"})


def load_feeds_file(path: Path) -> FeedsFile:
    """Read and validate the TOML feeds file; raise ConfigError naming the file and the problem."""
    config, problems = check_feeds_file(path)
    for problem in problems:
        logger.warning("%s", problem)
    return config


def check_feeds_file(path: Path) -> tuple[FeedsFile, list[str]]:
    """Read and validate the feeds file; return it with warnings (unknown keys), or raise ConfigError.

    A UTF-8 byte-order mark and Windows line endings are accepted. No feeds, a feed URL listed
    twice, two feeds of the same name or a URL that is not http(s) are errors.
    """
    data = _read_toml(path)
    warnings = _unknown_keys(path, "", data, _TOP_KEYS)
    settings = data.get("settings", {})
    if not isinstance(settings, dict):
        raise ConfigError(f"{path}: [settings] must be a table")
    warnings += _unknown_keys(path, "[settings] ", settings, _SETTINGS_KEYS)
    allow_private = settings.get("allow_private_networks", False)
    if not isinstance(allow_private, bool):
        raise ConfigError(f"{path}: settings.allow_private_networks must be true or false, not {allow_private!r}")
    entries = data.get("feeds", [])
    if not isinstance(entries, list):
        raise ConfigError(f"{path}: 'feeds' must be an array of tables ([[feeds]])")
    if not entries:
        raise ConfigError(f"{path}: no feeds listed (add a [[feeds]] table with name and url)")
    feeds = tuple(_feed_config(path, i, entry) for i, entry in enumerate(entries, start=1))
    for i, entry in enumerate(entries, start=1):
        warnings += _unknown_keys(path, f"feed #{i} ", entry, _FEED_KEYS)
    named = [feed for feed, entry in zip(feeds, entries, strict=True) if entry.get("name")]  # a default name may repeat
    _refuse_duplicates(path, feeds, named)
    return FeedsFile(feeds=feeds, allow_private_networks=allow_private), warnings


def _read_toml(path: Path) -> dict[str, Any]:
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise ConfigError(f"{path}: feeds file: {file_problem(exc)}") from None
    try:
        # utf-8-sig: editors on Windows save a byte-order mark, which TOML itself does not allow
        return tomllib.loads(raw.decode("utf-8-sig"))
    except UnicodeDecodeError:
        raise ConfigError(f"{path}: invalid TOML: not UTF-8 text") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: invalid TOML: {exc}") from None


def _unknown_keys(path: Path, where: str, table: dict[str, Any], known: frozenset[str]) -> list[str]:
    unknown = sorted(set(table) - known)
    if not unknown:
        return []
    keys = ", ".join(map(repr, unknown))
    plural = "s" if len(unknown) > 1 else ""
    return [f"{path}: {where}unknown key{plural} {keys} ignored (known: {', '.join(sorted(known))})"]


def _refuse_duplicates(path: Path, feeds: Sequence[FeedConfig], named: Sequence[FeedConfig]) -> None:
    by_url: dict[str, int] = {}
    for i, feed in enumerate(feeds, start=1):
        first = by_url.setdefault(normalize_url(feed.url), i)
        if first != i:
            raise ConfigError(f"{path}: feed #{i} url {feed.url!r} is already listed as feed #{first}")
    by_name: dict[str, int] = {}
    for feed in named:
        i = feeds.index(feed) + 1
        first = by_name.setdefault(feed.name, i)
        if first != i:
            raise ConfigError(f"{path}: feed #{i} name {feed.name!r} is already used by feed #{first}")


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


def fetch_feed(state: FeedState, allow_private: bool = False) -> FetchResult:
    """Conditional GET of one feed URL; raises FetchError on faults.

    The feed's own host and port are trusted (the user wrote the URL); a redirect to another host
    is held to the SSRF policy like any link, unless `allow_private` (allow_private_networks).
    """
    policy = FetchPolicy(allow_private=allow_private, trusted_origin=origin_of(state.url),
                         max_bytes=MAX_FEED_BYTES, deadline_s=FEED_DEADLINE_S)
    with make_client(policy) as client:
        return fetch(client, state.url, policy, etag=state.etag, last_modified=state.last_modified,
                     accept=FEED_ACCEPT)


# Feeds fetched per Prefect task: each task run costs Prefect tens of milliseconds of bookkeeping
# (and rows in its database). Measured on a re-poll of 500 unchanged feeds against a running Prefect
# server: 25 per task 5.2 s, 50 per task 4.2 s, 100 per task 2.2 s; larger groups gained nothing.
FEEDS_PER_TASK = 100
# Feeds of one task fetched at once.
FEED_THREADS = 8
# Backoff between attempts of one feed on a transient network error (timeouts are not retried:
# a retry would multiply the feed's deadline; the next poll tries again).
RETRY_DELAYS_S = (1.0, 4.0)


def fetch_feed_retrying(state: FeedState, allow_private: bool = False) -> FetchResult:
    """fetch_feed, tried again with backoff on transient network errors only."""
    for delay in (*RETRY_DELAYS_S, None):
        try:
            return fetch_feed(state, allow_private)
        except FetchError as exc:
            if delay is None or not is_retryable(exc):
                raise
            logger.info("retrying %s in %.0f s: %s", state.url, delay, exc)
            time.sleep(delay)
    raise AssertionError("unreachable")


def fetch_feeds(states: Sequence[FeedState], allow_private: bool = False) -> list[FetchResult | Exception]:
    """Fetch several feeds concurrently; each feed's outcome is its response or the error it raised."""

    def one(state: FeedState) -> FetchResult | Exception:
        try:
            return fetch_feed_retrying(state, allow_private)
        except Exception as exc:  # noqa: BLE001 -- per-feed boundary: the error is this feed's outcome
            return exc

    with ThreadPoolExecutor(FEED_THREADS) as pool:
        return list(pool.map(one, states))


def parse_feed(body: bytes, base_url: str, headers: dict[str, str] | None = None) -> tuple[list[FeedItem], str | None]:
    """Parse feed bytes with feedparser; return the items and a problem description (or None)."""
    parsed = parse_feed_full(body, base_url, headers)
    return parsed.items, parsed.problem


def parse_feed_full(body: bytes, base_url: str, headers: dict[str, str] | None = None) -> ParsedFeed:
    """Parse feed bytes: items, problem and <ttl>; documents declaring XML entities are refused."""
    if not body.strip():
        return ParsedFeed([], "not a feed: empty body")
    if declares_entities(body):
        return ParsedFeed([], "refused: the feed declares XML entities (<!ENTITY>), "
                              "a possible entity-expansion or external-entity attack")
    response_headers = {"content-location": base_url}
    if headers and "content-type" in headers:
        response_headers["content-type"] = headers["content-type"]
    # a stream, never bytes: feedparser opens bytes that name an existing file as that file
    parsed = feedparser.parse(io.BytesIO(body), response_headers=response_headers, sanitize_html=True)
    problem = None
    if parsed.get("bozo") and not parsed.entries:
        problem = f"not a feed: {type(parsed.get('bozo_exception')).__name__}: {parsed.get('bozo_exception')}"
    items = [item for entry in parsed.entries if (item := _item(entry, base_url)) is not None]
    if not items and parsed.entries:
        problem = "feed entries have no usable links"
    return ParsedFeed(items, problem, _ttl(parsed.get("feed", {}).get("ttl")))


def _ttl(value: Any) -> timedelta | None:
    """RSS <ttl>: minutes the feed may be cached."""
    text = str(value or "").strip()
    return timedelta(minutes=int(text)) if text.isdigit() and 0 < int(text) < 10**6 else None


class _PrologDone(Exception):
    """The root element started: the DTD, if any, is behind us."""


class _StopAtRoot:
    def start(self, tag: str, attrs: dict[str, str]) -> None:
        raise _PrologDone

    def close(self) -> None:
        return None


def declares_entities(body: bytes) -> bool:
    """True when the document's DTD declares entities (internal, external or parameter).

    The prolog is read with defusedxml's expat parser, which rejects entity declarations, and
    stops at the root element, so the check costs little even on a large feed. When expat cannot
    read the prolog (an encoding it does not know, a broken document) a plain search for
    "<!ENTITY" decides, in the bytes and in their UTF-16/32 decodings.
    """
    parser = DefusedXMLParser(target=_StopAtRoot(), forbid_dtd=False, forbid_entities=True,
                              forbid_external=True)
    try:
        for start in range(0, len(body), 65536):
            parser.feed(body[start:start + 65536])
        parser.close()
    except _PrologDone:
        return False
    except DefusedXmlException:
        return True
    except (ParseError, ValueError, LookupError):
        pass
    return _entity_decl_in_text(body)


def _entity_decl_in_text(body: bytes) -> bool:
    if _ENTITY_DECL.search(body):
        return True
    for codec in ("utf-16", "utf-16-le", "utf-16-be", "utf-32-le", "utf-32-be"):
        text = body.decode(codec, errors="ignore")
        if "<!entity" in text.lower():
            return True
    return False


def _item(entry: Any, base_url: str) -> FeedItem | None:
    link = entry.get("link") or next(
        (link.get("href") for link in entry.get("links", [])
         if link.get("rel") in (None, "alternate") and link.get("href")),
        None,
    )
    if not link or not isinstance(link, str):
        return None
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


def next_poll_after_success(now: datetime, headers: dict[str, str], ttl: timedelta | None = None) -> datetime:
    """Next poll time after a good poll: the minimum interval, or the feed's TTL or max-age if longer."""
    interval = MIN_POLL_INTERVAL
    freshness = [ttl] if ttl else []
    for part in headers.get("cache-control", "").split(","):
        key, _, value = part.strip().partition("=")
        value = value.strip().strip('"')
        if key.strip().lower() in ("max-age", "s-maxage") and value.isdigit():
            freshness.append(timedelta(seconds=min(int(value), int(FRESHNESS_CAP.total_seconds()))))
    for candidate in freshness:
        interval = max(interval, min(candidate, FRESHNESS_CAP))
    return now + interval


def next_poll_after_failure(now: datetime, failures: int, retry_after: float | None) -> datetime:
    """Capped exponential backoff with jitter; a Retry-After from the server wins when later.

    There is no terminal state: a feed failing for ever is retried every BACKOFF_CAP (±jitter).
    """
    exponent = min(max(0, failures - 1), 32)  # 2**32 * 15 min is far past the cap already
    delay = min(BACKOFF_BASE * (2 ** exponent), BACKOFF_CAP)
    delay = delay * random.uniform(1 - BACKOFF_JITTER, 1 + BACKOFF_JITTER)
    if retry_after is not None:
        delay = max(delay, timedelta(seconds=min(retry_after, RETRY_AFTER_CAP.total_seconds())))
    next_at: datetime = now + delay
    return next_at


__all__ = [
    "FetchError", "ParsedFeed", "check_feeds_file", "declares_entities", "fetch_feed", "is_retryable",
    "load_feeds_file", "next_poll_after_failure", "next_poll_after_success", "normalize_url", "parse_feed",
    "parse_feed_full",
]
