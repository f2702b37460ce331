"""Stored articles with real compressed HTML, and reading their raw HTML back, for the pack tests."""

from __future__ import annotations

import os
from datetime import datetime
from pathlib import Path

import zstandard

from tasks import store
from tasks.ingest.pool import decompress_html
from tasks.models import Analysis, Article, Classification
from tasks.store import rawstore
from tests.support.site import article_html


def pages(first: int, n: int) -> list[Article]:
    """Articles `first` .. `first + n - 1`, each with its page compressed as one zstd frame."""
    compressor = zstandard.ZstdCompressor(level=3)
    out = []
    for i in range(first, first + n):
        url = f"https://news.example.com/{i}.html"
        out.append(Article(
            article_id=store.article_id_for(url), url=url, guid=None, feed_id=None, title=f"story {i}", author=None,
            site_name="Example", published_at=datetime(2025, 3, 1), fetched_at=datetime(2025, 3, 2), language="en",
            text=f"story {i}", raw_html_zstd=compressor.compress(article_html(i, datetime(2025, 3, 1))),
            analysis=Analysis(Classification(False, 0.1, ()), (), "v1"),
        ))
    return out


def stored_html(db: str | os.PathLike[str]) -> dict[str, bytes]:
    """article_id -> the decompressed raw HTML, read back the way reprocess reads it."""
    _, rows = store.query(db, "select article_id from article_raw")
    return {row[0]: decompress_html(rawstore.load(db, row[-1]))
            for row in store.stored_pages(db, [r[0] for r in rows])}


def only_pack(db: str | os.PathLike[str]) -> Path:
    """The one pack file of a database."""
    (pack,) = rawstore.pack_dir(db).glob("*.zst")
    return pack
