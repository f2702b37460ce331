"""The report's data: the public views read through tasks.store.query, one query per part of the report."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from tasks.store import query

if TYPE_CHECKING:
    pass


logger = logging.getLogger(__name__)


NEWEST_FACTS = 25


@dataclass(frozen=True, slots=True)
class ReportData:
    """What the report shows, as rows of dicts (column name -> value)."""

    totals: dict[str, Any]
    company_periods: list[dict[str, Any]]
    monthly: list[dict[str, Any]]
    newest_facts: list[dict[str, Any]]
    programmes: list[dict[str, Any]]
    feeds: list[dict[str, Any]]

    @property
    def is_empty(self) -> bool:
        """True when no AI-capex story has been stored yet."""
        return not self.totals.get("n_stories") and not self.newest_facts


def _rows(db_path: Path, sql: str, params: list[Any] | None = None) -> list[dict[str, Any]]:
    columns, rows = query(db_path, sql, params)
    return [dict(zip(columns, row, strict=True)) for row in rows]


_TOTALS_SQL = """
select
    (select count(*) from capex_stories) as n_stories,
    (select count(*) from capex_facts) as n_facts,
    (select count(*) from int_current_facts) as n_mentions,
    (select count(distinct source) from capex_stories) as n_outlets,
    (select count(*) from feed_health) as n_feeds,
    (select count(*) from feed_health where is_failing and is_active) as n_feeds_failing,
    (select max(last_seen) from capex_facts) as last_fact_seen
"""


# The figure to chart per company and period: capex, actual before guidance before plan (analysts'
# estimates are listed, not charted). A figure shared by several companies is one combined bar.
_COMPANY_PERIODS_SQL = """
select
    case when shared then array_to_string(companies, ' + ') else company end as company,
    period,
    period_type,
    status,
    amount_usd,
    shared,
    n_sources
from capex_by_company_period
where kind = 'capex'
    and is_preferred
    and status <> 'estimate'
    and amount_usd is not null
    and period_type in ('year', 'fiscal_year', 'half', 'quarter')
qualify row_number() over (partition by fact_key order by company) = 1
order by amount_usd desc, company, period
"""


_MONTHLY_SQL = "select * from capex_trend_monthly order by month"


_NEWEST_SQL = """
select
    *
from capex_facts
order by first_seen desc, n_sources desc, fact_key
limit ?
"""


_PROGRAMMES_SQL = """
select
    *
from capex_facts
where is_multi_year or kind = 'investment'
order by amount_usd desc nulls last, fact_key
limit 20
"""


_FEEDS_SQL = "select * from feed_health order by is_failing desc, is_active desc, name"


def load_report_data(db_path: Path) -> ReportData:
    """Read everything the report shows from the database (created and migrated if missing)."""
    return ReportData(
        totals=_rows(db_path, _TOTALS_SQL)[0],
        company_periods=_rows(db_path, _COMPANY_PERIODS_SQL),
        monthly=_rows(db_path, _MONTHLY_SQL),
        newest_facts=_rows(db_path, _NEWEST_SQL, [NEWEST_FACTS]),
        programmes=_rows(db_path, _PROGRAMMES_SQL),
        feeds=_rows(db_path, _FEEDS_SQL),
    )
