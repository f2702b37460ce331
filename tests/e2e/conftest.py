"""End-to-end fixtures shared by several modules."""

from __future__ import annotations

from pathlib import Path

import pytest

from tasks import store
from tests.support.cli import capex


@pytest.fixture(scope="session")
def demo_db(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, int], dict[str, int]]:
    """Run the demo twice into one database; return it with the row counts after each run."""
    db = tmp_path_factory.mktemp("demo") / "demo.duckdb"
    first = capex("demo", "--db", str(db), timeout=600)
    assert first.returncode == 0, first.stderr.decode()[-3000:]
    counts_1 = store.table_counts(db)
    second = capex("demo", "--db", str(db), timeout=600)
    assert second.returncode == 0, second.stderr.decode()[-3000:]
    return db, counts_1, store.table_counts(db)
