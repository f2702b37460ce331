"""Trend report: a self-contained offline HTML page with charts, PNG charts, and a terminal summary.

Everything comes from the public views (capex_facts, capex_by_company_period, capex_trend_monthly,
feed_health), read through tasks.store.query. The HTML loads nothing from the network: charts are
inline SVG drawn by matplotlib (text as paths, so no fonts either), CSS is inline, and there are
no scripts. Every value taken from the database is HTML-escaped; only http(s) article URLs become
links. matplotlib and rich are imported inside functions so that `capex extract` stays fast.
"""

from __future__ import annotations

import html
import io
import logging
import re
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from tasks.store import query

if TYPE_CHECKING:
    from matplotlib.figure import Figure

logger = logging.getLogger(__name__)

# Rows shown in the report: enough to scan in one screen each, the views hold the rest.
MAX_CHART_BARS = 24
NEWEST_FACTS = 25
MAX_FEEDS_CHARTED = 30
STATUS_COLORS = {"actual": "#1f6f8b", "guidance": "#e07a1f", "plan": "#7a5195", "estimate": "#8a8a8a"}
CHART_DPI = 110


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


# ---------------------------------------------------------------- data


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


# ---------------------------------------------------------------- formatting


def fmt_usd(value: float | None) -> str:
    """$80.0B style: compact US dollars, or an en dash when unknown."""
    return fmt_money(value, "USD")


def fmt_money(value: float | None, currency: str | None) -> str:
    """A compact amount in its currency: $80.0B, CNY 50.0B, EUR 350M."""
    if value is None:
        return "\u2013"
    sign = "-" if value < 0 else ""
    value = abs(value)
    for div, suffix in ((1e12, "T"), (1e9, "B"), (1e6, "M"), (1e3, "K")):
        if value >= div:
            number = f"{value / div:.1f}{suffix}"
            break
    else:
        number = f"{value:.0f}"
    prefix = "$" if currency == "USD" else f"{currency or ''} "
    return f"{sign}{prefix}{number}"


def fmt_amount(row: dict[str, Any]) -> str:
    """A fact's amount as stated: a point figure, or a range low-high, with its qualifier."""
    currency = row.get("currency")
    if row.get("amount") is None and row.get("amount_low") is not None:
        text = f"{fmt_money(row['amount_low'], currency)}\u2013{fmt_money(row.get('amount_high'), currency)}"
    else:
        text = fmt_money(row.get("amount"), currency)
    hedges = {"approx": "~", "at_least": "\u2265", "more_than": ">", "up_to": "\u2264"}
    qualifier = hedges.get(row.get("qualifier") or "")
    return f"{qualifier or ''}{text}"


def fmt_date(value: Any) -> str:
    """YYYY-MM-DD of a date or timestamp, or an en dash."""
    return value.strftime("%Y-%m-%d") if value is not None else "\u2013"


def _companies(value: Any) -> str:
    return ", ".join(value) if value else "\u2013"


# ---------------------------------------------------------------- charts


def _new_figure(width: float, height: float) -> Figure:
    import matplotlib

    matplotlib.use("Agg")  # never a GUI backend: the report runs on servers and in CI
    from matplotlib.figure import Figure

    fig = Figure(figsize=(width, height), dpi=CHART_DPI, layout="constrained")
    return fig


def _style_axes(ax: Any) -> None:
    ax.spines["top"].set_visible(False)
    ax.spines["right"].set_visible(False)
    ax.grid(axis="x", color="#e5e5e5", linewidth=0.8)
    ax.set_axisbelow(True)


def _usd_axis(ax: Any, axis: str = "x") -> None:
    from matplotlib.ticker import FuncFormatter

    formatter = FuncFormatter(lambda v, _pos: fmt_usd(v) if v else "0")
    (ax.xaxis if axis == "x" else ax.yaxis).set_major_formatter(formatter)


def chart_company_periods(rows: list[dict[str, Any]]) -> Figure:
    """Horizontal bars of AI capex per company and period: annual left, half/quarter right."""
    from matplotlib.patches import Patch

    panels = [
        ("Year or fiscal year", [r for r in rows if r["period_type"] in ("year", "fiscal_year")]),
        ("Half year or quarter", [r for r in rows if r["period_type"] in ("half", "quarter")]),
    ]
    panels = [(title, sorted(p, key=lambda r: r["amount_usd"])[-MAX_CHART_BARS:]) for title, p in panels if p]
    n_bars = max(len(p) for _, p in panels)
    fig = _new_figure(11, 1.4 + 0.34 * n_bars)
    axes = fig.subplots(1, len(panels), squeeze=False)[0]
    for ax, (title, panel) in zip(axes, panels, strict=True):
        labels = [f"{r['company']} \u00b7 {r['period']}" for r in panel]
        values = [r["amount_usd"] for r in panel]
        bars = ax.barh(labels, values, color=[STATUS_COLORS.get(r["status"], "#999999") for r in panel],
                       edgecolor="white", linewidth=0)
        for bar, row in zip(bars, panel, strict=True):
            if row["shared"]:
                bar.set_hatch("//")
        ax.bar_label(bars, labels=[fmt_usd(v) for v in values], padding=3, fontsize=8)
        ax.set_title(title, fontsize=10, loc="left")
        ax.tick_params(axis="y", labelsize=8)
        ax.tick_params(axis="x", labelsize=8)
        ax.margins(x=0.18)
        _usd_axis(ax)
        _style_axes(ax)
    used = [s for s in STATUS_COLORS if any(r["status"] == s for _, p in panels for r in p)]
    handles = [Patch(facecolor=STATUS_COLORS[s], label=s) for s in used]
    if any(r["shared"] for _, p in panels for r in p):
        handles.append(Patch(facecolor="#bbbbbb", hatch="//", edgecolor="white", label="combined figure of several"))
    fig.legend(handles=handles, loc="outside lower center", ncols=len(handles), fontsize=8, frameon=False)
    fig.suptitle("AI capex by company and period (USD)", fontsize=11, x=0.01, ha="left")
    return fig


def _count_labels(values: list[int]) -> list[str]:
    return [str(v) if v else "" for v in values]


def chart_monthly(rows: list[dict[str, Any]]) -> Figure:
    """Monthly stories vs new consolidated facts (top) and USD of new facts by period type (bottom)."""
    import numpy as np
    from matplotlib.ticker import MaxNLocator

    fig = _new_figure(11, 5.8)
    top, bottom = fig.subplots(2, 1, sharex=True, height_ratios=[3, 2])
    x = np.arange(len(rows))
    width = 0.38
    n_stories = [r["n_stories"] for r in rows]
    n_new = [r["n_new_facts"] for r in rows]
    stories = top.bar(x - width / 2, n_stories, width, label="AI-capex stories", color="#9bb7d4")
    facts = top.bar(x + width / 2, n_new, width, label="new consolidated facts", color="#1f6f8b")
    top.bar_label(stories, labels=_count_labels(n_stories), fontsize=7, padding=2)
    top.bar_label(facts, labels=_count_labels(n_new), fontsize=7, padding=2)
    top.plot(x, [r["n_fact_mentions"] for r in rows], color="#e07a1f", marker="o", linewidth=1,
             markersize=3, label="fact mentions\n(before consolidation)")
    top.set_ylabel("count", fontsize=8)
    top.set_title("Monthly AI-capex story and new-fact volume", fontsize=11, loc="left")
    top.margins(y=0.15)
    usd = [r["usd_new_facts"] for r in rows]
    usd_multi = [r["usd_new_multi_year"] for r in rows]
    annual = bottom.bar(x - width / 2, usd, width, color="#1f6f8b", label="USD of new figures\nfor a year or shorter")
    multi = bottom.bar(x + width / 2, usd_multi, width, color="#d5d5d5", hatch="//", edgecolor="#888888",
                       linewidth=0, label="USD of new multi-year\ntotals (never added)")
    bottom.bar_label(annual, labels=[fmt_usd(v) if v else "" for v in usd], fontsize=7, padding=2)
    bottom.bar_label(multi, labels=[fmt_usd(v) if v else "" for v in usd_multi], fontsize=7, padding=2)
    bottom.set_ylabel("USD", fontsize=8)
    bottom.margins(y=0.2)
    _usd_axis(bottom, "y")
    step = max(1, -(-len(rows) // 18))  # at most ~18 month labels
    bottom.set_xticks(x[::step], [r["month"].strftime("%b %Y") for r in rows][::step],
                      rotation=45 if len(rows) > 6 else 0, ha="right" if len(rows) > 6 else "center", fontsize=8)
    for ax in (top, bottom):
        ax.legend(fontsize=8, frameon=False, loc="upper left", bbox_to_anchor=(1.0, 1.0))
        ax.tick_params(axis="y", labelsize=8)
        _style_axes(ax)
        ax.grid(axis="x", visible=False)
        ax.grid(axis="y", color="#e5e5e5", linewidth=0.8)
    top.yaxis.set_major_locator(MaxNLocator(integer=True))
    return fig


def chart_feed_health(rows: list[dict[str, Any]]) -> Figure:
    """Polls of the last 7 days per feed, successful vs failed; failing feeds named in red."""
    from matplotlib.ticker import MaxNLocator

    rows = rows[:MAX_FEEDS_CHARTED][::-1]
    fig = _new_figure(11, 1.4 + 0.32 * len(rows))
    ax = fig.subplots()
    names = [str(r["name"]) + ("" if r["is_active"] else " (inactive)") for r in rows]
    ok = [r["polls_7d"] - r["errors_7d"] for r in rows]
    errors = [r["errors_7d"] for r in rows]
    ax.barh(names, ok, color="#4c9a6a", label="successful polls")
    ax.barh(names, errors, left=ok, color="#c0392b", label="failed polls")
    for label, row in zip(ax.get_yticklabels(), rows, strict=True):
        if not row["is_active"]:
            label.set_color("#888888")
        elif row["is_failing"]:
            label.set_color("#c0392b")
            label.set_fontweight("bold")
    ax.set_xlabel("polls in the last 7 days", fontsize=8)
    ax.tick_params(labelsize=8)
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    ax.legend(fontsize=8, frameon=False, loc="upper left", bbox_to_anchor=(1.0, 1.0))
    ax.set_title("Feed health (feeds failing now in red)", fontsize=11, loc="left")
    _style_axes(ax)
    return fig


def _svg(fig: Figure, salt: str) -> str:
    import matplotlib

    # Distinct id salts keep the ids of several inline SVGs in one page from colliding.
    with matplotlib.rc_context({"svg.fonttype": "path", "svg.hashsalt": salt}):
        buf = io.StringIO()
        fig.savefig(buf, format="svg", metadata={"Date": None})
    text = buf.getvalue()
    text = text[text.index("<svg"):]
    # the RDF metadata names namespace URLs; drop it so the page holds no http URL but links
    return re.sub(r"<metadata>.*?</metadata>", "", text, flags=re.DOTALL)


def _png(fig: Figure) -> bytes:
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=CHART_DPI, metadata={"Software": None})
    return buf.getvalue()


def render_charts(data: ReportData) -> dict[str, Figure]:
    """The report's charts by file stem (only those with data to show)."""
    charts: dict[str, Figure] = {}
    if data.company_periods:
        charts["capex_by_company_period"] = chart_company_periods(data.company_periods)
    if data.monthly:
        charts["capex_trend_monthly"] = chart_monthly(data.monthly)
    if data.feeds:
        charts["feed_health"] = chart_feed_health(data.feeds)
    return charts


# ---------------------------------------------------------------- HTML

_CSS = """
body{font-family:system-ui,-apple-system,"Segoe UI",Roboto,"Helvetica Neue",Arial,sans-serif;margin:0;
 color:#222;background:#f7f7f5;line-height:1.45}
main{max-width:1180px;margin:0 auto;padding:24px 28px 48px}
h1{font-size:1.6rem;margin:0 0 4px}h2{font-size:1.2rem;margin:36px 0 8px;border-bottom:1px solid #ddd;
 padding-bottom:4px}
.meta{color:#666;font-size:.85rem}.note{color:#555;font-size:.85rem;max-width:900px}
.cards{display:flex;flex-wrap:wrap;gap:12px;margin:18px 0}
.card{background:#fff;border:1px solid #e2e2e2;border-radius:6px;padding:10px 16px;min-width:120px}
.card b{display:block;font-size:1.4rem}.card span{color:#666;font-size:.8rem}
.chart{background:#fff;border:1px solid #e2e2e2;border-radius:6px;padding:8px;overflow-x:auto}
.chart svg{max-width:100%;height:auto;display:block}
table{border-collapse:collapse;width:100%;background:#fff;font-size:.84rem;margin-top:8px}
th,td{border-bottom:1px solid #eee;padding:6px 8px;text-align:left;vertical-align:top}
th{background:#f0f0ee;font-weight:600}td.num{text-align:right;white-space:nowrap}
td.evc{min-width:320px}.ev{color:#333}.wrap{overflow-x:auto}.bad{color:#b03a2e;font-weight:600}.ok{color:#2e7d4f}
.empty{background:#fff;border:1px dashed #bbb;border-radius:6px;padding:28px;text-align:center;color:#555}
a{color:#1f5f8b}
"""


def _e(value: Any) -> str:
    return html.escape("" if value is None else str(value), quote=True)


def _link(url: Any, text: Any) -> str:
    """An anchor to an http(s) URL (anything else, e.g. javascript:, is shown as plain text)."""
    if isinstance(url, str) and re.match(r"https?://", url, flags=re.IGNORECASE):
        return f'<a href="{_e(url)}" rel="noopener noreferrer">{_e(text or url)}</a>'
    return _e(text or url)


def _table(headers: list[str], rows: list[list[str]], num_cols: frozenset[int] = frozenset()) -> str:
    head = "".join(f"<th>{_e(h)}</th>" for h in headers)
    body = "".join(
        "<tr>" + "".join(f'<td class="num">{c}</td>' if i in num_cols else f"<td>{c}</td>"
                         for i, c in enumerate(row)) + "</tr>"
        for row in rows
    )
    return f'<div class="wrap"><table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table></div>'


def _facts_table(rows: list[dict[str, Any]]) -> str:
    body = [
        [
            _e(fmt_date(r["first_seen"])),
            _e(_companies(r["companies"])),
            _e(f"{r['kind']} \u00b7 {r['status']}" + (f" ({r['revision']})" if r.get("revision") else "")),
            _e(r["period"] or "\u2013"),
            _e(fmt_amount(r)),
            _e(fmt_usd(r["amount_usd"])),
            _e(f"{r['n_sources']} / {r['n_outlets']}"),
            (f'<span class="ev">{_e(r["example_evidence"])}</span><br>'
            f'{_link(r["example_url"], r["example_title"] or r["example_url"])} '
            f'<span class="meta">{_e(r["example_source"])}</span>'),
        ]
        for r in rows
    ]
    headers = ["first seen", "companies", "kind \u00b7 status", "period", "amount", "USD",
               "articles / outlets", "evidence (first report)"]
    return _table(headers, body, frozenset({4, 5, 6}))


def _feeds_table(rows: list[dict[str, Any]]) -> str:
    body = [
        [
            _e(r["name"]),
            f'<span class="{"bad" if r["is_failing"] else "ok"}">{_e(r["health"])}</span>',
            _e(r["last_status"] or "\u2013"),
            _e(r["consecutive_failures"]),
            _e(fmt_date(r["last_success_at"])),
            _e(r["polls_7d"]),
            _e(r["errors_7d"]),
            _e(r["items_new_7d"]),
            _e((r["last_error"] or "")[:160]),
        ]
        for r in rows
    ]
    headers = ["feed", "health", "last status", "failures in a row", "last success", "polls 7d",
               "errors 7d", "new items 7d", "last error"]
    return _table(headers, body, frozenset({3, 5, 6, 7}))


def _cards(totals: dict[str, Any]) -> str:
    items = [
        (totals["n_stories"], "AI-capex stories"),
        (totals["n_facts"], "consolidated facts"),
        (totals["n_mentions"], "fact mentions in articles"),
        (totals["n_outlets"], "outlets"),
        (f"{totals['n_feeds_failing']} / {totals['n_feeds']}", "feeds failing now"),
    ]
    return '<div class="cards">' + "".join(
        f"<div class=\"card\"><b>{_e(v)}</b><span>{_e(label)}</span></div>" for v, label in items
    ) + "</div>"


def render_html(data: ReportData, svgs: dict[str, str], db_path: Path, generated_at: datetime) -> str:
    """The whole report page (no external resource of any kind)."""
    parts = [
        (f"<h1>AI capex trend report</h1><p class=\"meta\">generated {_e(generated_at.strftime('%Y-%m-%d %H:%M'))}"
        f" UTC from {_e(db_path)}</p>"),
    ]
    if data.is_empty:
        parts.append('<div class="empty"><p><b>No data yet.</b></p><p>The database holds no AI-capex stories.'
                     " Run <code>capex poll</code> (or <code>capex demo</code>) and then this report again.</p></div>")
    else:
        parts.append(_cards(data.totals))
        parts.append(_section_capex(data, svgs))
    parts.append(_section_feeds(data, svgs))
    body = "\n".join(parts)
    return (
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
        "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">"
        f"<title>AI capex trend report</title><style>{_CSS}</style></head>"
        f"<body><main>\n{body}\n</main></body></html>\n"
    )


def _chart(svgs: dict[str, str], name: str) -> str:
    return f'<div class="chart">{svgs[name]}</div>' if name in svgs else '<p class="note">Nothing to chart yet.</p>'


def _section_capex(data: ReportData, svgs: dict[str, str]) -> str:
    programmes = ""
    if data.programmes:
        programmes = (
            "<h2>Programmes and multi-year totals</h2><p class=\"note\">Investment programmes and figures"
            " spanning several years. They are listed, never added to the annual figures above.</p>"
            + _facts_table(data.programmes)
        )
    return (
        "<h2>AI capex by company and period</h2><p class=\"note\">One bar per company and period: the"
        " company's actual capex when reported, else its latest guidance (raised guidance replaces the"
        " earlier figure). Multi-year totals are not shown here.</p>"
        + _chart(svgs, "capex_by_company_period")
        + "<h2>Monthly volume</h2><p class=\"note\">An announcement repeated by many outlets is one"
        " consolidated fact, counted in the month it was first seen. USD sums keep multi-year totals"
        " apart from figures for a year or shorter.</p>"
        + _chart(svgs, "capex_trend_monthly")
        + "<h2>Newest consolidated facts</h2><p class=\"note\">Same companies, kind, period and amount"
        " within 2&nbsp;% across articles are one fact; the evidence is the first report's sentence.</p>"
        + _facts_table(data.newest_facts)
        + programmes
    )


def _section_feeds(data: ReportData, svgs: dict[str, str]) -> str:
    if not data.feeds:
        return "<h2>Feed health</h2><p class=\"note\">No feeds configured yet.</p>"
    return "<h2>Feed health</h2>" + _chart(svgs, "feed_health") + _feeds_table(data.feeds)


def write_report(db_path: Path, out_dir: Path) -> list[Path]:
    """Write report.html and one PNG per chart to out_dir.

    Args:
        db_path: the DuckDB database (created and migrated when missing: the report then says
            there is no data yet).
        out_dir: output folder, created when missing.

    Returns:
        The written files: report.html first, then the PNG charts.
    """
    data = load_report_data(db_path)
    out_dir.mkdir(parents=True, exist_ok=True)
    charts = render_charts(data)
    svgs: dict[str, str] = {}
    written: list[Path] = []
    for name, fig in charts.items():
        svgs[name] = _svg(fig, salt=name)
        png_path = out_dir / f"{name}.png"
        png_path.write_bytes(_png(fig))
        written.append(png_path)
    html_path = out_dir / "report.html"
    generated_at = datetime.now(UTC)
    html_path.write_text(render_html(data, svgs, db_path, generated_at), encoding="utf-8")
    logger.info("report written to %s (%d charts)", html_path, len(charts))
    return [html_path, *written]


# ---------------------------------------------------------------- terminal


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
        newest.add_row(fmt_date(r["first_seen"]), escape(_companies(r["companies"])), r["status"],
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


# ---------------------------------------------------------------- `capex sql` output

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
