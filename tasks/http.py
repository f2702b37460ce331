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
import time
import zlib
from collections.abc import Iterable
from dataclasses import dataclass
from email.utils import parsedate_to_datetime
from datetime import datetime, timezone
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
    """True for globally routable unicast addresses (not loopback, private, link-local, reserved...)."""
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return ip.is_global and not ip.is_multicast


class _GuardedBackend(httpcore.SyncBackend):
    """Resolves and checks every address before connecting to it."""

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
        trusted = self.policy.trust_all or self.policy.allow_private or (
            self.policy.trusted_origin == (host.lower(), port)
        )
        try:
            infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
        except socket.gaierror as exc:
            raise httpcore.ConnectError(f"DNS lookup failed for {host}: {exc}") from exc
        addresses = [info[4][0] for info in infos]
        allowed = addresses if trusted else [a for a in addresses if is_public_address(a)]
        if not allowed:
            raise _Blocked(f"refused {host}:{port}: resolves to non-public address {addresses[0]}")
        return super().connect_tcp(allowed[0], port, timeout, local_address, socket_options)


class _Blocked(httpcore.ConnectError):
    """Raised inside httpcore so the request stops before any byte is sent."""


def make_client(policy: FetchPolicy) -> httpx.Client:
    """An httpx client whose connections obey `policy` (redirects are followed by `fetch`)."""
    pool = httpcore.ConnectionPool(
        network_backend=_GuardedBackend(policy), max_connections=32, max_keepalive_connections=16,
        retries=0,
    )
    transport = httpx.HTTPTransport()
    transport._pool = pool  # the public constructor does not take a network backend
    timeout = httpx.Timeout(connect=CONNECT_TIMEOUT_S, read=READ_TIMEOUT_S, write=10.0, pool=30.0)
    return httpx.Client(
        transport=transport, timeout=timeout, follow_redirects=False,
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
        when = when.replace(tzinfo=timezone.utc)
    return max(0.0, (when - (now or datetime.now(timezone.utc))).total_seconds())


def fetch(
    client: httpx.Client,
    url: str,
    policy: FetchPolicy,
    etag: str | None = None,
    last_modified: str | None = None,
    accept: str = "*/*",
) -> FetchResult:
    """GET `url` following redirects by hand; raise FetchError for network faults and caps.

    Returns any HTTP response (304, 404...) as a FetchResult; the caller decides what it means.
    `final_url` is the last URL; `headers["x-permanent-redirect"]` is set when every hop was 301/308.
    """
    started = time.monotonic()
    deadline = started + policy.deadline_s
    headers = {"Accept": accept}
    if etag:
        headers["If-None-Match"] = etag
    if last_modified:
        headers["If-Modified-Since"] = last_modified
    current, seen, permanent = url, {url}, True
    for _hop in range(MAX_REDIRECTS + 1):
        status, resp_headers, body = _get_once(client, current, headers, policy, deadline)
        if status in (301, 302, 303, 307, 308) and "location" in resp_headers:
            target = urljoin(current, resp_headers["location"])
            if urlsplit(target).scheme not in ("http", "https"):
                raise FetchError(f"redirect to unsupported URL {target!r}")
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
        raise FetchError(f"unsupported URL {url!r}")
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
        raise FetchError(f"timeout fetching {url}: {type(exc).__name__}", retryable=True) from exc
    except httpx.TransportError as exc:
        if isinstance(exc.__cause__, _Blocked) or isinstance(exc.__context__, _Blocked):
            raise BlockedURLError(str(exc)) from exc
        raise FetchError(f"{type(exc).__name__} fetching {url}: {exc}", retryable=True) from exc


def _read_capped(response: httpx.Response, max_bytes: int, deadline: float, url: str) -> bytes:
    """Read the body decompressing it ourselves with a bound, so a gzip bomb stops at the cap."""
    encoding = response.headers.get("content-encoding", "").strip().lower()
    decoder: Any = None
    if encoding in ("gzip", "x-gzip"):
        decoder = zlib.decompressobj(16 + zlib.MAX_WBITS)
    elif encoding == "deflate":
        decoder = zlib.decompressobj()
    chunks: list[bytes] = []
    size = 0
    for raw in response.iter_raw():
        if time.monotonic() > deadline:
            raise FetchError(f"deadline exceeded reading {url}", retryable=True)
        data = raw
        if decoder is not None:
            try:
                data = decoder.decompress(raw, max_bytes - size + 1)
                while decoder.unconsumed_tail and size + len(data) <= max_bytes:
                    data += decoder.decompress(decoder.unconsumed_tail, max_bytes - size - len(data) + 1)
            except zlib.error as exc:
                raise FetchError(f"corrupt {encoding} body from {url}: {exc}") from exc
        size += len(data)
        if size > max_bytes:
            raise FetchError(f"body of {url} exceeds the {max_bytes} byte cap")
        chunks.append(data)
    return b"".join(chunks)


def is_retryable(exc: BaseException) -> bool:
    """Retry only transient network errors (not blocked URLs, caps or bad content)."""
    return isinstance(exc, FetchError) and exc.retryable and not isinstance(exc, BlockedURLError)
