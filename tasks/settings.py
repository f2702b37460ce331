"""Configuration resolved once: `--flag` > environment (CAPEX_DB, CAPEX_FEEDS) > default.

This is the only module that reads os.environ; it also sets the variables that keep Prefect from
making any outbound connection, before Prefect is imported anywhere.
"""

from __future__ import annotations

import os
from pathlib import Path

DEFAULT_DB = "data/capex.duckdb"
DEFAULT_FEEDS = "feeds.toml"

# Prefect reaches an outside telemetry host at start-up unless told not to.
PREFECT_OFFLINE_ENV = {
    "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
    "DO_NOT_TRACK": "1",
}


def resolve_db(flag: str | None) -> Path:
    """The database path: --db, else CAPEX_DB, else data/capex.duckdb."""
    return Path(flag or os.environ.get("CAPEX_DB") or DEFAULT_DB)


def resolve_feeds(flag: str | None) -> Path:
    """The feeds file: --feeds, else CAPEX_FEEDS, else feeds.toml."""
    return Path(flag or os.environ.get("CAPEX_FEEDS") or DEFAULT_FEEDS)


def file_problem(exc: OSError) -> str:
    """Why a file the user named cannot be read, in a few words ("file not found")."""
    if isinstance(exc, FileNotFoundError):
        return "file not found"
    if isinstance(exc, IsADirectoryError):
        return "is a directory, not a file"
    return f"cannot read: {exc.strerror or exc}"


def debug_enabled() -> bool:
    """Tracebacks wanted: `capex --debug`, or CAPEX_DEBUG=1."""
    return os.environ.get("CAPEX_DEBUG", "") not in ("", "0")


def enable_debug() -> None:
    """`capex --debug`: tracebacks in this process and the flows' child processes."""
    os.environ["CAPEX_DEBUG"] = "1"


def verbose_enabled() -> bool:
    """Prefect's own INFO log lines wanted on the console: `capex --verbose`, or CAPEX_VERBOSE=1."""
    return os.environ.get("CAPEX_VERBOSE", "") not in ("", "0")


def enable_verbose() -> None:
    """`capex --verbose`: Prefect's log lines in this process and the flows' child processes."""
    os.environ["CAPEX_VERBOSE"] = "1"


def prefect_api_url() -> str | None:
    """The Prefect server the flows report to (PREFECT_API_URL), or None for a temporary local one."""
    return os.environ.get("PREFECT_API_URL", "").strip() or None


def prepare_prefect_env() -> None:
    """Disable Prefect's analytics and telemetry in this process and its children."""
    for key, value in PREFECT_OFFLINE_ENV.items():
        os.environ[key] = value
