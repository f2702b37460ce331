"""The `capex` command line.

Commands that need no flow (`extract`, `sql`) never import Prefect, so they start fast. Options and
files are checked before Prefect starts. Every failure reaches main(), which prints it as one line
(`capex: <what>: <problem>`, the traceback too with --debug) and exits with exit_code_for(): 0 when
the run completed (also when some feeds or pages failed), 1 when the run itself failed, 2 for a
usage or configuration error.
"""

from __future__ import annotations

import json
import logging
import os
import re
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date
from pathlib import Path
from typing import Annotated, Any

import typer

from tasks import settings
from tasks.errors import CapexError, ConfigError

app = typer.Typer(add_completion=False, no_args_is_help=True, help="AI capex news monitor.")


def _version(value: bool) -> None:
    if value:
        from importlib.metadata import version

        print(f"capex-monitor {version('capex-monitor')}")
        raise typer.Exit(0)


@app.callback()
def _options(
    debug: Annotated[bool, typer.Option("--debug", help="show tracebacks (also CAPEX_DEBUG=1)")] = False,
    verbose: Annotated[bool, typer.Option("--verbose",
                                          help="show Prefect's own log lines (also CAPEX_VERBOSE=1)")] = False,
    _show_version: Annotated[bool, typer.Option("--version", callback=_version, is_eager=True,
                                                help="print the version and exit")] = False,
) -> None:
    """AI capex news monitor."""
    if debug:
        settings.enable_debug()
    if verbose:
        settings.enable_verbose()

DbOpt = Annotated[str | None, typer.Option("--db", help="DuckDB file (else $CAPEX_DB, else data/capex.duckdb)")]
FeedsOpt = Annotated[str | None, typer.Option("--feeds", help="feeds TOML (else $CAPEX_FEEDS, else feeds.toml)")]


def exit_code_for(exc: BaseException) -> int:
    """The exit status of a failure: 2 for a usage or configuration error, 1 for a failed run."""
    return 2 if isinstance(exc, ConfigError) else 1


def _one_line(exc: BaseException) -> str:
    lines = str(exc).strip().splitlines()
    text = lines[0] if lines else ""
    if isinstance(exc, CapexError):
        return text
    if "Timed out while attempting to connect to ephemeral Prefect API server" in text:
        name, limit = settings.prefect_startup_timeout()
        return (f"Prefect's temporary server did not start within {limit} s (machine busy?): raise {name}, "
                "or run `prefect server start` and set PREFECT_API_URL")
    # not one of ours: say what it is, and where to see more
    hint = "" if settings.debug_enabled() else " (run with --debug for the traceback)"
    return f"{type(exc).__name__}: {text}{hint}"


def _run_flow(fn: Any, **params: Any) -> dict[str, Any]:
    """Run a flow function; its errors reach main(), which maps them to one line and an exit status."""
    _quiet_prefect_logs()
    result: dict[str, Any] = fn(**params)
    return result


class _OneLine(logging.Filter):
    """Keep a log record's first line only, without its traceback."""

    def filter(self, record: logging.LogRecord) -> bool:
        lines = record.getMessage().splitlines()
        record.msg, record.args = (lines[0] if lines else ""), ()
        record.exc_info, record.exc_text, record.stack_info = None, None, None
        return True


def _quiet_prefect_logs() -> None:
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


def _check_feeds(path: Path) -> None:
    """Validate the feeds file before Prefect starts; its warnings (unknown keys) go to stderr."""
    from tasks.ingest.feeds import check_feeds_file

    _, warnings = check_feeds_file(path)
    for warning in warnings:
        print(f"capex: warning: {warning}", file=sys.stderr)


def _start_prefect() -> None:
    """Prepare Prefect's environment; a configured PREFECT_API_URL must answer before a flow starts."""
    settings.prepare_prefect_env()
    settings.check_prefect_api()


def _require_db(db_path: Path) -> None:
    """Read commands never create a database: a path with none is a usage error."""
    if not db_path.is_file():
        raise ConfigError(f"no database at {db_path}")


# ---------------------------------------------------------------- poll / demo


@app.command()
def poll(
    feeds: FeedsOpt = None,
    db: DbOpt = None,
    force: Annotated[bool, typer.Option("--force", help="poll every active feed, due or not")] = False,
) -> None:
    """One poll cycle over the feeds that are due (what the schedule runs)."""
    feeds_path, db_path = settings.resolve_feeds(feeds), settings.resolve_db(db)
    _check_feeds(feeds_path)
    settings.check_db_location(db_path)
    _start_prefect()
    from flows.poll_feeds import poll_feeds

    with _progress_display("poll"):
        summary = _run_flow(poll_feeds, feeds=str(feeds_path), db=str(db_path), force=force)
    _print_summary("poll", summary, db_path)


# Seconds between two plain progress lines when stderr is not a terminal (a log file, a pipe).
PLAIN_PROGRESS_EVERY_S = 10.0


@contextmanager
def _progress_display(label: str) -> Iterator[None]:
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


def _print_summary(what: str, summary: dict[str, Any], db_path: Path) -> None:
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


@app.command()
def demo(db: DbOpt = None) -> None:
    """Serve the bundled sample on 127.0.0.1, poll it, and print what was found."""
    db_path = Path(db) if db else Path("data/demo.duckdb")
    settings.check_db_location(db_path)
    _start_prefect()
    import tempfile

    from flows.poll_feeds import poll_feeds
    from tasks.demo import DEMO_PORT, demo_feeds_toml, serve_directory

    with serve_directory(port=DEMO_PORT) as base, tempfile.TemporaryDirectory() as tmp:
        feeds_path = Path(tmp) / "demo-feeds.toml"
        feeds_path.write_text(demo_feeds_toml(base), encoding="utf-8")
        summary = _run_flow(poll_feeds, feeds=str(feeds_path), db=str(db_path), force=True)
    _print_summary("demo poll", summary, db_path)
    _print_demo_tables(db_path)


DEMO_QUERIES = (
    "select title, source, n_facts from capex_stories order by published_at desc",
    "select companies, period, amount_usd, n_sources from capex_facts order by amount_usd desc nulls last",
    "select * from capex_trend_monthly order by month",
)


def _print_demo_tables(db_path: Path) -> None:
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


# ---------------------------------------------------------------- backfill / serve / report


@app.command()
def backfill(
    feeds: FeedsOpt = None,
    db: DbOpt = None,
    since: Annotated[str | None, typer.Option("--since", help="oldest publication date, YYYY-MM-DD")] = None,
    until: Annotated[str | None, typer.Option("--until", help="newest publication date, YYYY-MM-DD")] = None,
    urls: Annotated[str | None, typer.Option("--urls",
                                             help="file of URLs (one per line, or CSV url,published)")] = None,
    sitemap: Annotated[str | None, typer.Option("--sitemap", help="a sitemap or sitemap index URL")] = None,
    reprocess: Annotated[bool, typer.Option("--reprocess", help="re-run extraction over stored raw HTML")] = False,
) -> None:
    """Ad-hoc backfill: feed archives, a URL list, a sitemap, or reprocessing stored articles."""
    feeds_path, db_path = settings.resolve_feeds(feeds), settings.resolve_db(db)
    _check_backfill_options(feeds_path, since, until, urls, sitemap, reprocess)
    settings.check_db_location(db_path)
    _start_prefect()
    from flows.backfill import run_backfill_cli

    with _progress_display("backfill"):
        summary = _run_flow(run_backfill_cli, feeds=str(feeds_path), db=str(db_path), since=since, until=until,
                            urls=urls, sitemap=sitemap, reprocess=reprocess)
    _print_summary("backfill", summary, db_path)


def _check_backfill_options(feeds_path: Path, since: str | None, until: str | None, urls: str | None,
                            sitemap: str | None, reprocess: bool) -> None:
    """Everything a backfill can get wrong before Prefect starts: one source, a readable one, a valid window."""
    from tasks.ingest.backfill import parse_window

    given = [name for name, value in (("--urls", urls), ("--sitemap", sitemap), ("--reprocess", reprocess)) if value]
    if len(given) > 1:
        raise ConfigError(f"{' and '.join(given)}: cannot be used together (give one source)")
    parse_window(since, until)
    if urls is not None:
        settings.check_readable_file(urls, "--urls")
    elif sitemap is not None:
        settings.check_http_url(sitemap, "--sitemap")
    elif not reprocess:
        _check_feeds(feeds_path)


@app.command()
def serve(feeds: FeedsOpt = None, db: DbOpt = None) -> None:
    """Serve the poll-feeds (scheduled) and backfill deployments from this process, without a work pool."""
    feeds_path, db_path = settings.resolve_feeds(feeds), settings.resolve_db(db)
    _check_feeds(feeds_path)
    _start_prefect()
    import asyncio

    from prefect.server.schemas.schedules import CronSchedule  # the server's own reading of the cron

    from flows.serve import POLL_CRON, serve_deployments

    next_run = asyncio.run(CronSchedule(cron=POLL_CRON, timezone="UTC").get_dates(n=1))[0]
    print(f"capex serve: feeds file {feeds_path.resolve()}\n"
          f"  database     {db_path.resolve()}\n"
          f"  deployments  poll-feeds (cron {POLL_CRON!r} UTC), backfill (on demand)\n"
          f"  next poll    {next_run:%Y-%m-%d %H:%M} UTC\n"
          "  stop with Ctrl-C", file=sys.stderr, flush=True)
    serve_deployments(feeds=str(feeds_path), db=str(db_path))


@app.command()
def report(
    db: DbOpt = None,
    out: Annotated[str, typer.Option("--out", help="output folder for report.html and PNG charts")] = "report",
) -> None:
    """Write the trend report (self-contained HTML with charts, PNGs) and print a terminal summary."""
    db_path = settings.resolve_db(db)
    _require_db(db_path)
    from tasks.report import print_terminal_summary, write_report

    written = write_report(db_path, Path(out))
    print_terminal_summary(db_path)
    for path in written:
        print(path)


# ---------------------------------------------------------------- extract


@app.command()
def extract(
    sources: Annotated[list[str], typer.Argument(help="HTML files, text files (--text), URLs, or - for stdin")],
    json_out: Annotated[bool, typer.Option("--json", help="JSON Lines output")] = False,
    text: Annotated[bool, typer.Option("--text", help="sources are plain text, not HTML")] = False,
    published: Annotated[str | None, typer.Option("--published", help="publication date YYYY-MM-DD")] = None,
) -> None:
    """Classify articles and extract their AI-capex facts (one result per source, in order); exit 1 if any failed."""
    from tasks.ingest.sources import analyse_source

    try:
        published_date = date.fromisoformat(published) if published else None
    except ValueError:
        raise ConfigError(f"--published {published!r}: not a date (YYYY-MM-DD)") from None
    failed = 0
    for source in sources:
        result = analyse_source(source, as_text=text, published=published_date)
        if "error" in result:
            failed += 1
            print(f"capex: {source}: {result['error']}", file=sys.stderr, flush=True)
        if json_out:
            print(json.dumps(result, ensure_ascii=False, default=str), flush=True)
        elif "error" not in result:
            _print_extract_human(result)
    if failed:
        raise typer.Exit(1)


def _print_extract_human(result: dict[str, Any]) -> None:
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


# ---------------------------------------------------------------- sql


@app.command()
def sql(
    query: Annotated[str, typer.Argument(help="a read-only SQL query")],
    db: DbOpt = None,
    fmt: Annotated[str, typer.Option("--format", help="table, csv or json")] = "table",
    allow_write_files: Annotated[bool, typer.Option(
        "--allow-write-files", help="allow statements that write files (COPY ... TO, EXPORT, ATTACH)")] = False,
) -> None:
    """Run a read-only query against the database (amounts formatted in tables, exact in csv and json)."""
    if fmt not in ("table", "csv", "json"):
        raise ConfigError(f"--format {fmt}: must be table, csv or json")
    _check_query(query, allow_write_files)
    db_path = settings.resolve_db(db)
    _require_db(db_path)
    from tasks import store
    from tasks.report import print_rows

    columns, rows = store.query(db_path, query)
    print_rows(columns, rows, fmt)


# Statement types that write files even on a read-only database (DuckDB's parser names them).
_FILE_WRITING = {"COPY": "COPY", "COPY_DATABASE": "COPY FROM DATABASE", "EXPORT": "EXPORT DATABASE",
                 "ATTACH": "ATTACH (creates a database file)", "LOAD": "INSTALL/LOAD (writes extension files)",
                 "CREATE PERSISTENT SECRET": "CREATE PERSISTENT SECRET"}
_PREPARED = re.compile(r"^\s*prepare\s+\S+\s+as\s+(.*)$", re.IGNORECASE | re.DOTALL)  # "prepare p as copy ..."
# "create persistent secret s (...)": stored in a file under ~/.duckdb
_PERSISTENT_SECRET = re.compile(r"^\s*create\s+(or\s+replace\s+)?persistent\s+secret\b", re.IGNORECASE)


def _check_query(query: str, allow_write_files: bool) -> None:
    """An empty query is a usage error; statements that write files need --allow-write-files."""
    import duckdb

    if not query.strip():
        raise ConfigError('QUERY: empty; give a SQL query, e.g. capex sql "select * from capex_stories"')
    try:
        statements = duckdb.extract_statements(query)
    except duckdb.Error:
        return  # not valid SQL: running it reports DuckDB's own error
    if not statements:
        raise ConfigError("QUERY: no SQL statement in it (only comments or semicolons)")
    if allow_write_files:
        return
    for statement in statements:
        kind = statement.type.name
        prepared = _PREPARED.match(statement.query) if kind == "PREPARE" else None
        if prepared:
            _check_query(prepared.group(1), allow_write_files)
        if kind == "CREATE" and _PERSISTENT_SECRET.match(statement.query):
            kind = "CREATE PERSISTENT SECRET"
        if kind in _FILE_WRITING:
            raise ConfigError(f"QUERY: {_FILE_WRITING[kind]} writes files; capex sql is read-only "
                              "(add --allow-write-files to run it)")


# ---------------------------------------------------------------- doctor


@app.command()
def doctor(
    db: DbOpt = None,
    repair: Annotated[bool, typer.Option("--repair", help="compact packs with unreferenced or torn regions")] = False,
) -> None:
    """Check every stored raw-HTML reference against its pack; exit 1 when anything is wrong (after --repair)."""
    from tasks.store import doctor as checkup

    db_path = settings.resolve_db(db)
    _require_db(db_path)
    report = checkup.repair(db_path) if repair else checkup.check(db_path)
    for action in report.repaired:
        print(f"repaired: {action}")
    for problem in report.problems:
        print(checkup.describe(problem))
    print(checkup.summary(report))
    if report.problems:
        raise typer.Exit(1)


def main() -> None:
    """Entry point of the `capex` console script: every failure is one line on stderr, unless --debug."""
    try:
        app()
    except KeyboardInterrupt:
        print("capex: interrupted", file=sys.stderr)
        sys.exit(130)
    except Exception as exc:  # noqa: BLE001 -- the one place turning any failure into one line and a status
        if settings.debug_enabled():
            import traceback

            traceback.print_exc()
        print(f"capex: {_one_line(exc)}", file=sys.stderr)
        sys.exit(exit_code_for(exc))


if __name__ == "__main__":
    main()
