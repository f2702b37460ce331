"""Unit tests of the CLI's terminal output: `capex sql` tables, run summaries, printed commands."""

from __future__ import annotations

from pathlib import Path

import pytest

from flows.console import _program_dir, print_summary
from tasks.report import render_table, table_cell

COLUMNS = ["companies", "currency", "amount", "amount_usd", "sum(amount_usd)", "usd_bn", "score", "url"]
ROW = (["Microsoft", "OpenAI"], "CNY", 50e9, 131800000000.00002, 7e9, 80.0, 0.971234, None)


def test_money_columns_are_compact_in_their_currency() -> None:
    """Amounts show as $131.8B or CNY 50.0B; scaled columns, scores and lists stay readable."""
    cells = [table_cell(COLUMNS, ROW, i) for i in range(len(COLUMNS))]
    assert cells == ["Microsoft, OpenAI", "CNY", "CNY 50.0B", "$131.8B", "$7.0B", "80", "0.971234", ""]


def test_a_table_that_fits_is_aligned_columns() -> None:
    """Rows that fit the width are aligned under a header and a rule, values whole."""
    assert render_table(["a", "bb"], [["1", "x"], ["22", "yyy"]], 80) == ["a   bb", "--  ---", "1   x", "22  yyy"]


def test_a_wide_table_becomes_records_within_the_width() -> None:
    """A row wider than the terminal becomes one record per block, every line within the width, nothing cut."""
    url = "https://example.com/" + "long-path-segment/" * 10
    lines = render_table(["title", "url"], [["Northwind to spend $12 billion on AI data centers", url]], 80)
    assert lines[0] == "-[ record 1 ]" + "-" * 67
    assert all(len(line) <= 80 for line in lines)
    assert "".join(line.split(" | ", 1)[1] for line in lines[2:]) == url
    assert lines[1] == "title | Northwind to spend $12 billion on AI data centers"


def test_piped_tables_are_never_cut() -> None:
    """Without a terminal width (piped), a wide row stays one whole line."""
    url = "https://example.com/" + "x" * 300
    assert render_table(["url"], [[url]], None)[2] == url


def test_run_summary_is_readable_lines(capsys: pytest.CaptureFixture[str]) -> None:
    """A run summary prints as aligned name/value lines and its failures, never as a Python dict."""
    summary = {"feeds_polled": 2, "new_articles": 5, "feeds_stopped": [], "resumed": False,
               "failures": ["http://a/x: HTTP 404"], "run_id": "r1"}
    print_summary("poll", summary, Path("data/c.duckdb"))
    assert capsys.readouterr().err.splitlines() == [
        "poll finished, database data/c.duckdb",
        "  feeds polled   2",
        "  new articles   5",
        "  feeds stopped  none",
        "  resumed        no",
        "failures:",
        "  http://a/x: HTTP 404",
    ]


def test_printed_commands_name_programs_that_exist(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """The demo's `duckdb` and `capex` commands carry the directory they are installed in when it is not on PATH."""
    monkeypatch.setenv("PATH", str(tmp_path))
    prefix = _program_dir()
    assert prefix.endswith("/")
    assert (Path(prefix) / "duckdb").is_file() and (Path(prefix) / "capex").is_file()


def test_a_temporary_server_that_does_not_start_in_time_is_one_line_with_the_remedy(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Prefect's start-up timeout reads as one line naming the limit, the variable raising it and the alternative."""
    from flows.cli import _one_line
    from tasks import settings

    monkeypatch.delenv(settings.PREFECT_STARTUP_TIMEOUT[0], raising=False)
    line = _one_line(RuntimeError("Timed out while attempting to connect to ephemeral Prefect API server. stdout: x"))
    assert line == ("Prefect's temporary server did not start within 180 s (machine busy?): raise "
                    "PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS, or run `prefect server start` and set "
                    "PREFECT_API_URL")


def test_commands_give_the_temporary_server_a_long_start_up_unless_the_user_chose(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """prepare_prefect_env sets the start-up limit to 180 s, and keeps a value the user set."""
    from tasks import settings

    name = settings.PREFECT_STARTUP_TIMEOUT[0]
    monkeypatch.delenv(name, raising=False)
    settings.prepare_prefect_env()
    assert settings.prefect_startup_timeout() == (name, "180")
    monkeypatch.setenv(name, "45")
    settings.prepare_prefect_env()
    assert settings.prefect_startup_timeout() == (name, "45")
