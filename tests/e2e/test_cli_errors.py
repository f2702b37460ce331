"""The `capex` command's one error path: one line on stderr, exit 2 for usage, 1 for a failed run, nothing created."""

from __future__ import annotations

import json
import socket
import subprocess
from pathlib import Path

import pytest

from tasks import store
from tests.support.cli import BIN, ENV, capex


def _one_line(result: subprocess.CompletedProcess[bytes]) -> str:
    """The single stderr line of a failed command (asserts there is exactly one)."""
    lines = result.stderr.decode().splitlines()
    assert len(lines) == 1, lines
    assert lines[0].startswith("capex: ") and "Traceback" not in lines[0]
    return lines[0]


@pytest.fixture()
def feeds(tmp_path: Path) -> Path:
    """A valid feeds file of one feed."""
    path = tmp_path / "feeds.toml"
    path.write_text('[[feeds]]\nname = "a"\nurl = "http://127.0.0.1:9/feed.xml"\n')
    return path


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--urls", "missing.txt"], "capex: --urls missing.txt: file not found"),
        (["--urls", "."], "capex: --urls .: is a directory, not a file"),
        (["--urls", "feeds.toml", "--reprocess"], "capex: --urls and --reprocess: cannot be used together"),
        (["--urls", "feeds.toml", "--sitemap", "http://127.0.0.1:9/s.xml"], "capex: --urls and --sitemap: cannot"),
        (["--sitemap", "not-a-url"], "capex: --sitemap not-a-url: not an http(s) URL"),
        (["--sitemap", "file:///etc/passwd"], "capex: --sitemap file:///etc/passwd: not an http(s) URL"),
        (["--since", "2025-13-01"], "capex: --since '2025-13-01' is not a date"),
        (["--since", "2025-02-01", "--until", "2025-01-01"], "capex: --since 2025-02-01 is after --until"),
    ],
)
def test_backfill_option_errors_exit_2_before_anything_starts(tmp_path: Path, feeds: Path, args: list[str],
                                                               message: str) -> None:
    """Bad or conflicting backfill options exit 2 with one line naming them, and create no database."""
    result = capex("backfill", "--db", str(tmp_path / "x.duckdb"), "--feeds", str(feeds), *args, cwd=tmp_path,
                   timeout=120)
    assert result.returncode == 2
    assert _one_line(result).startswith(message)
    assert not (tmp_path / "x.duckdb").exists()


@pytest.mark.parametrize("command", ["poll", "backfill", "demo"])
def test_a_database_path_that_cannot_be_created_exits_2_before_prefect(tmp_path: Path, feeds: Path,
                                                                       command: str) -> None:
    """A --db below a regular file, or a directory, exits 2 in one line before any run starts."""
    (tmp_path / "notes.txt").write_text("x")
    args = [command] if command == "demo" else [command, "--feeds", str(feeds)]
    for db, problem in ((tmp_path / "notes.txt" / "sub" / "c.duckdb", f"{tmp_path / 'notes.txt'} is not a directory"),
                        (tmp_path, "is a directory, not a database file")):
        result = capex(*args, "--db", str(db), cwd=tmp_path, timeout=120)
        assert result.returncode == 2
        assert _one_line(result) == f"capex: --db {db}: {problem}"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["feeds.toml", "notes.txt"]


@pytest.mark.parametrize(("flag", "env"), [(["--debug"], {}), ([], {"CAPEX_DEBUG": "1"})])
def test_debug_adds_the_traceback_and_keeps_the_exit_status(tmp_path: Path, flag: list[str],
                                                            env: dict[str, str]) -> None:
    """With --debug (or CAPEX_DEBUG=1) a usage error shows its traceback, then the same line and exit 2."""
    result = capex(*flag, "backfill", "--urls", "missing.txt", cwd=tmp_path, env=env, timeout=120)
    err = result.stderr.decode().splitlines()
    assert result.returncode == 2
    assert err[0] == "Traceback (most recent call last):"
    assert err[-1] == "capex: --urls missing.txt: file not found"


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("[settings]\nallow_private_networks = false\n", "no feeds listed"),
        ('[[feeds]]\nname = "a"\nurl = "http://127.0.0.1:9/f.xml"\n[[feeds]]\nname = "b"\nurl = "http://127.0.0.1:9/f.xml"\n',
         "feed #2 url 'http://127.0.0.1:9/f.xml' is already listed as feed #1"),
        ('[[feeds]]\nname = "a"\nurl = "http://127.0.0.1:9/f.xml"\n[[feeds]]\nname = "a"\nurl = "http://127.0.0.1:9/g.xml"\n',
         "feed #2 name 'a' is already used by feed #1"),
        ('[[feeds]]\nname = "a"\nurl = "mailto:news@example.com"\n', "is not an http(s) URL"),
    ],
)
@pytest.mark.parametrize("command", ["poll", "backfill", "serve"])
def test_feeds_file_errors_exit_2(tmp_path: Path, command: str, content: str, message: str) -> None:
    """An empty feeds file, a feed URL or name listed twice, or a non-HTTP URL exits 2 in one line."""
    path = tmp_path / "feeds.toml"
    path.write_text(content)
    result = capex(command, "--feeds", str(path), "--db", str(tmp_path / "x.duckdb"), timeout=120)
    line = _one_line(result)
    assert result.returncode == 2
    assert line.startswith(f"capex: {path}: ") and message in line
    assert not (tmp_path / "x.duckdb").exists()


def _closed_port() -> int:
    """A 127.0.0.1 port nothing listens on."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_unreachable_prefect_api_is_one_line_exit_1_after_feeds_warnings(tmp_path: Path) -> None:
    """A PREFECT_API_URL nobody answers exits 1 naming it; unknown feeds-file keys were warned about, not fatal."""
    path = tmp_path / "feeds.toml"
    path.write_bytes(b'\xef\xbb\xbf[[feeds]]\r\nname = "a"\r\nurl = "http://127.0.0.1:9/f.xml"\r\ncolour = "red"\r\n')
    url = f"http://127.0.0.1:{_closed_port()}/api"
    result = capex("poll", "--feeds", str(path), "--db", str(tmp_path / "x.duckdb"), env={"PREFECT_API_URL": url},
                   timeout=120)
    lines = result.stderr.decode().splitlines()
    assert result.returncode == 1
    assert lines[0] == (f"capex: warning: {path}: feed #1 unknown key 'colour' ignored (known: name, tags, url)")
    assert lines[1].startswith(f"capex: PREFECT_API_URL {url}: cannot connect (") and len(lines) == 2


def test_read_commands_never_create_a_database(tmp_path: Path) -> None:
    """`capex sql`, `report` and `doctor` on a path with no database exit 2 and create nothing."""
    db = tmp_path / "typo.dukdb"
    for args in (["sql", "--db", str(db), "select 1"], ["report", "--db", str(db), "--out", str(tmp_path / "r")],
                 ["doctor", "--db", str(db)]):
        result = capex(*args, timeout=120)
        assert result.returncode == 2
        assert _one_line(result) == f"capex: no database at {db}"
    assert sorted(tmp_path.iterdir()) == []


@pytest.fixture()
def db(tmp_path: Path) -> Path:
    """An empty, migrated database."""
    path = tmp_path / "c.duckdb"
    store.init_db(path)
    return path


@pytest.mark.parametrize("query", ["", "   ", " ; -- nothing"])
def test_empty_query_is_a_usage_error(db: Path, query: str) -> None:
    """An empty query (or one of only comments and semicolons) exits 2 in one line."""
    result = capex("sql", "--db", str(db), query, timeout=120)
    assert result.returncode == 2
    assert _one_line(result).startswith("capex: QUERY: ")


@pytest.mark.parametrize(
    ("template", "kind"),
    [
        ("copy (select 1 as x) to '{out}'", "COPY"),
        ("select 1; copy (select 2) to '{out}' (format csv)", "COPY"),
        ("export database '{out}'", "EXPORT DATABASE"),
        ("attach '{out}' as other", "ATTACH"),
        ("prepare p as copy (select 1) to '{out}'", "COPY"),
        ("CREATE OR REPLACE PERSISTENT SECRET s (type s3, key_id 'a', secret '{out}')", "CREATE PERSISTENT SECRET"),
    ],
)
def test_sql_refuses_statements_that_write_files(db: Path, tmp_path: Path, template: str, kind: str) -> None:
    """COPY ... TO, EXPORT DATABASE, ATTACH (also prepared) exit 2 and write nothing without --allow-write-files."""
    out = tmp_path / "out"
    result = capex("sql", "--db", str(db), template.format(out=out), timeout=120)
    assert result.returncode == 2
    line = _one_line(result)
    assert line.startswith(f"capex: QUERY: {kind}")
    assert line.endswith(" writes files; capex sql is read-only (add --allow-write-files to run it)")
    assert not out.exists()


def test_sql_writes_files_when_allowed(db: Path, tmp_path: Path) -> None:
    """With --allow-write-files, COPY ... TO writes its file and the database is unchanged."""
    out = tmp_path / "n.csv"
    result = capex("sql", "--db", str(db), "--allow-write-files", f"copy (select 42 as n) to '{out}'", timeout=120)
    assert result.returncode == 0, result.stderr.decode()
    assert out.read_text().split() == ["n", "42"]


def test_extract_failures_exit_1_on_stderr_and_the_rest_prints(tmp_path: Path) -> None:
    """A missing source and a directory exit 1 with their errors on stderr only; the good source still prints."""
    good = tmp_path / "a.txt"
    good.write_text("Microsoft plans to spend $80 billion on AI data centers in fiscal 2025, the company said.")
    result = capex("extract", "--text", str(tmp_path / "missing.txt"), str(good), str(tmp_path), timeout=120)
    assert result.returncode == 1
    assert result.stderr.decode().splitlines() == [f"capex: {tmp_path / 'missing.txt'}: file not found",
                                                   f"capex: {tmp_path}: is a directory, not a file"]
    out = result.stdout.decode()
    assert out.startswith(f"{good}: ") and "missing" not in out and "error" not in out
    assert "Microsoft: $80.0B" in out


def test_extract_http_errors_and_oversized_sources_fail_in_json_too(site: str, tmp_path: Path) -> None:
    """A 404 and a source over the size limit keep their error objects on stdout, say why on stderr, exit 1."""
    from tasks.ingest.sources import MAX_SOURCE_BYTES

    big = tmp_path / "big.html"
    with big.open("wb") as handle:
        handle.truncate(MAX_SOURCE_BYTES + 1)
    missing = f"{site}/articles/no-such-page.html"
    result = capex("extract", "--json", missing, str(big), timeout=120)
    lines = [json.loads(line) for line in result.stdout.decode().splitlines()]
    assert result.returncode == 1
    assert [(line["source"], line["error"]) for line in lines] == [
        (missing, f"HTTP 404 from {missing}"), (str(big), "larger than the 20 MiB limit of a source")]
    assert result.stderr.decode().splitlines() == [f"capex: {missing}: HTTP 404 from {missing}",
                                                   f"capex: {big}: larger than the 20 MiB limit of a source"]


def test_extract_says_when_a_long_text_was_cut(tmp_path: Path) -> None:
    """A plain text longer than the extractor reads says so, in text and JSON output."""
    long_text = tmp_path / "long.txt"
    sentence = "Microsoft plans to spend $80 billion on AI data centers in fiscal 2025. "
    long_text.write_text(sentence + "The council met again to discuss the bus timetable. " * 8000)
    text_out = capex("extract", "--text", str(long_text), timeout=120)
    assert text_out.returncode == 0, text_out.stderr.decode()
    assert "  note: facts read from the first 300,000 of" in text_out.stdout.decode()
    as_json = json.loads(capex("extract", "--json", "--text", str(long_text), timeout=120).stdout)
    n_chars = len(long_text.read_text())
    assert as_json["text_chars"] == n_chars
    assert f"facts read from the first 300,000 of {n_chars:,} characters" in as_json["notes"]


def test_version_comes_from_the_package_metadata() -> None:
    """`capex --version` prints the installed distribution's version."""
    from importlib.metadata import version

    result = capex("--version", timeout=60)
    assert result.returncode == 0
    assert result.stdout.decode().strip() == f"capex-monitor {version('capex-monitor')}"


def test_serve_says_what_it_serves(tmp_path: Path, feeds: Path) -> None:
    """`capex serve` names its feeds file, database, deployments and next scheduled poll before serving."""
    db = tmp_path / "s.duckdb"
    proc = subprocess.Popen([str(BIN / "capex"), "serve", "--feeds", str(feeds), "--db", str(db)], env=ENV,
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, cwd=tmp_path)
    try:
        assert proc.stderr is not None
        lines = [proc.stderr.readline().decode().rstrip("\n") for _ in range(5)]
    finally:
        proc.terminate()
        proc.wait(timeout=60)
    assert lines[0] == f"capex serve: feeds file {feeds.resolve()}"
    assert lines[1] == f"  database     {db.resolve()}"
    assert lines[2] == "  deployments  poll-feeds (cron '*/30 * * * *' UTC), backfill (on demand)"
    assert lines[3].startswith("  next poll    ") and lines[3].endswith(" UTC")
    assert lines[3][-6:-4] in ("00", "30")  # "HH:MM UTC": on the half hour


WIDE = ("select 'Northwind to spend $12 billion on AI data centers across three continents' as title, "
        "'https://example.com/' || repeat('long-path-segment/', 8) as url, 131800000000.00002::double as amount_usd")


def _on_a_terminal(*args: str) -> str:
    """Run capex with its stdout on a pseudo-terminal 80 columns wide; return what it wrote."""
    import os
    import pty

    master, slave = pty.openpty()
    proc = subprocess.Popen([str(BIN / "capex"), *args], stdout=slave, stderr=subprocess.PIPE,
                            env={**ENV, "COLUMNS": "80", "LINES": "24"})
    os.close(slave)
    chunks = []
    while True:
        try:
            chunk = os.read(master, 65536)
        except OSError:  # EIO: the child closed the terminal
            break
        if not chunk:
            break
        chunks.append(chunk)
    proc.wait(timeout=120)
    os.close(master)
    return b"".join(chunks).decode().replace("\r\n", "\n")


def test_sql_fits_80_columns_on_a_terminal_and_is_whole_when_piped(db: Path) -> None:
    """A wide row is a record within 80 columns on a terminal, one whole line piped; amounts compact, csv exact."""
    shown = _on_a_terminal("sql", "--db", str(db), WIDE)
    assert all(len(line) <= 80 for line in shown.splitlines()), shown
    assert "amount_usd | $131.8B" in shown and "…" not in shown
    url = "https://example.com/" + "long-path-segment/" * 8
    lines = shown.splitlines()
    url_lines = lines[next(i for i, line in enumerate(lines) if line.startswith("url ")):][:-2]  # to amount_usd
    assert "".join(line.split(" | ", 1)[1] for line in url_lines) == url
    piped = capex("sql", "--db", str(db), WIDE, timeout=120).stdout.decode().splitlines()
    assert url in piped[2] and piped[2].endswith("$131.8B") and "…" not in piped[2]
    as_csv = capex("sql", "--db", str(db), "--format", "csv", WIDE, timeout=120).stdout.decode().splitlines()
    assert as_csv[1].endswith(f",{url},131800000000.00002")


def _troubleshooting_rows() -> list[tuple[str, str, int]]:
    """The README's Troubleshooting rows whose first cell is a whole `capex ...` command."""
    from tests.support.paths import REPO

    text = (REPO / "README.md").read_text()
    section = text[text.index("## Troubleshooting"):text.index("## Database")]
    rows = []
    for line in section.splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split(" | ")]
        if len(cells) == 3 and cells[0].startswith("`capex ") and cells[0].endswith("`") and cells[2].isdigit():
            rows.append((cells[0][1:-1], cells[1].strip("`"), int(cells[2])))
    return rows


@pytest.mark.parametrize(("command", "message", "status"), _troubleshooting_rows())
def test_readme_troubleshooting_shows_real_messages(tmp_path: Path, command: str, message: str, status: int) -> None:
    """Each command of the README's Troubleshooting table prints exactly the line and status shown there."""
    import shlex

    (tmp_path / "empty.toml").write_text("")
    args = shlex.split(command)[1:]
    result = capex(*args, cwd=tmp_path, timeout=120)
    assert (_one_line(result), result.returncode) == (message, status)
    assert not (tmp_path / "data").exists()
