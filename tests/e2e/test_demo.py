"""End-to-end: `capex demo` on the bundled sample, twice, and the demo database read by the duckdb CLI."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest

from tasks import store
from tests.support.cli import BIN
from tests.support.paths import REPO

pytestmark = pytest.mark.slow


def test_demo_twice_leaves_counts_unchanged(demo_db: tuple[Path, dict[str, int], dict[str, int]]) -> None:
    """The second demo run adds polls but no articles, facts, items or failures."""
    _, first, second = demo_db
    assert first["articles"] >= 25 and first["facts"] > 0
    assert {k: v for k, v in second.items() if k != "feed_polls"} == {
        k: v for k, v in first.items() if k != "feed_polls"}
    assert second["feed_polls"] == 2 * first["feed_polls"]


def test_demo_finds_the_sample_positives(demo_db: tuple[Path, dict[str, int], dict[str, int]]) -> None:
    """Most stories the sample marks as AI-capex are found, and few negatives are let in."""
    db, _, _ = demo_db
    expected = json.loads((REPO / "demo" / "expected.json").read_text())
    articles = expected.get("articles", expected)
    positives = {slug for slug, meta in articles.items() if isinstance(meta, dict) and meta.get("is_capex")}
    _, rows = store.query(db, "select url from capex_stories")
    found = {url.rsplit("/", 1)[-1].removesuffix(".html") for (url,) in rows}
    assert len(found & positives) >= 0.8 * len(positives)
    assert len(found - positives) <= 2


def test_duckdb_cli_reads_the_demo_database(demo_db: tuple[Path, dict[str, int], dict[str, int]]) -> None:
    """Users can query the demo database with the duckdb 1.5 command-line program."""
    db, first, _ = demo_db
    duckdb_cli = shutil.which("duckdb", path=str(BIN))
    assert duckdb_cli
    version = subprocess.run([duckdb_cli, "--version"], check=False, capture_output=True, timeout=30).stdout.decode()
    result = subprocess.run([duckdb_cli, "-readonly", "-csv", "-noheader", str(db),
                             "select count(*) from articles; select count(*) from capex_facts;"],
                            check=False, capture_output=True, timeout=60)
    assert version.startswith("v1.5"), version
    assert result.returncode == 0, result.stderr.decode()
    n_articles, n_facts = (int(x) for x in result.stdout.decode().split())
    assert n_articles == first["articles"] and n_facts > 0
