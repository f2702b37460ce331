"""The `capex` command line.

Commands that need no flow (`extract`, `sql`) never import Prefect, so they start fast.
Exit status: 0 when the run completed (also when some feeds or pages failed), 1 when the run itself
failed, 2 for a usage or configuration error.
"""

from __future__ import annotations

import json
import logging
import sys
from datetime import date
from pathlib import Path
from typing import Annotated, Any

import typer

from tasks import settings
from tasks.errors import CapexError, ConfigError

app = typer.Typer(add_completion=False, no_args_is_help=True, help="AI capex news monitor.")


@app.callback()
def _options(
    debug: Annotated[bool, typer.Option("--debug", help="show tracebacks (also CAPEX_DEBUG=1)")] = False,
) -> None:
    """AI capex news monitor."""
    if debug:
        settings.enable_debug()

DbOpt = Annotated[str | None, typer.Option("--db", help="DuckDB file (else $CAPEX_DB, else data/capex.duckdb)")]
FeedsOpt = Annotated[str | None, typer.Option("--feeds", help="feeds TOML (else $CAPEX_FEEDS, else feeds.toml)")]


def _fail(message: str, code: int) -> typer.Exit:
    print(f"capex: {message}", file=sys.stderr)
    return typer.Exit(code)


def _run_flow(fn: Any, **params: Any) -> dict[str, Any]:
    """Run a flow function, mapping configuration errors to exit 2 and failures to exit 1.

    Without --debug (or CAPEX_DEBUG=1), Prefect's own log records lose their tracebacks: a run
    that fails says why in one line, and a failed batch (queued for retry) in one warning line.
    """
    if not settings.debug_enabled():
        _one_line_prefect_logs()
    try:
        result: dict[str, Any] = fn(**params)
    except ConfigError as exc:
        raise _fail(str(exc), 2) from None
    except CapexError as exc:
        raise _fail(str(exc), 1) from None
    return result


class _OneLine(logging.Filter):
    """Keep a log record's first line only, without its traceback."""

    def filter(self, record: logging.LogRecord) -> bool:
        lines = record.getMessage().splitlines()
        record.msg, record.args = (lines[0] if lines else ""), ()
        record.exc_info, record.exc_text, record.stack_info = None, None, None
        return True


def _one_line_prefect_logs() -> None:
    import prefect.logging  # noqa: F401 -- configures Prefect's handlers, which get the filter

    for name in ("prefect", "prefect.flow_runs", "prefect.task_runs"):
        for handler in logging.getLogger(name).handlers:
            handler.addFilter(_OneLine())


def _check_feeds(path: Path) -> None:
    from tasks.feeds import load_feeds_file

    try:
        load_feeds_file(path)
    except ConfigError as exc:
        raise _fail(str(exc), 2) from None


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
    settings.prepare_prefect_env()
    from flows.poll_feeds import poll_feeds

    summary = _run_flow(poll_feeds, feeds=str(feeds_path), db=str(db_path), force=force)
    _print_summary(summary, db_path)


def _print_summary(summary: dict[str, Any], db_path: Path) -> None:
    from rich.console import Console
    from rich.table import Table

    table = Table(title=f"run summary ({db_path})")
    table.add_column("metric")
    table.add_column("value", justify="right")
    for key, value in summary.items():
        if key not in ("failures", "run_id"):
            table.add_row(key.replace("_", " "), str(value))
    Console(stderr=True).print(table)
    for failure in summary.get("failures", [])[:20]:
        print(f"  failed: {failure}", file=sys.stderr)


@app.command()
def demo(db: DbOpt = None) -> None:
    """Serve the bundled sample on 127.0.0.1, poll it, and print what was found."""
    settings.prepare_prefect_env()
    import tempfile

    from flows.poll_feeds import poll_feeds
    from tasks.demo import DEMO_PORT, demo_feeds_toml, serve_directory

    db_path = Path(db) if db else Path("data/demo.duckdb")
    try:
        with serve_directory(port=DEMO_PORT) as base, tempfile.TemporaryDirectory() as tmp:
            feeds_path = Path(tmp) / "demo-feeds.toml"
            feeds_path.write_text(demo_feeds_toml(base), encoding="utf-8")
            summary = _run_flow(poll_feeds, feeds=str(feeds_path), db=str(db_path), force=True)
    except CapexError as exc:
        raise _fail(str(exc), 1) from None
    _print_summary(summary, db_path)
    _print_demo_tables(db_path)


DEMO_QUERIES = (
    "select title, source, n_facts from capex_stories order by published_at desc",
    "select companies, period, amount_usd, n_sources from capex_facts order by amount_usd desc nulls last",
    "select * from capex_trend_monthly order by month",
)


def _print_demo_tables(db_path: Path) -> None:
    from rich.console import Console
    from rich.table import Table

    from tasks import store

    console = Console()
    queries = {
        "AI-capex stories": "select title, source, score, n_facts from capex_stories order by published_at desc",
        "facts": "select array_to_string(companies, ', ') as companies, period, kind, status, currency, amount, "
                 "amount_low, amount_high, round(amount_usd / 1e9, 2) as usd_bn from int_current_facts "
                 "order by amount_usd desc nulls last",
    }
    for title, sql in queries.items():
        columns, rows = store.query(db_path, sql)
        table = Table(title=f"{title} ({len(rows)})")
        for c in columns:
            table.add_column(c)
        for row in rows[:40]:
            table.add_row(*["" if v is None else str(v) for v in row])
        console.print(table)
    console.print(f"\nDatabase: [bold]{db_path}[/bold]  (open it with: duckdb {db_path})")
    console.print("Example queries:")
    for sql in DEMO_QUERIES:
        console.print(f"  capex sql --db {db_path} \"{sql}\"")


# ---------------------------------------------------------------- backfill / serve / report


@app.command()
def backfill(
    feeds: FeedsOpt = None,
    db: DbOpt = None,
    since: Annotated[str | None, typer.Option("--since", help="oldest publication date, YYYY-MM-DD")] = None,
    until: Annotated[str | None, typer.Option("--until", help="newest publication date, YYYY-MM-DD")] = None,
    urls: Annotated[str | None, typer.Option("--urls", help="file of URLs (one per line, or CSV url,published)")] = None,
    sitemap: Annotated[str | None, typer.Option("--sitemap", help="a sitemap or sitemap index URL")] = None,
    reprocess: Annotated[bool, typer.Option("--reprocess", help="re-run extraction over stored raw HTML")] = False,
) -> None:
    """Ad-hoc backfill: feed archives, a URL list, a sitemap, or reprocessing stored articles."""
    settings.prepare_prefect_env()
    from flows.backfill import run_backfill_cli

    try:
        summary = run_backfill_cli(
            feeds=str(settings.resolve_feeds(feeds)), db=str(settings.resolve_db(db)), since=since, until=until,
            urls=urls, sitemap=sitemap, reprocess=reprocess,
        )
    except ConfigError as exc:
        raise _fail(str(exc), 2) from None
    except CapexError as exc:
        raise _fail(str(exc), 1) from None
    _print_summary(summary, settings.resolve_db(db))


@app.command()
def serve(feeds: FeedsOpt = None, db: DbOpt = None) -> None:
    """Serve the poll-feeds (scheduled) and backfill deployments from this process, without a work pool."""
    feeds_path, db_path = settings.resolve_feeds(feeds), settings.resolve_db(db)
    _check_feeds(feeds_path)
    settings.prepare_prefect_env()
    from flows.serve import serve_deployments

    serve_deployments(feeds=str(feeds_path), db=str(db_path))


@app.command()
def report(
    db: DbOpt = None,
    out: Annotated[str, typer.Option("--out", help="output folder for report.html and PNG charts")] = "report",
) -> None:
    """Write the trend report (self-contained HTML with charts, PNGs) and print a terminal summary."""
    from tasks.report import print_terminal_summary, write_report

    db_path = settings.resolve_db(db)
    try:
        written = write_report(db_path, Path(out))
    except CapexError as exc:
        raise _fail(str(exc), 1) from None
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
    """Classify articles and extract their AI-capex facts (one result per source, in order)."""
    from tasks.extract_one import analyse_source

    try:
        published_date = date.fromisoformat(published) if published else None
    except ValueError:
        raise _fail(f"--published {published!r} is not a date (YYYY-MM-DD)", 2) from None
    for source in sources:
        result = analyse_source(source, as_text=text, published=published_date)
        if json_out:
            print(json.dumps(result, ensure_ascii=False, default=str), flush=True)
        else:
            _print_extract_human(result)


def _print_extract_human(result: dict[str, Any]) -> None:
    if "error" in result:
        print(f"{result['source']}: error: {result['error']}")
        return
    print(f"{result['source']}: {'AI capex' if result['is_capex'] else 'not AI capex'} "
          f"(score {result['score']}) {result.get('title') or ''}")
    for fact in result["facts"]:
        amount = fact["amount"] if fact["amount"] is not None else f"{fact['amount_low']}-{fact['amount_high']}"
        print(f"  {', '.join(fact['companies']) or '?'}: {amount} {fact['currency']} "
              f"(USD {fact['amount_usd']}) {fact['period']} {fact['kind']}/{fact['status']}")
        print(f"    \"{fact['evidence']}\"")


# ---------------------------------------------------------------- sql


@app.command()
def sql(
    query: Annotated[str, typer.Argument(help="a read-only SQL query")],
    db: DbOpt = None,
    fmt: Annotated[str, typer.Option("--format", help="table, csv or json")] = "table",
) -> None:
    """Run a read-only query against the database."""
    from tasks import store

    if fmt not in ("table", "csv", "json"):
        raise _fail(f"--format must be table, csv or json, not {fmt!r}", 2)
    db_path = settings.resolve_db(db)
    try:
        columns, rows = store.query(db_path, query)
    except CapexError as exc:
        raise _fail(str(exc), 1) from None
    _print_rows(columns, rows, fmt)


def _print_rows(columns: list[str], rows: list[tuple[Any, ...]], fmt: str) -> None:
    if fmt == "csv":
        import csv

        writer = csv.writer(sys.stdout)
        writer.writerow(columns)
        writer.writerows(rows)
    elif fmt == "json":
        for row in rows:
            print(json.dumps(dict(zip(columns, row)), default=str, ensure_ascii=False))
    else:
        from rich.console import Console
        from rich.table import Table

        table = Table()
        for c in columns:
            table.add_column(c)
        for row in rows:
            table.add_row(*["" if v is None else str(v) for v in row])
        Console().print(table)


# ---------------------------------------------------------------- doctor


@app.command()
def doctor(
    db: DbOpt = None,
    repair: Annotated[bool, typer.Option("--repair", help="compact packs with unreferenced or torn regions")] = False,
) -> None:
    """Check every stored raw-HTML reference against its pack; exit 1 when anything is wrong (after --repair)."""
    from tasks import doctor as checkup

    db_path = settings.resolve_db(db)
    if not db_path.is_file():
        raise _fail(f"no database at {db_path}", 2)
    try:
        report = checkup.repair(db_path) if repair else checkup.check(db_path)
    except CapexError as exc:
        raise _fail(str(exc), 1) from None
    for action in report.repaired:
        print(f"repaired: {action}")
    for problem in report.problems:
        print(checkup.describe(problem))
    print(checkup.summary(report))
    if report.problems:
        raise typer.Exit(1)


def main() -> None:
    """Entry point of the `capex` console script."""
    try:
        app()
    except ConfigError as exc:
        print(f"capex: {exc}", file=sys.stderr)
        sys.exit(2)


if __name__ == "__main__":
    main()
