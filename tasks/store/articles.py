"""Articles, facts and raw HTML written in one transaction per batch; which URLs are known."""

from __future__ import annotations

import hashlib
import logging
import os
from collections.abc import Sequence
from datetime import datetime
from typing import Any

import duckdb

from tasks.errors import StoreError
from tasks.models import Article, FeedItem, PageFailure, PollRecord, QueuedPage, utcnow
from tasks.store import lake, rawstore
from tasks.store.bulk import bulk_insert
from tasks.store.connect import read_connection, write_connection
from tasks.store.feeds import insert_items, record_polls
from tasks.store.identity import content_fingerprint, outlet_of
from tasks.store.queue import record_failures
from tasks.store.sql import first_line, json_list, rollback_quietly

logger = logging.getLogger(__name__)


def known_keys(
    db_path: str | os.PathLike[str], urls: Sequence[str], guids: Sequence[str], include_queued: bool = True
) -> tuple[set[str], set[str]]:
    """Which of these URLs are stored articles or in the retry queue, and which GUIDs were seen, in any feed.

    With include_queued=False only given-up pages count as known besides articles (a backfill
    fetches the queued ones itself).
    """
    if not urls and not guids:
        return set(), set()
    with read_connection(db_path) as con:
        known_urls = {
            r[0]
            for r in con.execute(
                "select url from articles where url in (select unnest(?::json::varchar[])) "
                "union select url from page_failures where url in (select unnest(?::json::varchar[])) "
                "and (? or status = 'given_up')",
                [json_list(urls), json_list(urls), include_queued],
            ).fetchall()
        }
        known_guids = {
            r[0]
            for r in con.execute(
                "select guid from articles where guid in (select unnest(?::json::varchar[]))", [json_list(guids)]
            ).fetchall()
        }
    return known_urls, known_guids


def write_batch(
    db_path: str | os.PathLike[str],
    articles: Sequence[Article],
    failures: Sequence[PageFailure | QueuedPage] = (),
    items: Sequence[tuple[int, FeedItem]] = (),
    poll: PollRecord | None = None,
    replace_facts: bool = False,
    polls: Sequence[PollRecord] = (),
) -> set[str]:
    """Commit one batch (articles, facts, raw HTML, failed pages, feed items, poll) in one transaction.

    Failed pages go to the retry queue (page_failures) or are given up, as their fault says.
    Returns the ids of the articles actually written (already stored ones are skipped).

    Raises:
        StoreError: the batch could not be written (disk full, database error, lock timeout),
            naming the database and the first error; nothing of the batch is committed.
    """
    with write_connection(db_path) as con:
        con.execute("begin transaction")
        try:
            inserted = insert_articles(con, db_path, articles, replace_facts)
            record_failures(con, failures)
            insert_items(con, items)
            record_polls(con, ([poll] if poll is not None else []) + list(polls))
            con.execute("commit")
        except (duckdb.Error, OSError) as exc:
            rollback_quietly(con)
            raise StoreError(f"cannot write to {db_path}: {first_line(exc)}") from exc
        except BaseException:
            rollback_quietly(con)
            raise
    return inserted


_ARTICLE_COLUMNS = (
    "article_id", "url", "guid", "feed_id", "title", "author", "site_name", "published_at",
    "fetched_at", "language", "text", "is_capex", "capex_score", "capex_reasons", "extractor_version",
    "outlet", "content_hash", "duplicate_of",
)


_FACT_COLUMNS = (
    "fact_id", "article_id", "companies", "amount", "amount_low", "amount_high", "currency",
    "amount_usd", "period", "period_start", "period_end", "kind", "status", "qualifier", "evidence",
    "evidence_start", "evidence_end", "extractor_version", "created_at",
)


def insert_articles(
    con: duckdb.DuckDBPyConnection, db_path: str | os.PathLike[str], articles: Sequence[Article], replace: bool
) -> set[str]:
    if not articles:
        return set()
    ids = [a.article_id for a in articles]
    id_list = json_list(ids)
    existing = {
        r[0] for r in con.execute(
            "select article_id from articles where article_id in (select unnest(?::json::varchar[]))", [id_list]
        ).fetchall()
    }
    if replace:
        con.execute("delete from facts where article_id in (select unnest(?::json::varchar[]))", [id_list])
        con.execute("delete from articles where article_id in (select unnest(?::json::varchar[]))", [id_list])
        fresh = list({a.article_id: a for a in articles}.values())
    else:
        fresh = list({a.article_id: a for a in articles if a.article_id not in existing}.values())
    rows = [_article_row(a) for a in fresh]
    _link_copies(con, rows)
    bulk_insert(con, "articles", _ARTICLE_COLUMNS, rows)
    now = utcnow()
    with_raw = [a for a in fresh if a.raw_html_zstd]
    raw_rows: list[tuple[Any, ...]]
    if lake.is_lake(db_path):  # a lake keeps pages inline (see tasks/store/lake.py)
        raw_rows = [(a.article_id, a.raw_html_zstd, len(a.raw_html_zstd), None, None) for a in with_raw]
    else:
        refs = rawstore.append(db_path, [a.raw_html_zstd for a in with_raw], now)
        raw_rows = [(a.article_id, None, ref.length, ref.pack, ref.offset)
                    for a, ref in zip(with_raw, refs, strict=True)]
    bulk_insert(con, "article_raw", ("article_id", "raw_html_zstd", "raw_bytes", "pack", "pack_offset"), raw_rows,
                on_conflict="do update set raw_html_zstd = excluded.raw_html_zstd, raw_bytes = excluded.raw_bytes, "
                            "pack = excluded.pack, pack_offset = excluded.pack_offset")
    fact_rows = [
        _fact_row(a, i, fact, now) for a in fresh for i, fact in enumerate(a.analysis.facts)
    ]
    bulk_insert(con, "facts", _FACT_COLUMNS, fact_rows)
    # a stored page leaves the retry queue, also when it was stored before (a redirect target, a retry)
    con.execute("delete from page_failures where url in (select unnest(?::json::varchar[]))",
                [json_list([a.url for a in articles])])
    return {a.article_id for a in fresh}


def _article_row(a: Article) -> list[Any]:
    c = a.analysis.classification
    return [
        a.article_id, a.url, a.guid, a.feed_id, a.title, a.author, a.site_name, a.published_at,
        a.fetched_at, a.language, a.text, c.is_capex, c.score, list(c.reasons), a.analysis.extractor_version,
        outlet_of(a.url), content_fingerprint(a.text), None,
    ]


def _link_copies(con: duckdb.DuckDBPyConnection, rows: list[list[Any]]) -> None:
    """Set duplicate_of of rows whose fingerprint an earlier article (stored, or earlier in the batch) has."""
    hashes = {r[-2] for r in rows if r[-2]}
    if not hashes:
        return
    first = dict(con.execute(
        "select content_hash, min_by(article_id, fetched_at) from articles "
        "where content_hash in (select unnest(?::json::varchar[])) and duplicate_of is null group by content_hash",
        [json_list(sorted(hashes))]).fetchall())
    for row in rows:
        fingerprint = row[-2]
        if fingerprint:
            original = first.setdefault(fingerprint, row[0])
            row[-1] = None if original == row[0] else original


def _fact_row(a: Article, index: int, fact: Any, now: datetime) -> tuple[Any, ...]:
    version = a.analysis.extractor_version
    fact_id = hashlib.sha256(f"{a.article_id}|{version}|{index}".encode()).hexdigest()[:20]
    return (
        fact_id, a.article_id, list(fact.companies), fact.amount, fact.amount_low, fact.amount_high,
        fact.currency, fact.amount_usd, fact.period, fact.period_start, fact.period_end, fact.kind,
        fact.status, fact.qualifier, fact.evidence, fact.evidence_start, fact.evidence_end, version, now,
    )
