"""Trend report: a self-contained offline HTML page with charts, PNG charts, and a terminal summary.

Everything comes from the public views (capex_facts, capex_by_company_period, capex_trend_monthly,
feed_health), read through tasks.store.query. Modules: data (the queries), fmt (amounts and dates
for people), charts (matplotlib), html (the page), terminal (the summary and `capex sql` tables).
"""

from __future__ import annotations

from tasks.report.data import ReportData, load_report_data
from tasks.report.fmt import fmt_amount, fmt_date, fmt_money, fmt_usd
from tasks.report.html import render_html, write_report
from tasks.report.terminal import print_rows, print_terminal_summary, render_table, table_cell

__all__ = [
    "ReportData", "fmt_amount", "fmt_date", "fmt_money", "fmt_usd", "load_report_data", "print_rows",
    "print_terminal_summary", "render_html", "render_table", "table_cell", "write_report",
]
