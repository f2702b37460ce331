"""HTTP fetching with the pipeline's rules: deadline, size cap, conditional GET, SSRF policy.

Every connection goes through `_GuardedBackend`, which resolves the host itself, checks the
addresses against the policy and connects to the checked address, so DNS tricks and redirects
cannot reach a private address the policy refuses. Redirects are followed by hand so that each
hop is checked and permanent moves can be reported.
"""

from __future__ import annotations

import ipaddress
import logging
import socket
import ssl
import threading
import time
import zlib
from collections.abc import Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any
from urllib.parse import urljoin, urlsplit

import httpcore
import httpx

from tasks.errors import BlockedURLError, FetchError
from tasks.models import FetchResult

logger = logging.getLogger(__name__)

USER_AGENT = "capex-monitor/0.1 (+AI capex news monitor; polite feed reader)"
# Caps and deadlines: a feed or page larger than this is not a news article; see README "Limits".
MAX_FEED_BYTES = 10 * 1024 * 1024
MAX_PAGE_BYTES = 5 * 1024 * 1024
FEED_DEADLINE_S = 30.0
PAGE_DEADLINE_S = 30.0
CONNECT_TIMEOUT_S = 10.0
READ_TIMEOUT_S = 15.0
MAX_REDIRECTS = 5
RETRYABLE_STATUS = frozenset({408, 425, 429, 500, 502, 503, 504})
# getaddrinfo has no timeout of its own: lookups run in these threads so a dead resolver costs
# at most the request's remaining deadline (a stuck lookup keeps its thread until the OS gives up).
_RESOLVER = ThreadPoolExecutor(max_workers=8, thread_name_prefix="capex-dns")
# NAT64 well-known prefix (RFC 6052): 64:ff9b::a.b.c.d reaches the IPv4 address a.b.c.d.
_NAT64 = ipaddress.ip_network("64:ff9b::/96")


@dataclass(frozen=True, slots=True)
class FetchPolicy:
    """Which addresses a fetch may reach, and its size and time bounds."""

    trust_all: bool = False                 # URLs the user wrote (feeds file, --urls, --sitemap)
    allow_private: bool = False             # feeds file `allow_private_networks = true`
    trusted_origin: tuple[str, int] | None = None  # the listing feed's host and port
    max_bytes: int = MAX_PAGE_BYTES
    deadline_s: float = PAGE_DEADLINE_S


def default_port(scheme: str) -> int:
    """The port a URL without one connects to."""
    return 443 if scheme == "https" else 80


def origin_of(url: str) -> tuple[str, int]:
    """(host, port) of a URL, lower-cased, with the scheme's default port filled in."""
    parts = urlsplit(url)
    return (parts.hostname or "").lower(), parts.port or default_port(parts.scheme)


def is_public_address(address: str) -> bool:
    """True for globally routable unicast addresses (not loopback, private, link-local, reserved...).

    IPv6 forms that embed an IPv4 address (IPv4-mapped, NAT64, 6to4, Teredo) are judged by the
    IPv4 address they lead to.
    """
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    if isinstance(ip, ipaddress.IPv6Address):
        embedded: list[ipaddress.IPv4Address] = []
        if ip.ipv4_mapped is not None:
            embedded.append(ip.ipv4_mapped)
        if ip in _NAT64:
            embedded.append(ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF))
        if ip.sixtofour is not None:
            embedded.append(ip.sixtofour)
        if ip.teredo is not None:
            embedded.extend(ip.teredo)
        if embedded:
            return all(is_public_address(str(v4)) for v4 in embedded)
    return ip.is_global and not ip.is_multicast


# The deadline of the fetch running in this thread (monotonic seconds), read by every socket
# operation so that stalled or slowly dripping headers and bodies cannot outlive it.
_DEADLINE = threading.local()


@contextmanager
def _deadline(at: float) -> Iterator[None]:
    previous = getattr(_DEADLINE, "at", None)
    _DEADLINE.at = at
    try:
        yield
    finally:
        _DEADLINE.at = previous


def _remaining(timeout: float | None, error: type[Exception]) -> float | None:
    """`timeout` shortened to the thread's deadline; raises `error` once the deadline has passed."""
    at = getattr(_DEADLINE, "at", None)
    if at is None:
        return timeout
    left = at - time.monotonic()
    if left <= 0:
        raise error("request deadline exceeded")
    return float(left if timeout is None else min(timeout, left))


class _DeadlineStream(httpcore.NetworkStream):
    """A connection whose every read and write is bounded by the current fetch's deadline."""

    def __init__(self, inner: httpcore.NetworkStream) -> None:
        self._inner = inner

    def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
        return self._inner.read(max_bytes, _remaining(timeout, httpcore.ReadTimeout))

    def write(self, buffer: bytes, timeout: float | None = None) -> None:
        self._inner.write(buffer, _remaining(timeout, httpcore.WriteTimeout))

    def close(self) -> None:
        self._inner.close()

    def start_tls(self, ssl_context: Any, server_hostname: str | None = None,
                  timeout: float | None = None) -> httpcore.NetworkStream:
        inner = self._inner.start_tls(ssl_context, server_hostname, _remaining(timeout, httpcore.ConnectTimeout))
        return _DeadlineStream(inner)

    def get_extra_info(self, info: str) -> Any:
        return self._inner.get_extra_info(info)


class _GuardedBackend(httpcore.SyncBackend):
    """Resolves and checks every address before connecting to it, and checks the connected peer."""

    def __init__(self, policy: FetchPolicy) -> None:
        self.policy = policy

    def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Iterable[Any] | None = None,
    ) -> httpcore.NetworkStream:
        timeout = _remaining(timeout, httpcore.ConnectTimeout)
        trusted = self.policy.trust_all or self.policy.allow_private or (
            self.policy.trusted_origin == (host.lower(), port)
        )
        addresses = _resolve(host, port, timeout)
        allowed = addresses if trusted else [a for a in addresses if is_public_address(a)]
        if not allowed:
            raise _Blocked(f"refused {host}:{port}: resolves to non-public address {addresses[0]}")
        stream = super().connect_tcp(allowed[0], port, timeout, local_address, socket_options)
        # the address actually connected to, not the one we meant to reach, is what must be public
        peer = stream.get_extra_info("server_addr")
        if not trusted and (not peer or not is_public_address(str(peer[0]))):
            stream.close()
            raise _Blocked(f"refused {host}:{port}: connected to non-public address {peer}")
        return _DeadlineStream(stream)


def _resolve(host: str, port: int, timeout: float | None) -> list[str]:
    """The addresses of `host`, looked up within `timeout` seconds."""
    future = _RESOLVER.submit(socket.getaddrinfo, host, port, type=socket.SOCK_STREAM)
    try:
        infos = future.result(timeout=timeout)
    except FutureTimeout:
        raise httpcore.ConnectTimeout(f"DNS lookup of {host} timed out") from None
    except (socket.gaierror, UnicodeError) as exc:
        raise _DNSFailed(f"DNS lookup failed for {host}: {exc}") from exc
    addresses = [str(info[4][0]) for info in infos]
    if not addresses:
        raise _DNSFailed(f"DNS lookup failed for {host}: no addresses")
    return addresses


class _DNSFailed(httpcore.ConnectError):
    """The host name does not resolve."""


class _Blocked(httpcore.ConnectError):
    """Raised inside httpcore so the request stops before any byte is sent."""


_SSL_CONTEXT: ssl.SSLContext | None = None
_SSL_LOCK = threading.Lock()


def _ssl_context() -> ssl.SSLContext:
    """One verifying SSL context per process: building one loads the CA bundle (~40 ms of CPU),
    which a re-poll of hundreds of feeds would otherwise pay once per feed."""
    global _SSL_CONTEXT
    with _SSL_LOCK:
        if _SSL_CONTEXT is None:
            _SSL_CONTEXT = httpx.create_ssl_context()
        return _SSL_CONTEXT


def make_client(policy: FetchPolicy) -> httpx.Client:
    """An httpx client whose connections obey `policy` (redirects are followed by `fetch`)."""
    context = _ssl_context()
    pool = httpcore.ConnectionPool(
        ssl_context=context, network_backend=_GuardedBackend(policy), max_connections=32,
        max_keepalive_connections=16, retries=0,
    )
    transport = httpx.HTTPTransport(verify=context)
    transport._pool = pool  # the public constructor does not take a network backend
    timeout = httpx.Timeout(connect=CONNECT_TIMEOUT_S, read=READ_TIMEOUT_S, write=10.0, pool=30.0)
    # trust_env=False: a proxy from the environment would connect on our behalf and bypass the guard
    return httpx.Client(
        transport=transport, timeout=timeout, follow_redirects=False, trust_env=False,
        headers={"User-Agent": USER_AGENT, "Accept-Encoding": "gzip, deflate"},
    )


def parse_retry_after(value: str | None, now: datetime | None = None) -> float | None:
    """Seconds to wait from a Retry-After header (delta-seconds or HTTP date); None if absent/bad."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, float((when - (now or datetime.now(UTC))).total_seconds()))


def fetch(
    client: httpx.Client,
    url: str,
    policy: FetchPolicy,
    etag: str | None = None,
    last_modified: str | None = None,
    accept: str = "*/*",
) -> FetchResult:
    """GET `url` following redirects by hand; raise FetchError for network faults and caps.

    The whole exchange (DNS, connect, every redirect hop, headers and body) must finish within
    `policy.deadline_s`. Returns any HTTP response (304, 404...) as a FetchResult; the caller decides
    what it means. `final_url` is the last URL; `headers["x-permanent-redirect"]` is set when every
    hop was 301/308.
    """
    started = time.monotonic()
    deadline = started + policy.deadline_s
    headers = {"Accept": accept}
    if etag:
        headers["If-None-Match"] = etag
    if last_modified:
        headers["If-Modified-Since"] = last_modified
    current, seen, permanent = url, {url}, True
    with _deadline(deadline):
        for _hop in range(MAX_REDIRECTS + 1):
            status, resp_headers, body = _get_once(client, current, headers, policy, deadline)
            if status in (301, 302, 303, 307, 308) and resp_headers.get("location", "").strip():
                target = urljoin(current, resp_headers["location"].strip())
                if urlsplit(target).scheme not in ("http", "https"):
                    raise FetchError(f"redirect to unsupported URL {target[:200]!r}")
                if target in seen:
                    raise FetchError(f"redirect loop at {target}")
                permanent = permanent and status in (301, 308)
                seen.add(target)
                current = target
                continue
            if permanent and current != url:
                resp_headers["x-permanent-redirect"] = "1"
            retry_after = parse_retry_after(resp_headers.get("retry-after"))
            return FetchResult(url=url, final_url=current, http_status=status, headers=resp_headers, body=body,
                               retry_after=retry_after, elapsed_s=time.monotonic() - started)
    raise FetchError(f"more than {MAX_REDIRECTS} redirects from {url}")


def _get_once(
    client: httpx.Client, url: str, headers: dict[str, str], policy: FetchPolicy, deadline: float
) -> tuple[int, dict[str, str], bytes]:
    if urlsplit(url).scheme not in ("http", "https"):
        raise FetchError(f"unsupported URL {url[:200]!r}")
    try:
        with client.stream("GET", url, headers=headers) as response:
            resp_headers = {k.lower(): v for k, v in response.headers.items()}
            if response.status_code in (301, 302, 303, 307, 308, 304) or response.status_code >= 400:
                return response.status_code, resp_headers, b""
            body = _read_capped(response, policy.max_bytes, deadline, url)
            return response.status_code, resp_headers, body
    except _Blocked as exc:
        raise BlockedURLError(str(exc)) from exc
    except httpx.TimeoutException as exc:
        # not retried within the run: a retry would multiply the deadline; the feed's backoff handles it
        raise FetchError(f"timeout fetching {url} ({type(exc).__name__}, deadline {policy.deadline_s:g} s)") from exc
    except httpx.InvalidURL as exc:
        raise FetchError(f"invalid URL {url[:200]!r}: {exc}") from exc
    except httpx.TransportError as exc:
        cause = exc.__cause__ or exc.__context__
        if isinstance(cause, _Blocked):
            raise BlockedURLError(str(exc)) from exc
        if isinstance(cause, _DNSFailed):
            raise FetchError(str(cause)) from exc
        if "SSL" in str(exc) or "certificate" in str(exc).lower():
            raise FetchError(f"TLS error fetching {url}: {exc}") from exc
        raise FetchError(f"{type(exc).__name__} fetching {url}: {exc}", retryable=True) from exc


def _decoder(encoding: str, url: str) -> Any:
    """A streaming decompressor for a Content-Encoding (None for identity)."""
    if encoding in ("", "identity"):
        return None
    if encoding in ("gzip", "x-gzip"):
        return zlib.decompressobj(16 + zlib.MAX_WBITS)
    if encoding == "deflate":
        return _Deflate()
    raise FetchError(f"unsupported Content-Encoding {encoding[:50]!r} from {url}")


class _Deflate:
    """'deflate' as servers send it: zlib-wrapped per the RFC, or raw deflate (a common mistake)."""

    def __init__(self) -> None:
        self._inner: Any = zlib.decompressobj()
        self._first = True

    @property
    def unconsumed_tail(self) -> bytes:
        return bytes(self._inner.unconsumed_tail)

    def decompress(self, data: bytes, max_length: int) -> bytes:
        if self._first:
            self._first = False
            try:
                return bytes(self._inner.decompress(data, max_length))
            except zlib.error:
                self._inner = zlib.decompressobj(-zlib.MAX_WBITS)
        return bytes(self._inner.decompress(data, max_length))


def _read_capped(response: httpx.Response, max_bytes: int, deadline: float, url: str) -> bytes:
    """Read the body decompressing it ourselves with a bound, so a gzip or deflate bomb stops at the cap.

    At most `max_bytes + 1` decompressed bytes are ever produced, whatever the compression ratio.
    """
    declared = response.headers.get("content-length", "").strip()
    encoding = response.headers.get("content-encoding", "").strip().lower()
    if declared.isdigit() and not encoding and int(declared) > max_bytes:
        raise FetchError(f"body of {url} exceeds the {max_bytes} byte cap (Content-Length {declared})")
    decoder = _decoder(encoding, url)
    chunks: list[bytes] = []
    size = received = 0
    for raw in response.iter_raw():
        if time.monotonic() > deadline:
            raise FetchError(f"deadline exceeded reading {url}")
        data = raw
        if decoder is not None:
            try:
                data = decoder.decompress(raw, max_bytes - size + 1)
                while decoder.unconsumed_tail and size + len(data) <= max_bytes:
                    data += decoder.decompress(decoder.unconsumed_tail, max_bytes - size - len(data) + 1)
            except zlib.error as exc:
                raise FetchError(f"corrupt {encoding} body from {url}: {exc}") from exc
        size += len(data)
        received += len(raw)
        if size > max_bytes:
            raise FetchError(f"body of {url} exceeds the {max_bytes} byte cap")
        chunks.append(data)
    if decoder is not None and received and not size:
        # a truncated stream that still decoded something is kept (as browsers do); nothing at all is corrupt
        raise FetchError(f"corrupt {encoding} body from {url}: nothing decodes")
    return b"".join(chunks)


def is_retryable(exc: BaseException) -> bool:
    """Retry only transient network errors (not blocked URLs, caps or bad content)."""
    return isinstance(exc, FetchError) and exc.retryable and not isinstance(exc, BlockedURLError)
