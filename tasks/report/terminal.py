"""Terminal output: the report's summary and `capex sql` tables that fit the terminal.

rich is imported inside functions, so that `capex extract` stays fast.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    pass

from tasks.report.data import load_report_data
from tasks.report.fmt import companies, fmt_amount, fmt_date, fmt_money, fmt_usd


def print_terminal_summary(db_path: Path) -> None:
    """Print the report's key tables to the terminal with rich."""
    from rich.console import Console
    from rich.markup import escape
    from rich.table import Table

    data = load_report_data(db_path)
    console = Console()
    if data.is_empty:
        console.print("[bold]No data yet:[/] no AI-capex stories in the database. Run `capex poll` or `capex demo`.")
        return
    t = data.totals
    console.print(f"[bold]{t['n_stories']}[/] AI-capex stories, [bold]{t['n_facts']}[/] consolidated facts "
                  f"from {t['n_mentions']} mentions, {t['n_outlets']} outlets, "
                  f"{t['n_feeds_failing']} of {t['n_feeds']} feeds failing")
    top = Table(title="AI capex by company and period (top 15)")
    for col, justify in (("company", "left"), ("period", "left"), ("status", "left"), ("USD", "right"),
                         ("articles", "right")):
        top.add_column(col, justify=justify)  # type: ignore[arg-type]
    for r in data.company_periods[:15]:
        top.add_row(escape(r["company"]), escape(r["period"]), r["status"],
                    fmt_usd(r["amount_usd"]), str(r["n_sources"]))
    console.print(top)
    monthly = Table(title="Monthly trend (last 12 months)")
    for col in ("month", "stories", "new facts", "USD (\u22641 year)", "USD multi-year"):
        monthly.add_column(col, justify="left" if col == "month" else "right")
    for r in data.monthly[-12:]:
        monthly.add_row(r["month"].strftime("%Y-%m"), str(r["n_stories"]), str(r["n_new_facts"]),
                        fmt_usd(r["usd_new_facts"]), fmt_usd(r["usd_new_multi_year"]))
    console.print(monthly)
    newest = Table(title="Newest consolidated facts")
    for col in ("first seen", "companies", "status", "period", "amount", "articles"):
        newest.add_column(col, justify="right" if col in ("amount", "articles") else "left")
    for r in data.newest_facts[:10]:
        newest.add_row(fmt_date(r["first_seen"]), escape(companies(r["companies"])), r["status"],
                       escape(r["period"] or "\u2013"),
                       fmt_amount(r), str(r["n_sources"]))
    console.print(newest)
    _print_feeds(console, data.feeds)


def _print_feeds(console: Any, feeds: list[dict[str, Any]]) -> None:
    from rich.markup import escape
    from rich.table import Table

    table = Table(title="Feed health")
    for col in ("feed", "health", "failures in a row", "polls 7d", "errors 7d", "new items 7d"):
        table.add_column(col, justify="left" if col in ("feed", "health") else "right")
    for r in feeds:
        style = "red" if r["is_failing"] else None
        table.add_row(escape(str(r["name"])), r["health"], str(r["consecutive_failures"]), str(r["polls_7d"]),
                      str(r["errors_7d"]), str(r["items_new_7d"]), style=style)
    console.print(table)


# A column whose name says money ("amount", "amount_usd", "sum(amount_usd)", "usd_new_facts") is
# formatted ($80.0B) in tables; csv and json keep the exact value. "usd_bn" is already scaled.
_MONEY_COLUMN = re.compile(r"amount|(^|_)usd($|_)", re.IGNORECASE)


_SCALED_COLUMN = re.compile(r"_(k|m|mn|b|bn|t)$", re.IGNORECASE)


_USD_COLUMN = re.compile(r"usd", re.IGNORECASE)


# Space between two table columns.
_GAP = "  "


def print_rows(columns: list[str], rows: list[tuple[Any, ...]], fmt: str) -> None:
    """Print query rows: csv and json exact and whole; a table fitted to the terminal, whole when piped."""
    import sys

    if fmt == "csv":
        import csv

        writer = csv.writer(sys.stdout, lineterminator="\n")
        writer.writerow(columns)
        writer.writerows(rows)
        return
    if fmt == "json":
        import json

        for row in rows:
            print(json.dumps(dict(zip(columns, row, strict=True)), default=str, ensure_ascii=False))
        return
    import shutil

    if not columns:
        return  # a statement without a result (SET, PRAGMA ...)
    width = shutil.get_terminal_size().columns if sys.stdout.isatty() else None
    cells = [[table_cell(columns, row, i) for i in range(len(columns))] for row in rows]
    for line in render_table(columns, cells, width):
        print(line)
    if width is not None:
        print(f"({len(rows)} row{'' if len(rows) == 1 else 's'})")


def table_cell(columns: list[str], row: tuple[Any, ...], index: int) -> str:
    """One value as a table shows it: money compact in its row's currency, lists joined, None empty."""
    value, name = row[index], columns[index]
    if value is None:
        return ""
    if (isinstance(value, (int, float)) and not isinstance(value, bool) and _MONEY_COLUMN.search(name)
            and not _SCALED_COLUMN.search(name)):
        currency = "USD" if _USD_COLUMN.search(name) else _row_currency(columns, row)
        return fmt_money(float(value), currency) if currency else fmt_money(float(value), "").strip()
    if isinstance(value, (list, tuple)):
        return ", ".join(str(v) for v in value)
    if isinstance(value, float):
        return f"{value:.6g}"
    return " ".join(str(value).split("\n"))


def _row_currency(columns: list[str], row: tuple[Any, ...]) -> str | None:
    if "currency" in columns and isinstance(row[columns.index("currency")], str):
        return str(row[columns.index("currency")])
    return None


def render_table(columns: list[str], cells: list[list[str]], width: int | None) -> list[str]:
    """Aligned columns when they fit `width` (or width is None: piped, never cut); else one record per block."""
    widths = [max([len(c), *(len(r[i]) for r in cells)]) for i, c in enumerate(columns)]
    if width is None or sum(widths) + len(_GAP) * (len(widths) - 1) <= width:
        lines = [_GAP.join(c.ljust(w) for c, w in zip(columns, widths, strict=True)).rstrip(),
                 _GAP.join("-" * w for w in widths)]
        lines += [_GAP.join(v.ljust(w) for v, w in zip(r, widths, strict=True)).rstrip() for r in cells]
        return lines
    return _vertical(columns, cells, width)


def _vertical(columns: list[str], cells: list[list[str]], width: int) -> list[str]:
    """psql's expanded display: `name | value` lines, values wrapped (never cut) to the width."""
    import textwrap

    key_w = min(max(len(c) for c in columns), width // 3)
    value_w = max(10, width - key_w - 3)
    lines: list[str] = []
    for n, row in enumerate(cells, start=1):
        lines.append(f"-[ record {n} ]".ljust(width, "-"))
        for name, value in zip(columns, row, strict=True):
            parts = textwrap.wrap(value, value_w, break_long_words=True, break_on_hyphens=False) or [""]
            lines.append(f"{name[:key_w].ljust(key_w)} | {parts[0]}")
            lines += [f"{'':{key_w}} | {part}" for part in parts[1:]]
    return lines
