"""Records passed between pipeline stages; field names = column names = JSON keys."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import UTC, date, datetime


@dataclass(frozen=True, slots=True)
class FeedConfig:
    """One feed as the user listed it in the feeds file."""

    name: str
    url: str
    tags: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class FeedsFile:
    """The parsed feeds file: global settings plus the feeds."""

    feeds: tuple[FeedConfig, ...]
    allow_private_networks: bool = False


@dataclass(frozen=True, slots=True)
class FeedState:
    """A feed as stored in the `feeds` table, with its conditional-GET validators."""

    feed_id: int
    name: str
    url: str
    etag: str | None = None
    last_modified: str | None = None
    consecutive_failures: int = 0
    next_poll_at: datetime | None = None
    is_active: bool = True


@dataclass(frozen=True, slots=True)
class FetchResult:
    """The outcome of one HTTP GET: either a response (any status) or an error message."""

    url: str
    final_url: str
    http_status: int | None
    headers: dict[str, str] = field(default_factory=dict)
    body: bytes = b""
    error: str | None = None
    retry_after: float | None = None
    elapsed_s: float = 0.0


@dataclass(frozen=True, slots=True)
class FeedItem:
    """One entry of a parsed feed, with its normalised URL."""

    url: str
    guid: str | None
    title: str | None
    published_at: datetime | None
    summary: str | None = None


@dataclass(frozen=True, slots=True)
class Classification:
    """Is this story about AI capex? `reasons` lists the matched evidence."""

    is_capex: bool
    score: float
    reasons: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Fact:
    """One AI-capex figure with the sentence that states it (offsets into the article text)."""

    companies: tuple[str, ...]
    amount: float | None
    amount_low: float | None
    amount_high: float | None
    currency: str
    amount_usd: float | None
    period: str | None
    period_start: date | None
    period_end: date | None
    kind: str
    status: str
    qualifier: str | None
    evidence: str
    evidence_start: int
    evidence_end: int
    # spenders named in the text that the registry (tasks/extract/facts/companies.toml) does not know
    unregistered: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Analysis:
    """What an extractor says about one article: its classification and facts."""

    classification: Classification
    facts: tuple[Fact, ...]
    extractor_version: str


@dataclass(frozen=True, slots=True)
class ExtractedPage:
    """Trafilatura's view of one HTML page."""

    title: str | None
    text: str
    published: date | None
    author: str | None
    site_name: str | None
    language: str | None


@dataclass(frozen=True, slots=True)
class Article:
    """A processed article ready to store: page metadata, text, raw HTML and analysis."""

    article_id: str
    url: str
    guid: str | None
    feed_id: int | None
    title: str | None
    author: str | None
    site_name: str | None
    published_at: datetime | None
    fetched_at: datetime
    language: str | None
    text: str
    raw_html_zstd: bytes
    analysis: Analysis


@dataclass(frozen=True, slots=True)
class PageJob:
    """One page to fetch and process."""

    url: str
    guid: str | None
    feed_id: int | None
    published_at: datetime | None
    title: str | None


@dataclass(frozen=True, slots=True)
class PageFailure:
    """A page that could not be fetched or extracted; recorded, never fatal."""

    url: str
    feed_id: int | None
    error: str
    http_status: int | None = None
    # a transient fault (timeout, connection reset, 5xx, 429): the page is queued for another attempt
    is_retryable: bool = False
    retry_after: float | None = None  # seconds the server asked to wait (Retry-After)
    # not attempted (the feed's page budget for the run was spent): queued without costing an attempt
    is_deferred: bool = False


@dataclass(frozen=True, slots=True)
class QueuedPage:
    """A page that was not stored, with what a later attempt needs: where it was listed and why it failed.

    `is_batch_fault` marks pages of a batch that failed as a whole (disk full, lock timeout, database
    error): they are retried by the next run without consuming the page's attempts.
    """

    url: str
    feed_id: int | None
    guid: str | None
    title: str | None
    published_at: datetime | None
    listing_url: str | None
    is_trusted: bool
    error: str
    http_status: int | None = None
    is_retryable: bool = True
    retry_after: float | None = None
    is_batch_fault: bool = False
    backfill_id: str | None = None


# ---------------------------------------------------------------- keys, clock and store records


def utcnow() -> datetime:
    """Naive UTC timestamp, the convention of every `*_at` column."""
    return datetime.now(UTC).replace(tzinfo=None)


def article_id_for(url: str) -> str:
    """Stable article key: 16 hex digits of sha256 of the normalised URL."""
    return hashlib.sha256(url.encode("utf-8")).hexdigest()[:16]


@dataclass(frozen=True, slots=True)
class PollRecord:
    """One poll of one feed, and the feed state to save with it."""

    feed_id: int
    run_id: str | None
    started_at: datetime
    status: str
    http_status: int | None
    items_seen: int
    items_new: int
    pages_failed: int
    bytes_received: int | None
    error: str | None
    # feed state (None = keep): validators are saved only after a 200 response was processed
    etag: str | None = None
    last_modified: str | None = None
    save_validators: bool = False
    consecutive_failures: int = 0
    next_poll_at: datetime | None = None
    new_url: str | None = None
    deactivate: bool = False


@dataclass(frozen=True, slots=True)
class QueuedURL:
    """One URL a backfill discovered and has still to ingest."""

    url: str
    published_at: datetime | None
    listing_url: str | None
    is_trusted: bool
