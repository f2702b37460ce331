"""`capex report`: a self-contained offline HTML page with charts, PNG charts and a terminal summary."""

from __future__ import annotations

import shutil
import struct
import subprocess
from datetime import datetime, timedelta
from html.parser import HTMLParser
from pathlib import Path

import pytest

from tasks.report import print_terminal_summary, write_report
from tasks.store import bulk_insert, utcnow, write_connection

CHROMIUM = "/usr/bin/chromium"
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
HOSTILE = '<script>alert("x")</script> & <img src="https://evil.example/x.png">'

# Tags whose URL attributes a browser fetches (or runs) when the page opens.
FETCHING = {"script": "src", "link": "href", "img": "src", "iframe": "src", "source": "src", "video": "src",
            "audio": "src", "embed": "src", "object": "data", "image": "href", "use": "href", "input": "src"}


def build_db(db_path: Path) -> None:
    """A small database: three outlets repeating one fact, a raised guidance, quarters, a multi-year
    programme, a hostile evidence sentence and a javascript: URL, one failing feed."""
    now = utcnow()
    feeds = [(1, "TechWire", "https://techwire.example/rss", "ok", 0, None),
             (2, "MarketDesk", "https://marketdesk.example/rss", "ok", 0, None),
             (3, "Ledger & Co <b>", "https://ledger.example/rss", "error", 5, "HTTP 503 <oops>")]
    articles = [("a1", 1, "2025-01-04", "https://techwire.example/msft"),
                ("a2", 2, "2025-01-04", "https://marketdesk.example/msft"),
                ("a3", 3, "2025-01-06", "javascript:alert(1)"),
                ("a4", 2, "2025-04-30", "https://marketdesk.example/msft-raise"),
                ("a5", 1, "2025-04-25", "https://techwire.example/goog-q1"),
                ("a6", 1, "2025-07-24", "https://techwire.example/goog-q2"),
                ("a7", 2, "2025-02-24", "https://marketdesk.example/alibaba")]
    facts = [("a1", ["Microsoft"], 80e9, "USD", 80e9, "FY2025", "capex", "guidance", "Microsoft plans $80 billion."),
             ("a2", ["Microsoft"], 80e9, "USD", 80e9, "FY2025", "capex", "guidance", "Microsoft earmarks $80bn."),
             ("a3", ["Microsoft"], 79.8e9, "USD", 79.8e9, "FY2025", "capex", "guidance", HOSTILE),
             ("a4", ["Microsoft"], 88e9, "USD", 88e9, "FY2025", "capex", "guidance", "Microsoft lifts it to $88bn."),
             ("a5", ["Alphabet"], 17.2e9, "USD", 17.2e9, "2025-Q1", "capex", "actual", "Alphabet spent $17.2bn."),
             ("a6", ["Alphabet"], 22.4e9, "USD", 22.4e9, "2025-Q2", "capex", "actual", "Alphabet spent $22.4bn."),
             ("a7", ["Alibaba"], 380e9, "CNY", 53e9, "2025-2027", "capex", "guidance", "Alibaba: 380 billion yuan.")]
    with write_connection(db_path) as con:
        bulk_insert(con, "feeds", ("feed_id", "name", "url", "last_status", "consecutive_failures", "last_error"),
                    feeds)
        bulk_insert(con, "feed_polls", ("poll_id", "feed_id", "started_at", "status", "items_new"),
                    [(i * 3 + f, f, now - timedelta(days=i), "error" if f == 3 else "ok", 1)
                     for i in range(5) for f in (1, 2, 3)])
        bulk_insert(con, "articles", ("article_id", "url", "feed_id", "title", "published_at", "fetched_at",
                                      "is_capex", "capex_score", "extractor_version"),
                    [(key, url, feed, f"Story {key} & <more>", datetime.fromisoformat(day), now, True, 0.9, "v")
                     for key, feed, day, url in articles])
        bulk_insert(con, "facts", ("fact_id", "article_id", "companies", "amount", "currency", "amount_usd", "period",
                                   "kind", "status", "evidence", "evidence_start", "evidence_end",
                                   "extractor_version", "created_at"),
                    [(f"f{i}", key, comp, amount, cur, usd, period, kind, status, ev, 0, len(ev), "v", now)
                     for i, (key, comp, amount, cur, usd, period, kind, status, ev) in enumerate(facts)])


@pytest.fixture(scope="module")
def report(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, list[Path]]:
    """The report written for the small database: (database path, written files)."""
    tmp = tmp_path_factory.mktemp("report")
    db_path = tmp / "capex.duckdb"
    build_db(db_path)
    return db_path, write_report(db_path, tmp / "out")


class _Resources(HTMLParser):
    """Collects the URL attributes a browser would fetch, every attribute holding a web URL, and tags."""

    def __init__(self) -> None:
        super().__init__()
        self.fetched: list[str] = []
        self.web_attrs: list[tuple[str, str, str]] = []
        self.tags: set[str] = set()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.add(tag)
        for name, value in attrs:
            value = (value or "").strip()
            if FETCHING.get(tag) == name.split(":")[-1] or name in ("background", "poster", "srcset"):
                self.fetched.append(value)
            if "//" in value and not name.startswith("xmlns"):  # xmlns values are names, never fetched
                self.web_attrs.append((tag, name, value))


def _parse(html_text: str) -> _Resources:
    parser = _Resources()
    parser.feed(html_text)
    return parser


def test_report_writes_html_first_then_valid_pngs(report: tuple[Path, list[Path]]) -> None:
    """write_report returns report.html and one valid, non-trivial PNG per chart."""
    _db, written = report
    assert written[0].name == "report.html"
    pngs = written[1:]
    assert {p.name for p in pngs} == {"capex_by_company_period.png", "capex_trend_monthly.png", "feed_health.png"}
    for png in pngs:
        data = png.read_bytes()
        assert data[:8] == PNG_SIGNATURE
        assert data[12:16] == b"IHDR"
        width, height = struct.unpack(">II", data[16:24])
        assert width >= 600 and height >= 150


def test_report_references_no_network_resource(report: tuple[Path, list[Path]]) -> None:
    """No script, stylesheet, font or image comes from the network; only article anchors hold web URLs."""
    text = report[1][0].read_text(encoding="utf-8")
    parsed = _parse(text)
    assert "script" not in parsed.tags
    assert all(not url.startswith(("http:", "https:", "//")) for url in parsed.fetched), parsed.fetched
    assert all(tag == "a" and name == "href" for tag, name, _ in parsed.web_attrs), parsed.web_attrs
    lowered = text.lower()
    assert "@import" not in lowered
    assert "url(http" not in lowered and "url(//" not in lowered
    assert "@font-face" not in lowered


def test_report_contains_the_charts_and_sections(report: tuple[Path, list[Path]]) -> None:
    """The page inlines the three charts as SVG and has the facts and feed-health sections."""
    text = report[1][0].read_text(encoding="utf-8")
    assert text.count("<svg") == 3
    for heading in ("AI capex by company and period", "Monthly volume", "Newest consolidated facts",
                    "Programmes and multi-year totals", "Feed health"):
        assert heading in text
    assert 'href="https://techwire.example/msft"' in text


def test_report_escapes_database_text(report: tuple[Path, list[Path]]) -> None:
    """Titles, feed names and errors from the database are HTML-escaped; a javascript: URL is not a link."""
    text = report[1][0].read_text(encoding="utf-8")
    assert "<script" not in text and "<more>" not in text
    assert "Story a4 &amp; &lt;more&gt;" in text
    assert "Ledger &amp; Co &lt;b&gt;" in text
    assert "HTTP 503 &lt;oops&gt;" in text
    assert 'href="javascript:' not in text


def test_hostile_evidence_is_escaped_when_shown(tmp_path: Path) -> None:
    """An evidence sentence holding markup appears escaped, never as live markup."""
    db_path = tmp_path / "capex.duckdb"
    now = utcnow()
    with write_connection(db_path) as con:
        bulk_insert(con, "articles", ("article_id", "url", "published_at", "fetched_at", "is_capex", "capex_score",
                                      "extractor_version"),
                    [("x1", "javascript:alert(1)", datetime(2025, 3, 1), now, True, 0.9, "v")])
        bulk_insert(con, "facts", ("fact_id", "article_id", "companies", "amount", "currency", "amount_usd", "period",
                                   "kind", "status", "evidence", "evidence_start", "evidence_end",
                                   "extractor_version", "created_at"),
                    [("f1", "x1", ["Meta"], 1e9, "USD", 1e9, "2025", "capex", "guidance", HOSTILE, 0, 1, "v", now)])
    text = write_report(db_path, tmp_path / "out")[0].read_text(encoding="utf-8")
    assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;" in text
    assert "<script" not in text and "evil.example/x.png\">" not in text
    assert 'href="javascript:' not in text


def test_empty_database_gives_a_no_data_report(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """A database without stories gives a report saying there is no data yet, and no crash."""
    db_path = tmp_path / "empty.duckdb"
    written = write_report(db_path, tmp_path / "out")
    text = written[0].read_text(encoding="utf-8")
    assert "No data yet" in text
    assert "<svg" not in text
    print_terminal_summary(db_path)
    assert "No data yet" in capsys.readouterr().out


def test_terminal_summary_prints_rich_tables(report: tuple[Path, list[Path]],
                                             capsys: pytest.CaptureFixture[str]) -> None:
    """The terminal summary prints the company, monthly, newest-facts and feed-health tables."""
    print_terminal_summary(report[0])
    out = capsys.readouterr().out
    for title in ("AI capex by company and period", "Monthly trend", "Newest consolidated facts", "Feed health"):
        assert title in out
    assert "Microsoft" in out and "$88.0B" in out


def test_cli_report_command(tmp_path: Path, report: tuple[Path, list[Path]]) -> None:
    """`capex report --db --out` exits 0 and prints the written files."""
    from typer.testing import CliRunner

    from flows.cli import app

    out_dir = tmp_path / "cli-out"
    result = CliRunner().invoke(app, ["report", "--db", str(report[0]), "--out", str(out_dir)])
    assert result.exit_code == 0, result.output
    assert str(out_dir / "report.html") in result.output
    assert (out_dir / "capex_trend_monthly.png").exists()


def test_report_renders_in_headless_chromium(report: tuple[Path, list[Path]], tmp_path: Path) -> None:
    """Debian's chromium renders the report offline to a non-trivial screenshot."""
    if not (Path(CHROMIUM).exists() and shutil.which(CHROMIUM)):
        pytest.skip(f"{CHROMIUM} is not installed (apt-get install chromium to run this check)")
    shot = tmp_path / "report.png"
    cmd = [CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
           "--disable-component-update", "--disable-sync", "--no-first-run", f"--user-data-dir={tmp_path / 'profile'}",
           "--window-size=1280,2400", f"--screenshot={shot}", report[1][0].resolve().as_uri()]
    subprocess.run(cmd, check=True, capture_output=True, timeout=120)
    data = shot.read_bytes()
    assert data[:8] == PNG_SIGNATURE
    assert len(data) > 20_000  # a blank page compresses to a few kB; charts and tables do not
