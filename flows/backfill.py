"""The `backfill` flow: feed archives, an explicit URL list, a sitemap, or reprocessing stored articles."""

from __future__ import annotations

import uuid
from collections import deque
from pathlib import Path
from typing import Any, cast

from prefect import flow, get_run_logger
from prefect.artifacts import create_markdown_artifact, create_progress_artifact, update_progress_artifact
from prefect.context import FlowRunContext
from prefect.runtime import flow_run
from prefect.task_runners import ThreadPoolTaskRunner

from tasks import progress, store
from tasks.errors import CapexError, ConfigError
from tasks.extract.extractor import get_extractor
from tasks.ingest.backfill import (
    Discovery,
    ReprocessResult,
    Window,
    backfill_id,
    discover_feeds_task,
    discover_sitemap_task,
    parse_window,
    read_url_file,
    reprocess_batch_task,
)
from tasks.ingest.cluster import dask_batch_size, dask_in_flight
from tasks.ingest.feeds import load_feeds_file
from tasks.ingest.poll import (
    BATCH_SIZE,
    BatchResult,
    guarded_run,
    ingest_batch_task,
    policy_batches,
    queued_pages,
    summary_markdown,
)
from tasks.ingest.pool import start_workers_early
from tasks.models import PageJob

# Batches in flight: one fetching while another is extracted keeps both the network and the cores busy.
BATCHES_IN_FLIGHT = 2
# Stored articles per reprocess batch (one transaction each).
REPROCESS_BATCH = 100


# the ignore: Prefect types flow(task_runner=) as TaskRunner[PrefectFuture], invariant in the future type
@flow(name="backfill", task_runner=ThreadPoolTaskRunner(max_workers=BATCHES_IN_FLIGHT + 1))  # type: ignore[arg-type]
def backfill(
    since: str | None = None,
    until: str | None = None,
    feeds: str | None = "feeds.toml",
    urls: str | None = None,
    sitemap: str | None = None,
    reprocess: bool = False,
    db: str = "data/capex.duckdb",
    extractor: str = "rules",
) -> dict[str, Any]:
    """Backfill older articles, or reprocess stored ones, resuming an interrupted run of the same parameters.

    Args:
        since: oldest publication date to include (YYYY-MM-DD), or None.
        until: newest publication date to include (YYYY-MM-DD, inclusive), or None.
        feeds: feeds file whose feeds' archives are walked (when neither urls, sitemap nor reprocess is given).
        urls: a file of URLs (one per line, or CSV with url and optional published).
        sitemap: a sitemap or sitemap index URL.
        reprocess: re-run classification and extraction over stored raw HTML, without network access.
        db: the DuckDB database.
        extractor: name of the fact extractor.

    Returns:
        The run summary.
    """
    window = parse_window(since, until)
    run_id = str(flow_run.get_id() or uuid.uuid4())
    progress.reset("backfill")
    store.start_run(db, run_id, "backfill")
    with guarded_run(db, run_id):
        if reprocess:
            summary = _reprocess(db, window, extractor)
        else:
            summary = _fetching_backfill(db, window, feeds, urls, sitemap, extractor, since, until)
    summary["run_id"] = run_id
    failed = summary.get("batches_failed", 0) or summary.get("articles_failed", 0)
    store.finish_run(db, run_id, "completed_with_errors" if failed else "completed", summary)
    create_markdown_artifact(summary_markdown(summary, summary.get("failures", [])), key="backfill-summary",
                             description="capex-monitor backfill summary")
    return summary


def _fetching_backfill(
    db: str, window: Any, feeds: str | None, urls: str | None, sitemap: str | None, extractor: str,
    since: str | None, until: str | None,
) -> dict[str, Any]:
    logger = get_run_logger()
    allow_private = False
    params: dict[str, Any]
    if urls:
        source, params = "urls", {"urls": str(Path(urls).resolve()), "since": since, "until": until}
    elif sitemap:
        source, params = "sitemap", {"sitemap": sitemap, "since": since, "until": until}
    else:
        if not feeds:
            raise ConfigError("backfill needs a feeds file, --urls, --sitemap or --reprocess")
        config = load_feeds_file(Path(feeds))
        allow_private = config.allow_private_networks
        source = "feeds"
        params = {"feeds": sorted(f.url for f in config.feeds), "since": since, "until": until}
    bid = backfill_id(source, params)
    # a backfill interrupted, or ended with failed batches, resumes from its pending URLs
    resumed = store.backfill_state(db, bid) in ("running", "completed_with_errors")
    errors: list[str] = []
    try:
        if not resumed:
            store.start_backfill(db, bid, source, params)
            errors = _discover(db, bid, source, params, window, urls, sitemap, allow_private)
        pending = store.pending_backfill(db, bid)
        logger.info("backfill %s (%s): %s, %d URLs to ingest", bid, source, "resumed" if resumed else "new",
                    len(pending))
        totals = _ingest_queue(db, bid, pending, allow_private, extractor, window)
    except BaseException as exc:
        store.fail_backfill(db, bid, exc)  # never left 'discovering' or 'running' by a failed run
        raise
    store.finish_backfill(db, bid, "completed_with_errors" if totals["batches_failed"] else "completed")
    return {"backfill_id": bid, "source": source, "resumed": resumed, "urls_pending_at_start": len(pending),
            **totals, "failures": errors + totals.pop("failures")}


def _discover(db: str, bid: str, source: str, params: dict[str, Any], window: Any, urls: str | None,
              sitemap: str | None, allow_private: bool) -> list[str]:
    """Discover the backfill's URLs into its queue; returns the discovery errors."""
    found: Discovery
    if source == "urls":
        found = read_url_file(Path(str(urls)), window)
    elif source == "sitemap":
        found = discover_sitemap_task(str(sitemap), window, allow_private)
    else:
        found = discover_feeds_task(params["feeds"], window, allow_private)
    store.enqueue_backfill(db, bid, list(found.urls.values()), found.errors)
    return found.errors


def _ingest_queue(db: str, bid: str, pending: list[store.QueuedURL], allow_private: bool,
                  extractor: str, window: Window) -> dict[str, Any]:
    # queued pages are fetched again here (the user asked for them); given-up ones are not
    known, _ = store.known_keys(db, [p.url for p in pending], [], include_queued=False)
    if known:
        store.mark_backfill_done(db, bid, sorted(known), 0, 0)
    todo = [p for p in pending if p.url not in known]
    total, done = len(pending), len(known)
    threads = _cluster_threads()
    # on a cluster: more batches at once, and larger ones when the list is long (few Dask tasks)
    size = dask_batch_size(len(todo), BATCH_SIZE) if threads else BATCH_SIZE
    most = dask_in_flight(threads) if threads else BATCHES_IN_FLIGHT
    totals: dict[str, Any] = {"new_articles": 0, "new_capex_stories": 0, "new_facts": 0, "pages_failed": 0,
                              "batches_failed": 0, "out_of_window": 0, "already_stored": len(known),
                              "failures": []}
    # sync_compatible: called from a sync flow it returns the id, not a coroutine
    artifact = cast(uuid.UUID, create_progress_artifact(progress=_pct(done, total), key="backfill-progress",
                                                   description="share of the backfill's URLs ingested"))
    in_flight: deque[tuple[list[store.QueuedURL], Any]] = deque()
    if todo and not threads:
        start_workers_early()  # the extraction workers warm up while the first pages download
    for batch in policy_batches(todo, size):
        first = batch[0]
        in_flight.append((batch, ingest_batch_task.submit(
            db, _jobs(batch), first.listing_url, allow_private, trust_all=first.is_trusted, extractor=extractor,
            backfill_id=bid, window=window)))
        if len(in_flight) >= most:
            done += _collect(db, bid, in_flight.popleft(), totals)
            update_progress_artifact(artifact, _pct(done, total))
            progress.report("backfill", done, total, totals["new_articles"], totals["pages_failed"])
    while in_flight:
        done += _collect(db, bid, in_flight.popleft(), totals)
        update_progress_artifact(artifact, _pct(done, total))
        progress.report("backfill", done, total, totals["new_articles"], totals["pages_failed"])
    return totals


def _collect(db: str, bid: str, entry: tuple[list[store.QueuedURL], Any], totals: dict[str, Any]) -> int:
    batch, future = entry
    urls = [q.url for q in batch]
    try:
        result: BatchResult = future.result()
    except Exception as exc:  # noqa: BLE001 -- a failed batch stays pending for a rerun and is queued for retry
        error = f"batch of {len(urls)} URLs failed: {exc}"
        totals["failures"].append(f"{error} (left pending, queued for retry)")
        totals["batches_failed"] += 1
        _queue_failed_batch(db, bid, batch, error)
        return 0
    store.mark_backfill_done(db, bid, urls, result.n_new, result.n_failed)
    totals["new_articles"] += result.n_new
    totals["new_capex_stories"] += result.n_capex
    totals["new_facts"] += result.n_facts
    totals["pages_failed"] += result.n_failed
    totals["out_of_window"] += result.n_out_of_window
    totals["failures"] += [f"page {f}" for f in result.failures]
    return len(urls)


def _queue_failed_batch(db: str, bid: str, batch: list[store.QueuedURL], error: str) -> None:
    """Queue a failed batch's pages so the next poll retries them too (best effort: they stay pending here)."""
    try:
        store.write_batch(db, [], failures=queued_pages(_jobs(batch), batch[0].listing_url, batch[0].is_trusted,
                                                        error, bid))
    except CapexError as exc:
        get_run_logger().warning("could not queue the failed batch for retry: %s", exc)


def _jobs(batch: list[store.QueuedURL]) -> list[PageJob]:
    """The page jobs of discovered URLs (no feed, GUID or title: the page gives its own)."""
    return [PageJob(url=q.url, guid=None, feed_id=None, published_at=q.published_at, title=None) for q in batch]


def _reprocess(db: str, window: Any, extractor: str) -> dict[str, Any]:
    logger = get_run_logger()
    version = get_extractor(extractor).version
    total = store.count_to_reprocess(db, version, window.since, window.until)
    logger.info("reprocessing %d stored articles to extractor %s", total, version)
    threads = _cluster_threads()
    size = dask_batch_size(total, REPROCESS_BATCH) if threads else REPROCESS_BATCH
    most = dask_in_flight(threads) if threads else BATCHES_IN_FLIGHT
    if total and not threads:
        start_workers_early()
    artifact = cast(uuid.UUID, create_progress_artifact(progress=_pct(0, total), key="reprocess-progress",
                                                   description="share of stored articles reprocessed"))
    totals: dict[str, Any] = {"source": "reprocess", "extractor_version": version, "articles_reprocessed": 0,
                              "capex_stories": 0, "facts": 0, "articles_failed": 0, "failures": []}
    done, after = 0, ""
    in_flight: deque[tuple[list[str], Any]] = deque()

    def next_ids() -> list[str]:
        # keyset paging over article ids: each read is cheap and never returns a failed article again
        return store.ids_to_reprocess(db, version, window.since, window.until, after, size)

    ids = next_ids()
    while ids or in_flight:
        # batches overlap: the worker pool extracts one while another is read or written
        while ids and len(in_flight) < most:
            after = ids[-1]
            in_flight.append((ids, reprocess_batch_task.submit(db, ids, extractor)))
            ids = next_ids()
        batch_ids, future = in_flight.popleft()
        done += len(batch_ids)
        try:
            result: ReprocessResult = future.result()
        except Exception as exc:  # noqa: BLE001 -- a failed batch is recorded; its articles stay due for a rerun
            result = ReprocessResult(failed_ids=batch_ids,
                                     failures=[f"batch of {len(batch_ids)} articles failed: {exc}"])
        totals["articles_reprocessed"] += result.n_done
        totals["capex_stories"] += result.n_capex
        totals["facts"] += result.n_facts
        totals["articles_failed"] += len(result.failed_ids)
        totals["failures"] += result.failures
        update_progress_artifact(artifact, _pct(done, total))
        progress.report("backfill", done, total, totals["articles_reprocessed"], totals["articles_failed"])
    return totals


def _cluster_threads() -> int | None:
    """The Dask cluster's threads when this flow runs its tasks there (`capex backfill --dask`), else None."""
    context = FlowRunContext.get()
    runner = context.task_runner if context else None
    if type(runner).__name__ != "DaskTaskRunner":
        return None  # prefect_dask (and distributed) imported only for a run that uses them
    from prefect_dask.task_runners import DaskTaskRunner

    assert isinstance(runner, DaskTaskRunner)
    # the ignore: distributed's Client methods carry no annotations
    threads: dict[str, int] = runner.client.nthreads()  # type: ignore[no-untyped-call]
    return max(1, sum(threads.values()))


def _pct(done: int, total: int) -> float:
    return 100.0 if total == 0 else round(100.0 * done / total, 1)


def _api_url_for_workers() -> str:
    """The Prefect API the Dask workers report their task runs to: the configured server, else this run's
    temporary one, started now so that its address travels to the workers with the task context.

    Without it, each Dask worker process would start a temporary Prefect server of its own, which
    outlives the run and shows none of its task runs.
    """
    from prefect.settings import PREFECT_API_URL

    configured = PREFECT_API_URL.value()
    if configured:
        return str(configured)
    from prefect.server.api.server import SubprocessASGIServer

    server = SubprocessASGIServer()  # the same instance Prefect's client uses in this process
    server.start()
    return server.api_url


def run_backfill_cli(
    feeds: str | None, db: str, since: str | None, until: str | None, urls: str | None, sitemap: str | None,
    reprocess: bool, dask: str | None = None,
) -> dict[str, Any]:
    """Run the backfill flow for the CLI, the extraction workers warming first, or its batches on a Dask cluster.

    The CLI has checked the options (dates included) and the cluster before Prefect started, and shows
    the progress. With `dask` (a scheduler address) the page batches run on that cluster's workers,
    which write to the same database.
    """
    params: dict[str, Any] = {"since": since, "until": until, "feeds": feeds, "urls": urls, "sitemap": sitemap,
                              "reprocess": reprocess, "db": db}
    if dask:
        from prefect.settings import PREFECT_API_URL, temporary_settings
        from prefect_dask.task_runners import DaskTaskRunner

        # the ignore: as for @flow(task_runner=) above, the runner's future type is invariant
        on_cluster = backfill.with_options(task_runner=DaskTaskRunner(address=dask))  # type: ignore[arg-type]
        with temporary_settings({PREFECT_API_URL: _api_url_for_workers()}):
            return cast(dict[str, Any], on_cluster(**params))
    # a backfill is there to extract pages: the workers warm up (~5 s of CPU, tasks/ingest/worker_preload.py)
    # on the other core while this process starts Prefect
    start_workers_early()
    return cast(dict[str, Any], backfill(**params))
