"""Benchmark support: real corpus pages, an in-memory HTTP server on 127.0.0.1, process-tree memory."""

from __future__ import annotations

import gzip
import hashlib
import os
import statistics
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler
from pathlib import Path

import psutil

from tasks.demo import serve_on_loopback
from tasks.settings import PREFECT_OFFLINE_ENV
from tests.support.feeds import Item, rss_feed

REPO = Path(__file__).resolve().parent.parent
CORPUS = REPO.parent / "shared" / "corpus"
BIN = Path(sys.executable).parent
ENV = {**os.environ, **PREFECT_OFFLINE_ENV, "PREFECT_LOGGING_LEVEL": "WARNING"}


def corpus_pages() -> list[bytes]:
    """The real news pages of ../shared/corpus/articles (raises SystemExit when absent)."""
    root = CORPUS / "articles"
    if not root.is_dir():
        raise SystemExit(f"benchmarks need the shared corpus at {CORPUS}")
    pages = []
    for path in sorted(root.rglob("*")):
        if path.suffix == ".gz":
            pages.append(gzip.decompress(path.read_bytes()))
        elif path.suffix == ".html":
            pages.append(path.read_bytes())
    return pages


class Routes:
    """Path -> (body, content type), with ETag answers to conditional requests."""

    def __init__(self) -> None:
        self.bodies: dict[str, tuple[bytes, str]] = {}
        self.hits = 0

    def add(self, path: str, body: bytes, content_type: str) -> None:
        self.bodies[path] = (body, content_type)


@contextmanager
def serve(routes: Routes) -> Iterator[str]:
    """Serve `routes` on 127.0.0.1 at a free port; yield the base URL."""

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_GET(self) -> None:
            routes.hits += 1
            entry = routes.bodies.get(self.path)
            if entry is None:
                self.send_error(404)
                return
            body, ctype = entry
            etag = '"' + hashlib.md5(body).hexdigest() + '"'
            if self.headers.get("If-None-Match") == etag:
                self.send_response(304)
                self.send_header("ETag", etag)
                self.send_header("Content-Length", "0")
                self.end_headers()
                return
            self.send_response(200)
            self.send_header("Content-Type", ctype)
            self.send_header("ETag", etag)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: object) -> None:
            return

    with serve_on_loopback(lambda _base: Handler) as base:
        yield base


def pipeline_feeds(routes: Routes, base: str, pages: list[bytes], n_feeds: int, path: Path) -> Path:
    """Serve `pages` at /p/<i>.html listed by n_feeds RSS feeds; write the feeds file to `path`."""
    per_feed = -(-len(pages) // n_feeds)
    for i, body in enumerate(pages):
        routes.add(f"/p/{i}.html", body, "text/html")
    feeds_toml = []
    for f in range(n_feeds):
        links = [f"/p/{i}.html" for i in range(f * per_feed, min(len(pages), (f + 1) * per_feed))]
        routes.add(f"/feed{f}.xml", rss(base, f"feed {f}", links), "application/rss+xml")
        feeds_toml.append(f'[[feeds]]\nname = "bench {f}"\nurl = "{base}/feed{f}.xml"\n')
    path.write_text("\n".join(feeds_toml))
    return path


def rss(base: str, title: str, links: list[str]) -> bytes:
    """A small RSS 2.0 feed listing `links`, all dated 6 January 2025."""
    when = datetime(2025, 1, 6, 10, 0, tzinfo=UTC)
    return rss_feed([Item(f"{title} {i}", f"{base}{link}", published=when) for i, link in enumerate(links)],
                    title=title, link=f"{base}/")


@dataclass
class RunResult:
    """A measured command: wall seconds, peak memory of its process tree, CPU seconds, exit code, output tail.

    Memory is PSS (proportional set size): pages shared by the forkserver and its forked workers
    count once, split between them, where summed RSS would count them in every process.
    """

    seconds: float
    peak_pss_mb: float
    peak_pss_no_server_mb: float
    peak_rss_mb: float
    cpu_s: dict[str, float]
    returncode: int
    stderr_tail: str
    peak_pss_by_kind_mb: dict[str, float]
    # median PSS of the tree without Prefect's server over the second half of the run: a tree whose
    # memory grows with the work shows it here, where the peak also catches one-batch spikes
    median_late_no_server_mb: float


def _kind(proc: psutil.Process, root_pid: int) -> str:
    """Which part of a capex run a process is: the command, Prefect's server, or the extraction pool."""
    if proc.pid == root_pid:
        return "command"
    cmdline = " ".join(proc.cmdline())
    if "uvicorn" in cmdline or ("prefect" in cmdline and "server" in cmdline):
        return "prefect server"
    if "multiprocessing" in cmdline:
        return "extraction workers"
    return "other"


def run_measured(args: list[str], cwd: Path = REPO, sample_s: float = 0.25, api: str | None = None) -> RunResult:
    """Run a command, sampling the memory (PSS and RSS) and CPU time of it and all its descendants.

    With `api`, the command talks to that Prefect server instead of starting a temporary one.
    """
    env = {**ENV, "PREFECT_API_URL": api} if api else ENV
    started = time.perf_counter()
    proc = subprocess.Popen(args, cwd=cwd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    peak_pss = peak_no_server = peak_rss = 0
    peak_by_kind: dict[str, int] = {}
    no_server_series: list[int] = []
    cpu: dict[int, tuple[str, float]] = {}
    kinds: dict[int, str] = {}
    parent = psutil.Process(proc.pid)
    stderr_chunks: list[bytes] = []
    reader = threading.Thread(target=lambda: stderr_chunks.append(proc.stderr.read() if proc.stderr else b""))
    reader.start()
    while proc.poll() is None:
        try:
            tree = [parent, *parent.children(recursive=True)]
        except psutil.Error:
            tree = []
        pss = no_server = rss = 0
        sample_by_kind: dict[str, int] = {}
        for p in tree:
            try:
                # a process keeps the first kind it is recognised as (a later cmdline read can fail)
                kind = kinds.get(p.pid) or _kind(p, proc.pid)
                if kind != "other":
                    kinds[p.pid] = kind
                mem, times = p.memory_full_info(), p.cpu_times()
            except psutil.Error:
                continue
            pss, rss = pss + mem.pss, rss + mem.rss
            no_server += 0 if kind == "prefect server" else mem.pss
            sample_by_kind[kind] = sample_by_kind.get(kind, 0) + mem.pss
            cpu[p.pid] = (kind, times.user + times.system)
        peak_pss, peak_no_server, peak_rss = max(peak_pss, pss), max(peak_no_server, no_server), max(peak_rss, rss)
        no_server_series.append(no_server)
        for kind, kind_pss in sample_by_kind.items():
            peak_by_kind[kind] = max(peak_by_kind.get(kind, 0), kind_pss)
        time.sleep(sample_s)
    reader.join()
    seconds = time.perf_counter() - started
    by_kind: dict[str, float] = {}
    for kind, seconds_cpu in cpu.values():
        by_kind[kind] = by_kind.get(kind, 0.0) + seconds_cpu
    return RunResult(seconds, peak_pss / 2**20, peak_no_server / 2**20, peak_rss / 2**20, by_kind, proc.returncode,
                     b"".join(stderr_chunks).decode(errors="replace")[-1500:],
                     {kind: v / 2**20 for kind, v in peak_by_kind.items()},
                     statistics.median(no_server_series[len(no_server_series) // 2:] or [0]) / 2**20)


def timed(fn: Callable[[], object]) -> float:
    """Seconds one call of `fn` takes."""
    started = time.perf_counter()
    fn()
    return time.perf_counter() - started


@contextmanager
def prefect_server(home: Path, scheduler: bool = True, timeout_s: float = 120) -> Iterator[str]:
    """A `prefect server start` on 127.0.0.1 (as a scheduled deployment runs against); yields its API URL.

    scheduler=False turns off the server's scheduler service (a test that registers the real
    deployments must not have their schedules fire). Raises RuntimeError when it does not start.
    """
    import socket
    import urllib.request

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    env = {**ENV, "PREFECT_HOME": str(home), "PREFECT_SERVER_API_HOST": "127.0.0.1"}
    if not scheduler:
        env["PREFECT_SERVER_SERVICES_SCHEDULER_ENABLED"] = "false"
    env.pop("PREFECT_API_URL", None)
    proc = subprocess.Popen([str(BIN / "prefect"), "server", "start", "--host", "127.0.0.1", "--port", str(port)],
                            env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    api = f"http://127.0.0.1:{port}/api"
    try:
        deadline = time.monotonic() + timeout_s
        while True:
            try:
                with urllib.request.urlopen(f"{api}/health", timeout=2):
                    break
            except OSError:
                if time.monotonic() > deadline:
                    raise RuntimeError(f"prefect server did not start within {timeout_s:.0f} s") from None
                time.sleep(0.5)
        yield api
    finally:
        os.killpg(proc.pid, 15)
        proc.wait(timeout=30)
