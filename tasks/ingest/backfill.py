"""Backfill sources: feed history (RFC 5005 and WordPress paging), URL lists, sitemaps, reprocessing.

Discovery turns a source into a list of URLs (QueuedURL) filtered by [since, until]; the flow
stores that list as the backfill's checkpoint and ingests it in batches with the same fetch rules,
SSRF policy and de-duplication as polling. Reprocessing needs no network at all.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlencode, urljoin, urlsplit, urlunsplit

from prefect import task
from prefect.cache_policies import NO_CACHE

from tasks.errors import BlockedURLError, ConfigError, FetchError
from tasks.ingest.feeds import FEED_ACCEPT, normalize_url, parse_feed
from tasks.ingest.http import MAX_FEED_BYTES, FetchPolicy, fetch, make_client, origin_of
from tasks.models import QueuedURL

logger = logging.getLogger(__name__)

# Bounds of discovery: an archive chain or sitemap index longer than this is cut (and said so).
MAX_FEED_PAGES = 200
MAX_SITEMAPS = 500
MAX_SITEMAP_BYTES = 50 * 1024 * 1024  # the sitemaps.org limit for one uncompressed sitemap
SITEMAP_NS = "{http://www.sitemaps.org/schemas/sitemap/0.9}"
NEWS_NS = "{http://www.google.com/schemas/sitemap-news/0.9}"


@dataclass(frozen=True, slots=True)
class Window:
    """The [since, until] window of a backfill; until is inclusive of its whole day."""

    since: datetime | None
    until: datetime | None

    def contains(self, when: datetime | None) -> bool:
        """Undated items are kept: the window cannot exclude what it cannot date."""
        if when is None:
            return True
        return (self.since is None or when >= self.since) and (self.until is None or when < self.until)


def parse_window(since: str | None, until: str | None) -> Window:
    """Parse --since/--until (YYYY-MM-DD or ISO datetime); ConfigError on junk or since after until."""
    start = _parse_when(since, "--since")
    end = _parse_when(until, "--until")
    if end is not None and until is not None and len(until.strip()) == 10:
        end += timedelta(days=1)
    if start is not None and end is not None and start >= end:
        raise ConfigError(f"--since {since} is after --until {until}")
    return Window(start, end)


def _parse_when(value: str | None, flag: str) -> datetime | None:
    if value is None or not value.strip():
        return None
    text = value.strip()
    try:
        if len(text) == 10:
            return datetime.combine(date.fromisoformat(text), time())
        parsed = datetime.fromisoformat(text)  # 3.11 reads a trailing Z
    except ValueError:
        raise ConfigError(f"{flag} {value!r} is not a date (YYYY-MM-DD)") from None
    if parsed.tzinfo is not None:
        parsed = parsed.astimezone(UTC).replace(tzinfo=None)
    return parsed


def backfill_id(source: str, params: dict[str, Any]) -> str:
    """A stable id of a backfill: the same source and parameters resume the same checkpoint."""
    blob = json.dumps({"source": source, **params}, sort_keys=True, default=str)
    return hashlib.sha256(blob.encode()).hexdigest()[:16]


@dataclass(slots=True)
class Discovery:
    """Discovered URLs and the problems met on the way (recorded, not fatal)."""

    urls: dict[str, QueuedURL] = field(default_factory=dict)
    errors: list[str] = field(default_factory=list)

    def add(self, url: str, published: datetime | None, listing: str | None, trusted: bool, window: Window) -> None:
        """Keep a URL (normalised, first listing wins) when it falls in the window."""
        if not window.contains(published):
            return
        norm = normalize_url(url)
        if norm not in self.urls:
            self.urls[norm] = QueuedURL(norm, published, listing, trusted)


# ---------------------------------------------------------------- URL lists


def read_url_file(path: Path, window: Window) -> Discovery:
    """URLs from a file: one per line, or CSV with a `url` column and an optional `published` one."""
    try:
        raw = path.read_text(encoding="utf-8", errors="replace")
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read URL file: {exc.strerror}") from None
    found = Discovery()
    lines = raw.splitlines()
    header = [h.strip().lower() for h in lines[0].split(",")] if lines else []
    if "url" in header:
        rows = csv.DictReader(io.StringIO(raw))
        entries = [((row.get("url") or row.get("URL") or "").strip(), (row.get("published") or "").strip())
                   for row in rows]
        first_line = 2
    else:
        entries = [(line.strip(), "") for line in lines]
        first_line = 1
    for number, (url, published) in enumerate(entries, start=first_line):
        if not url or url.startswith("#"):
            continue
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            found.errors.append(f"{path}:{number}: not an http(s) URL: {url[:200]!r}")
            continue
        when = None
        if published:
            try:
                when = _parse_when(published, "published")
            except ConfigError:
                found.errors.append(f"{path}:{number}: published date {published!r} not understood; kept undated")
        found.add(url, when, None, True, window)
    return found


# ---------------------------------------------------------------- feed history


def _feed_links(body: bytes, base: str) -> dict[str, str]:
    """rel -> href of the feed-level links (RFC 5005 'next', 'prev-archive', ...)."""
    import feedparser

    parsed = feedparser.parse(io.BytesIO(body), response_headers={"content-location": base})
    links = {}
    for link in parsed.feed.get("links", []):
        rel, href = link.get("rel"), link.get("href")
        if rel and href and rel not in links:
            links[rel] = urljoin(base, href)
    generator = str(parsed.feed.get("generator", "")).lower()
    if "wordpress" in generator:
        links["x-wordpress"] = "1"
    return links


def _paged(url: str, page: int) -> str:
    parts = urlsplit(url)
    query = [(k, v) for k, v in parse_qsl(parts.query) if k != "paged"] + [("paged", str(page))]
    return urlunsplit((parts.scheme, parts.netloc, parts.path, urlencode(query), ""))


def discover_feed_history(feed_urls: Sequence[str], window: Window, allow_private: bool) -> Discovery:
    """Walk each feed's archive chain (rel=next / prev-archive, or ?paged=N) back to `since`."""
    found = Discovery()
    for feed_url in feed_urls:
        try:
            _walk_feed(feed_url, window, allow_private, found)
        except (FetchError, ValueError) as exc:
            found.errors.append(f"{feed_url}: {exc}")
    return found


def _walk_feed(feed_url: str, window: Window, allow_private: bool, found: Discovery) -> None:
    feed_origin = origin_of(feed_url)
    seen_pages: set[str] = set()
    url: str | None = feed_url
    page_number, wordpress = 1, False
    while url and len(seen_pages) < MAX_FEED_PAGES:
        if url in seen_pages:
            found.errors.append(f"{feed_url}: archive chain loops back to {url}; stopped")
            return
        seen_pages.add(url)
        # the feed URL is trusted; archive pages it links to only on its own host and port
        trusted = url == feed_url
        policy = FetchPolicy(trust_all=trusted, allow_private=allow_private, trusted_origin=feed_origin,
                             max_bytes=MAX_FEED_BYTES)
        with make_client(policy) as client:
            try:
                result = fetch(client, url, policy, accept=FEED_ACCEPT)
            except BlockedURLError as exc:
                found.errors.append(f"{feed_url}: archive page refused: {exc}")
                return
        if result.http_status != 200:
            if page_number == 1 or not wordpress:
                found.errors.append(f"{url}: HTTP {result.http_status}")
            return
        items, problem = parse_feed(result.body, result.final_url, result.headers)
        if problem and not items:
            found.errors.append(f"{url}: {problem}")
            return
        before = len(found.urls)
        for item in items:
            found.add(item.url, item.published_at, url, False, window)
        dated = [i.published_at for i in items if i.published_at is not None]
        if window.since is not None and dated and max(dated) < window.since:
            return  # this page is wholly older than the window: the archive is done
        links = _feed_links(result.body, result.final_url)
        wordpress = wordpress or "x-wordpress" in links
        url = links.get("next") or links.get("prev-archive")
        if url is None and wordpress and items and len(found.urls) > before:
            page_number += 1
            url = _paged(feed_url, page_number)
    if url:
        found.errors.append(f"{feed_url}: archive longer than {MAX_FEED_PAGES} pages; stopped before {url}")


# ---------------------------------------------------------------- sitemaps


def discover_sitemap(sitemap_url: str, window: Window, allow_private: bool) -> Discovery:
    """URLs of a sitemap or sitemap index (news sitemaps too) whose lastmod is in the window."""
    found = Discovery()
    origin = origin_of(sitemap_url)
    queue, seen = [sitemap_url], set[str]()
    while queue and len(seen) < MAX_SITEMAPS:
        url = queue.pop(0)
        if url in seen:
            continue
        seen.add(url)
        policy = FetchPolicy(trust_all=url == sitemap_url, allow_private=allow_private, trusted_origin=origin,
                             max_bytes=MAX_SITEMAP_BYTES)
        try:
            with make_client(policy) as client:
                result = fetch(client, url, policy, accept="application/xml, text/xml;q=0.9, */*;q=0.5")
        except FetchError as exc:
            found.errors.append(f"{url}: {exc}")
            continue
        if result.http_status != 200:
            found.errors.append(f"{url}: HTTP {result.http_status}")
            continue
        try:
            children = _parse_sitemap(result.body, result.final_url, window, found)
        except ValueError as exc:
            found.errors.append(f"{url}: {exc}")
            continue
        queue.extend(c for c in children if c not in seen)
    if queue:
        found.errors.append(f"{sitemap_url}: more than {MAX_SITEMAPS} sitemaps; the rest were skipped")
    return found


def _parse_sitemap(body: bytes, base: str, window: Window, found: Discovery) -> list[str]:
    """Add the page URLs of one sitemap; return the child sitemaps of an index."""
    import gzip

    from defusedxml import ElementTree
    from defusedxml.common import DefusedXmlException

    if body[:2] == b"\x1f\x8b":
        body = gzip.GzipFile(fileobj=io.BytesIO(body)).read(MAX_SITEMAP_BYTES + 1)
    try:
        root = ElementTree.fromstring(body)
    except (ElementTree.ParseError, DefusedXmlException) as exc:
        raise ValueError(f"not a sitemap (XML error: {exc})") from None
    tag = root.tag.replace(SITEMAP_NS, "")
    if tag == "sitemapindex":
        children = []
        for node in root.findall(f"{SITEMAP_NS}sitemap"):
            loc = (node.findtext(f"{SITEMAP_NS}loc") or "").strip()
            lastmod = _lastmod(node.findtext(f"{SITEMAP_NS}lastmod"))
            # an index entry last modified before `since` holds nothing newer
            if loc and (lastmod is None or window.since is None or lastmod >= window.since):
                children.append(urljoin(base, loc))
        return children
    if tag != "urlset":
        raise ValueError(f"not a sitemap (root element {root.tag!r})")
    for node in root.findall(f"{SITEMAP_NS}url"):
        loc = (node.findtext(f"{SITEMAP_NS}loc") or "").strip()
        when = _lastmod(node.findtext(f"{NEWS_NS}news/{NEWS_NS}publication_date")) or _lastmod(
            node.findtext(f"{SITEMAP_NS}lastmod"))
        if loc.startswith(("http://", "https://")):
            found.add(loc, when, base, False, window)
    return []


def _lastmod(value: str | None) -> datetime | None:
    if not value or not value.strip():
        return None
    try:
        return _parse_when(value.strip(), "lastmod")
    except ConfigError:
        return None


# ---------------------------------------------------------------- reprocessing


@dataclass(slots=True)
class ReprocessResult:
    """Counts of one reprocessed batch, and the articles that could not be reprocessed."""

    n_done: int = 0
    n_capex: int = 0
    n_facts: int = 0
    failed_ids: list[str] = field(default_factory=list)
    failures: list[str] = field(default_factory=list)


def reprocess_batch(db: str, article_ids: Sequence[str], extractor: str = "rules") -> ReprocessResult:
    """Re-run extraction and analysis over the stored raw HTML of these articles; replace their facts atomically."""
    from tasks import store
    from tasks.ingest.pool import decompress_html, process_pages
    from tasks.models import Article, PageFailure, PageJob
    from tasks.store import rawstore

    pages, ids = [], {}
    result = ReprocessResult()
    for article_id, url, guid, feed_id, published_at, title, fetched_at, raw in store.stored_pages(db, article_ids):
        job = PageJob(url=url, guid=guid, feed_id=feed_id, published_at=published_at, title=title)
        ids[url] = article_id
        try:
            pages.append((job, decompress_html(rawstore.load(db, raw)), fetched_at))
        except Exception as exc:  # noqa: BLE001 -- a corrupt stored page is reported, the rest go on
            result.failed_ids.append(article_id)
            result.failures.append(f"{url}: stored HTML unreadable: {exc}")
    # the raw HTML is stored already: workers skip re-compressing it and the write leaves it alone
    processed = process_pages(pages, extractor, keep_raw=False)
    articles = [a for a in processed if isinstance(a, Article)]
    for failure in (f for f in processed if isinstance(f, PageFailure)):
        result.failed_ids.append(ids[failure.url])
        result.failures.append(f"{failure.url}: {failure.error}")
    store.write_batch(db, articles, replace_facts=True)
    result.n_done = len(articles)
    result.n_capex = sum(a.analysis.classification.is_capex for a in articles)
    result.n_facts = sum(len(a.analysis.facts) for a in articles)
    return result


# Prefect policy, beside the functions (STYLE.md): discovery and reprocessing are not retried as a
# whole (each page and archive fetch has its own deadline; a failed reprocess batch stays due).
# task(name=...)(fn) rather than task(fn, name=...): the same task, in the form Prefect's overloads type.
discover_feeds_task = task(name="discover-feed-history", cache_policy=NO_CACHE)(discover_feed_history)
discover_sitemap_task = task(name="discover-sitemap", cache_policy=NO_CACHE)(discover_sitemap)
reprocess_batch_task = task(name="reprocess-articles", cache_policy=NO_CACHE)(reprocess_batch)
