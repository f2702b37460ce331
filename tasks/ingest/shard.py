"""Work distribution for polls: shard K of N owns the feeds (and queued pages) whose host hashes to K.

Each host has exactly one owner whatever machine or process asks, so N poll runs started at once
(`capex poll --shard 0/2` and `--shard 1/2`, or the `shard` parameter of poll-feeds) never fetch
the same site twice and together cover every feed. The hash is sha256 of the lower-cased host
name, not Python's hash(), which is salted per process.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from urllib.parse import urlsplit

from tasks.errors import ConfigError
from tasks.models import FeedState, QueuedPage

_SHARD = re.compile(r"\s*(\d+)\s*/\s*(\d+)\s*")


@dataclass(frozen=True, slots=True)
class Shard:
    """Shard `index` of `count` (0-based)."""

    index: int
    count: int

    def __str__(self) -> str:
        return f"{self.index}/{self.count}"


def parse_shard(text: str | None, option: str = "--shard") -> Shard | None:
    """"K/N" (0 <= K < N) as a Shard, None for no sharding; ConfigError naming `option` otherwise."""
    if text is None or not text.strip():
        return None
    match = _SHARD.fullmatch(text)
    if match is None:
        raise ConfigError(f"{option} {text}: not K/N (shard K of N, counted from 0, e.g. 0/2)")
    index, count = int(match[1]), int(match[2])
    if count < 1:
        raise ConfigError(f"{option} {text}: N must be at least 1")
    if index >= count:
        raise ConfigError(f"{option} {text}: K must be below N (shards are counted from 0: 0/{count} to "
                          f"{count - 1}/{count})")
    return Shard(index, count)


def host_of(url: str) -> str:
    """The lower-cased host name of a URL ("" when it has none)."""
    return (urlsplit(url).hostname or "").lower()


def shard_of(host: str, count: int) -> int:
    """The shard (0 to count-1) that owns `host`: stable across processes, machines and Python versions."""
    digest = hashlib.sha256(host.lower().encode("utf-8")).digest()
    return int.from_bytes(digest[:8], "big") % count


def owns(shard: Shard | None, url: str) -> bool:
    """Whether `shard` owns the host of `url` (every URL without sharding)."""
    return shard is None or shard_of(host_of(url), shard.count) == shard.index


def feeds_in_shard(states: Sequence[FeedState], shard: Shard | None) -> list[FeedState]:
    """The feeds whose configured URL's host this shard owns."""
    return [s for s in states if owns(shard, s.url)]


def retries_in_shard(pages: Sequence[QueuedPage], feed_urls: Mapping[int, str], shard: Shard | None,
                     ) -> list[QueuedPage]:
    """The queued pages this shard retries: those of its feeds' hosts.

    A page belongs to the host its feed is configured with (a feed that redirects elsewhere keeps its
    owner), else to the host of the listing it was found on (a sitemap, an archive), else its own.
    """
    if shard is None:
        return list(pages)
    return [q for q in pages if owns(shard, _owner_url(q, feed_urls))]


def _owner_url(page: QueuedPage, feed_urls: Mapping[int, str]) -> str:
    if page.feed_id is not None and page.feed_id in feed_urls:
        return feed_urls[page.feed_id]
    return page.listing_url or page.url
