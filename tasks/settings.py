"""Configuration resolved once: `--flag` > environment (CAPEX_DB, CAPEX_FEEDS, CAPEX_SHARD, ...) > default.

This is the only module that reads os.environ; it also sets the variables that keep Prefect from
making any outbound connection, before Prefect is imported anywhere. The `check_*` functions
validate what the user gave (files, URLs, the database location, the Prefect server) before
anything expensive starts, raising ConfigError with one line naming the option and the problem.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from tasks.errors import CapexError, ConfigError

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


@dataclass(frozen=True, slots=True)
class LakeSettings:
    """Where a lake's data files go and how to reach S3 (for a --db ducklake:... target)."""

    data_path: str | None   # a directory (absolute, ending in /) or s3://bucket/prefix/; None: the catalog's
    s3_endpoint: str | None  # host:port of an S3-compatible server; None: AWS
    s3_use_ssl: bool
    s3_region: str
    s3_key_id: str | None
    s3_secret: str | None


def lake_settings() -> LakeSettings:
    """CAPEX_DATA_PATH, CAPEX_S3_ENDPOINT (http://host:port for no TLS) and the standard AWS_* credentials."""
    data_path = os.environ.get("CAPEX_DATA_PATH", "").strip() or None
    if data_path and not data_path.startswith("s3://"):
        data_path = str(Path(data_path).expanduser().resolve())
    if data_path and not data_path.endswith("/"):
        data_path += "/"
    endpoint = os.environ.get("CAPEX_S3_ENDPOINT", "").strip() or None
    use_ssl = True
    if endpoint and "://" in endpoint:
        scheme, endpoint = endpoint.split("://", 1)
        use_ssl = scheme.lower() == "https"
    return LakeSettings(
        data_path=data_path,
        s3_endpoint=endpoint.rstrip("/") if endpoint else None,
        s3_use_ssl=use_ssl,
        s3_region=os.environ.get("AWS_REGION") or os.environ.get("AWS_DEFAULT_REGION") or "us-east-1",
        s3_key_id=os.environ.get("AWS_ACCESS_KEY_ID") or None,
        s3_secret=os.environ.get("AWS_SECRET_ACCESS_KEY") or None,
    )


def resolve_feeds(flag: str | None) -> Path:
    """The feeds file: --feeds, else CAPEX_FEEDS, else feeds.toml."""
    return Path(flag or os.environ.get("CAPEX_FEEDS") or DEFAULT_FEEDS)


def resolve_shard(flag: str | None) -> str | None:
    """The poll's shard "K/N": --shard, else CAPEX_SHARD, else None (every feed)."""
    return flag or os.environ.get("CAPEX_SHARD") or None


def resolve_dask_address(flag: str | None) -> str | None:
    """The Dask scheduler a backfill runs its batches on: --dask, else CAPEX_DASK_ADDRESS, else None (local)."""
    return (flag or os.environ.get("CAPEX_DASK_ADDRESS") or "").strip() or None


# A Dask scheduler that does not accept a connection within this is down, not slow.
DASK_CONNECT_TIMEOUT_S = 5.0


def check_dask_address(address: str) -> None:
    """A Dask scheduler address (tcp://HOST:PORT) that accepts a connection, or a ConfigError naming --dask."""
    from urllib.parse import urlsplit

    parts = urlsplit(address if "://" in address else f"tcp://{address}")
    try:
        port = parts.port
    except ValueError:
        port = None
    if parts.scheme != "tcp" or not parts.hostname or port is None:
        raise ConfigError(f"--dask {address}: not a Dask scheduler address (tcp://HOST:PORT)")
    reason = _unreachable(parts.hostname, port, DASK_CONNECT_TIMEOUT_S)
    if reason:
        raise ConfigError(f"--dask {address}: cannot connect ({reason}); start the scheduler "
                          "(dask scheduler) or leave out --dask and CAPEX_DASK_ADDRESS")
    if prefect_api_url() is None and not _is_loopback(parts.hostname):
        # the workers report task runs to the run's Prefect API; a temporary one listens on 127.0.0.1 only
        raise ConfigError(f"--dask {address}: workers on other machines cannot reach this run's temporary "
                          "Prefect server; set PREFECT_API_URL to a Prefect server they can reach")


def _is_loopback(host: str) -> bool:
    import ipaddress
    import socket

    try:
        return all(ipaddress.ip_address(info[4][0]).is_loopback for info in socket.getaddrinfo(host, None))
    except (OSError, ValueError):
        return False


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


# A Prefect server that does not accept a connection within this is down, not slow.
PREFECT_CONNECT_TIMEOUT_S = 5.0


def check_prefect_api() -> None:
    """A configured PREFECT_API_URL must accept a connection (checked before a flow starts, in a second)."""
    from urllib.parse import urlsplit

    url = prefect_api_url()
    if not url:
        return  # Prefect starts its temporary local server
    check_http_url(url, "PREFECT_API_URL")
    parts = urlsplit(url)
    port = parts.port or (443 if parts.scheme == "https" else 80)
    reason = _unreachable(parts.hostname or "", port, PREFECT_CONNECT_TIMEOUT_S)
    if reason:
        raise CapexError(f"PREFECT_API_URL {url}: cannot connect ({reason}); start the server "
                         "(prefect server start) or unset PREFECT_API_URL")


def _unreachable(host: str, port: int, timeout_s: float) -> str | None:
    """Why a TCP connection to host:port fails within timeout_s (the OS's words), or None when it opens."""
    import socket

    try:
        socket.create_connection((host, port), timeout=timeout_s).close()
    except OSError as exc:
        return exc.strerror or type(exc).__name__
    return None


def check_http_url(url: str, option: str) -> None:
    """An http(s) URL with a host, or a ConfigError naming the option."""
    from urllib.parse import urlsplit

    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ConfigError(f"{option} {url}: not an http(s) URL")


def check_readable_file(path_text: str, option: str) -> None:
    """A file the user named can be opened and read, or a ConfigError naming the option and the problem."""
    try:
        with Path(path_text).open("rb") as handle:
            handle.read(1)
    except OSError as exc:
        raise ConfigError(f"{option} {path_text}: {file_problem(exc)}") from None


def check_db_location(db_path: Path) -> None:
    """A database a run will write can be created there; a ConfigError naming the problem otherwise."""
    if str(db_path).startswith("ducklake:"):
        return  # a catalog, not a file: the store checks it when it connects
    if db_path.is_dir():
        raise ConfigError(f"--db {db_path}: is a directory, not a database file")
    ancestor = db_path.parent
    while not ancestor.exists() and ancestor != ancestor.parent:
        ancestor = ancestor.parent
    if not ancestor.is_dir():
        raise ConfigError(f"--db {db_path}: {ancestor} is not a directory")
    # the lock file and DuckDB's WAL are created beside the database
    if not os.access(ancestor, os.W_OK | os.X_OK) or (db_path.exists() and not os.access(db_path, os.W_OK)):
        raise ConfigError(f"--db {db_path}: not writable (directory {ancestor})")


def db_for_workers(db_path: Path) -> str:
    """The database as processes with another working directory (Dask workers) must name it: a file's
    absolute path; a catalog (`ducklake:...`) unchanged."""
    text = str(db_path)
    return text if text.startswith("ducklake:") else str(db_path.resolve())


# How long a command waits for Prefect's temporary local server to answer (Prefect's default: 20 s).
# Each command without PREFECT_API_URL starts its own; with a poll, a backfill and a report started
# at once on a busy 2-core machine, one came up after more than 20 s and its command failed. The
# wait ends as soon as the server answers, so a long limit costs nothing when the machine is idle.
# A value the user sets in the environment wins.
PREFECT_STARTUP_TIMEOUT = ("PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS", "180")


def prefect_startup_timeout() -> tuple[str, str]:
    """The variable bounding the temporary Prefect server's start-up, and its value in seconds."""
    name, default = PREFECT_STARTUP_TIMEOUT
    return name, os.environ.get(name, default)


def prepare_prefect_env() -> None:
    """Disable Prefect's analytics and telemetry in this process and its children; give its temporary
    server time to start on a busy machine."""
    for key, value in PREFECT_OFFLINE_ENV.items():
        os.environ[key] = value
    os.environ.setdefault(*PREFECT_STARTUP_TIMEOUT)
