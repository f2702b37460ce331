"""The `maintain-lake` flow: a lake's upkeep on a schedule (compaction, snapshot expiry, file cleanup)."""

from __future__ import annotations

from typing import Any

from prefect import flow, get_run_logger, task
from prefect.cache_policies import NO_CACHE

from tasks.store.transfer import KEEP_SNAPSHOTS_DAYS, maintain

# one attempt: a failed upkeep changes nothing, and the next scheduled run does it all again
maintain_task = task(name="maintain-store", retries=0, cache_policy=NO_CACHE)(maintain)


@flow(name="maintain-lake")
def maintain_lake(db: str = "data/capex.duckdb", keep_days: int = KEEP_SNAPSHOTS_DAYS) -> dict[str, Any]:
    """Flush a lake's inlined rows to Parquet, merge small files, expire snapshots older than `keep_days`
    and delete the files no snapshot needs (a DuckDB file gets a CHECKPOINT).

    Args:
        db: the --db value (a lake `ducklake:postgres:...` or a DuckDB file).
        keep_days: snapshots (time travel) kept.

    Returns:
        The steps done, each with its count.
    """
    report = maintain_task(db, keep_days)
    get_run_logger().info("upkeep of %s: %s", db, "; ".join(report.steps))
    return {"db": db, "steps": report.steps}
