"""Report charts drawn with matplotlib: SVG for the page, PNG files.

matplotlib is imported inside functions, so that `capex extract` stays fast.
"""

from __future__ import annotations

import io
import re
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from matplotlib.figure import Figure

from tasks.report.data import ReportData
from tasks.report.fmt import fmt_usd

# Rows shown in the report: enough to scan in one screen each, the views hold the rest.
MAX_CHART_BARS = 24


MAX_FEEDS_CHARTED = 30


STATUS_COLORS = {"actual": "#1f6f8b", "guidance": "#e07a1f", "plan": "#7a5195", "estimate": "#8a8a8a"}


CHART_DPI = 110


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


def svg(fig: Figure, salt: str) -> str:
    import matplotlib

    # Distinct id salts keep the ids of several inline SVGs in one page from colliding.
    with matplotlib.rc_context({"svg.fonttype": "path", "svg.hashsalt": salt}):
        buf = io.StringIO()
        fig.savefig(buf, format="svg", metadata={"Date": None})
    text = buf.getvalue()
    text = text[text.index("<svg"):]
    # the RDF metadata names namespace URLs; drop it so the page holds no http URL but links
    return re.sub(r"<metadata>.*?</metadata>", "", text, flags=re.DOTALL)


def png(fig: Figure) -> bytes:
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
