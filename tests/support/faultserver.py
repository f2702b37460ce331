"""A fault-injection HTTP server on 127.0.0.1 for the hostile-feed tests and benchmarks.

Routes are registered per test: each maps a path to a function that writes the whole response
(status, headers, body) however badly it wants: stalls, slow drips, endless bodies, compression
bombs, redirect chains. The server only ever binds 127.0.0.1.
"""

from __future__ import annotations

import functools
import threading
import time
import zlib
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from email.utils import formatdate
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from tests.support.feeds import Item, rss_feed

Responder = Callable[[BaseHTTPRequestHandler, "FaultServer"], None]
CHUNK = 64 * 1024


class FaultServer:
    """A ThreadingHTTPServer on 127.0.0.1 whose paths answer with registered responders."""

    def __init__(self) -> None:
        self.routes: dict[str, Responder] = {}
        self.hits: Counter[str] = Counter()
        self.closing = threading.Event()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), _handler_class(self))
        self._server.daemon_threads = True
        self._server.block_on_close = False
        self.port = int(self._server.server_address[1])
        self.base = f"http://127.0.0.1:{self.port}"
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    def start(self) -> FaultServer:
        self._thread.start()
        return self

    def stop(self) -> None:
        self.closing.set()
        self._server.shutdown()
        self._server.server_close()

    def route(self, path: str, responder: Responder) -> str:
        """Register `responder` for `path`; returns the full URL."""
        self.routes[path] = responder
        return self.base + path

    def url(self, path: str) -> str:
        """The full URL of `path` on this server."""
        return self.base + path


@contextmanager
def fault_server() -> Iterator[FaultServer]:
    """A started FaultServer, stopped (stalled handlers released) on exit."""
    server = FaultServer().start()
    try:
        yield server
    finally:
        server.stop()


def _handler_class(owner: FaultServer) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_GET(self) -> None:
            path = self.path.split("?", 1)[0]
            owner.hits[path] += 1
            responder = owner.routes.get(path)
            try:
                if responder is None:
                    send(self, 404, b"not found")
                else:
                    responder(self, owner)
            except (BrokenPipeError, ConnectionResetError, ConnectionAbortedError):
                pass  # the client gave up on us, as it should
            self.close_connection = True

        def log_message(self, format: str, *args: object) -> None:
            return

    return Handler


# ---------------------------------------------------------------- responders


def send(h: BaseHTTPRequestHandler, status: int, body: bytes = b"", headers: dict[str, str] | None = None) -> None:
    """Write a complete response with a Content-Length."""
    h.send_response(status)
    for key, value in (headers or {}).items():
        h.send_header(key, value)
    h.send_header("Content-Length", str(len(body)))
    h.send_header("Connection", "close")
    h.end_headers()
    h.wfile.write(body)


def static(body: bytes | str, status: int = 200, headers: dict[str, str] | None = None,
           content_type: str | None = "application/rss+xml") -> Responder:
    """A fixed response."""
    data = body.encode("utf-8") if isinstance(body, str) else body
    all_headers = ({"Content-Type": content_type} if content_type else {}) | (headers or {})
    return lambda h, s: send(h, status, data, all_headers)


def redirect(location: str, status: int = 302) -> Responder:
    """A redirect to `location`."""
    return static(b"", status, {"Location": location}, content_type=None)


def stall(after_headers: bool = True, seconds: float = 60.0) -> Responder:
    """Send nothing (or only headers) and hold the connection open until the server closes."""
    def respond(h: BaseHTTPRequestHandler, s: FaultServer) -> None:
        if after_headers:
            h.send_response(200)
            h.send_header("Content-Type", "application/rss+xml")
            h.send_header("Content-Length", "100000")
            h.end_headers()
            h.wfile.write(b"<?xml version='1.0'?><rss version='2.0'><channel>")
            h.wfile.flush()
        s.closing.wait(seconds)
    return respond


def drip(interval_s: float = 0.2, total_s: float = 120.0, in_headers: bool = False) -> Responder:
    """Send one byte every `interval_s`: each read succeeds, so only an overall deadline stops it."""
    def respond(h: BaseHTTPRequestHandler, s: FaultServer) -> None:
        if in_headers:
            h.wfile.write(b"HTTP/1.1 200 OK\r\n")
            h.wfile.flush()
            filler = b"X-Slow: " + b"a" * 10_000
        else:
            h.send_response(200)
            h.send_header("Content-Type", "application/rss+xml")
            h.end_headers()
            filler = b"<?xml version='1.0'?><rss version='2.0'><channel><title>" + b"a" * 10_000
        end = time.monotonic() + total_s
        for byte in filler:
            if s.closing.wait(interval_s) or time.monotonic() > end:
                return
            h.wfile.write(bytes([byte]))
            h.wfile.flush()
    return respond


def endless(total_bytes: int, content_type: str = "application/rss+xml", declare_length: bool = False,
            prefix: bytes = b"<?xml version='1.0'?><rss version='2.0'><channel><title>") -> Responder:
    """Stream `total_bytes` of filler (an oversized body), optionally declaring its length."""
    def respond(h: BaseHTTPRequestHandler, s: FaultServer) -> None:
        h.send_response(200)
        h.send_header("Content-Type", content_type)
        if declare_length:
            h.send_header("Content-Length", str(total_bytes))
        h.send_header("Connection", "close")
        h.end_headers()
        h.wfile.write(prefix)
        block = b"a" * CHUNK
        sent = len(prefix)
        while sent < total_bytes and not s.closing.is_set():
            h.wfile.write(block)
            sent += len(block)
    return respond


@functools.lru_cache(maxsize=8)
def bomb_bytes(inflated_bytes: int, encoding: str = "gzip") -> bytes:
    """`inflated_bytes` of a feed-looking prefix and zeros, compressed (gzip, zlib deflate or raw deflate)."""
    wbits = {"gzip": 16 + zlib.MAX_WBITS, "deflate": zlib.MAX_WBITS, "raw-deflate": -zlib.MAX_WBITS}[encoding]
    comp = zlib.compressobj(9, zlib.DEFLATED, wbits)
    block = b"\0" * (1024 * 1024)
    out = [comp.compress(b"<?xml version='1.0'?><rss version='2.0'><channel><title>"),
           *(comp.compress(block) for _ in range(inflated_bytes // len(block))), comp.flush()]
    return b"".join(out)


def bomb(inflated_bytes: int, encoding: str = "gzip", content_type: str = "application/rss+xml") -> Responder:
    """A small compressed body that inflates to `inflated_bytes`."""
    header = "deflate" if encoding == "raw-deflate" else encoding
    return static(bomb_bytes(inflated_bytes, encoding), headers={"Content-Encoding": header},
                  content_type=content_type)


def compressed(body: bytes, encoding: str = "gzip", content_type: str = "application/rss+xml") -> Responder:
    """A well-formed compressed response."""
    wbits = {"gzip": 16 + zlib.MAX_WBITS, "deflate": zlib.MAX_WBITS, "raw-deflate": -zlib.MAX_WBITS}[encoding]
    comp = zlib.compressobj(6, zlib.DEFLATED, wbits)
    data = comp.compress(body) + comp.flush()
    header = "deflate" if encoding == "raw-deflate" else encoding
    return static(data, headers={"Content-Encoding": header}, content_type=content_type)


def refuse_connection_port() -> int:
    """A 127.0.0.1 port with nothing listening (bound then closed)."""
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def http_date(offset_s: float) -> str:
    """An HTTP date `offset_s` seconds from now (for Retry-After)."""
    return formatdate(time.time() + offset_s, usegmt=True)


# ---------------------------------------------------------------- content


def rss(items: list[tuple[str, str]], title: str = "Fault feed", ttl: int | None = None) -> bytes:
    """A small RSS 2.0 feed of (title, link) items, GUIDs from the links, all dated 14 January 2025."""
    when = datetime(2025, 1, 14, 9, 0, tzinfo=UTC)
    return rss_feed([Item(t, link, published=when) for t, link in items], title=title,
                    extra=f"<ttl>{ttl}</ttl>" if ttl is not None else "")


def article(title: str, paragraphs: int = 6) -> bytes:
    """An article page trafilatura extracts (a few paragraphs of plain English)."""
    body = "".join(
        f"<p>{title}: paragraph {i} of the report. The company said the new plant and the grid connection "
        f"will be finished next year, and that the works are on schedule and within the budget.</p>"
        for i in range(paragraphs)
    )
    return (f"<html lang='en'><head><title>{title}</title></head><body><article><h1>{title}</h1>{body}"
            f"</article></body></html>").encode()


BILLION_LAUGHS = (
    b'<?xml version="1.0"?>\n<!DOCTYPE rss [\n<!ENTITY lol "lol">\n'
    + b"".join(
        f'<!ENTITY lol{i} "{("&lol" + (str(i - 1) if i > 1 else "") + ";") * 10}">\n'.encode() for i in range(1, 10)
    )
    + b']>\n<rss version="2.0"><channel><title>&lol9;</title>'
    b"<item><title>&lol9;</title><link>http://example.invalid/laughs</link><description>&lol9;</description></item>"
    b"</channel></rss>"
)


def xxe_feed(path: str, link: str) -> bytes:
    """A feed whose entity reads the local file `path` into an item's title and description."""
    return (
        f'<?xml version="1.0"?>\n<!DOCTYPE rss [<!ENTITY xxe SYSTEM "file://{path}">]>\n'
        f'<rss version="2.0"><channel><title>t</title><item><title>&xxe;</title>'
        f"<description>&xxe;</description><link>{link}</link><guid>xxe-1</guid></item></channel></rss>"
    ).encode()
