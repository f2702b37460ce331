"""The self-contained report page: inline SVG charts and CSS, no scripts, every database value escaped.

The HTML loads nothing from the network: charts are inline SVG drawn by matplotlib (text as paths,
so no fonts either), CSS is inline, and there are no scripts. Every value taken from the database is
HTML-escaped; only http(s) article URLs become links."""

from __future__ import annotations

import html
import logging
import re
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    pass

from tasks.report.charts import png, render_charts, svg
from tasks.report.data import ReportData, load_report_data
from tasks.report.fmt import companies, fmt_amount, fmt_date, fmt_usd

logger = logging.getLogger(__name__)


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
            _e(companies(r["companies"])),
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
        svgs[name] = svg(fig, salt=name)
        png_path = out_dir / f"{name}.png"
        png_path.write_bytes(png(fig))
        written.append(png_path)
    html_path = out_dir / "report.html"
    generated_at = datetime.now(UTC)
    html_path.write_text(render_html(data, svgs, db_path, generated_at), encoding="utf-8")
    logger.info("report written to %s (%d charts)", html_path, len(charts))
    return [html_path, *written]
