"""The `poll-feeds` flow: one poll cycle over the configured feeds (what the schedule runs)."""

from __future__ import annotations

import time
import uuid
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from prefect import flow, get_run_logger
from prefect.artifacts import create_markdown_artifact
from prefect.futures import as_completed
from prefect.runtime import flow_run
from prefect.task_runners import ThreadPoolTaskRunner

from tasks import progress, store
from tasks.ingest.feeds import FEEDS_PER_TASK, load_feeds_file
from tasks.ingest.poll import (
    BATCH_SIZE,
    PAGE_BUDGET_S,
    BatchResult,
    FeedPlan,
    claim_jobs,
    due_retries,
    error_poll,
    fetch_feeds_task,
    finish_feeds,
    guarded_run,
    ingest_batch_task,
    plan_feed,
    queued_pages,
    retry_batches,
    stopped_feeds,
    summary_markdown,
)
from tasks.ingest.pool import start_workers_early
from tasks.ingest.shard import Shard, feeds_in_shard, parse_shard
from tasks.models import FeedsFile, FeedState, PageJob, QueuedPage, utcnow

# Feeds fetched at once, and batches of pages in flight (each fetches FETCH_CONCURRENCY pages).
FEED_CONCURRENCY = 8


# the ignore: Prefect types flow(task_runner=) as TaskRunner[PrefectFuture], invariant in the future type
@flow(name="poll-feeds", task_runner=ThreadPoolTaskRunner(max_workers=FEED_CONCURRENCY), log_prints=False)  # type: ignore[arg-type]
def poll_feeds(
    feeds: str = "feeds.toml", db: str = "data/capex.duckdb", force: bool = False, extractor: str = "rules",
    page_budget_s: float = PAGE_BUDGET_S, shard: str | None = None,
) -> dict[str, Any]:
    """Poll the feeds that are due, retry the queued pages that are due, ingest new articles, record every poll.

    Args:
        feeds: path of the TOML feeds file.
        db: path of the DuckDB database (created and migrated on first use).
        force: poll every active feed now, and retry every queued page, even those not due yet.
        extractor: name of the fact extractor.
        page_budget_s: seconds one feed's pages may take; pages not started by then wait for the next run.
        shard: "K/N" to poll only the feeds (and retry only the queued pages) whose host hashes to shard K
            of N, counted from 0, so N runs on several machines share the feeds, each host with one owner;
            None polls every feed.

    Returns:
        The run summary (feeds polled, new articles, AI-capex stories, facts, failures).
    """
    logger = get_run_logger()
    owned = parse_shard(shard, "shard")  # checked before anything is written (the CLI checked it already)
    run_id = str(flow_run.get_id() or uuid.uuid4())
    config = load_feeds_file(Path(feeds))
    states = store.sync_feeds(db, config.feeds)
    store.start_run(db, run_id, "poll-feeds")
    progress.reset("poll")
    with guarded_run(db, run_id):
        summary = _poll(db, config, states, run_id, force, _Run(db, config.allow_private_networks, extractor,
                                                                page_budget_s), owned)
    summary["run_id"] = run_id
    status = "completed_with_errors" if summary["batches_failed"] else "completed"
    store.finish_run(db, run_id, status, summary)
    create_markdown_artifact(summary_markdown(summary, summary["failures"]), key="poll-summary",
                             description="capex-monitor poll summary")
    logger.info("poll %s: %s", status, ", ".join(f"{k.replace('_', ' ')} {v}" for k, v in summary.items()
                                                   if not isinstance(v, list) and k != "run_id"))
    return summary


def _poll(db: str, config: FeedsFile, states: list[FeedState], run_id: str, force: bool, run: _Run,
          shard: Shard | None) -> dict[str, Any]:
    """The run itself: retries and feeds fetched, pages ingested, then one commit of every feed's state."""
    logger = get_run_logger()
    now = utcnow()
    mine = feeds_in_shard(states, shard)
    due = [s for s in mine if store.is_due(s, now) or (force and s.is_active)]
    retries = due_retries(db, now, force, shard, states)
    logger.info("%d feeds configured%s, %d due; %d queued pages to retry", len(states),
                f", {len(mine)} in shard {shard}" if shard else "", len(due), len(retries))
    run.claimed |= {q.url for q in retries}
    for listing_url, trusted, jobs in retry_batches(retries):
        run.submit(None, jobs, listing_url, trusted)
    plans = _plan_feeds(run, due, run_id)
    finished = [(plan, run.collect(plan.state.feed_id, plan.state.name)) for plan in plans]
    run.collect(None, "retried pages")
    # one transaction for every feed's poll record and new state, with the pages of failed batches
    # queued: a feed's ETag is never saved without every page it listed stored, queued or given up
    finish_feeds(db, finished, run.queued)
    return {
        "feeds_configured": len(states),
        **({"shard": str(shard), "feeds_in_shard": len(mine)} if shard else {}),
        "feeds_polled": len(due),
        "feeds_not_modified": sum(p.poll.status == "not_modified" for p in plans),
        "feeds_failed": run.totals["feeds_failed"],
        "pages_retried": len(retries),
        "new_articles": run.totals["new_articles"],
        "new_capex_stories": run.totals["new_capex_stories"],
        "new_facts": run.totals["new_facts"],
        "pages_failed": run.totals["pages_failed"],
        "pages_deferred": run.totals["pages_deferred"],
        "batches_failed": run.totals["batches_failed"],
        "pages_queued": len(run.queued),
        "failures": run.failing,
        "feeds_stopped": stopped_feeds(mine),
    }


def _plan_feeds(run: _Run, due: list[FeedState], run_id: str) -> list[FeedPlan]:
    """Fetch the due feeds; plan each response and submit its new pages in batches as it arrives."""
    started = {s.feed_id: utcnow() for s in due}
    groups = [due[i:i + FEEDS_PER_TASK] for i in range(0, len(due), FEEDS_PER_TASK)]
    fetches = {fetch_feeds_task.submit(group, allow_private=run.allow_private): group for group in groups}
    plans = []
    for future in as_completed(list(fetches)):
        group = fetches[future]
        try:
            outcomes: list[Any] = future.result()
        except Exception as exc:  # noqa: BLE001 -- the whole group failed: every feed records it
            outcomes = [exc] * len(group)
        for state, outcome in zip(group, outcomes, strict=True):
            if isinstance(outcome, Exception):
                plan = FeedPlan(state=state, poll=error_poll(state, started[state.feed_id], run_id, outcome))
            else:
                plan = plan_feed(run.db, state, outcome, started[state.feed_id], run_id)
            if plan.poll.status == "error":
                run.failing.append(f"{state.name}: {plan.poll.error}")
                run.totals["feeds_failed"] += 1
            claim_jobs(plan, run.claimed)
            plans.append(plan)
            for i in range(0, len(plan.jobs), BATCH_SIZE):
                run.submit(state.feed_id, plan.jobs[i:i + BATCH_SIZE], plan.listing_url, False)
    return plans


@dataclass
class _Run:
    """One poll run's batches in flight, keyed by feed (None: retried pages), and what they added up to."""

    db: str
    allow_private: bool
    extractor: str
    page_budget_s: float
    claimed: set[str] = field(default_factory=set)
    deadlines: dict[int | None, float] = field(default_factory=dict)
    failing: list[str] = field(default_factory=list)
    queued: list[QueuedPage] = field(default_factory=list)
    totals: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    batches: dict[int | None, list[tuple[list[PageJob], str | None, bool, Any]]] = field(
        default_factory=lambda: defaultdict(list))

    def submit(self, feed_id: int | None, jobs: list[PageJob], listing_url: str | None, trusted: bool) -> None:
        """Start one batch of pages."""
        if not self.batches:
            start_workers_early()  # the extraction workers warm up while the first pages download
        # the budget runs from the feed's first batch: its pages not started by then wait for the next run
        deadline = self.deadlines.setdefault(feed_id, time.time() + self.page_budget_s)
        progress.expect("poll", len(jobs))
        future = ingest_batch_task.submit(self.db, jobs, listing_url, self.allow_private, trust_all=trusted,
                                          extractor=self.extractor, deadline=deadline, progress_label="poll")
        self.batches[feed_id].append((jobs, listing_url, trusted, future))

    def collect(self, feed_id: int | None, name: str) -> int:
        """Wait for a feed's batches; count their pages; queue every page of a failed batch. Returns pages failed."""
        pages_failed = 0
        for jobs, listing_url, trusted, future in self.batches.pop(feed_id, []):
            try:
                batch: BatchResult = future.result()
            except Exception as exc:  # noqa: BLE001 -- a failed batch is queued for retry, the others go on
                error = f"batch of {len(jobs)} pages failed: {exc}"
                self.failing.append(f"{name}: {error} (queued for retry)")
                self.queued += queued_pages(jobs, listing_url, trusted, error)
                self.totals["batches_failed"] += 1
                pages_failed += len(jobs)
                continue
            self.totals["new_articles"] += batch.n_new
            self.totals["new_capex_stories"] += batch.n_capex
            self.totals["new_facts"] += batch.n_facts
            self.totals["pages_deferred"] += batch.n_deferred
            pages_failed += batch.n_failed - batch.n_deferred
            self.failing += [f"page {f}" for f in batch.failures]
        self.totals["pages_failed"] += pages_failed
        return pages_failed


__all__ = ["poll_feeds"]
