"""`capex serve`: both deployments with their schedules from one process, no work pool needed."""

from __future__ import annotations

from typing import cast

from prefect import serve
from prefect.deployments.runner import RunnerDeployment

from flows.backfill import backfill
from flows.poll_feeds import poll_feeds

# The schedule of poll-feeds (prefect.yaml declares the same): every 30 minutes.
POLL_CRON = "*/30 * * * *"


def serve_deployments(feeds: str, db: str, cron: str = POLL_CRON) -> None:
    """Serve `poll-feeds` (scheduled) and `backfill` (on demand) until interrupted.

    Schedules are not paused on shutdown: Prefect's default pauses them on SIGTERM, which would
    silently stop polling after a restart of the service.
    """
    # to_deployment is sync_compatible: called outside an event loop it returns the deployment itself
    poll = cast(RunnerDeployment, poll_feeds.to_deployment(name="poll-feeds", cron=cron,
                                                           parameters={"feeds": feeds, "db": db}))
    back = cast(RunnerDeployment, backfill.to_deployment(name="backfill", parameters={"feeds": feeds, "db": db}))
    serve(poll, back, pause_on_shutdown=False)
