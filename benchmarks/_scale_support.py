"""Helpers of `make bench-scale`: realistic articles, writer processes, store sizes.

Articles: real text from ../shared/corpus/news-2025-2026/articles.jsonl.gz (the aggregator's
Markdown, analysed by the rules extractor once) paired with a real news page of
../shared/corpus/articles compressed as the pipeline does (zstd level 3), so rows carry the bytes a
poll writes. Without the jsonl, the pages' own text (trafilatura) is used, with a message.
"""

from __future__ import annotations

import dataclasses
import gzip
import json
import multiprocessing
import os
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from typing import Any

from benchmarks._support import CORPUS, corpus_pages
from tasks.models import Article

NEWS = CORPUS / "news-2025-2026" / "articles.jsonl.gz"
# real texts analysed once and reused under new URLs: enough variety, ~3 s of extraction
SAMPLE_TEXTS = 1000
# a process's writers wait for each other here before the clock starts
START_TIMEOUT_S = 120


def sample_articles() -> list[Article]:
    """Processed articles with real text, facts and compressed raw HTML (reused under new URLs)."""
    import zstandard

    from tasks.ingest.pool import ZSTD_LEVEL

    compress = zstandard.ZstdCompressor(level=ZSTD_LEVEL).compress
    raws = [compress(page) for page in corpus_pages()]
    if not NEWS.exists():
        print(f"{NEWS} is absent: using the text of the {len(raws)} corpus pages instead", flush=True)
        return _from_pages(raws)
    from tasks.extract.extractor import get_extractor

    extractor = get_extractor()
    fetched = datetime(2026, 1, 1)
    articles = []
    for i, record in enumerate(_news_records()):
        published = datetime.fromisoformat(record["published"].replace("Z", "")) if record.get("published") else None
        analysis = extractor.analyse(record["title"], record["markdown"], published.date() if published else None)
        articles.append(Article("", "", None, None, record["title"], None, record.get("category"), published,
                                fetched, "en", record["markdown"], raws[i % len(raws)], analysis))
    return articles


def _news_records() -> Iterator[dict[str, Any]]:
    """The first SAMPLE_TEXTS records with a body of a real article's length (over 500 characters)."""
    taken = 0
    with gzip.open(NEWS, "rt", encoding="utf-8") as lines:
        for line in lines:
            record = json.loads(line)
            if len(record.get("markdown") or "") > 500:
                yield record
                taken += 1
                if taken == SAMPLE_TEXTS:
                    return


def _from_pages(raws: list[bytes]) -> list[Article]:
    from tasks.errors import ExtractionError
    from tasks.ingest.pool import process_page
    from tasks.models import PageJob

    now = datetime(2026, 1, 1)
    articles = []
    for i, body in enumerate(corpus_pages()):
        try:
            article = process_page(PageJob(f"https://scale.example/{i}", None, None, None, None), body, now)
        except ExtractionError:  # a page without article text is simply not in the sample
            continue
        articles.append(dataclasses.replace(article, raw_html_zstd=raws[i]))
    return articles


def batch(sample: Sequence[Article], prefix: str, start: int, size: int) -> list[Article]:
    """`size` sample articles under the new URLs https://scale.example/<prefix>/<start..start+size>.

    Each gets a text and a page of its own (its URL appended to the text, a zstd skippable frame naming
    it before the page): repeated values would shrink a merged Parquet file's dictionary-encoded
    columns to a fraction of what real, all-different articles take.
    """
    from tasks.models import article_id_for

    out = []
    for n in range(start, start + size):
        url = f"https://scale.example/{prefix}/{n}"
        model = sample[n % len(sample)]
        out.append(dataclasses.replace(model, url=url, article_id=article_id_for(url), text=f"{model.text}\n{url}",
                                       raw_html_zstd=skippable_frame(url.encode()) + model.raw_html_zstd))
    return out


def skippable_frame(payload: bytes) -> bytes:
    """A zstd skippable frame carrying `payload` (decoders skip it: the bytes stay a zstd stream)."""
    return (0x184D2A50).to_bytes(4, "little") + len(payload).to_bytes(4, "little") + payload


def _writer(db: str, sample: list[Article], prefix: str, n_batches: int, batch_size: int, start: Any,
            results: Any) -> None:
    """A writer process: one warm-up batch (opens the store), wait for the others, then n_batches timed."""
    from tasks import store

    store.write_batch(db, batch(sample, f"{prefix}-warm", 0, batch_size))
    start.wait(START_TIMEOUT_S)
    began = time.time()
    for b in range(n_batches):
        store.write_batch(db, batch(sample, prefix, b * batch_size, batch_size))
    results.put((prefix, n_batches * batch_size, began, time.time()))


def run_writers(db: str, sample: list[Article], n_procs: int, n_batches: int, batch_size: int,
                tag: str) -> dict[str, float]:
    """n_procs writer processes at once (spawned, as separate workers are); per-process and aggregate rates."""
    context = multiprocessing.get_context("spawn")
    start, results = context.Barrier(n_procs), context.Queue()
    procs = [context.Process(target=_writer, args=(db, sample, f"{tag}-p{p}", n_batches, batch_size, start,
                                                   results)) for p in range(n_procs)]
    for proc in procs:
        proc.start()
    try:
        done = [results.get(timeout=600) for _ in procs]
    finally:
        for proc in procs:
            proc.join(timeout=60)
            if proc.is_alive():
                proc.kill()
    if any(proc.exitcode != 0 for proc in procs):
        raise SystemExit(f"a writer process failed ({tag}): exit codes {[p.exitcode for p in procs]}")
    articles = sum(r[1] for r in done)
    wall = max(r[3] for r in done) - min(r[2] for r in done)
    per_proc = [r[1] / (r[3] - r[2]) for r in done]
    return {"processes": n_procs, "articles": articles, "wall_s": wall, "aggregate_per_s": articles / wall,
            "per_process_per_s": sum(per_proc) / len(per_proc)}


def dir_bytes(path: Path) -> int:
    """Bytes of the files under `path` (0 when it does not exist)."""
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file()) if path.exists() else 0


def parquet_files(data: Path) -> int:
    """How many Parquet files a lake's data directory holds."""
    return sum(1 for _ in data.rglob("*.parquet"))


def catalog_bytes(dsn: str) -> int:
    """pg_database_size of the lake's catalog database."""
    import psycopg

    with psycopg.connect(dsn, connect_timeout=10) as session:
        row = session.execute("select pg_database_size(current_database())").fetchone()
    return int(row[0]) if row else 0


def file_store_bytes(db: Path) -> int:
    """A DuckDB file's bytes with its WAL and its raw HTML packs."""
    from tasks.store import rawstore

    wal = db.with_name(db.name + ".wal")
    return sum(p.stat().st_size for p in (db, wal) if p.exists()) + dir_bytes(rawstore.pack_dir(db))


def set_data_path(path: Path) -> None:
    """CAPEX_DATA_PATH for this process and the writer processes it spawns."""
    path.mkdir(parents=True, exist_ok=True)
    os.environ["CAPEX_DATA_PATH"] = str(path)


# The bulk path of the growth beyond what write_batch grows in reasonable time: the store's own rows
# copied in SQL under new keys (same bytes per row, one transaction per doubling, under the
# writers' lock). A copied key is sha256(key, round) cut to the key's length: new and unique.
_COPIED = ("facts", "article_raw", "articles")  # articles last: the copies of the others pick from it
_NEW_KEY = {"article_id": "substr(sha256(article_id || $1), 1, 16)", "fact_id": "substr(sha256(fact_id || $1), 1, 20)",
            "url": "url || '#copy' || $1", "text": "text || $1", "raw_html_zstd": "raw_html_zstd || $3"}


def copy_rows(db: str | Path, target: int) -> int:
    """Copy stored articles (with their raw HTML and facts) under new keys until `target` are stored.

    A copy's text and page are made its own as in batch() (in a file, copies share their pack bytes).
    """
    from tasks import store

    done = 0
    while (count := count_articles(db)) < target:
        with store.write_connection(db) as con:
            con.execute("begin transaction")
            for table in _COPIED:
                columns = [r[0] for r in con.execute(
                    "select column_name from duckdb_columns() where database_name = current_database() "
                    "and table_name = ? order by column_index", [table]).fetchall()]
                exprs = ", ".join(_NEW_KEY.get(c, c) for c in columns)
                params: list[Any] = [f":{count}", min(count, target - count)]
                if "raw_html_zstd" in columns:
                    params.append(skippable_frame(f":{count}".encode()))
                con.execute(f"insert into {table} ({', '.join(columns)}) select {exprs} from {table} "
                            "where article_id in (select article_id from articles order by article_id limit $2)",
                            params)
            con.execute("commit")
        done += min(count, target - count)
    return done


# Reads of this process that failed once after maintain() in this process (see count_articles)
STALE_READS: list[str] = []


def count_articles(db: str | Path) -> int:
    """Stored articles. A lake's read-only attachment kept by this process can fail after maintain() flushed
    inlined rows ("ducklake_inlined_data_... does not exist"), and store.query turns the error into a
    StoreError inside the cursor, so the attachment is never dropped: drop it here and read again."""
    from tasks import store
    from tasks.store import lake

    try:
        return int(store.query(db, "select count(*) from articles")[1][0][0])
    except store.StoreError as exc:
        if not lake.is_lake(db):
            raise
        STALE_READS.append(" ".join(f"{exc} (from: {exc.__cause__})".split()))
        lake.forget(lake.parse_target(db))
        return int(store.query(db, "select count(*) from articles")[1][0][0])


def live_files(dsn: str) -> tuple[int, int]:
    """A lake's data files in its current snapshot (from the catalog): how many, and their bytes."""
    import psycopg

    with psycopg.connect(dsn, connect_timeout=10) as session:
        row = session.execute("select count(*), coalesce(sum(file_size_bytes), 0) from ducklake_data_file "
                              "where end_snapshot is null").fetchone()
    return (int(row[0]), int(row[1])) if row else (0, 0)


CLOSE = "close (checkpoint)"


class _TimedClose:
    """A DuckDB connection whose close() (the file's checkpoint) is timed into `seconds`."""

    def __init__(self, con: Any, seconds: dict[str, float]) -> None:
        self._con, self._seconds = con, seconds

    def __getattr__(self, name: str) -> Any:
        return getattr(self._con, name)

    def close(self) -> None:
        started = time.perf_counter()
        self._con.close()
        self._seconds[CLOSE] = self._seconds.get(CLOSE, 0.0) + time.perf_counter() - started


@contextmanager
def breakdown() -> Iterator[dict[str, float]]:
    """While inside, the seconds write_batch spends in each table's bulk_insert, in _link_copies (a select by
    content hash) and in closing a DuckDB file (which checkpoints it)."""
    import tasks.store.articles as articles_module
    import tasks.store.connect as connect_module

    seconds: dict[str, float] = {}
    targets = [(articles_module, "bulk_insert"), (articles_module, "_link_copies"),
               (connect_module, "_connect_retrying")]
    bulk, link, connect = (getattr(module, name) for module, name in targets)

    def add(key: str, started: float) -> None:
        seconds[key] = seconds.get(key, 0.0) + time.perf_counter() - started

    def timed_bulk(con: Any, table: str, *args: Any, **kwargs: Any) -> None:
        started = time.perf_counter()
        try:
            bulk(con, table, *args, **kwargs)
        finally:
            add(f"bulk_insert {table}", started)

    def timed_link(*args: Any) -> None:
        started = time.perf_counter()
        try:
            link(*args)
        finally:
            add("_link_copies", started)

    def timed_connect(*args: Any, **kwargs: Any) -> Any:
        return _TimedClose(connect(*args, **kwargs), seconds)

    for (module, name), timed in zip(targets, (timed_bulk, timed_link, timed_connect), strict=True):
        setattr(module, name, timed)
    try:
        yield seconds
    finally:
        for (module, name), original in zip(targets, (bulk, link, connect), strict=True):
            setattr(module, name, original)
