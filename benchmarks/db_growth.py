"""Commit cost of a 50-article batch as the database grows, raw HTML in packs vs in a DuckDB blob column.

Real corpus pages are processed once, then written again and again under new URLs with
`store.write_batch`, one batch per connection like the flows. The "blob column" layout (how
article_raw kept the HTML before sql/0004) writes the same articles and the same compressed HTML
into `article_raw.raw_html_zstd` in the same transaction, so both layouts pay the same per-row work.

Usage: python -m benchmarks.db_growth [--articles N]
"""

from __future__ import annotations

import argparse
import dataclasses
import tempfile
import time
from datetime import datetime
from pathlib import Path

from benchmarks._support import corpus_pages
from tasks.models import Article

BATCH = 50
# pages processed once and reused: enough variety of sizes, cheap to extract
SAMPLE_PAGES = 60


def _articles() -> list[Article]:
    from tasks.errors import ExtractionError
    from tasks.ingest.pool import process_page
    from tasks.models import PageJob

    now = datetime(2025, 1, 1)
    articles = []
    for i, body in enumerate(corpus_pages()[:SAMPLE_PAGES]):
        try:
            articles.append(process_page(PageJob(f"https://growth.example/{i}", None, None, None, None), body, now))
        except ExtractionError:  # a page without article text is simply not in the sample
            continue
    return articles


def _write_inline(db: Path, batch: list[Article]) -> None:
    from tasks import store

    bare = [dataclasses.replace(a, raw_html_zstd=b"") for a in batch]
    with store.write_connection(db) as con:
        con.execute("begin transaction")
        store.insert_articles(con, db, bare, False)
        store.bulk_insert(con, "article_raw", ("article_id", "raw_html_zstd", "raw_bytes"),
                          [(a.article_id, a.raw_html_zstd, len(a.raw_html_zstd)) for a in batch])
        con.execute("commit")


def grow(n_articles: int, layout: str, tmp: Path) -> dict[str, float]:
    """Write n_articles in batches; mean seconds per batch over the first and the last 1,000 articles."""
    from tasks import store
    from tasks.store import rawstore

    sample = _articles()
    db = tmp / f"growth-{layout}.duckdb"
    times = []
    for b in range(n_articles // BATCH):
        batch = []
        for j in range(BATCH):
            url = f"https://growth.example/{b}/{j}"
            batch.append(dataclasses.replace(sample[(b * BATCH + j) % len(sample)], url=url,
                                             article_id=store.article_id_for(url)))
        started = time.perf_counter()
        if layout == "packs":
            store.write_batch(db, batch)
        else:
            _write_inline(db, batch)
        times.append(time.perf_counter() - started)
    per_k = 1000 // BATCH
    size = db.stat().st_size + sum(p.stat().st_size for p in rawstore.pack_dir(db).glob("*"))
    return {"articles": n_articles, "first_1000_ms": 1000 * sum(times[:per_k]) / per_k,
            "last_1000_ms": 1000 * sum(times[-per_k:]) / per_k, "total_s": sum(times), "bytes_on_disk": size}


def main() -> None:
    """Print both layouts side by side."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--articles", type=int, default=5000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as name:
        for layout in ("blob column", "packs"):
            print(layout, grow(args.articles, layout, Path(name)), flush=True)


if __name__ == "__main__":
    main()
