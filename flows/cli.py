"""The `capex` command line.

Commands that need no flow (`extract`, `sql`) never import Prefect, so they start fast. Options and
files are checked before Prefect starts. Every failure reaches main(), which prints it as one line
(`capex: <what>: <problem>`, the traceback too with --debug) and exits with exit_code_for(): 0 when
the run completed (also when some feeds or pages failed), 1 when the run itself failed, 2 for a
usage or configuration error.
"""

from __future__ import annotations

import json
import sys
from datetime import date
from pathlib import Path
from typing import Annotated, Any

import typer

from flows.console import print_demo_tables, print_extract_human, print_summary, progress_display, quiet_prefect_logs
from tasks import settings
from tasks.errors import CapexError, ConfigError
from tasks.store.guard import check_query

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


DbOpt = Annotated[str | None, typer.Option(
    "--db", help="DuckDB file or lake ducklake:postgres:... (else $CAPEX_DB, else data/capex.duckdb)")]


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
    quiet_prefect_logs()
    result: dict[str, Any] = fn(**params)
    return result


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
    """Read commands never create a database: a path with none (a catalog without capex's tables) is a
    usage error."""
    from tasks.store import lake

    if lake.is_lake(db_path):
        lake.check_target(db_path, must_exist=True)
    elif not db_path.is_file():
        raise ConfigError(f"no database at {db_path}")


def _check_db(db_path: Path) -> None:
    """A database a run will write: a file that can be created there, or a lake whose catalog answers and
    whose data path exists (checked before any work)."""
    from tasks.store import lake

    settings.check_db_location(db_path)
    if lake.is_lake(db_path):
        lake.check_target(db_path)


@app.command()
def poll(
    feeds: FeedsOpt = None,
    db: DbOpt = None,
    force: Annotated[bool, typer.Option("--force", help="poll every active feed, due or not")] = False,
    shard: Annotated[str | None, typer.Option(
        "--shard", help="K/N: only the feeds whose host hashes to shard K of N, from 0 (else $CAPEX_SHARD)")] = None,
) -> None:
    """One poll cycle over the feeds that are due (what the schedule runs)."""
    from tasks.ingest.shard import parse_shard

    feeds_path, db_path = settings.resolve_feeds(feeds), settings.resolve_db(db)
    option = "--shard" if shard else "CAPEX_SHARD"
    shard = settings.resolve_shard(shard)
    parse_shard(shard, option)
    _check_feeds(feeds_path)
    _check_db(db_path)
    _start_prefect()
    from flows.poll_feeds import poll_feeds

    with progress_display("poll"):
        summary = _run_flow(poll_feeds, feeds=str(feeds_path), db=str(db_path), force=force, shard=shard)
    print_summary("poll", summary, db_path)


@app.command()
def demo(db: DbOpt = None) -> None:
    """Serve the bundled sample on 127.0.0.1, poll it, and print what was found."""
    db_path = Path(db) if db else Path("data/demo.duckdb")
    _check_db(db_path)
    _start_prefect()
    import tempfile

    from flows.poll_feeds import poll_feeds
    from tasks.demo import DEMO_PORT, demo_feeds_toml, serve_directory

    with serve_directory(port=DEMO_PORT) as base, tempfile.TemporaryDirectory() as tmp:
        feeds_path = Path(tmp) / "demo-feeds.toml"
        feeds_path.write_text(demo_feeds_toml(base), encoding="utf-8")
        summary = _run_flow(poll_feeds, feeds=str(feeds_path), db=str(db_path), force=True)
    print_summary("demo poll", summary, db_path)
    print_demo_tables(db_path)


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
    dask: Annotated[str | None, typer.Option(
        "--dask", help="run the page batches on the Dask scheduler at tcp://HOST:PORT (else $CAPEX_DASK_ADDRESS)")
    ] = None,
) -> None:
    """Ad-hoc backfill: feed archives, a URL list, a sitemap, or reprocessing stored articles."""
    feeds_path, db_path = settings.resolve_feeds(feeds), settings.resolve_db(db)
    dask_address = settings.resolve_dask_address(dask)
    _check_backfill_options(feeds_path, since, until, urls, sitemap, reprocess)
    _check_db(db_path)
    if dask_address:
        _check_cluster(dask_address)
    _start_prefect()
    from flows.backfill import run_backfill_cli

    # Dask workers run in their own working directory: a relative database path would name another file there
    db_text = settings.db_for_workers(db_path) if dask_address else str(db_path)
    with progress_display("backfill"):
        summary = _run_flow(run_backfill_cli, feeds=str(feeds_path), db=db_text, since=since, until=until,
                            urls=urls, sitemap=sitemap, reprocess=reprocess, dask=dask_address)
    print_summary("backfill", summary, db_path)


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


def _check_cluster(address: str) -> None:
    """A reachable Dask scheduler with workers able to run the extraction processes, before Prefect starts."""
    from tasks.ingest.cluster import check_cluster

    settings.check_dask_address(address)  # a second at most: an unreachable address is one line, at once
    info = check_cluster(address)
    print(f"backfill: page batches on the Dask cluster at {address} ({info.n_workers} workers, "
          f"{info.n_threads} threads)", file=sys.stderr, flush=True)


@app.command()
def serve(feeds: FeedsOpt = None, db: DbOpt = None) -> None:
    """Serve the poll-feeds (scheduled) and backfill deployments from this process, without a work pool."""
    feeds_path, db_path = settings.resolve_feeds(feeds), settings.resolve_db(db)
    _check_feeds(feeds_path)
    _check_db(db_path)
    _start_prefect()
    import asyncio

    from prefect.server.schemas.schedules import CronSchedule  # the server's own reading of the cron

    from flows.serve import POLL_CRON, serve_deployments

    next_run = asyncio.run(CronSchedule(cron=POLL_CRON, timezone="UTC").get_dates(n=1))[0]
    print(f"capex serve: feeds file {feeds_path.resolve()}\n"
          f"  database     {db_path if str(db_path).startswith('ducklake:') else db_path.resolve()}\n"
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
            print_extract_human(result)
    if failed:
        raise typer.Exit(1)


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
    check_query(query, allow_write_files)
    db_path = settings.resolve_db(db)
    _require_db(db_path)
    from tasks import store
    from tasks.report import print_rows

    columns, rows = store.query(db_path, query)
    print_rows(columns, rows, fmt)


@app.command()
def doctor(
    db: DbOpt = None,
    repair: Annotated[bool, typer.Option("--repair", help="compact packs with unreferenced or torn regions")] = False,
) -> None:
    """Check every stored raw-HTML reference against its pack; exit 1 when anything is wrong (after --repair)."""
    from tasks.store import doctor as checkup
    from tasks.store.repair import repair as repair_packs

    db_path = settings.resolve_db(db)
    _require_db(db_path)
    report = repair_packs(db_path) if repair else checkup.check(db_path)
    for action in report.repaired:
        print(f"repaired: {action}")
    for problem in report.problems:
        print(checkup.describe(problem))
    print(checkup.summary(report))
    if report.problems:
        raise typer.Exit(1)


@app.command()
def migrate(
    to: Annotated[str, typer.Option("--to", help="the target database, usually a lake: ducklake:postgres:...")],
    db: DbOpt = None,
) -> None:
    """Copy the whole history of --db (feeds, polls, articles, raw HTML, facts, queue, backfills) into --to,
    idempotently (run it again to resume), and check that every row arrived."""
    from rich.progress import Progress

    from tasks.store import transfer

    db_path, target = settings.resolve_db(db), Path(to)
    _require_db(db_path)
    _check_db(target)
    with Progress(transient=True) as bar:
        tasks_by_table: dict[str, Any] = {}

        def show(table: str, done: int, total: int) -> None:
            if table not in tasks_by_table:
                tasks_by_table[table] = bar.add_task(table, total=total or 1)
            bar.update(tasks_by_table[table], completed=done if total else 1)

        result = transfer.copy_history(db_path, to, show)
    for table, n in result.source.items():
        missing = result.missing[table]
        print(f"{table:15} {n:>9,} rows in {db_path}, {result.target[table]:>9,} in the target"
              + (f", {missing:,} MISSING" if missing else ""))
    if not result.ok:
        raise typer.Exit(1)
    print(f"capex migrate: every row of {db_path} is in {to}")


@app.command()
def maintain(
    db: DbOpt = None,
    keep_days: Annotated[int, typer.Option("--keep-days", help="snapshots kept for time travel")] = 7,
) -> None:
    """A lake's upkeep: flush inlined rows to Parquet, merge small files, expire old snapshots, delete unused
    files (a DuckDB file: a checkpoint). The maintain-lake deployment runs it daily."""
    from tasks.store.transfer import maintain as upkeep

    db_path = settings.resolve_db(db)
    _require_db(db_path)
    for step in upkeep(db_path, keep_days).steps:
        print(step)


@app.command(name="lake-sql")
def lake_sql(db: DbOpt = None) -> None:
    """Print the SQL that attaches the lake read-only in the `duckdb` CLI (offline, from this installation's
    extension files): `duckdb -init <(capex lake-sql)` then query lake.capex_facts."""
    from tasks.store import lake

    db_path = settings.resolve_db(db)
    if not lake.is_lake(db_path):
        raise ConfigError(f"--db {db_path}: not a lake (a DuckDB file opens with: duckdb -readonly {db_path})")
    _require_db(db_path)
    print("\n".join(lake.attach_statements(db_path)))


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
