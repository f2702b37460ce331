"""The `poll-feeds` flow: one poll cycle over the configured feeds (what the schedule runs)."""

from __future__ import annotations

import uuid
from collections import defaultdict
from concurrent.futures import Future
from pathlib import Path
from typing import Any

from prefect import flow, get_run_logger
from prefect.artifacts import create_markdown_artifact
from prefect.futures import as_completed
from prefect.runtime import flow_run
from prefect.task_runners import ThreadPoolTaskRunner

from tasks import store
from tasks.articles import shutdown_pool, start_workers_early
from tasks.feeds import FEEDS_PER_TASK, load_feeds_file
from tasks.poll import (
    BATCH_SIZE,
    BatchResult,
    FeedPlan,
    claim_jobs,
    error_poll,
    fetch_feeds_task,
    finish_feeds,
    ingest_batch_task,
    plan_feed,
    stopped_feeds,
    summary_markdown,
)
from tasks.store import utcnow

# Feeds fetched at once, and batches of pages in flight (each fetches FETCH_CONCURRENCY pages).
FEED_CONCURRENCY = 8


# the ignore: Prefect types flow(task_runner=) as TaskRunner[PrefectFuture], invariant in the future type
@flow(name="poll-feeds", task_runner=ThreadPoolTaskRunner(max_workers=FEED_CONCURRENCY), log_prints=False)  # type: ignore[arg-type]
def poll_feeds(
    feeds: str = "feeds.toml", db: str = "data/capex.duckdb", force: bool = False, extractor: str = "rules"
) -> dict[str, Any]:
    """Poll the feeds that are due, ingest their new articles and record every poll.

    Args:
        feeds: path of the TOML feeds file.
        db: path of the DuckDB database (created and migrated on first use).
        force: poll every active feed now, even those whose next poll time has not come.
        extractor: name of the fact extractor.

    Returns:
        The run summary (feeds polled, new articles, AI-capex stories, facts, failures).
    """
    logger = get_run_logger()
    run_id = str(flow_run.get_id() or uuid.uuid4())
    config = load_feeds_file(Path(feeds))
    states = store.sync_feeds(db, config.feeds)
    now = utcnow()
    due = [s for s in states if store.is_due(s, now) or (force and s.is_active)]
    store.start_run(db, run_id, "poll-feeds")
    logger.info("%d feeds configured, %d due", len(states), len(due))

    started = {s.feed_id: utcnow() for s in due}
    groups = [due[i:i + FEEDS_PER_TASK] for i in range(0, len(due), FEEDS_PER_TASK)]
    fetches = {fetch_feeds_task.submit(group, allow_private=config.allow_private_networks): group for group in groups}
    plans = []
    claimed: set[str] = set()
    failing: list[str] = []
    totals: dict[str, Any] = defaultdict(int)
    batch_futures: dict[int, list[tuple[int, Any]]] = defaultdict(list)
    for future in as_completed(list(fetches)):
        group = fetches[future]
        try:
            outcomes: list[Any] = future.result()
        except Exception as exc:  # noqa: BLE001 -- the whole group failed: every feed records it
            outcomes = [exc] * len(group)
        for state, outcome in zip(group, outcomes):
            if isinstance(outcome, Exception):
                poll = error_poll(state, started[state.feed_id], run_id, outcome)
                plans.append(FeedPlan(state=state, poll=poll))
                failing.append(f"{state.name}: {poll.error}")
                totals["feeds_failed"] += 1
                continue
            plan = plan_feed(db, state, outcome, started[state.feed_id], run_id)
            if plan.poll.status == "error":
                failing.append(f"{state.name}: {plan.poll.error}")
                totals["feeds_failed"] += 1
            claim_jobs(plan, claimed)
            plans.append(plan)
            if plan.jobs and not batch_futures:
                start_workers_early()  # the extraction workers warm up while the first pages download
            for i in range(0, len(plan.jobs), BATCH_SIZE):
                jobs = plan.jobs[i:i + BATCH_SIZE]
                batch_futures[state.feed_id].append((len(jobs), ingest_batch_task.submit(
                    db, jobs, plan.listing_url, config.allow_private_networks, extractor=extractor)))

    finished = []
    for plan in plans:
        pages_failed = 0
        for n_jobs, bf in batch_futures.get(plan.state.feed_id, []):
            try:
                batch: BatchResult = bf.result()
            except Exception as exc:  # noqa: BLE001 -- a failed batch is recorded, the others go on
                failing.append(f"{plan.state.name}: batch of {n_jobs} pages failed: {exc}")
                pages_failed += n_jobs
                continue
            totals["new_articles"] += batch.n_new
            totals["new_capex_stories"] += batch.n_capex
            totals["new_facts"] += batch.n_facts
            pages_failed += batch.n_failed
            failing += [f"page {f}" for f in batch.failures]
        totals["pages_failed"] += pages_failed
        finished.append((plan, pages_failed))
    # one transaction for every feed's poll record and new state (500 unchanged feeds = one commit)
    finish_feeds(db, finished)
    shutdown_pool()

    summary = {
        "run_id": run_id,
        "feeds_configured": len(states),
        "feeds_polled": len(due),
        "feeds_not_modified": sum(p.poll.status == "not_modified" for p in plans),
        "feeds_failed": totals["feeds_failed"],
        "new_articles": totals["new_articles"],
        "new_capex_stories": totals["new_capex_stories"],
        "new_facts": totals["new_facts"],
        "pages_failed": totals["pages_failed"],
        "failures": failing,
        "feeds_stopped": stopped_feeds(states),
    }
    store.finish_run(db, run_id, "completed", summary)
    create_markdown_artifact(summary_markdown(summary, failing), key="poll-summary",
                             description="capex-monitor poll summary")
    logger.info("poll done: %s", {k: v for k, v in summary.items() if k != "failures"})
    return summary


__all__ = ["Future", "poll_feeds"]
