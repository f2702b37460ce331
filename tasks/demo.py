"""The bundled offline sample: serve demo/ on 127.0.0.1 and write a feeds file pointing at it."""

from __future__ import annotations

import hashlib
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from tasks.errors import CapexError

DEMO_DIR = Path(__file__).resolve().parent.parent / "demo"
_TYPES = {".xml": "application/rss+xml", ".atom": "application/atom+xml", ".html": "text/html; charset=utf-8"}


def _handler(root: Path, base: str) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            path = (root / self.path.split("?", 1)[0].lstrip("/")).resolve()
            if root not in path.parents or not path.is_file():
                self.send_error(404)
                return
            body = path.read_bytes().replace(b"{BASE}", base.encode())
            etag = '"' + hashlib.sha1(body).hexdigest()[:16] + '"'
            if self.headers.get("If-None-Match") == etag:
                self.send_response(304)
                self.send_header("ETag", etag)
                self.end_headers()
                return
            self.send_response(200)
            self.send_header("ETag", etag)
            self.send_header("Content-Type", _TYPES.get(path.suffix, "application/octet-stream"))
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: object) -> None:
            return

    return Handler


# The demo's fixed port: article URLs contain it, so a second demo run finds the same URLs.
DEMO_PORT = 8737


@contextmanager
def serve_on_loopback(
    handler_for: Callable[[str], type[BaseHTTPRequestHandler]], port: int = 0
) -> Iterator[str]:
    """Serve HTTP on 127.0.0.1 (a free port unless given) in a thread; yield the base URL.

    `handler_for(base_url)` gives the request handler class, so pages can name the server's own URL.
    The demo, the tests' sites and the benchmarks all serve through this.
    """
    try:
        server = ThreadingHTTPServer(("127.0.0.1", port), BaseHTTPRequestHandler)
    except OSError as exc:
        raise CapexError(f"cannot serve on 127.0.0.1:{port}: {exc.strerror}") from None
    server.daemon_threads = True
    base = f"http://127.0.0.1:{server.server_address[1]}"
    server.RequestHandlerClass = handler_for(base)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield base
    finally:
        server.shutdown()
        server.server_close()


@contextmanager
def serve_directory(root: Path = DEMO_DIR, port: int = 0) -> Iterator[str]:
    """Serve `root` on 127.0.0.1 (a free port unless given), replacing `{BASE}` with the server's URL.

    Answers conditional requests (ETag / If-None-Match) like a real feed server. Yields the base URL.
    """
    with serve_on_loopback(lambda base: _handler(root.resolve(), base), port) as base:
        yield base


def demo_feeds_toml(base: str, root: Path = DEMO_DIR) -> str:
    """A feeds file listing every feed of the sample at `base`."""
    parts = []
    for feed in sorted((root / "feeds").iterdir()):
        name = feed.stem.replace("-", " ").replace("_", " ").title()
        parts.append(f'[[feeds]]\nname = "{name}"\nurl = "{base}/feeds/{feed.name}"\ntags = ["demo"]\n')
    return "\n".join(parts)
