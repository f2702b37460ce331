"""Shared fixtures: Prefect offline settings, local HTTP servers on 127.0.0.1, the shared corpus."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from tasks.settings import prepare_prefect_env
from tests.support import services
from tests.support.paths import CORPUS, DATA, REPO
from tests.support.records import write_feeds

# Before anything imports Prefect: no analytics, no telemetry, no outbound connection.
prepare_prefect_env()
os.environ.setdefault("PREFECT_LOGGING_LEVEL", "WARNING")

__all__ = ["CORPUS", "DATA", "REPO", "write_feeds"]


@pytest.fixture(scope="session")
def corpus() -> Path:
    """The shared real-world corpus; tests using it skip when ../shared/corpus is absent."""
    if not CORPUS.is_dir():
        pytest.skip(f"shared corpus not found at {CORPUS} (tests reading real feeds and pages need it)")
    return CORPUS


@pytest.fixture(scope="session")
def prefect_harness() -> Iterator[None]:
    """Run flows against Prefect's test harness (a throwaway local database) for the whole session."""
    from prefect.testing.utilities import prefect_test_harness

    with prefect_test_harness(server_startup_timeout=120):
        yield


@pytest.fixture()
def site() -> Iterator[str]:
    """tests/data/site served on 127.0.0.1 (with {BASE} replaced by the server URL)."""
    from tasks.demo import serve_directory

    with serve_directory(DATA / "site") as base:
        yield base


@pytest.fixture()
def db(tmp_path: Path) -> str:
    """A fresh database path in tmp_path."""
    return str(tmp_path / "capex.duckdb")


@pytest.fixture(scope="session")
def pg_server() -> Iterator[services.PostgresServer]:
    """A throwaway PostgreSQL cluster on 127.0.0.1 for the session; skips when PostgreSQL is not installed."""
    reason = services.postgres_unavailable_reason()
    if reason:
        pytest.skip(reason)
    with services.postgres_server() as server:
        yield server


@pytest.fixture(scope="session")
def s3_server() -> Iterator[services.S3Server]:
    """moto's S3 server on 127.0.0.1 for the session; skips when moto[server] is not installed."""
    reason = services.s3_unavailable_reason()
    if reason:
        pytest.skip(reason)
    with services.s3_server() as server:
        yield server


@pytest.fixture()
def file_db(tmp_path: Path) -> str:
    """A fresh DuckDB file (the default backend)."""
    return str(tmp_path / "capex.duckdb")


@pytest.fixture()
def lake_db(pg_server: services.PostgresServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    """A fresh lake: a new catalog database on the session's PostgreSQL, data files in tmp_path."""
    from tests.support.lakes import fresh_lake

    return fresh_lake(pg_server, tmp_path, monkeypatch)


@pytest.fixture()
def s3_lake_db(pg_server: services.PostgresServer, s3_server: services.S3Server, tmp_path: Path,
               monkeypatch: pytest.MonkeyPatch) -> str:
    """A fresh lake whose data files go to a new bucket of the session's S3 server."""
    from tests.support.lakes import fresh_lake

    return fresh_lake(pg_server, tmp_path, monkeypatch, s3_server)
