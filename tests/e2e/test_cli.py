"""End-to-end tests of the `capex` command: exit codes, extract, sql, and the duckdb CLI."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.support.cli import BIN, ENV, capex
from tests.support.paths import DATA, REPO
from tests.support.records import write_feeds


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (None, "feeds file: file not found"),
        ("[[feeds]\nname = 'x'", "invalid TOML"),
        ("[[feeds]]\nname = 'no url'\n", "has no url"),
        ("[[feeds]]\nurl = 'ftp://example.com/feed'\n", "is not an http(s) URL"),
        ("[settings]\nallow_private_networks = 'yes'\n", "allow_private_networks must be true or false"),
    ],
)
def test_bad_feeds_file_exits_2_with_one_line(tmp_path: Path, content: str | None, message: str) -> None:
    """A missing or invalid feeds file exits 2 with one line naming the file and the problem."""
    feeds = tmp_path / "feeds.toml"
    if content is not None:
        feeds.write_text(content)
    result = capex("poll", "--feeds", str(feeds), "--db", str(tmp_path / "x.duckdb"))
    err = result.stderr.decode().strip()
    assert result.returncode == 2
    assert len(err.splitlines()) == 1 and str(feeds) in err and message in err
    assert not (tmp_path / "x.duckdb").exists()


def test_extract_json_lines_one_per_source_in_order(tmp_path: Path) -> None:
    """extract --json prints one JSON object per source, an error line for a missing one, in order, and exits 1."""
    text = tmp_path / "a.txt"
    text.write_text("Microsoft plans to spend $80 billion on AI data centers in fiscal 2025, the company said. "
                    "The data center buildout covers AI chips and servers, with capital expenditure rising.")
    html = DATA / "site" / "articles" / "northwind-capex.html"
    result = capex("extract", "--json", str(html), str(tmp_path / "missing.html"), "-",
                   stdin=(DATA / "site" / "articles" / "ferry.html").read_bytes())
    lines = [json.loads(line) for line in result.stdout.decode().splitlines()]
    assert result.returncode == 1
    assert result.stderr.decode().splitlines() == [f"capex: {tmp_path / 'missing.html'}: file not found"]
    assert [line["source"] for line in lines] == [str(html), str(tmp_path / "missing.html"), "-"]
    assert lines[0]["is_capex"] is True and lines[0]["published"] == "2025-01-14"
    assert any(f["amount_usd"] == 80e9 for f in lines[0]["facts"])
    assert "error" in lines[1] and "is_capex" not in lines[1]
    assert lines[2]["is_capex"] is False and lines[2]["facts"] == []
    text_result = capex("extract", "--json", "--text", "--published", "2025-01-10", str(text))
    assert json.loads(text_result.stdout)["published"] == "2025-01-10"


def test_extract_does_not_import_prefect() -> None:
    """The extract path imports no Prefect module, so it starts fast."""
    code = ("import sys; from flows.cli import app; from tasks.ingest.sources import analyse_source; "
            "analyse_source('-', as_text=True); print(any(m.startswith('prefect') for m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], cwd=REPO, env=ENV, input=b"x", check=False, capture_output=True,
                         timeout=60)
    assert out.stdout.decode().strip() == "False", out.stderr.decode()


@pytest.mark.slow
def test_poll_cli_then_sql_and_duckdb_cli(site: str, tmp_path: Path) -> None:
    """`capex poll` fills the database, prints plain progress and a summary (Prefect's lines with --verbose);
    sql and duckdb read it."""
    feeds = write_feeds(tmp_path / "feeds.toml", f"{site}/feed.xml")
    db = tmp_path / "c.duckdb"
    info = {"PREFECT_LOGGING_LEVEL": "INFO"}  # the tests' conftest sets WARNING
    result = capex("poll", "--feeds", str(feeds), "--db", str(db), env=info)
    assert result.returncode == 0, result.stderr.decode()[-2000:]
    err = result.stderr.decode().splitlines()
    # piped, progress is plain lines (no "0/?" bar), then the summary
    assert err[0].startswith("poll: ") and err[-1] != err[0] and "0/?" not in result.stderr.decode()
    assert "poll: 3/3 pages, new 2, failed 1" in err  # the site lists one broken page
    assert f"poll finished, database {db}" in err and "  new articles        2" in err
    assert not any("| INFO" in line for line in err)  # Prefect's own lines only with --verbose
    verbose = capex("--verbose", "poll", "--feeds", str(feeds), "--db", str(db), env=info)
    assert verbose.returncode == 0 and "| INFO    | prefect - Starting temporary server" in verbose.stderr.decode()
    out = capex("sql", "--db", str(db), "--format", "csv", "select count(*) as n from articles")
    assert out.stdout.decode().splitlines() == ["n", "2"]
    as_json = capex("sql", "--db", str(db), "--format", "json", "select url from capex_stories")
    assert [json.loads(line)["url"] for line in as_json.stdout.decode().splitlines()] == [
        f"{site}/articles/northwind-capex.html"]
    bad = capex("sql", "--db", str(db), "select * from no_such_table")
    assert bad.returncode == 1 and "no_such_table" in bad.stderr.decode()
    duckdb_cli = shutil.which("duckdb", path=str(BIN))
    assert duckdb_cli, "the duckdb-cli package installs the duckdb program"
    cli = subprocess.run([duckdb_cli, "-readonly", "-csv", str(db), "select count(*) from feed_polls"],
                         check=False, capture_output=True, timeout=60)
    assert cli.returncode == 0, cli.stderr.decode()
    assert cli.stdout.decode().split() == ["count_star()", "1"]
