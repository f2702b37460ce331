"""`make bench-scale`: the store path of a DuckDB file and of a lake (DuckLake) side by side, and what it means
for 10,000 feeds and a million articles a month.

a. articles per second per writer: write_batch of 50 realistic articles (real text and facts, a real
   page's compressed HTML), one writer process, then two at once on the same store (aggregate);
b. commit latency of a 50-article batch as the store grows (1k, 10k, 100k articles): median and p95,
   then maintain() (lake: flush, merge, expire; file: CHECKPOINT) with its time, the Parquet files
   before and after, the catalog's size (pg_database_size) and the data's bytes per article;
   where a batch's time goes (bulk insert per table, _link_copies, the file's close = checkpoint),
   and the file's latency on both sides of its first row group boundary;
c. the arithmetic for a million articles a month from those figures.

The lake's catalog is a throwaway PostgreSQL on 127.0.0.1 (tests/support/services.py), its data a
directory. The stores grow by write_batch of 1,000 articles up to GROW_BY_BATCH_LIMIT, beyond by
copying their own rows in SQL under new keys (benchmarks/_scale_support.copy_rows): the same bytes
per row without waiting for the Python side of 90,000 writes.

Writes out/bench-scale.json. Usage: python -m benchmarks.scale [--quick] [--batches N] [--latency-batches N]
"""

from __future__ import annotations

import argparse
import json
import math
import statistics
import tempfile
import time
from contextlib import suppress
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from benchmarks import _scale_support as sup
from benchmarks._support import REPO, corpus_pages
from benchmarks.run import _machine
from tasks.models import Article
from tasks.store.transfer import KEEP_SNAPSHOTS_DAYS as KEEP_DAYS

BATCH = 50
GROW_BATCH = 1000
# write_batch grows the store up to here (2-5 s per 1,000 articles in a lake on 2 cores); SQL copies beyond
GROW_BY_BATCH_LIMIT = 10_000
SIZES = (1_000, 10_000, 100_000)
# the writer processes get this many sample articles (pickled to each)
WRITER_SAMPLE = 300
# pages timed through process_page (trafilatura + rules) for the per-worker arithmetic
EXTRACT_PAGES = 40

# just below and above the file's first row group boundary (DuckDB's row groups hold 122,880 rows)
ROW_GROUP_SIZES = (122_000, 124_000)
# lookups of 50 ids timed per size (a few ms each)
KEY_LOOKUPS = 20
# statements of a lake batch that read a growing table's key column: the existence check, _link_copies
# (content_hash), and the insert-if-absent MERGEs of articles, article_raw and facts
KEY_SCANS_PER_BATCH = 5

# (c) the target, and the one figure not measured here: news arrives in bursts (a morning, an
# earnings day); size the workers for this multiple of the month's average rate
ARTICLES_PER_MONTH = 1_000_000
FEEDS = 10_000
PEAK_FACTOR = 5
SECONDS_PER_MONTH = 30 * 86_400


def bench_writers(pg: Any, sample: list[Article], tmp: Path, n_batches: int) -> list[dict[str, Any]]:
    """(a) one writer process, then two at once, on a fresh file and a fresh lake."""
    rows = []
    for backend in ("file", "lake"):
        db = _fresh(pg, tmp, f"writers_{backend}") if backend == "lake" else str(tmp / "writers.duckdb")
        for n_procs in (1, 2):
            result = sup.run_writers(db, sample[:WRITER_SAMPLE], n_procs, n_batches, BATCH, f"{backend}{n_procs}")
            rows.append({"backend": backend, **result})
            print("a", rows[-1], flush=True)
    return rows


def _fresh(pg: Any, tmp: Path, name: str) -> str:
    """A new lake: a catalog database on the throwaway server, its data in tmp/<name>-data."""
    sup.set_data_path(tmp / f"{name}-data")
    return f"ducklake:postgres:{pg.create_database(name)}"


def bench_growth(pg: Any, sample: list[Article], tmp: Path, sizes: tuple[int, ...],
                 n_latency: int) -> list[dict[str, Any]]:
    """(b) commit latency, maintain() and sizes at each store size, for a lake and a file."""
    rows = []
    for backend in ("lake", "file"):
        db = _fresh(pg, tmp, "growth_lake") if backend == "lake" else str(tmp / "growth.duckdb")
        dsn = db.removeprefix("ducklake:postgres:")
        data = tmp / "growth_lake-data"
        for size in sizes:
            sup.set_data_path(data)  # the lake's settings are read per use
            started = time.perf_counter()
            via_sql = _grow(db, sample, size)
            grow_s = time.perf_counter() - started
            row: dict[str, Any] = {"backend": backend, "articles": sup.count_articles(db), "grow_s": grow_s,
                                   "grown_by_sql_copy": via_sql}
            catalog_before = sup.catalog_bytes(dsn) if backend == "lake" else 0
            files_before = sup.live_files(dsn) if backend == "lake" else (0, 0)
            row["key_lookup_s"] = _key_lookup(db, sample, size)
            with sup.breakdown() as parts:
                row.update(_latency(db, sample, f"lat{size}", n_latency, "before"))
            row["parts_s_per_batch"] = {k: v / n_latency for k, v in parts.items()}
            if backend == "lake":
                row["catalog_bytes_per_commit"] = (sup.catalog_bytes(dsn) - catalog_before) / n_latency
                row["files_per_commit"] = (sup.live_files(dsn)[0] - files_before[0]) / n_latency
            row.update(_maintain(db, dsn, data, backend))
            row["key_lookup_after_s"] = _key_lookup(db, sample, -size)
            row.update(_latency(db, sample, f"after{size}", max(3, n_latency // 2), "after"))
            row["articles_after"] = sup.count_articles(db)
            rows.append(row)
            print("b", {k: round(v, 4) if isinstance(v, float) else v for k, v in row.items()}, flush=True)
    return rows


def bench_row_groups(sample: list[Article], tmp: Path, n_latency: int) -> list[dict[str, Any]]:
    """The file's latency on both sides of its first row group boundary (122,880 rows): a DuckDB
    checkpoint rewrites the last row group of a table it changes, so the cost rises with it and drops."""
    from tasks import store

    db = str(tmp / "growth.duckdb")
    rows = []
    for size in ROW_GROUP_SIZES:
        sup.copy_rows(db, size)
        with sup.breakdown() as parts:
            row: dict[str, Any] = {"articles": sup.count_articles(db),
                                   **_latency(db, sample, f"rg{size}", n_latency, "before")}
        row["close_s_per_batch"] = parts.get(sup.CLOSE, 0.0) / n_latency
        groups = "select count(distinct row_group_id) from pragma_storage_info('articles')"
        row["row_groups"] = store.query(db, groups)[1][0][0]
        rows.append(row)
        print("row groups", row, flush=True)
    return rows


def _grow(db: str, sample: list[Article], target: int) -> int:
    """Grow the store to `target` articles; how many of them were SQL copies."""
    from tasks import store

    count = sup.count_articles(db)
    while count < min(target, GROW_BY_BATCH_LIMIT):
        size = min(GROW_BATCH, target - count)
        store.write_batch(db, sup.batch(sample, "grow", count, size))
        count += size
    return sup.copy_rows(db, target) if count < target else 0


def _latency(db: str, sample: list[Article], prefix: str, n: int, tag: str) -> dict[str, float]:
    """Seconds per 50-article write_batch over n batches: median and p95."""
    from tasks import store

    times = []
    for b in range(n):
        articles = sup.batch(sample, prefix, b * BATCH, BATCH)
        started = time.perf_counter()
        store.write_batch(db, articles)
        times.append(time.perf_counter() - started)
    times.sort()
    return {f"{tag}_median_s": statistics.median(times), f"{tag}_mean_s": statistics.fmean(times),
            f"{tag}_p95_s": times[math.ceil(0.95 * len(times)) - 1],
            f"{tag}_batches": n}


def _key_lookup(db: str, sample: list[Article], size: int) -> float:
    """Median seconds of write_batch's existence check alone: 50 new article ids looked up in `articles`.

    The part of a commit that must grow with the store (a lake has no index: it reads the key column).
    """
    from tasks import store
    from tasks.store.sql import json_list

    times = []
    for n in range(KEY_LOOKUPS):
        ids = json_list([a.article_id for a in sup.batch(sample, f"key{size}-{n}", 0, BATCH)])
        started = time.perf_counter()
        store.query(db, "select article_id from articles where article_id in (select unnest(?::json::varchar[]))",
                    [ids])
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def _maintain(db: str, dsn: str, data: Path, backend: str) -> dict[str, Any]:
    """maintain() once: its time, files before and after, catalog and data bytes per article."""
    from tasks.store.transfer import maintain

    before = sup.live_files(dsn) if backend == "lake" else (0, 0)
    disk_before = sup.parquet_files(data) if backend == "lake" else 0
    started = time.perf_counter()
    report = maintain(db)
    row: dict[str, Any] = {"maintain_s": time.perf_counter() - started, "maintain_steps": report.steps}
    stale = len(sup.STALE_READS)
    n = sup.count_articles(db)
    row["stale_read_after_maintain"] = len(sup.STALE_READS) > stale
    if backend == "file":
        size = sup.file_store_bytes(Path(db))
        packs = sup.dir_bytes(Path(db + ".raw"))
        return {**row, "store_bytes": size, "db_bytes_per_article": (size - packs) / n, **_raw_bytes(db, n)}
    after = sup.live_files(dsn)
    catalog = sup.catalog_bytes(dsn)
    disk = sup.dir_bytes(data)
    return {**row, "live_files_before": before[0], "live_files_after": after[0], "disk_files_before": disk_before,
            "disk_files_after": sup.parquet_files(data), "catalog_bytes": catalog, "live_data_bytes": after[1],
            "live_data_bytes_per_article": after[1] / n, "disk_data_bytes": disk, "disk_bytes_per_article": disk / n}


def _raw_bytes(db: str, n: int) -> dict[str, float]:
    """The compressed pages' bytes per article (in a file, SQL copies share their pack bytes)."""
    from tasks import store

    total = store.query(db, "select coalesce(sum(raw_bytes), 0) from article_raw")[1][0][0]
    return {"raw_bytes_per_article": float(total) / n}


def bench_extract(n_pages: int) -> dict[str, float]:
    """Seconds of one worker core per page through process_page (trafilatura + rules), the other half of a poll."""
    from tasks.errors import ExtractionError
    from tasks.ingest.pool import process_page
    from tasks.models import PageJob

    now = datetime(2026, 1, 1)
    pages = corpus_pages()
    for body in pages[:2]:  # warm-up: imports, regex compilation
        process_page(PageJob("https://scale.example/warm", None, None, None, None), body, now)
    times = []
    for i, body in enumerate(pages[2:n_pages + 2]):
        started = time.perf_counter()
        with suppress(ExtractionError):  # a page without article text still cost its parse
            process_page(PageJob(f"https://scale.example/x/{i}", None, None, None, None), body, now)
        times.append(time.perf_counter() - started)
    return {"pages": len(times), "mean_s": statistics.fmean(times), "median_s": statistics.median(times)}


def arithmetic(a: list[dict[str, Any]], b: list[dict[str, Any]], extract: dict[str, float],
               g: list[dict[str, Any]]) -> dict[str, float]:
    """(c) workers, storage and catalog for ARTICLES_PER_MONTH from FEEDS, from the measured figures."""
    lake = [r for r in b if r["backend"] == "lake"]
    files = [r for r in b if r["backend"] == "file"]
    last, last_file = lake[-1], files[-1]
    commits = ARTICLES_PER_MONTH / BATCH
    avg_rate = ARTICLES_PER_MONTH / SECONDS_PER_MONTH
    store_s = last["before_median_s"] / BATCH
    per_worker = 1 / (extract["mean_s"] + store_s)
    # what grows with the lake is reading key columns (no index): a line through the key lookups measured
    # after maintain() (the steady state of a maintained lake; before it, each small file adds its own cost),
    # KEY_SCANS_PER_BATCH of them per batch, added to the latency measured at the largest size
    slope, _ = _fit([r["articles"] for r in lake], [r["key_lookup_after_s"] for r in lake])
    year = 12 * ARTICLES_PER_MONTH
    at_year = last["before_median_s"] + KEY_SCANS_PER_BATCH * max(slope, 0.0) * (year - last["articles"])
    two = next(r for r in a if r["backend"] == "lake" and r["processes"] == 2)
    # the file's latency climbs through each row group and drops after it: its mean is about the middle
    file_mean = (files[0]["before_median_s"] + g[0]["before_median_s"]) / 2 if g else last_file["before_median_s"]
    return {
        "file_mean_latency_s": file_mean, "file_ceiling_articles_per_s": BATCH / file_mean,
        "articles_per_month": ARTICLES_PER_MONTH, "feeds": FEEDS, "largest_lake_articles": last["articles"],
        "articles_per_feed_per_day": ARTICLES_PER_MONTH / FEEDS / 30,
        "average_articles_per_s": avg_rate, "peak_factor": PEAK_FACTOR, "peak_articles_per_s": avg_rate * PEAK_FACTOR,
        "extract_s_per_article": extract["mean_s"], "store_s_per_article": store_s,
        "articles_per_s_per_worker": per_worker,
        "workers_for_peak": math.ceil(avg_rate * PEAK_FACTOR / per_worker),
        "lake_ceiling_articles_per_s": BATCH / last["before_median_s"],
        "lake_two_writers_articles_per_s": two["aggregate_per_s"],
        "commits_per_month": commits,
        "data_gb_per_month": last["live_data_bytes_per_article"] * ARTICLES_PER_MONTH / 1e9,
        # maintain() deletes merged-away files only after KEEP_SNAPSHOTS_DAYS: the directory holds more
        "disk_kb_per_article": last["disk_bytes_per_article"] / 1024,
        "raw_kb_per_article": last_file["raw_bytes_per_article"] / 1024,
        "file_gb_per_month": (last_file["db_bytes_per_article"] + last_file["raw_bytes_per_article"])
        * ARTICLES_PER_MONTH / 1e9,
        # pg_database_size moves in 8 KB pages: the mean over every size's commits
        "catalog_bytes_per_commit": statistics.fmean(r["catalog_bytes_per_commit"] for r in lake),
        "catalog_gb_per_month": statistics.fmean(r["catalog_bytes_per_commit"] for r in lake) * commits / 1e9,
        "parquet_files_per_month_unmaintained": last["files_per_commit"] * commits,
        "key_lookup_slope_s_per_100k": slope * 100_000, "latency_at_12m_articles_s": at_year,
        "lake_ceiling_at_12m_articles_per_s": BATCH / at_year if at_year > 0 else float("inf"),
    }


def _fit(xs: list[float], ys: list[float]) -> tuple[float, float]:
    """Slope and intercept of the least-squares line through (xs, ys); a flat line through one point."""
    if len(xs) < 2:
        return 0.0, ys[0]
    fit = statistics.linear_regression(xs, ys)
    return fit.slope, fit.intercept


def report(a: list[dict[str, Any]], b: list[dict[str, Any]], c: dict[str, float], g: list[dict[str, Any]],
           seconds: float) -> str:
    """The tables printed at the end (and pasted into docs/SCALING.md)."""
    single = {r["backend"]: r for r in a if r["processes"] == 1}
    lines = [f"bench-scale, {datetime.now(UTC):%Y-%m-%d %H:%M} UTC, {_machine()}, {seconds:.0f} s", "",
             f"a. store path, write_batch of {BATCH} articles ({a[0]['articles'] // a[0]['processes']} per writer)",
             "| backend | writers | articles/s per writer | aggregate articles/s |", "|---|---|---|---|"]
    lines += [f"| {r['backend']} | {r['processes']} | {r['per_process_per_s']:.0f} | {r['aggregate_per_s']:.0f} |"
              for r in a]
    two = {r["backend"]: r for r in a if r["processes"] == 2}
    one_ratio = single["lake"]["per_process_per_s"] / single["file"]["per_process_per_s"]
    lines += ["", f"lake / file, one writer: {one_ratio:.2f}x;"
              f" two writers / one, lake: {two['lake']['aggregate_per_s'] / single['lake']['aggregate_per_s']:.2f}x,"
              f" file: {two['file']['aggregate_per_s'] / single['file']['aggregate_per_s']:.2f}x", "",
              f"b. commit latency of a {BATCH}-article batch as the store grows (ms), maintain()",
              "| backend | articles | grown by | median | p95 | key lookup | maintain s | median after "
              "| key lookup after | live files before -> after | catalog MB | KB/article data "
              "| catalog KB per commit |",
              "|---|---|---|---|---|---|---|---|---|---|---|---|---|"]
    for r in b:
        grown = f"SQL copy {r['grown_by_sql_copy']}" if r["grown_by_sql_copy"] else "write_batch"
        if r["backend"] == "lake":
            extra = (f"{r['live_files_before']} -> {r['live_files_after']} | {r['catalog_bytes'] / 2**20:.1f} | "
                     f"{r['live_data_bytes_per_article'] / 1024:.1f} | {r['catalog_bytes_per_commit'] / 1024:.0f}")
        else:
            extra = (f"- | - | {(r['db_bytes_per_article'] + r['raw_bytes_per_article']) / 1024:.1f} "
                     f"(db {r['db_bytes_per_article'] / 1024:.1f} + pages {r['raw_bytes_per_article'] / 1024:.1f}) | -")
        lines.append(f"| {r['backend']} | {r['articles']} | {grown} | {1000 * r['before_median_s']:.0f} | "
                     f"{1000 * r['before_p95_s']:.0f} | {1000 * r['key_lookup_s']:.1f} | {r['maintain_s']:.1f} | "
                     f"{1000 * r['after_median_s']:.0f} | {1000 * r['key_lookup_after_s']:.1f} | {extra} |")
    lines += _parts(b)
    if g:
        lines += ["", "the file at its first row group boundary (a checkpoint rewrites the last row group)",
                  "| articles | row groups of articles | median ms | p95 ms | close (checkpoint) ms |",
                  "|---|---|---|---|---|"]
        lines += [f"| {r['articles']} | {r['row_groups']} | {1000 * r['before_median_s']:.0f} | "
                  f"{1000 * r['before_p95_s']:.0f} | {1000 * r['close_s_per_batch']:.0f} |" for r in g]
    for size in sorted({r["articles"] for r in b}):
        pair = {r["backend"]: r for r in b if r["articles"] == size}
        if len(pair) == 2:
            ratio = pair["lake"]["before_median_s"] / pair["file"]["before_median_s"]
            lines.append(f"lake / file median latency at {size}: {ratio:.2f}x")
    lines += ["", f"c. {ARTICLES_PER_MONTH:,} articles a month from {FEEDS:,} feeds",
              f"- average {c['average_articles_per_s']:.2f} articles/s; sized for {PEAK_FACTOR}x bursts: "
              f"{c['peak_articles_per_s']:.2f} articles/s",
              f"- one worker process: extract {1000 * c['extract_s_per_article']:.0f} ms + store "
              f"{1000 * c['store_s_per_article']:.0f} ms per article = {c['articles_per_s_per_worker']:.1f} articles/s "
              f"-> {c['workers_for_peak']} worker process(es) for the bursts (fetch waits not counted)",
              f"- the lake's write ceiling (one writer at a time): {c['lake_ceiling_articles_per_s']:.0f} articles/s "
              f"at {c['largest_lake_articles']:,} articles; two writers measured "
              f"{c['lake_two_writers_articles_per_s']:.0f}",
              f"- a key lookup in a maintained lake grows {1000 * c['key_lookup_slope_s_per_100k']:+.1f} ms per 100k "
              f"articles (fit); with {KEY_SCANS_PER_BATCH} key reads a batch: "
              f"~{c['latency_at_12m_articles_s']:.2f} s per batch at 12M articles (a year), a ceiling of "
              f"{c['lake_ceiling_at_12m_articles_per_s']:.0f} articles/s "
              f"(a line through {len(c_points := [r for r in b if r['backend'] == 'lake'])} noisy points, "
              f"extrapolated {12 * ARTICLES_PER_MONTH / c_points[-1]['articles']:.0f}x: the order of magnitude "
              "to watch)",
              f"- the file's ceiling: {c['file_ceiling_articles_per_s']:.0f} articles/s (mean latency "
              f"{c['file_mean_latency_s']:.2f} s over a row group of 122,880 articles)",
              f"- storage a month: lake data {c['data_gb_per_month']:.1f} GB, file {c['file_gb_per_month']:.1f} GB; "
              f"catalog +{c['catalog_gb_per_month']:.2f} GB ({c['commits_per_month']:,.0f} commits of {BATCH}); "
              f"{c['parquet_files_per_month_unmaintained']:,.0f} Parquet files a month without maintain(); "
              f"the compressed pages are {c['raw_kb_per_article']:.1f} KB of an article; the lake's directory held "
              f"{c['disk_kb_per_article']:.1f} KB per article (merged-away files wait {KEEP_DAYS} days)"]
    if sup.STALE_READS:
        lines.append(f"- NOTE: {len(sup.STALE_READS)} read(s) of this process failed after maintain() in this process "
                     f"and passed once its lake attachment was dropped: {sup.STALE_READS[0][:400]}")
    return "\n".join(lines)


def _parts(b: list[dict[str, Any]]) -> list[str]:
    """Where a 50-article write_batch's time goes (ms per batch), before maintain()."""
    names = sorted({k for r in b for k in r["parts_s_per_batch"]})
    lines = ["", f"where a {BATCH}-article write_batch's time goes (ms per batch; rest: key checks, fingerprints, "
             "the lake's lock and commit, the file's open and commit)",
             f"| backend | articles | total | {' | '.join(names)} | rest |",
             "|---|---|---|" + "---|" * (len(names) + 1)]
    for r in b:
        parts = r["parts_s_per_batch"]
        total = r["before_mean_s"]
        cells = " | ".join(f"{1000 * parts[k]:.0f}" if k in parts else "-" for k in names)
        lines.append(f"| {r['backend']} | {r['articles']} | {1000 * total:.0f} | {cells} | "
                     f"{1000 * (total - sum(parts.values())):.0f} |")
    return lines


def main() -> None:
    """Run (a), (b), (c); print the tables; write out/bench-scale.json."""
    from tests.support.services import postgres_server

    parser = argparse.ArgumentParser()
    parser.add_argument("--quick", action="store_true", help="grow to 1k and 10k articles only")
    parser.add_argument("--batches", type=int, default=20, help="50-article batches per writer in (a)")
    parser.add_argument("--latency-batches", type=int, default=15, help="50-article batches timed per size in (b)")
    parser.add_argument("--out", default=str(REPO / "out" / "bench-scale.json"))
    args = parser.parse_args()
    started = time.perf_counter()
    sample = sup.sample_articles()
    extract = bench_extract(EXTRACT_PAGES)
    print("extract", extract, flush=True)
    sizes = SIZES[:2] if args.quick else SIZES
    with tempfile.TemporaryDirectory(prefix="capex-scale-") as name, postgres_server() as pg:
        a = bench_writers(pg, sample, Path(name), args.batches)
        b = bench_growth(pg, sample, Path(name), sizes, args.latency_batches)
        g = [] if args.quick else bench_row_groups(sample, Path(name), max(3, args.latency_batches // 3))
    c = arithmetic(a, b, extract, g)
    seconds = time.perf_counter() - started
    text = report(a, b, c, g, seconds)
    print(text)
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    result = {"machine": _machine(), "seconds": seconds, "writers": a, "growth": b, "row_groups": g,
              "extract": extract, "arithmetic": c, "table": text}
    out.write_text(json.dumps(result, indent=1, default=str))
    print(f"wrote {out}")


if __name__ == "__main__":
    main()
