"""Shared fixtures: Prefect offline settings, local HTTP servers on 127.0.0.1, the shared corpus."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

# Before anything imports Prefect: no analytics, no telemetry, no outbound connection.
os.environ["PREFECT_SERVER_ANALYTICS_ENABLED"] = "false"
os.environ["DO_NOT_TRACK"] = "1"
os.environ.setdefault("PREFECT_LOGGING_LEVEL", "WARNING")

REPO = Path(__file__).resolve().parent.parent
DATA = REPO / "tests" / "data"
CORPUS = REPO.parent / "shared" / "corpus"


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


def write_feeds(path: Path, *urls: str, allow_private: bool = False) -> Path:
    """Write a feeds file listing `urls`."""
    lines = [f"[settings]\nallow_private_networks = {'true' if allow_private else 'false'}\n"]
    for i, url in enumerate(urls):
        lines.append(f'[[feeds]]\nname = "feed {i}"\nurl = "{url}"\n')
    path.write_text("\n".join(lines), encoding="utf-8")
    return path
