"""`make bench`: the pipeline against its physical floor, side by side in one run.

a. full pipeline (`capex poll` into an empty database over ~1,000 real pages in 10 feeds) vs
   single-process trafilatura on the same pages;
b. second poll of 500 feeds answering 304 (whole process, and the flow after start-up);
c. classify + extract per article (median, p95);
d. reprocess of 1,000 and 10,000 stored articles: throughput and peak memory;
e. start-up of `capex poll` with no work and of `capex extract` on one file;
f. commit cost of a 50-article batch as the database grows, raw HTML in packs vs in a blob column.

Writes docs/PERFORMANCE.md. Usage: python -m benchmarks.run [--pages N] [--feeds N] [--reprocess N ...] [--growth N]
"""

from __future__ import annotations

import argparse
import platform
import statistics
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from benchmarks._support import (
    BIN,
    REPO,
    Routes,
    RunResult,
    corpus_pages,
    pipeline_feeds,
    prefect_server,
    rss,
    run_measured,
    serve,
)
from benchmarks.db_growth import grow


def _flow_seconds(db: Path) -> float:
    from tasks import store

    _, rows = store.query(db, "select epoch(finished_at - started_at) from pipeline_runs "
                              "where finished_at is not null order by started_at desc limit 1")
    return float(rows[0][0]) if rows else float("nan")


def bench_pipeline(pages: list[bytes], n_pages: int, n_feeds: int, tmp: Path) -> dict[str, float]:
    """(a) capex poll over n_pages real pages vs single-process trafilatura on the same pages."""
    import trafilatura

    routes = Routes()
    chosen = [pages[i % len(pages)] for i in range(n_pages)]
    with serve(routes) as base:
        feeds = pipeline_feeds(routes, base, chosen, n_feeds, tmp / "pipeline.toml")
        db = tmp / "pipeline.duckdb"
        run = run_measured([str(BIN / "capex"), "poll", "--feeds", str(feeds), "--db", str(db)])
        _check(run, "capex poll")
        flow_s = _flow_seconds(db)
    per_page = []
    for body in chosen:
        started = time.perf_counter()
        trafilatura.bare_extraction(body, with_metadata=True, include_comments=False, include_tables=False)
        per_page.append(time.perf_counter() - started)
    single_s = sum(per_page)
    pool_s, pool_pages = _pool_alone(chosen[:POOL_CEILING_PAGES])
    return {
        "pages": n_pages, "pipeline_process_s": run.seconds, "pipeline_flow_s": flow_s,
        "pipeline_peak_mb": run.peak_pss_mb, "trafilatura_single_s": single_s,
        "ratio_flow": single_s / flow_s, "ratio_process": single_s / run.seconds,
        "pool_pages": pool_pages, "pool_ratio": sum(per_page[:pool_pages]) / pool_s,
        **{f"cpu_{k}": v for k, v in run.cpu_s.items()},
    }


# pages for the extraction-pool-alone reference (the ceiling of the pipeline on this machine)
POOL_CEILING_PAGES = 300


def _pool_alone(pages: list[bytes]) -> tuple[float, int]:
    """Seconds the worker pool alone (no HTTP, Prefect or DuckDB) takes to process `pages`, warm."""
    from tasks.ingest.pool import process_pages, shutdown_pool, start_workers_early
    from tasks.models import PageJob

    now = datetime(2025, 1, 1)
    jobs = [(PageJob(f"https://bench.example/{i}", None, None, None, None), body, now) for i, body in enumerate(pages)]
    start_workers_early()
    process_pages(jobs[:2])  # the pool is up and its forkserver warm
    started = time.perf_counter()
    process_pages(jobs)
    seconds = time.perf_counter() - started
    shutdown_pool()
    return seconds, len(pages)


def bench_unchanged(n_feeds: int, tmp: Path, api: str | None = None) -> dict[str, float]:
    """(b) the second poll of n_feeds feeds that answer 304 (temporary Prefect server, or `api`)."""
    routes = Routes()
    with serve(routes) as base:
        lines = []
        for f in range(n_feeds):
            routes.add(f"/f{f}.xml", rss(base, f"feed {f}", []), "application/rss+xml")
            lines.append(f'[[feeds]]\nname = "f{f}"\nurl = "{base}/f{f}.xml"\n')
        feeds = tmp / "unchanged.toml"
        feeds.write_text("\n".join(lines))
        db = tmp / f"unchanged-{bool(api)}.duckdb"
        _check(run_measured([str(BIN / "capex"), "poll", "--feeds", str(feeds), "--db", str(db)], api=api),
               "first poll")
        hits = routes.hits
        run = run_measured([str(BIN / "capex"), "poll", "--force", "--feeds", str(feeds), "--db", str(db)], api=api)
        _check(run, "second poll")
        from tasks import store

        _, rows = store.query(db, "select count(*) from feed_polls where status = 'not_modified'")
        return {"feeds": n_feeds, "process_s": run.seconds, "flow_s": _flow_seconds(db),
                "requests": routes.hits - hits, "not_modified": rows[0][0]}


def bench_extract_per_article(pages: list[bytes]) -> dict[str, float]:
    """(c) classify + extract on the text of each real page, after trafilatura."""
    import trafilatura

    from tasks.extract.extractor import get_extractor

    extractor = get_extractor()
    texts = []
    for body in pages:
        doc = trafilatura.bare_extraction(body, with_metadata=True)
        if doc is not None and doc.text:
            texts.append((doc.title, doc.text))
    for title, text in texts[:20]:  # warm-up: regex compilation, registry loading
        extractor.analyse(title, text, None)
    times = []
    for _round in range(3):
        for title, text in texts:
            started = time.perf_counter()
            extractor.analyse(title, text, None)
            times.append((time.perf_counter() - started) * 1000)
    times.sort()
    return {"articles": len(texts), "median_ms": statistics.median(times),
            "p95_ms": times[int(0.95 * (len(times) - 1))]}


def _fill_db(db: Path, pages: list[bytes], n: int) -> None:
    import zstandard

    from tasks import store
    from tasks.models import Analysis, Article, Classification

    blobs = [zstandard.ZstdCompressor(level=3).compress(p) for p in pages]
    old = Analysis(Classification(False, 0.0, ()), (), "bench-old")
    now = datetime(2025, 1, 1)
    batch = []
    for i in range(n):
        url = f"https://bench.example/{i}"
        batch.append(Article(store.article_id_for(url), url, None, None, None, None, None, now, now, None, "",
                             blobs[i % len(blobs)], old))
        if len(batch) == 500:
            store.write_batch(db, batch)
            batch = []
    store.write_batch(db, batch)


def bench_reprocess(pages: list[bytes], sizes: list[int], tmp: Path) -> list[dict[str, float]]:
    """(d) `capex backfill --reprocess` over n stored articles."""
    results = []
    for n in sizes:
        db = tmp / f"reprocess-{n}.duckdb"
        _fill_db(db, pages, n)
        run = run_measured([str(BIN / "capex"), "backfill", "--reprocess", "--db", str(db)])
        results.append({"articles": n, "process_s": run.seconds, "flow_s": _flow_seconds(db),
                        "articles_per_s": n / run.seconds, "peak_mb": run.peak_pss_mb,
                        "peak_no_server_mb": run.peak_pss_no_server_mb, "peak_rss_mb": run.peak_rss_mb,
                        "median_late_no_server_mb": run.median_late_no_server_mb,
                        "ok": float(run.returncode == 0), **{f"cpu_{k}": v for k, v in run.cpu_s.items()},
                        **{f"peak_{k}": v for k, v in run.peak_pss_by_kind_mb.items()}})
        if run.returncode != 0:
            print(f"reprocess of {n} failed: {run.stderr_tail}")
    return results


def bench_startup(tmp: Path, api: str) -> dict[str, float]:
    """(e) start-up of `capex poll` with no work (temporary server / running server) and of `capex extract`."""
    feeds = tmp / "empty.toml"
    feeds.write_text("")
    page = REPO / "tests" / "data" / "site" / "articles" / "northwind-capex.html"
    poll = [str(BIN / "capex"), "poll", "--feeds", str(feeds), "--db", str(tmp / "e.duckdb")]
    temp = min(run_measured(poll).seconds for _ in range(2))
    served = min(run_measured(poll, api=api).seconds for _ in range(3))
    extract = min(run_measured([str(BIN / "capex"), "extract", "--json", str(page)]).seconds for _ in range(3))
    return {"poll_no_work_s": temp, "poll_no_work_server_s": served, "extract_one_file_s": extract}


def _peaks(r: dict[str, float]) -> str:
    return ", ".join(f"{k[5:]} {v:.0f}" for k, v in sorted(r.items())
                     if k.startswith("peak_") and k[5:] not in ("mb", "no_server_mb", "rss_mb"))


def _cpu(r: dict[str, float]) -> str:
    return ", ".join(f"{k[4:]} {v:.0f}" for k, v in sorted(r.items()) if k.startswith("cpu_"))


def _check(run: RunResult, what: str) -> None:
    if run.returncode != 0:
        raise SystemExit(f"{what} failed ({run.returncode}): {run.stderr_tail}")


def _machine() -> str:
    model = next((line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines()
                  if line.startswith("model name")), platform.processor())
    import os

    return f"{platform.node()}: {model}, {len(os.sched_getaffinity(0))} cores, Python {platform.python_version()}"


NOTES_HEADING = "## Notes"


def main() -> None:
    """Run every benchmark and write docs/PERFORMANCE.md."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--pages", type=int, default=1000)
    parser.add_argument("--feeds", type=int, default=500)
    parser.add_argument("--reprocess", type=int, nargs="*", default=[1000, 10000])
    parser.add_argument("--growth", type=int, default=5000)
    parser.add_argument("--out", default=str(REPO / "docs" / "PERFORMANCE.md"))
    args = parser.parse_args()
    pages = corpus_pages()
    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        c = bench_extract_per_article(pages)
        print("c", c, flush=True)
        with prefect_server(tmp / "prefect-home") as api:
            e = bench_startup(tmp, api)
            print("e", e, flush=True)
            b_server = bench_unchanged(args.feeds, tmp, api)
            print("b (server)", b_server, flush=True)
        b = bench_unchanged(args.feeds, tmp)
        print("b", b, flush=True)
        a = bench_pipeline(pages, args.pages, 10, tmp)
        print("a", a, flush=True)
        d = bench_reprocess(pages, args.reprocess, tmp)
        print("d", d, flush=True)
        f = [{"layout": layout, **grow(args.growth, layout, tmp)} for layout in ("blob column", "packs")]
        print("f", f, flush=True)
    out = Path(args.out)
    # the measured sections are rewritten; the notes written by hand under NOTES_HEADING are kept
    old = out.read_text(encoding="utf-8") if out.exists() else ""
    notes = old[old.find(NOTES_HEADING):] if NOTES_HEADING in old else ""
    out.write_text(_report(a, b, b_server, c, d, e, f, args) + ("\n" + notes if notes else ""), encoding="utf-8")
    print(f"wrote {args.out}")


def _report(a: dict[str, float], b: dict[str, float], bs: dict[str, float], c: dict[str, float],
            d: list[dict[str, float]], e: dict[str, float], f: list[dict[str, Any]],
            args: argparse.Namespace) -> str:
    when = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    rows_d = "\n".join(
        f"| {int(r['articles'])} | {r['process_s']:.1f} | {r['flow_s']:.1f} | {r['articles_per_s']:.1f} | "
        f"{r['articles'] / r['flow_s']:.1f} | {r['peak_mb']:.0f} | {r['peak_no_server_mb']:.0f} | "
        f"{r['median_late_no_server_mb']:.0f} | {_peaks(r)} | {r['peak_rss_mb']:.0f} | {_cpu(r)} | "
        f"{'yes' if r['ok'] else 'FAILED'} |" for r in d)
    rows_f = "\n".join(
        f"| {r['layout']} | {r['first_1000_ms']:.0f} | {r['last_1000_ms']:.0f} | {r['total_s']:.1f} | "
        f"{r['bytes_on_disk'] / 2**20:.0f} |" for r in f)
    return f"""# Performance

Measured {when} on {_machine()}.
Reproduce: `make bench` (or `.venv/bin/python -m benchmarks.run --pages {args.pages} --feeds {args.feeds}
--reprocess {' '.join(map(str, args.reprocess))} --growth {args.growth}`). Pages are the real news pages of
`../shared/corpus/articles`, repeated to the page count, served from memory on 127.0.0.1.
"flow" times are the poll or backfill flow's own duration (`pipeline_runs`), i.e. after the
process has started Prefect's temporary server; "process" times are the whole command.

## a. Pipeline throughput vs single-process trafilatura ({int(a['pages'])} pages, 10 feeds)

| measure | value |
|---|---|
| `capex poll`, whole process | {a['pipeline_process_s']:.1f} s ({a['pages'] / a['pipeline_process_s']:.1f} pages/s) |
| poll flow after start-up | {a['pipeline_flow_s']:.1f} s ({a['pages'] / a['pipeline_flow_s']:.1f} pages/s) |
| single-process trafilatura, same pages | {a['trafilatura_single_s']:.1f} s ({a['pages'] / a['trafilatura_single_s']:.1f} pages/s) |
| ratio (flow) | **{a['ratio_flow']:.2f}x** (target >= 1.7x) |
| ratio (whole process) | {a['ratio_process']:.2f}x |
| reference: the extraction pool alone (no HTTP, Prefect, DuckDB), first {int(a['pool_pages'])} pages | {a['pool_ratio']:.2f}x |
| CPU seconds of the poll by process | {_cpu(a)} |
| peak memory, process tree (PSS) | {a['pipeline_peak_mb']:.0f} MB |

## b. Second poll of {int(b['feeds'])} feeds answering 304

A scheduled poll runs against a Prefect server (`capex serve`, or a worker); an ad-hoc `capex poll`
without `PREFECT_API_URL` starts Prefect's temporary server first.

| measure | against a running Prefect server | with the temporary server |
|---|---|---|
| whole process | {bs['process_s']:.1f} s (target <= 10 s) | {b['process_s']:.1f} s |
| flow after start-up | {bs['flow_s']:.2f} s (target <= 3 s) | {b['flow_s']:.2f} s |
| requests / 304 answers recorded | {int(bs['requests'])} / {int(bs['not_modified'])} | {int(b['requests'])} / {int(b['not_modified'])} |

## c. Classify + extract per article ({int(c['articles'])} real article texts, 3 rounds)

| measure | value |
|---|---|
| median | {c['median_ms']:.2f} ms (target <= 3 ms) |
| p95 | {c['p95_ms']:.2f} ms |

## d. Reprocess stored articles (`capex backfill --reprocess`)

Memory is PSS (shared pages split between the processes that share them): the peak of the whole
process tree; the peak without Prefect's temporary server (which a scheduled run does not start);
the median without the server over the second half of the run (what grows with the work shows
here, where a peak also catches a batch of unusually large pages); the peak of each kind of
process; then summed RSS (counts the workers' shared pages twice).

| articles | process s | flow s | articles/s (process) | articles/s (flow) | peak MB (tree) | peak MB (without server) | median MB, 2nd half (without server) | peak MB by process | summed RSS MB | CPU s by process | completed |
|---|---|---|---|---|---|---|---|---|---|---|---|
{rows_d}

## e. Start-up

| command | seconds |
|---|---|
| `capex poll` with no feeds, temporary Prefect server | {e['poll_no_work_s']:.2f} |
| `capex poll` with no feeds, running Prefect server | {e['poll_no_work_server_s']:.2f} |
| `capex extract` on one HTML file | {e['extract_one_file_s']:.2f} (target <= 1 s) |

## f. Commit cost as the database grows ({int(f[0]['articles'])} articles in batches of 50)

The same processed articles written with `store.write_batch`, one connection per batch as the flows
do; "blob column" also writes the compressed HTML into `article_raw.raw_html_zstd` in the same
transaction (the layout before migration 0004). DuckDB rewrites a table's last row group at each
checkpoint, so a blob column makes every commit cost grow with the table.

| layout | ms per batch, first 1,000 articles | ms per batch, last 1,000 articles | seconds in total | MB on disk |
|---|---|---|---|---|
{rows_f}
"""


if __name__ == "__main__":
    main()
