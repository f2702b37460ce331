"""The SQL views fed hand-made rows, with the exact output rows asserted."""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from datetime import date, datetime, timedelta
from typing import Any

import duckdb
import pytest

from tasks.store import bulk_insert, migrate, utcnow
from tasks.store.identity import outlet_of

VERSION = "v2"
_ids = itertools.count(1)


@pytest.fixture(params=["file", "lake"])
def con(request: pytest.FixtureRequest) -> Iterator[duckdb.DuckDBPyConnection]:
    """A database with the migrations applied and the views created: in memory, and a lake."""
    if request.param == "file":
        connection = duckdb.connect()
    else:
        from tasks.store import lake

        connection = lake.open_lake(lake.parse_target(request.getfixturevalue("lake_db")), read_only=False)
    migrate(connection)
    yield connection
    connection.close()


def add_feed(con: duckdb.DuckDBPyConnection, feed_id: int, name: str, **state: Any) -> None:
    """Insert one feed with optional state columns."""
    columns = ("feed_id", "name", "url", *state)
    bulk_insert(con, "feeds", columns, [(feed_id, name, f"https://{name.lower()}.example/feed", *state.values())])


def add_article(con: duckdb.DuckDBPyConnection, article_id: str, published: str | None, *, feed_id: int | None = None,
                site: str | None = None, url: str | None = None, score: float = 0.9, is_capex: bool = True,
                version: str = VERSION) -> None:
    """Insert one article (by default at the host of its feed's outlet, with the outlet the store would give it)."""
    url = url or f"https://{_FEED_HOSTS.get(feed_id or 0, f'news{article_id}.example')}/{article_id}"
    bulk_insert(con, "articles", ("article_id", "url", "feed_id", "site_name", "published_at", "fetched_at",
                                  "is_capex", "capex_score", "extractor_version", "outlet"),
                [(article_id, url, feed_id, site, datetime.fromisoformat(published) if published else None,
                  datetime(2025, 12, 1), is_capex, score, version, outlet_of(url))])


# the hosts of the outlets() feeds' articles
_FEED_HOSTS = {1: "techwire.example", 2: "marketdesk.example", 3: "asiabiz.example"}


def add_fact(con: duckdb.DuckDBPyConnection, article_id: str, companies: list[str], amount: float | None,
             period: str | None, *, low: float | None = None, high: float | None = None, currency: str = "USD",
             usd: float | None = None, kind: str = "capex", status: str = "guidance", qualifier: str | None = None,
             evidence: str = "a sentence", version: str = VERSION) -> None:
    """Insert one fact (amount_usd defaults to the amount, or the range midpoint)."""
    if usd is None and currency == "USD":
        usd = amount if amount is not None else (low + high) / 2 if low is not None and high is not None else None
    bulk_insert(con, "facts", ("fact_id", "article_id", "companies", "amount", "amount_low", "amount_high",
                               "currency", "amount_usd", "period", "kind", "status", "qualifier", "evidence",
                               "evidence_start", "evidence_end", "extractor_version", "created_at"),
                [(f"fact{next(_ids)}", article_id, companies, amount, low, high, currency, usd, period, kind, status,
                  qualifier, evidence, 0, len(evidence), version, datetime(2025, 12, 1))])


def rows(con: duckdb.DuckDBPyConnection, sql: str) -> list[tuple[Any, ...]]:
    """All rows of a query."""
    return con.execute(sql).fetchall()


def outlets(con: duckdb.DuckDBPyConnection) -> None:
    """Three outlets: TechWire (1), MarketDesk (2), AsiaBiz Daily (3)."""
    for feed_id, name in ((1, "TechWire"), (2, "MarketDesk"), (3, "AsiaBiz Daily")):
        add_feed(con, feed_id, name)


# ---------------------------------------------------------------- capex_facts


def test_outlets_repeating_one_announcement_are_one_fact(con: duckdb.DuckDBPyConnection) -> None:
    """Four articles of three outlets with different wording and rounding within 2 % are one fact."""
    outlets(con)
    add_article(con, "a1", "2025-01-04", feed_id=1, url="https://techwire.example/msft-80", score=0.97)
    add_fact(con, "a1", ["Microsoft"], 80e9, "FY2025",
             evidence="Microsoft plans to spend $80 billion on AI data centers.")
    add_article(con, "a2", "2025-01-04", feed_id=2)
    add_fact(con, "a2", ["Microsoft"], 80e9, "FY2025", evidence="Microsoft earmarks $80bn for AI data centres.")
    add_fact(con, "a2", ["Microsoft"], 70e9, "FY2025", version="v1")  # stale extractor version: ignored
    add_article(con, "a3", "2025-01-05", feed_id=3)
    add_fact(con, "a3", ["Microsoft"], 79.6e9, "FY2025", status="plan", qualifier="approx",
             evidence="Microsoft's budget of roughly $79.6 billion sets the pace.")
    add_article(con, "a4", "2025-01-20", feed_id=1)
    add_fact(con, "a4", ["Microsoft"], 81.5e9, "FY2025", qualifier="approx",
             evidence="Microsoft will spend about $81.5bn this fiscal year.")
    add_article(con, "a5", "2025-04-30", feed_id=2, url="https://marketdesk.example/msft-88")
    add_fact(con, "a5", ["Microsoft"], 88e9, "FY2025", evidence="Microsoft lifts its plan to $88bn.")
    add_article(con, "a6", "2025-02-01", feed_id=1, url="https://techwire.example/msft-fy26")
    add_fact(con, "a6", ["Microsoft"], 80e9, "FY2026")
    assert rows(con, """
        select companies, period, status, statuses, amount, amount_usd, n_sources, n_outlets, n_mentions,
               first_seen, last_seen, example_url, example_evidence, revision, prev_amount_usd, is_latest
        from capex_facts order by period, first_seen""") == [
        (["Microsoft"], "FY2025", "guidance", ["guidance", "plan"], 80e9, 80e9, 4, 3, 4,
         datetime(2025, 1, 4), datetime(2025, 1, 20), "https://techwire.example/msft-80",
         "Microsoft plans to spend $80 billion on AI data centers.", None, None, False),
        (["Microsoft"], "FY2025", "guidance", ["guidance"], 88e9, 88e9, 1, 1, 1,
         datetime(2025, 4, 30), datetime(2025, 4, 30), "https://marketdesk.example/msft-88",
         "Microsoft lifts its plan to $88bn.", "raised", 80e9, True),
        (["Microsoft"], "FY2026", "guidance", ["guidance"], 80e9, 80e9, 1, 1, 1,
         datetime(2025, 2, 1), datetime(2025, 2, 1), "https://techwire.example/msft-fy26",
         "a sentence", None, None, True),
    ]


def test_tolerance_is_two_percent_of_the_larger_amount(con: duckdb.DuckDBPyConnection) -> None:
    """$80B and $81.6B (1.96 % apart) merge; $81.7B (2.08 % from $80B) is a separate fact."""
    add_article(con, "a1", "2025-01-01")
    add_fact(con, "a1", ["Amazon"], 80e9, "2025")
    add_article(con, "a2", "2025-01-02")
    add_fact(con, "a2", ["Amazon"], 81.6e9, "2025")
    add_article(con, "a3", "2025-01-03")
    add_fact(con, "a3", ["Alphabet"], 80e9, "2025")
    add_article(con, "a4", "2025-01-04")
    add_fact(con, "a4", ["Alphabet"], 81.7e9, "2025")
    assert rows(con, "select companies, amount, n_sources from capex_facts order by companies, amount") == [
        (["Alphabet"], 80e9, 1),
        (["Alphabet"], 81.7e9, 1),
        (["Amazon"], 80e9, 2),
    ]


def test_ranges_compare_both_ends(con: duckdb.DuckDBPyConnection) -> None:
    """A range lifted at its low end (midpoints 1.5 % apart) is a new fact; a point at the midpoint too."""
    outlets(con)
    add_article(con, "m1", "2025-04-30", feed_id=1)
    add_fact(con, "m1", ["Meta"], None, "2025", low=64e9, high=72e9)
    add_article(con, "m2", "2025-05-01", feed_id=2)
    add_fact(con, "m2", ["Meta"], None, "2025", low=64e9, high=72e9)
    add_article(con, "m3", "2025-07-31", feed_id=1)
    add_fact(con, "m3", ["Meta"], None, "2025", low=66e9, high=72e9)
    add_article(con, "m4", "2025-08-01", feed_id=3)
    add_fact(con, "m4", ["Meta"], 68e9, "2025")
    assert rows(con, """
        select amount, amount_low, amount_high, amount_usd, n_sources, n_outlets, revision
        from capex_facts order by first_seen""") == [
        (None, 64e9, 72e9, 68e9, 2, 2, None),
        (None, 66e9, 72e9, 69e9, 1, 1, "raised"),
        (68e9, None, None, 68e9, 1, 1, "lowered"),
    ]


def test_company_order_ignored_currency_and_status_class_kept(con: duckdb.DuckDBPyConnection) -> None:
    """The company set ignores order; another currency, an actual vs guidance, or another kind stay apart."""
    add_article(con, "c1", "2025-08-27", site="AsiaBiz")
    add_fact(con, "c1", ["Tencent", "Alibaba"], 50e9, "2025-H1", currency="CNY", usd=7e9, status="actual")
    add_article(con, "c2", "2025-08-28", site="TechWire")
    add_fact(con, "c2", ["Alibaba", "Tencent"], 50.5e9, "2025-H1", currency="CNY", usd=7.1e9, status="actual")
    add_fact(con, "c2", ["Alibaba", "Tencent"], 50e9, "2025-H1", currency="USD", status="actual")
    add_article(con, "g1", "2025-01-04", site="TechWire")
    add_fact(con, "g1", ["Microsoft"], 88e9, "FY2025", status="guidance")
    add_fact(con, "g1", ["Microsoft"], 88e9, "FY2025", kind="investment", status="plan")
    add_article(con, "g2", "2025-07-30", site="TechWire")
    add_fact(con, "g2", ["Microsoft"], 88.2e9, "FY2025", status="actual")
    assert rows(con, """
        select companies, kind, status, currency, amount, amount_usd, n_sources, is_shared
        from capex_facts order by companies, kind, status, currency""") == [
        (["Alibaba", "Tencent"], "capex", "actual", "CNY", 50e9, 7e9, 2, True),
        (["Alibaba", "Tencent"], "capex", "actual", "USD", 50e9, 50e9, 1, True),
        (["Microsoft"], "capex", "actual", "USD", 88.2e9, 88.2e9, 1, False),
        (["Microsoft"], "capex", "guidance", "USD", 88e9, 88e9, 1, False),
        (["Microsoft"], "investment", "plan", "USD", 88e9, 88e9, 1, False),
    ]


# ---------------------------------------------------------------- capex_by_company_period


def test_by_company_period_shares_and_prefers(con: duckdb.DuckDBPyConnection) -> None:
    """A shared figure appears under each company flagged shared; own figures, latest and actual win."""
    add_article(con, "s1", "2025-08-27")
    add_fact(con, "s1", ["Alibaba", "Tencent", "Baidu"], 50e9, "2025-H1", currency="CNY", usd=7e9, status="actual")
    add_article(con, "s2", "2025-08-14")
    add_fact(con, "s2", ["Tencent"], 16e9, "2025-H1", currency="CNY", usd=2.2e9, status="actual")
    add_article(con, "m1", "2025-01-04")
    add_fact(con, "m1", ["Microsoft"], 80e9, "FY2025")
    add_article(con, "m2", "2025-04-30")
    add_fact(con, "m2", ["Microsoft"], 88e9, "FY2025")
    add_article(con, "m3", "2025-07-30")
    add_fact(con, "m3", ["Microsoft"], 88.2e9, "FY2025", status="actual")
    assert rows(con, """
        select company, period, period_type, kind, status, amount_usd, shared, n_figures, is_preferred
        from capex_by_company_period order by company, period, status""") == [
        ("Alibaba", "2025-H1", "half", "capex", "actual", 7e9, True, 1, True),
        ("Baidu", "2025-H1", "half", "capex", "actual", 7e9, True, 1, True),
        ("Microsoft", "FY2025", "fiscal_year", "capex", "actual", 88.2e9, False, 1, True),
        ("Microsoft", "FY2025", "fiscal_year", "capex", "guidance", 88e9, False, 2, False),
        ("Tencent", "2025-H1", "half", "capex", "actual", 2.2e9, False, 2, True),
    ]


# ---------------------------------------------------------------- periods and the monthly trend


def test_period_types(con: duckdb.DuckDBPyConnection) -> None:
    """Period strings are classified by granularity, with the years a span covers."""
    add_article(con, "p1", "2025-01-01")
    for i, period in enumerate(["2025", "2024-H1", "2025-Q3", "FY2025", "2025-2028", None, "next year"]):
        add_fact(con, "p1", [f"C{i}"], 1e9 * (i + 1), period)
    assert rows(con, """
        select period, period_type, is_multi_year, n_period_years
        from int_fact_periods order by amount""") == [
        ("2025", "year", False, 1),
        ("2024-H1", "half", False, 1),
        ("2025-Q3", "quarter", False, 1),
        ("FY2025", "fiscal_year", False, 1),
        ("2025-2028", "multi_year", True, 4),
        (None, "none", False, None),
        ("next year", "none", False, None),
    ]


def test_monthly_trend_never_adds_multi_year_to_annual(con: duckdb.DuckDBPyConnection) -> None:
    """USD of multi-year totals and undated figures are kept apart; repeats count once; gaps are zeros."""
    add_article(con, "t1", "2025-01-10")
    add_fact(con, "t1", ["Microsoft"], 80e9, "FY2025")
    add_fact(con, "t1", ["OpenAI", "SoftBank"], 500e9, "2025-2028", kind="investment", status="plan")
    add_fact(con, "t1", ["Alphabet"], 10e9, None)
    add_article(con, "t2", "2025-01-11")
    add_fact(con, "t2", ["Microsoft"], 80e9, "FY2025")
    add_article(con, "t3", "2025-03-02")
    add_fact(con, "t3", ["Microsoft"], 80e9, "FY2025")
    add_fact(con, "t3", ["Meta"], 60e9, "2025-Q1", status="actual")
    add_article(con, "t4", "2025-03-05", is_capex=False)
    assert rows(con, "select * from capex_trend_monthly order by month") == [
        # month, n_stories, n_new_facts, usd_new_facts, n_fact_mentions, n_new_multi_year, usd multi, usd none
        (date(2025, 1, 1), 2, 3, 80e9, 4, 1, 500e9, 10e9),
        (date(2025, 2, 1), 0, 0, 0.0, 0, 0, 0.0, 0.0),
        (date(2025, 3, 1), 1, 1, 60e9, 2, 0, 0.0, 0.0),
    ]
    assert rows(con, """
        select company, period, is_multi_year, amount_usd from capex_by_company_period
        where company in ('Microsoft', 'OpenAI') order by company""") == [
        ("Microsoft", "FY2025", False, 80e9),
        ("OpenAI", "2025-2028", True, 500e9),
    ]


# ---------------------------------------------------------------- stories and feeds


def test_capex_stories_source_and_current_facts(con: duckdb.DuckDBPyConnection) -> None:
    """Source is the outlet (registered domain, else host) with the feed or site name as its label;
    n_facts counts current facts only."""
    add_feed(con, 1, "TechWire")
    add_article(con, "s1", "2025-01-01", feed_id=1, site="Tech Wire Inc")
    add_fact(con, "s1", ["Meta"], 1e9, "2025")
    add_fact(con, "s1", ["Meta"], 2e9, "2025", version="v1")
    add_article(con, "s2", "2025-01-02", site="MarketDesk", url="https://news.marketdesk.com/a")
    add_article(con, "s3", "2025-01-03", url="https://www.asiabiz.example/story?id=3")
    add_article(con, "s4", "2025-01-04", is_capex=False)
    assert rows(con, "select article_id, source, source_label, n_facts from capex_stories order by article_id") == [
        ("s1", "techwire.example", "TechWire", 1),
        ("s2", "marketdesk.com", "MarketDesk", 0),
        ("s3", "asiabiz.example", "asiabiz.example", 0),
    ]


def test_a_copy_at_another_url_is_one_story_and_one_source(con: duckdb.DuckDBPyConnection) -> None:
    """An article whose text is a copy of an earlier one (duplicate_of) is neither a story nor a source again."""
    outlets(con)
    add_article(con, "o1", "2025-01-04", feed_id=1)
    add_fact(con, "o1", ["Meta"], 60e9, "2025")
    add_article(con, "c1", "2025-01-04", feed_id=1, url="https://techwire.example/amp/o1")
    add_fact(con, "c1", ["Meta"], 60e9, "2025")
    con.execute("update articles set duplicate_of = 'o1' where article_id = 'c1'")
    assert rows(con, "select article_id, n_copies from capex_stories") == [("o1", 2)]
    assert rows(con, "select n_sources, n_outlets from capex_facts") == [(1, 1)]


def test_feed_health_windows(con: duckdb.DuckDBPyConnection) -> None:
    """Only polls of the last 7 days count; failing, inactive and never-polled feeds are labelled."""
    now = utcnow()
    add_feed(con, 1, "Steady", last_status="ok", last_polled_at=now, last_success_at=now)
    add_feed(con, 2, "Broken", last_status="error", consecutive_failures=4, last_polled_at=now,
             last_error="HTTP 503")
    add_feed(con, 3, "Gone", last_status="error", consecutive_failures=1, is_active=False, last_polled_at=now)
    add_feed(con, 4, "New")
    polls = [
        (1, 1, now - timedelta(days=1), "ok", 3),
        (2, 1, now - timedelta(days=2), "not_modified", 0),
        (3, 1, now - timedelta(days=8), "ok", 7),
        (4, 2, now - timedelta(hours=1), "error", 0),
        (5, 2, now - timedelta(days=6, hours=23), "error", 0),
        (6, 2, now - timedelta(days=7, hours=1), "ok", 2),
        (7, 3, now - timedelta(days=9), "error", 0),
    ]
    bulk_insert(con, "feed_polls", ("poll_id", "feed_id", "started_at", "status", "items_new"), polls)
    assert rows(con, """
        select feed_id, polls_7d, errors_7d, items_new_7d, is_failing, health
        from feed_health order by feed_id""") == [
        (1, 2, 0, 3, False, "ok"),
        (2, 2, 2, 0, True, "failing"),
        (3, 0, 0, 0, True, "inactive"),
        (4, 0, 0, 0, False, "never_polled"),
    ]


def test_views_survive_a_second_migrate(con: duckdb.DuckDBPyConnection) -> None:
    """Migrating again (an upgraded database) recreates every view without applying migrations twice."""
    add_article(con, "u1", "2025-01-01")
    add_fact(con, "u1", ["Meta"], 1e9, "2025")
    assert migrate(con) == []
    views = {r[0] for r in rows(con, "select view_name from duckdb_views() where not internal")}
    assert {"capex_stories", "capex_facts", "capex_by_company_period", "capex_trend_monthly", "feed_health",
            "int_current_facts", "int_fact_periods", "int_fact_clusters", "int_company_country"} <= views
    assert rows(con, "select companies, n_sources from capex_facts") == [(["Meta"], 1)]
