"""docs/INTERFACE.md documents every public column and every key of `capex extract --json`."""

from __future__ import annotations

import dataclasses
import re

import duckdb
import pytest

from tasks.ingest.sources import analyse_source
from tasks.models import Fact
from tasks.store import migrate
from tests.support.paths import REPO

DOC = REPO / "docs" / "INTERFACE.md"
# a table row of the doc: | `name` | TYPE | ... (the type column only in table and view sections)
_ROW = re.compile(r"^\|\s*`(\w+)`\s*\|\s*([^|]*?)\s*\|", re.MULTILINE)


def _sections() -> dict[str, str]:
    """The doc's level-3 sections: heading (without backticks) -> text up to the next heading."""
    parts = re.split(r"^(#{1,3}) (.+)$", DOC.read_text(encoding="utf-8"), flags=re.MULTILINE)
    # parts: [preamble, level, heading, body, level, heading, body, ...]
    return {parts[i + 1].strip().strip("`"): parts[i + 2]
            for i in range(1, len(parts), 3) if parts[i] == "###"}


def _documented(section: str) -> dict[str, str]:
    """Rows of a section's table: name -> second cell (the type, for tables and views)."""
    return dict(_ROW.findall(section))


@pytest.fixture(scope="module")
def public_columns() -> dict[str, dict[str, str]]:
    """Every table and public view of a freshly migrated database with its columns and types."""
    con = duckdb.connect()
    migrate(con)
    rows = con.execute(
        "select table_name, column_name, data_type from information_schema.columns "
        "where table_name not like 'int\\_%' escape '\\' order by table_name, ordinal_position"
    ).fetchall()
    con.close()
    out: dict[str, dict[str, str]] = {}
    for table, column, data_type in rows:
        out.setdefault(table, {})[column] = data_type
    return out


def test_every_public_table_and_view_has_a_section(public_columns: dict[str, dict[str, str]]) -> None:
    """Each public table and view has its own `### name` section in docs/INTERFACE.md."""
    missing = sorted(set(public_columns) - set(_sections()))
    assert not missing, f"docs/INTERFACE.md has no section for {missing}"


def test_every_column_is_documented_with_its_type(public_columns: dict[str, dict[str, str]]) -> None:
    """Under each table's heading, the doc lists exactly the database's columns, each with its DuckDB type."""
    sections = _sections()
    problems = []
    for table, columns in public_columns.items():
        documented = _documented(sections.get(table, ""))
        problems += [f"{table}.{c}: not documented" for c in columns if c not in documented]
        problems += [f"{table}.{c}: documented but not in the database" for c in documented if c not in columns]
        problems += [f"{table}.{c}: type {documented[c]!r}, database says {t!r}"
                     for c, t in columns.items() if c in documented and documented[c] != t]
    assert not problems, "\n".join(problems)


def test_every_extract_json_key_is_documented() -> None:
    """Every key `capex extract --json` prints (result, each Fact field, error) is a row of its doc section."""
    result = analyse_source(str(REPO / "demo" / "articles" / "amazon-2025-capex-about-125-billion.html"))
    error = analyse_source(str(REPO / "demo" / "no-such-article.html"))
    assert result["facts"], "the demo article should give a fact"
    sections = _sections()
    expected = {
        "Result object": set(result),
        "Fact object": {f.name for f in dataclasses.fields(Fact)} | set(result["facts"][0]),
        "Error object": set(error),
    }
    for heading, keys in expected.items():
        documented = set(_documented(sections.get(heading, "")))
        assert documented == keys, f"{heading}: undocumented {sorted(keys - documented)}, " \
                                   f"stale {sorted(documented - keys)}"
