"""The README query cookbook: every ```sql block between the cookbook markers runs and answers.

The database is built from hand-made rows (several outlets, companies and periods, a repeated
announcement, a raised guidance, guidance vs actual, Chinese and US actors, a failing feed), with
dates relative to today so that "this year" questions have an answer in any year.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from tasks.store import bulk_insert, query, utcnow, write_connection
from tests.support.lakes import fresh_lake

REPO = Path(__file__).resolve().parents[2]
README = REPO / "README.md"

Y = date.today().year
P = Y - 1
VERSION = "rules-test"

FEEDS = [
    # feed_id, name, url, last_status, consecutive_failures, is_active, last_error
    (1, "TechWire", "https://techwire.example/feed.xml", "ok", 0, True, None),
    (2, "MarketDesk", "https://marketdesk.example/atom", "not_modified", 0, True, None),
    (3, "AsiaBiz Daily", "https://asiabiz.example/rss", "ok", 0, True, None),
    (4, "Global Ledger", "https://ledger.example/rss", "error", 3, True, "HTTP 503 Service Unavailable"),
    (5, "Old Wire", "https://oldwire.example/rss", "error", 1, False, "HTTP 410 Gone"),
]

# key, feed_id, site_name, published (YYYY-MM-DD), title, is_capex
ARTICLES = [
    ("msft-tw", 1, "TechWire", f"{P}-01-04", f"Microsoft plans $80 billion AI build-out in fiscal {Y}", True),
    ("msft-md", 2, "MarketDesk", f"{P}-01-04", "Microsoft earmarks $80bn for AI data centres", True),
    ("msft-ab", 3, "AsiaBiz Daily", f"{P}-01-05", "Microsoft's AI budget sets the pace for Asia", True),
    ("msft-gl", 4, "Global Ledger", f"{P}-01-12", "The <$80bn> question: Microsoft & AI", True),
    ("msft-raise", 2, "MarketDesk", f"{P}-04-30", "Microsoft lifts AI data-centre spending plan to $88bn", True),
    ("msft-fy-prev", 1, "TechWire", f"{P}-07-30", f"Microsoft capex hit $55.7 billion in fiscal {P}", True),
    ("msft-actual", 1, "TechWire", f"{Y}-07-29", f"Microsoft spent $88.2 billion in fiscal {Y}", True),
    ("goog-guide", 1, "TechWire", f"{Y}-02-05", f"Alphabet to spend $75 billion in {Y}", True),
    ("goog-guide-md", 2, "MarketDesk", f"{Y}-02-06", f"Google parent sees $75bn capex in {Y}", True),
    ("goog-q1", 1, "TechWire", f"{Y}-04-25", "Alphabet Q1 capex $17.2 billion", True),
    ("goog-q2", 2, "MarketDesk", f"{Y}-07-24", "Alphabet Q2 capex $22.4 billion", True),
    ("goog-q3", 1, "TechWire", f"{Y}-10-30", "Alphabet Q3 capex $24 billion", True),
    ("meta-range", 2, "MarketDesk", f"{Y}-04-30", f"Meta sees {Y} capex of $64-72 billion", True),
    ("meta-range-tw", 1, "TechWire", f"{Y}-05-01", "Meta keeps building", True),
    ("meta-raise", 1, "TechWire", f"{Y}-07-31", "Meta lifts low end of capex outlook to $66 billion", True),
    ("amzn", 2, "MarketDesk", f"{Y}-10-31", f"Amazon: about $125 billion of capex in {Y}", True),
    ("china-h1", 3, "AsiaBiz Daily", f"{Y}-08-27", "China tech giants spent 50 billion yuan in H1", True),
    ("tencent-q2", 3, "AsiaBiz Daily", f"{Y}-08-14", "Tencent Q2 capex 19.1 billion yuan", True),
    ("alibaba-3y", 3, "AsiaBiz Daily", f"{Y}-02-24", "Alibaba to invest 380 billion yuan over three years", True),
    ("stargate", None, "Wire Service", f"{P}-01-22", "OpenAI, SoftBank, Oracle: $500 billion Stargate", True),
    ("analysts", 2, "MarketDesk", f"{Y}-11-02", f"Analysts see Big Tech capex near $500bn in {Y + 1}", True),
    ("ferry", 1, "TechWire", f"{Y}-03-03", "New ferry line opens", False),
]

# article key, companies, amount, low, high, currency, usd, period, kind, status, qualifier, evidence
FACTS = [
    ("msft-tw", ["Microsoft"], 80e9, None, None, "USD", 80e9, f"FY{Y}", "capex", "guidance", None,
     f"Microsoft plans to spend $80 billion on AI data centers in fiscal {Y}."),
    ("msft-md", ["Microsoft"], 80e9, None, None, "USD", 80e9, f"FY{Y}", "capex", "guidance", None,
     "Microsoft has earmarked $80bn for AI-enabled data centres this financial year."),
    ("msft-ab", ["Microsoft"], 79.6e9, None, None, "USD", 79.6e9, f"FY{Y}", "capex", "plan", "approx",
     "Microsoft's budget of roughly $79.6 billion for the year sets the pace."),
    ("msft-gl", ["Microsoft"], 80e9, None, None, "USD", 80e9, f"FY{Y}", "capex", "guidance", None,
     "Microsoft will spend <b>$80bn</b> & more on \"AI\" data centres."),
    ("msft-raise", ["Microsoft"], 88e9, None, None, "USD", 88e9, f"FY{Y}", "capex", "guidance", None,
     f"Microsoft now expects to spend $88bn in fiscal {Y}, up from $80bn."),
    ("msft-fy-prev", ["Microsoft"], 55.7e9, None, None, "USD", 55.7e9, f"FY{P}", "capex", "actual", None,
     f"Microsoft's capital expenditure reached $55.7 billion in fiscal {P}."),
    ("msft-actual", ["Microsoft"], 88.2e9, None, None, "USD", 88.2e9, f"FY{Y}", "capex", "actual", None,
     f"Microsoft spent $88.2 billion on capital expenditures in fiscal {Y}."),
    ("goog-guide", ["Alphabet"], 75e9, None, None, "USD", 75e9, f"{Y}", "capex", "guidance", None,
     f"Alphabet expects to invest about $75 billion in capital expenditures in {Y}."),
    ("goog-guide-md", ["Alphabet"], 75e9, None, None, "USD", 75e9, f"{Y}", "capex", "guidance", None,
     f"Google's parent sees $75bn of capex in {Y}."),
    ("goog-q1", ["Alphabet"], 17.2e9, None, None, "USD", 17.2e9, f"{Y}-Q1", "capex", "actual", None,
     "Alphabet's capital expenditures were $17.2 billion in the first quarter."),
    ("goog-q2", ["Alphabet"], 22.4e9, None, None, "USD", 22.4e9, f"{Y}-Q2", "capex", "actual", None,
     "Alphabet spent $22.4 billion on capex in the second quarter."),
    ("goog-q3", ["Alphabet"], 24e9, None, None, "USD", 24e9, f"{Y}-Q3", "capex", "actual", None,
     "Alphabet's third-quarter capital expenditures rose to $24 billion."),
    ("meta-range", ["Meta"], None, 64e9, 72e9, "USD", 68e9, f"{Y}", "capex", "guidance", None,
     f"Meta expects {Y} capital expenditures of $64 billion to $72 billion."),
    ("meta-range-tw", ["Meta"], None, 64e9, 72e9, "USD", 68e9, f"{Y}", "capex", "guidance", None,
     "Meta sees capex between $64bn and $72bn this year."),
    ("meta-raise", ["Meta"], None, 66e9, 72e9, "USD", 69e9, f"{Y}", "capex", "guidance", None,
     f"Meta now expects {Y} capex of $66 billion to $72 billion."),
    ("amzn", ["Amazon"], 125e9, None, None, "USD", 125e9, f"{Y}", "capex", "guidance", "approx",
     f"Amazon expects to spend about $125 billion in {Y}."),
    ("china-h1", ["Alibaba", "Tencent", "Baidu"], 50e9, None, None, "CNY", 7e9, f"{Y}-H1", "capex", "actual", None,
     "Alibaba, Tencent and Baidu spent 50 billion yuan ($7 billion) in the first half."),
    ("tencent-q2", ["Tencent"], 19.1e9, None, None, "CNY", 2.66e9, f"{Y}-Q2", "capex", "actual", None,
     "Tencent's capital expenditure was 19.1 billion yuan in the second quarter."),
    ("alibaba-3y", ["Alibaba"], 380e9, None, None, "CNY", 53e9, f"{Y}-{Y + 2}", "capex", "guidance", None,
     "Alibaba will invest 380 billion yuan in cloud and AI infrastructure over three years."),
    ("stargate", ["OpenAI", "SoftBank", "Oracle"], 500e9, None, None, "USD", 500e9, f"{P}-{P + 3}", "investment",
     "plan", "up_to", "The Stargate venture will invest up to $500 billion over four years."),
    ("analysts", ["Microsoft", "Alphabet", "Amazon", "Meta"], 500e9, None, None, "USD", 500e9, f"{Y + 1}",
     "capex", "estimate", "approx", f"Analysts expect Big Tech capex of about $500 billion in {Y + 1}."),
]


def period_bounds(period: str) -> tuple[date, date]:
    """First and last day of a period string ("2025", "2025-H1", "2025-Q3", "FY2025", "2025-2028")."""
    if m := re.fullmatch(r"(\d{4})-(\d{4})", period):
        return date(int(m[1]), 1, 1), date(int(m[2]), 12, 31)
    if m := re.fullmatch(r"FY(\d{4})", period):  # Microsoft-style fiscal year ending in June
        return date(int(m[1]) - 1, 7, 1), date(int(m[1]), 6, 30)
    year = int(period[:4])
    if m := re.fullmatch(r"\d{4}-([HQ])(\d)", period):
        months = 6 if m[1] == "H" else 3
        first = (int(m[2]) - 1) * months + 1
        last = date(year + 1, 1, 1) if first + months > 12 else date(year, first + months, 1)
        return date(year, first, 1), last - timedelta(days=1)
    return date(year, 1, 1), date(year, 12, 31)


def build_sample_db(db_path: str | Path) -> None:
    """Create a database holding FEEDS, recent polls, ARTICLES and FACTS."""
    now = utcnow()
    with write_connection(db_path) as con:
        bulk_insert(con, "feeds", ("feed_id", "name", "url", "last_status", "consecutive_failures", "is_active",
                                   "last_error", "last_polled_at", "last_success_at", "next_poll_at"),
                    [(*f, now - timedelta(minutes=20), None if f[4] else now - timedelta(minutes=20),
                      now + timedelta(minutes=10)) for f in FEEDS])
        bulk_insert(con, "feed_polls",
                    ("poll_id", "feed_id", "started_at", "status", "items_seen", "items_new", "error"),
                    _polls(now))
        bulk_insert(con, "articles", ("article_id", "url", "feed_id", "site_name", "title", "published_at",
                                      "fetched_at", "is_capex", "capex_score", "extractor_version"),
                    [(key, f"https://{(site or 'wire').lower().replace(' ', '')}.example/{key}", feed, site, title,
                      datetime.fromisoformat(published), now, is_capex, 0.9 if is_capex else 0.1, VERSION)
                     for key, feed, site, published, title, is_capex in ARTICLES])
        bulk_insert(con, "facts", _FACT_COLUMNS, [_fact_row(i, f, now) for i, f in enumerate(FACTS)])


def _polls(now: datetime) -> list[tuple[Any, ...]]:
    rows: list[tuple[Any, ...]] = []
    for feed_id, *_ in FEEDS:
        for day in range(6):
            failing = feed_id == 4 and day < 3
            rows.append((len(rows) + 1, feed_id, now - timedelta(days=day, hours=1), "error" if failing else "ok",
                         0 if failing else 5, 0 if failing else 1, "HTTP 503" if failing else None))
    return rows


_FACT_COLUMNS = ("fact_id", "article_id", "companies", "amount", "amount_low", "amount_high", "currency",
                 "amount_usd", "period", "period_start", "period_end", "kind", "status", "qualifier", "evidence",
                 "evidence_start", "evidence_end", "extractor_version", "created_at")


def _fact_row(index: int, fact: tuple[Any, ...], now: datetime) -> tuple[Any, ...]:
    key, companies, amount, low, high, currency, usd, period, kind, status, qualifier, evidence = fact
    start, end = period_bounds(period)
    return (f"f{index:03d}", key, companies, amount, low, high, currency, usd, period, start, end, kind, status,
            qualifier, evidence, 0, len(evidence), VERSION, now)


# ---------------------------------------------------------------- the cookbook


def cookbook_queries() -> list[tuple[str, str]]:
    """(question, sql) of every ```sql block in the README's cookbook section, in order."""
    text = README.read_text(encoding="utf-8")
    section = text[text.index("<!-- cookbook:start -->"):text.index("<!-- cookbook:end -->")]
    blocks = re.finditer(r"^###\s+(.+?)\n(.*?)^```sql\n(.*?)^```", section, flags=re.MULTILINE | re.DOTALL)
    return [(m[1].strip(), m[3].strip()) for m in blocks]


QUERIES = cookbook_queries()
# Questions whose answer on the sample must hold rows (all of them, by design of the sample).
EXPECTED_NON_EMPTY = {q for q, _ in QUERIES}


@pytest.fixture(scope="module", params=["file", "lake"])
def sample_db(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The hand-made sample database of this module, as a DuckDB file and as a lake."""
    directory = tmp_path_factory.mktemp("cookbook")
    if request.param == "file":
        path = str(directory / "capex.duckdb")
        build_sample_db(path)
        yield path
        return
    with pytest.MonkeyPatch.context() as monkeypatch:
        db = fresh_lake(request.getfixturevalue("pg_server"), directory, monkeypatch)
        build_sample_db(db)
        yield db


def test_cookbook_has_the_questions() -> None:
    """The cookbook holds at least 8 questions, covering the analysts' list."""
    questions = " | ".join(q.lower() for q, _ in QUERIES)
    assert len(QUERIES) >= 8
    for topic in ("top spenders", "quarter-over-quarter", "china", "evidence", "3 outlets", "guidance",
                  "per outlet", "failing"):
        assert topic in questions, topic


@pytest.mark.parametrize(("question", "sql"), QUERIES, ids=[q for q, _ in QUERIES])
def test_cookbook_query_answers(sample_db: str, question: str, sql: str) -> None:
    """Each cookbook query runs on the sample database and returns rows where the sample has an answer."""
    columns, rows = query(sample_db, sql)
    assert columns
    if question in EXPECTED_NON_EMPTY:
        assert rows, f"no rows for: {question}"


@pytest.mark.parametrize(("question", "sql"), QUERIES, ids=[q for q, _ in QUERIES])
def test_cookbook_query_runs_on_demo(
    demo_db: tuple[Path, dict[str, int], dict[str, int]], question: str, sql: str
) -> None:
    """Each cookbook query also runs on a database built by `capex demo`."""
    columns, _rows = query(demo_db[0], sql)
    assert columns


def test_repeated_announcement_is_one_fact(sample_db: str) -> None:
    """The $80 billion announcement of four outlets is one consolidated fact with four sources."""
    _, rows = query(sample_db, "select n_sources, n_outlets from capex_facts where companies = ['Microsoft'] "
                               "and period = ? and amount_usd = 80e9", [f"FY{Y}"])
    assert rows == [(4, 4)]
