"""Unit tests of tasks/ingest/http.py pure helpers: address policy, Retry-After, origins, retryability."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from tasks.errors import BlockedURLError, FetchError
from tasks.ingest.http import is_public_address, is_retryable, origin_of, parse_retry_after


@pytest.mark.parametrize("address", [
    "127.0.0.1", "10.1.2.3", "172.16.0.1", "192.168.1.1", "169.254.169.254", "0.0.0.0", "100.64.0.1",
    "::1", "::", "fe80::1", "fd00::1", "::ffff:127.0.0.1", "::ffff:10.0.0.1", "64:ff9b::7f00:1",
    "2002:7f00:1::", "2001:0:7f00:1::", "224.0.0.1", "255.255.255.255", "fe80::1%eth0",
])
def test_non_public_addresses_are_refused(address: str) -> None:
    """Loopback, private, link-local, reserved, multicast and IPv6 forms embedding them are not public."""
    assert not is_public_address(address)


@pytest.mark.parametrize("address", ["93.184.216.34", "8.8.8.8", "2606:4700::1111", "::ffff:8.8.8.8"])
def test_public_addresses_are_allowed(address: str) -> None:
    """Globally routable unicast addresses (also IPv4-mapped) are public."""
    assert is_public_address(address)


def test_retry_after_seconds_and_dates() -> None:
    """Retry-After is read as delta-seconds or an HTTP date; garbage and absence give None."""
    now = datetime(2025, 1, 1, 12, 0, tzinfo=UTC)
    assert parse_retry_after("120") == 120.0
    assert parse_retry_after("Wed, 01 Jan 2025 12:10:00 GMT", now=now) == 600.0
    assert parse_retry_after("Wed, 01 Jan 2025 11:00:00 GMT", now=now) == 0.0
    assert parse_retry_after("-5") is None and parse_retry_after("soon") is None and parse_retry_after(None) is None


def test_origin_fills_default_ports_and_lowercases() -> None:
    """The origin of a URL is its lower-cased host and its explicit or default port."""
    assert origin_of("HTTP://Example.COM/feed") == ("example.com", 80)
    assert origin_of("https://example.com/feed") == ("example.com", 443)
    assert origin_of("http://[::1]:8080/x") == ("::1", 8080)


def test_blocked_urls_are_never_retried() -> None:
    """Blocked URLs and non-transient faults are not retried; transient network errors are."""
    assert not is_retryable(BlockedURLError("blocked", retryable=True))
    assert not is_retryable(FetchError("cap"))
    assert is_retryable(FetchError("reset", retryable=True))
