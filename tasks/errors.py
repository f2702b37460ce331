"""Error types of capex-monitor; every error the project raises derives from CapexError."""

from __future__ import annotations


class CapexError(Exception):
    """Base class of the project's errors."""


class ConfigError(CapexError):
    """A usage or configuration problem: the CLI exits 2 with this one-line message."""


class FetchError(CapexError):
    """A network fetch failed; `retryable` tells whether trying again may help."""

    def __init__(self, message: str, *, retryable: bool = False, http_status: int | None = None,
                 retry_after: float | None = None) -> None:
        super().__init__(message)
        self.retryable = retryable
        self.http_status = http_status
        self.retry_after = retry_after


class BlockedURLError(FetchError):
    """A URL refused by the SSRF policy (non-public address of another host)."""


class ExtractionError(CapexError):
    """Article extraction failed or exceeded its time or memory bounds."""


class StoreError(CapexError):
    """The database could not be opened or written (for example a lock held too long)."""
