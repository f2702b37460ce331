"""What the `capex` command prints on the terminal: progress, run summaries, demo tables, extract results.

Data goes to stdout, messages and progress to stderr; Prefect's own console lines are kept to warnings
and errors, one line each, unless --verbose or --debug."""

from __future__ import annotations

import logging
import os
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from tasks import settings


class _OneLine(logging.Filter):
    """Keep a log record's first line only, without its traceback."""

    def filter(self, record: logging.LogRecord) -> bool:
        lines = record.getMessage().splitlines()
        record.msg, record.args = (lines[0] if lines else ""), ()
        record.exc_info, record.exc_text, record.stack_info = None, None, None
        return True


def quiet_prefect_logs() -> None:
    """Prefect's console: warnings and errors only unless --verbose; one line each, no traceback, unless --debug.

    The run's own summary is printed after it; Prefect's INFO lines (server start, every task run)
    would only interleave with it. The records still reach the Prefect API (its UI keeps them).
    """
    import prefect.logging  # noqa: F401 -- configures Prefect's handlers, which get the filter

    debug, verbose = settings.debug_enabled(), settings.verbose_enabled()
    for name in ("prefect", "prefect.flow_runs", "prefect.task_runs", ""):  # "": root, where the console handler is
        for handler in logging.getLogger(name or None).handlers:
            if not debug:
                handler.addFilter(_OneLine())
            if not (debug or verbose) and type(handler).__name__ != "APILogHandler":
                handler.setLevel(logging.WARNING)


# Seconds between two plain progress lines when stderr is not a terminal (a log file, a pipe).
PLAIN_PROGRESS_EVERY_S = 10.0


@contextmanager
def progress_display(label: str) -> Iterator[None]:
    """A run's progress on stderr: a rich bar (pages done of total, new, failed, ETA) on a terminal,
    otherwise a plain `poll: 120/500 pages, new 98, failed 2` line every PLAIN_PROGRESS_EVERY_S and
    at the end, so logs stay readable."""
    from tasks import progress

    if sys.stderr.isatty():
        from rich.console import Console
        from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

        with Progress(TextColumn(label), BarColumn(), MofNCompleteColumn(), TextColumn("{task.fields[detail]}"),
                      TimeRemainingColumn(), console=Console(stderr=True), transient=True) as bar:
            task = bar.add_task(label, total=None, detail="")

            def draw(p: progress.Progress) -> None:
                bar.update(task, completed=p.done, total=p.total or None, detail=f"new {p.new}, failed {p.failed}")

            progress.add_listener(draw)
            try:
                yield
            finally:
                progress.remove_listener(draw)
        return
    last: list[progress.Progress] = []
    printed_at = [0.0]

    def line(p: progress.Progress) -> None:
        last[:] = [p]
        if time.monotonic() - printed_at[0] >= PLAIN_PROGRESS_EVERY_S:
            printed_at[0] = time.monotonic()
            _print_progress(p)

    progress.add_listener(line)
    try:
        yield
    finally:
        progress.remove_listener(line)
        if last and printed_at[0] and last[0].done:  # the final count, when a line was printed before
            _print_progress(last[0])


def _print_progress(p: Any) -> None:
    print(f"{p.label}: {p.done}/{p.total} pages, new {p.new}, failed {p.failed}", file=sys.stderr, flush=True)


# Failures listed after a run; the rest are in the database (page_retry_queue, feed_polls).
MAX_FAILURES_SHOWN = 20


def print_summary(what: str, summary: dict[str, Any], db_path: Path) -> None:
    """A run's summary as aligned `name  value` lines on stderr, then its first failures."""
    lines = [(key.replace("_", " "), _summary_value(value)) for key, value in summary.items()
             if key not in ("failures", "run_id")]
    width = max((len(name) for name, _ in lines), default=0)
    print(f"{what} finished, database {db_path}", file=sys.stderr)
    for name, value in lines:
        print(f"  {name.ljust(width)}  {value}", file=sys.stderr)
    failures = summary.get("failures", [])
    if failures:
        shown = failures[:MAX_FAILURES_SHOWN]
        more = f" (first {len(shown)} of {len(failures)})" if len(failures) > len(shown) else ""
        print(f"failures{more}:", file=sys.stderr)
        for failure in shown:
            print(f"  {failure}", file=sys.stderr)


def _summary_value(value: Any) -> str:
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, (list, tuple)):
        return ", ".join(map(str, value)) if value else "none"
    return str(value)


DEMO_QUERIES = (
    "select title, source, n_facts from capex_stories order by published_at desc",
    "select companies, period, amount_usd, n_sources from capex_facts order by amount_usd desc nulls last",
    "select * from capex_trend_monthly order by month",
)


def print_demo_tables(db_path: Path) -> None:
    from rich.console import Console
    from rich.markup import escape
    from rich.table import Table

    from tasks import store
    from tasks.report import fmt_money

    console = Console()
    columns, rows = store.query(db_path, "select title, source, score, n_facts from capex_stories "
                                         "order by published_at desc")
    table = Table(title=f"AI-capex stories ({len(rows)})")
    for c in columns:
        table.add_column(c, overflow="fold")
    for title, source, score, n_facts in rows[:40]:
        table.add_row(escape(str(title)), escape(str(source)), f"{score:.2f}", str(n_facts))
    console.print(table)
    _, rows = store.query(db_path, "select array_to_string(companies, ', '), period, kind, status, currency, amount, "
                                   "amount_low, amount_high, amount_usd from int_current_facts "
                                   "order by amount_usd desc nulls last")
    table = Table(title=f"facts ({len(rows)})")
    for c in ("companies", "period", "kind", "status", "amount", "USD"):
        table.add_column(c, overflow="fold", justify="right" if c in ("amount", "USD") else "left")
    for companies, period, kind, status, currency, amount, low, high, usd in rows[:40]:
        stated = fmt_money(amount, currency) if amount is not None else \
            f"{fmt_money(low, currency)}-{fmt_money(high, currency)}"
        table.add_row(escape(companies or ""), period or "", kind, status, stated, fmt_money(usd, "USD"))
    console.print(table)
    bin_dir = _program_dir()
    print(f"\nDatabase: {db_path}  (open it with: {bin_dir}duckdb {db_path})")
    print("Example queries:")
    for query in DEMO_QUERIES:
        print(f"  {bin_dir}capex sql --db {db_path} \"{query}\"")


def _program_dir() -> str:
    """How to name programs installed beside `capex` (".venv/bin/"), so that printed commands work as written."""
    import shutil

    here = Path(os.path.abspath(Path(sys.executable).parent))  # not resolved: a venv's python is a symlink
    on_path = shutil.which("capex")
    if on_path and Path(os.path.abspath(on_path)).parent == here:
        return ""
    try:
        return f"{here.relative_to(Path.cwd())}/"
    except ValueError:
        return f"{here}/"


def print_extract_human(result: dict[str, Any]) -> None:
    from tasks.report import fmt_money

    print(f"{result['source']}: {'AI capex' if result['is_capex'] else 'not AI capex'} "
          f"(score {result['score']}) {result.get('title') or ''}")
    for note in result.get("notes", []):
        print(f"  note: {note}")
    for fact in result["facts"]:
        currency = fact["currency"]
        amount = (fmt_money(fact["amount"], currency) if fact["amount"] is not None
                  else f"{fmt_money(fact['amount_low'], currency)}-{fmt_money(fact['amount_high'], currency)}")
        usd = f" (USD {fmt_money(fact['amount_usd'], 'USD')})" if currency != "USD" else ""
        print(f"  {', '.join(fact['companies']) or '?'}: {amount}{usd} {fact['period'] or ''} "
              f"{fact['kind']}/{fact['status']}")
        print(f"    \"{fact['evidence']}\"")
