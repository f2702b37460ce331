"""The SSRF policy of INTERFACE.md against real sockets: links in feeds never reach another private host."""

from __future__ import annotations

import socket
from collections.abc import Iterator

import pytest

from tasks.ingest.fetch import fetch_pages
from tasks.models import FetchResult, PageFailure, PageJob
from tests.support.faultserver import FaultServer, article, fault_server, redirect, static


@pytest.fixture()
def feed_host() -> Iterator[FaultServer]:
    """The server that lists the links (the feed's origin)."""
    with fault_server() as s:
        yield s


@pytest.fixture()
def private() -> Iterator[FaultServer]:
    """Another private host:port that feed links must not reach; it counts every request."""
    with fault_server() as s:
        s.route("/secret", static(article("internal admin page"), content_type="text/html"))
        yield s


def _fetch(url: str, listing: str, allow_private: bool = False) -> FetchResult | PageFailure:
    [(_, result)] = fetch_pages([PageJob(url=url, guid=None, feed_id=None, published_at=None, title=None)],
                                listing, allow_private)
    return result


def _has_ipv6_loopback() -> bool:
    try:
        with socket.socket(socket.AF_INET6) as sock:
            sock.bind(("::1", 0))
        return True
    except OSError:
        return False


def test_private_address_forms_are_refused(feed_host: FaultServer, private: FaultServer) -> None:
    """Literal, localhost, decimal, hex, short, IPv6 and IPv4-mapped forms of 127.0.0.1 are refused unrequested."""
    port = private.port
    forms = [
        f"http://127.0.0.1:{port}/secret", f"http://localhost:{port}/secret", f"http://LOCALHOST:{port}/secret",
        f"http://2130706433:{port}/secret", f"http://0x7f.1:{port}/secret", f"http://127.1:{port}/secret",
        f"http://[::ffff:127.0.0.1]:{port}/secret", f"http://[::1]:{port}/secret", f"http://0.0.0.0:{port}/secret",
        "http://10.0.0.1/secret", "http://192.168.0.1/secret", "http://169.254.169.254/latest/meta-data/",
        f"http://0177.0.0.1:{port}/secret",
    ]
    for url in forms:
        result = _fetch(url, feed_host.url("/feed.xml"))
        assert isinstance(result, PageFailure), url
        assert "blocked" in result.error or "invalid URL" in result.error, (url, result.error)
    assert private.hits["/secret"] == 0


def test_redirect_from_allowed_origin_to_private_host_is_refused(feed_host: FaultServer, private: FaultServer) -> None:
    """A link on the feed's own origin that redirects to another private host is refused at that hop."""
    link = feed_host.route("/go", redirect(private.url("/secret")))
    result = _fetch(link, feed_host.url("/feed.xml"))
    assert isinstance(result, PageFailure) and "blocked" in result.error
    assert feed_host.hits["/go"] == 1 and private.hits["/secret"] == 0


def test_same_host_and_port_as_the_feed_is_exempt(feed_host: FaultServer) -> None:
    """Links on the feed's own host and port are fetched even though that host is private."""
    link = feed_host.route("/story", static(article("Local story"), content_type="text/html"))
    result = _fetch(link, feed_host.url("/feed.xml"))
    assert isinstance(result, FetchResult) and result.http_status == 200


def test_allow_private_networks_lifts_the_policy(feed_host: FaultServer, private: FaultServer) -> None:
    """With allow_private_networks = true, links to other private hosts are fetched."""
    result = _fetch(f"http://localhost:{private.port}/secret", feed_host.url("/feed.xml"), allow_private=True)
    assert isinstance(result, FetchResult) and result.http_status == 200
    assert private.hits["/secret"] == 1


@pytest.mark.skipif(not _has_ipv6_loopback(), reason="no IPv6 loopback on this machine")
def test_ipv6_loopback_server_is_not_reached(feed_host: FaultServer) -> None:
    """A real server on [::1] is never contacted by a link from a feed on another origin."""
    import threading
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

    hits: list[str] = []

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            hits.append(self.path)
            self.send_response(200)
            self.end_headers()

        def log_message(self, format: str, *args: object) -> None:
            return

    class V6Server(ThreadingHTTPServer):
        address_family = socket.AF_INET6

    server = V6Server(("::1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        result = _fetch(f"http://[::1]:{server.server_address[1]}/x", feed_host.url("/feed.xml"))
        assert isinstance(result, PageFailure) and "blocked" in result.error and hits == []
    finally:
        server.shutdown()
        server.server_close()
