"""Measure a poll over good and hostile feeds served on 127.0.0.1: wall time, peak memory, exactly-once.

Runs `capex poll --force` in a child process (with Prefect's temporary local server, as users run
it) against a fault server in this process, samples the resident memory of the child's whole
process tree (flow, extraction forkserver and workers, Prefect server) every 50 ms, and checks
that every good article was stored exactly once.

    .venv/bin/python -m benchmarks.hostile [--big-mb 300] [--bomb-mb 1024]
"""

from __future__ import annotations

import argparse
import gzip
import os
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

from tests.support.faultserver import (
    BILLION_LAUGHS,
    FaultServer,
    article,
    bomb,
    bomb_bytes,
    drip,
    endless,
    fault_server,
    redirect,
    rss,
    stall,
    static,
    xxe_feed,
)

REPO = Path(__file__).resolve().parent.parent

CORPUS_PAGES = REPO.parent / "shared" / "corpus" / "articles" / "fundus"


def _tree_memory(root: int) -> dict[str, int]:
    """Memory of `root` and all its descendants in bytes, by kind: RSS sums and PSS sums.

    RSS counts pages shared by forked workers once per process; PSS (proportional set size)
    splits them, so `pss` is the tree's real footprint. `*_pipeline` leaves out the Prefect server.
    """
    parents: dict[int, int] = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                stat = Path(f"/proc/{entry}/stat").read_text()
                parents[int(entry)] = int(stat.rsplit(")", 1)[1].split()[1])
            except (OSError, ValueError, IndexError):
                continue
    tree, frontier = {root}, [root]
    while frontier:
        pid = frontier.pop()
        for child, parent in parents.items():
            if parent == pid and child not in tree:
                tree.add(child)
                frontier.append(child)
    out = {"rss": 0, "pss": 0, "rss_pipeline": 0, "pss_pipeline": 0, "rss_flow": 0}
    for pid in tree:
        try:
            rollup = Path(f"/proc/{pid}/smaps_rollup").read_text()
            cmdline = Path(f"/proc/{pid}/cmdline").read_bytes()
        except OSError:
            continue
        fields = {line.split(":")[0]: int(line.split()[1]) * 1024 for line in rollup.splitlines()[1:]
                  if line.split()[-1] == "kB"}
        for kind in ("rss", "pss"):
            value = fields.get(kind.capitalize() if kind == "pss" else "Rss", 0)
            out[kind] += value
            if b"uvicorn" not in cmdline:
                out[f"{kind}_pipeline"] += value
        if pid == root:
            out["rss_flow"] = fields.get("Rss", 0)
    return out


def _serve(server: FaultServer, big_mb: int, bomb_mb: int) -> tuple[list[str], set[str]]:
    """Register the feeds; returns (feed URLs, URLs of the good articles)."""
    good: set[str] = set()
    real_pages = sorted(CORPUS_PAGES.glob("*.html.gz"))[:20]

    def good_feed(name: str, n: int, overlap: list[tuple[str, str]]) -> tuple[str, list[tuple[str, str]]]:
        items = list(overlap)
        for i in range(n):
            if real_pages and i % 2 == 0:
                body = gzip.decompress(real_pages[(i // 2) % len(real_pages)].read_bytes())
            else:
                body = article(f"{name} story {i}", paragraphs=8)
            link = server.route(f"/{name}/{i}.html", static(body, content_type="text/html; charset=utf-8"))
            items.append((f"{name} {i}", link))
            good.add(link)
        return server.route(f"/{name}.xml", static(rss(items))), items

    feed_a, items_a = good_feed("alpha", 30, [])
    feed_b, _ = good_feed("beta", 30, items_a[:10])  # ten stories shared with alpha: stored once
    feed_c, _ = good_feed("gamma", 20, [])
    big = big_mb * 1024 * 1024
    inflated = bomb_mb * 1024 * 1024
    bomb_bytes(inflated, "gzip"), bomb_bytes(inflated, "deflate")  # compress once, before the clock starts
    hostile_pages = [
        ("huge", endless(big, content_type="text/html")),
        ("gzip-bomb", bomb(inflated, "gzip", content_type="text/html")),
        ("deflate-bomb", bomb(inflated, "deflate", content_type="text/html")),
        ("stalled", stall()),
        ("drip", drip(0.5)),
        ("pathological", static(b"<html><body>" + b"<p>Lorem ipsum dolor sit amet, the plant.</p>\n" * 100_000
                                + b"</body></html>", content_type="text/html")),
        ("deep", static(b"<html><body>" + b"<div>" * 200_000 + b"x" * 1000 + b"</div>" * 200_000 + b"</body></html>",
                        content_type="text/html")),
        ("binary", static(os.urandom(1024 * 1024), content_type="application/octet-stream")),
        ("binary-as-html", static(os.urandom(1024 * 1024), content_type="text/html")),
        ("empty", static(b"", content_type="text/html")),
    ]
    items = [(name, server.route(f"/pages/{name}.html", r)) for name, r in hostile_pages]
    with fault_server() as _probe:  # a port that is certainly another origin
        other_port = _probe.port
    items += [("private", f"http://127.0.0.1:{other_port}/admin"), ("meta", "http://169.254.169.254/latest/")]
    items += [(f"ok{i}", server.route(f"/pages/ok{i}.html", static(article(f"Hostile-feed good story {i}"),
                                                                       content_type="text/html")))
              for i in range(5)]
    good |= {u for n, u in items if n.startswith("ok")}
    hostile_feeds = {
        "pages": static(rss(items)),
        "huge": endless(big),
        "huge-declared": endless(big, declare_length=True),
        "gzip-bomb": bomb(inflated, "gzip"),
        "deflate-bomb": bomb(inflated, "deflate"),
        "stalled-headers": stall(after_headers=False),
        "stalled-body": stall(),
        "drip": drip(0.5),
        "loop": redirect("/feeds/loop", 301),
        "chain": redirect("/feeds/chain2"),
        "chain2": redirect("/feeds/chain3"), "chain3": redirect("/feeds/chain4"), "chain4": redirect("/feeds/chain5"),
        "chain5": redirect("/feeds/chain6"), "chain6": redirect("/feeds/chain7"), "chain7": redirect("/feeds/chain"),
        "429": static(b"", 429, {"Retry-After": "3600"}),
        "503": static(b"", 503, {"Retry-After": "120"}),
        "410": static(b"", 410),
        "500": static(b"", 500),
        "laughs": static(BILLION_LAUGHS),
        "xxe": static(xxe_feed("/etc/passwd", "http://example.invalid/x")),
        "html": static(b"<html><body>not a feed</body></html>", content_type="text/html"),
        "binary": static(os.urandom(65536), content_type="application/octet-stream"),
        "empty": static(b""),
        "truncated": static(rss([("t", "http://example.invalid/t")])[:120]),
    }
    urls = [feed_a, feed_b, feed_c]
    for name, responder in hostile_feeds.items():
        url = server.route(f"/feeds/{name}", responder)
        if not name.startswith("chain") or name == "chain":
            urls.append(url)
    return urls, good


def main() -> int:
    """Run the benchmark and print its figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--big-mb", type=int, default=300, help="size of the oversized responses")
    parser.add_argument("--bomb-mb", type=int, default=1024, help="inflated size of the compression bombs")
    args = parser.parse_args()
    from tasks import store

    with fault_server() as server, tempfile.TemporaryDirectory() as tmp:
        urls, good = _serve(server, args.big_mb, args.bomb_mb)
        feeds = Path(tmp) / "feeds.toml"
        feeds.write_text("\n".join(f'[[feeds]]\nname = "{u.rsplit("/", 1)[1]}"\nurl = "{u}"\n' for u in urls))
        db = str(Path(tmp) / "bench.duckdb")
        peak: dict[str, int] = {}
        started = time.monotonic()
        proc = subprocess.Popen([str(REPO / ".venv" / "bin" / "capex"), "poll", "--force", "--feeds", str(feeds),
                                 "--db", db], cwd=REPO, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        done = threading.Event()

        def sample() -> None:
            while not done.is_set():
                for key, value in _tree_memory(proc.pid).items():
                    peak[key] = max(peak.get(key, 0), value)
                time.sleep(0.05)

        sampler = threading.Thread(target=sample, daemon=True)
        sampler.start()
        _, stderr = proc.communicate(timeout=900)
        wall = time.monotonic() - started
        done.set()
        sampler.join()
        _, rows = store.query(db, "select url from articles")
        stored = [r[0] for r in rows]
        _, polls = store.query(db, "select status, count(*) from feed_polls group by all order by 1")
        _, slow = store.query(db, "select max(finished_at - started_at) from feed_polls")
        _, fails = store.query(db, "select count(*) from page_failures")
        leaked = store.query(
            db, "select count(*) from feed_items where title like '%root:%' or title like '%lollol%'")[1]
    print(f"exit status           {proc.returncode}")
    print(f"feeds                 {len(urls)} ({len(urls) - 3} hostile), poll outcomes {dict(polls)}")
    print(f"wall time             {wall:.1f} s (longest single feed poll {slow[0][0]})")
    mib = {k: f"{v / 2**20:.0f} MiB" for k, v in peak.items()}
    print(f"peak memory, tree     PSS {mib['pss']}, RSS sum {mib['rss']} (flow + extraction workers + Prefect server)")
    print(f"peak memory, pipeline PSS {mib['pss_pipeline']}, RSS sum {mib['rss_pipeline']} (without the Prefect "
          f"server); flow process alone RSS {mib['rss_flow']}")
    print(f"good articles         {len(good)} expected, {len(set(stored) & good)} stored, "
          f"{len(stored) - len(set(stored))} duplicates; also stored: {sorted(set(stored) - good)}")
    print(f"page failures         {fails[0][0]}; entity/XXE text stored: {leaked[0][0]}")
    if proc.returncode != 0:
        print(stderr.decode()[-2000:], file=sys.stderr)
    ok = proc.returncode == 0 and good <= set(stored) and len(stored) == len(set(stored)) \
        and peak["pss_pipeline"] < 2**30
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
