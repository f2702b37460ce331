"""Benchmark support: real corpus pages, an in-memory HTTP server on 127.0.0.1, process-tree memory."""

from __future__ import annotations

import gzip
import hashlib
import os
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import psutil

REPO = Path(__file__).resolve().parent.parent
CORPUS = REPO.parent / "shared" / "corpus"
BIN = Path(sys.executable).parent
ENV = {**os.environ, "PREFECT_SERVER_ANALYTICS_ENABLED": "false", "DO_NOT_TRACK": "1",
       "PREFECT_LOGGING_LEVEL": "WARNING"}


def corpus_pages() -> list[bytes]:
    """The real news pages of ../shared/corpus/articles (raises SystemExit when absent)."""
    root = CORPUS / "articles"
    if not root.is_dir():
        raise SystemExit(f"benchmarks need the shared corpus at {CORPUS}")
    pages = []
    for path in sorted(root.rglob("*")):
        if path.suffix == ".gz":
            pages.append(gzip.open(path, "rb").read())
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

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


def rss(base: str, title: str, links: list[str]) -> bytes:
    """A small RSS 2.0 feed listing `links`."""
    items = "".join(
        f"<item><title>{title} {i}</title><link>{base}{link}</link><guid>{base}{link}</guid>"
        f"<pubDate>Mon, 06 Jan 2025 10:00:00 GMT</pubDate></item>"
        for i, link in enumerate(links)
    )
    return (f'<?xml version="1.0"?><rss version="2.0"><channel><title>{title}</title>'
            f"<link>{base}/</link><description>bench</description>{items}</channel></rss>").encode()


@dataclass
class RunResult:
    """A measured command: wall seconds, peak RSS of its process tree, exit code and output tail."""

    seconds: float
    peak_rss_mb: float
    returncode: int
    stderr_tail: str


def run_measured(args: list[str], cwd: Path = REPO, sample_s: float = 0.05, api: str | None = None) -> RunResult:
    """Run a command, sampling the summed RSS of the process and all its descendants.

    With `api`, the command talks to that Prefect server instead of starting a temporary one.
    """
    env = {**ENV, "PREFECT_API_URL": api} if api else ENV
    started = time.perf_counter()
    proc = subprocess.Popen(args, cwd=cwd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    peak = 0
    parent = psutil.Process(proc.pid)
    stderr_chunks: list[bytes] = []
    reader = threading.Thread(target=lambda: stderr_chunks.append(proc.stderr.read() if proc.stderr else b""))
    reader.start()
    while proc.poll() is None:
        try:
            tree = [parent, *parent.children(recursive=True)]
            peak = max(peak, sum(_rss(p) for p in tree))
        except psutil.Error:
            pass
        time.sleep(sample_s)
    reader.join()
    seconds = time.perf_counter() - started
    return RunResult(seconds, peak / 2**20, proc.returncode, b"".join(stderr_chunks).decode(errors="replace")[-1500:])


def _rss(p: psutil.Process) -> int:
    try:
        return int(p.memory_info().rss)
    except psutil.Error:
        return 0


def timed(fn: Callable[[], object]) -> float:
    """Seconds one call of `fn` takes."""
    started = time.perf_counter()
    fn()
    return time.perf_counter() - started


@contextmanager
def prefect_server(home: Path) -> Iterator[str]:
    """A `prefect server start` on 127.0.0.1 (as a scheduled deployment runs against); yields its API URL."""
    import socket
    import urllib.request

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    env = {**ENV, "PREFECT_HOME": str(home)}
    env.pop("PREFECT_API_URL", None)
    proc = subprocess.Popen([str(BIN / "prefect"), "server", "start", "--host", "127.0.0.1", "--port", str(port)],
                            env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    api = f"http://127.0.0.1:{port}/api"
    try:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            try:
                with urllib.request.urlopen(f"{api}/health", timeout=2):
                    break
            except OSError:
                time.sleep(0.5)
        yield api
    finally:
        os.killpg(proc.pid, 15)
        proc.wait(timeout=30)
