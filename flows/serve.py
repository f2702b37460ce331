"""`capex serve`: both deployments with their schedules from one process, no work pool needed."""

from __future__ import annotations

from prefect import serve

from flows.backfill import backfill
from flows.poll_feeds import poll_feeds

# The schedule of poll-feeds (prefect.yaml declares the same): every 30 minutes.
POLL_CRON = "*/30 * * * *"


def serve_deployments(feeds: str, db: str, cron: str = POLL_CRON) -> None:
    """Serve `poll-feeds` (scheduled) and `backfill` (on demand) until interrupted.

    Schedules are not paused on shutdown: Prefect's default pauses them on SIGTERM, which would
    silently stop polling after a restart of the service.
    """
    poll = poll_feeds.to_deployment(name="poll-feeds", cron=cron, parameters={"feeds": feeds, "db": db})
    back = backfill.to_deployment(name="backfill", parameters={"feeds": feeds, "db": db})
    serve(poll, back, pause_on_shutdown=False)
