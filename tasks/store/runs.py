"""Flow runs (pipeline_runs): started, finished, failed, and runs abandoned by a dead process."""

from __future__ import annotations

import json
import logging
import os
import socket
from typing import Any

import duckdb

from tasks.models import utcnow
from tasks.store.bulk import bulk_insert
from tasks.store.connect import write_connection
from tasks.store.sql import first_line, json_list

logger = logging.getLogger(__name__)


def start_run(db_path: str | os.PathLike[str], run_id: str, flow: str) -> None:
    """Record that a flow run started (and close the rows of this host's runs whose process died)."""
    with write_connection(db_path) as con:
        _close_abandoned_runs(con)
        bulk_insert(con, "pipeline_runs", ("run_id", "flow", "started_at", "status", "host", "pid"),
                    [(run_id, flow, utcnow(), "running", socket.gethostname(), os.getpid())])


def _close_abandoned_runs(con: duckdb.DuckDBPyConnection) -> None:
    """A run left 'running' by a process of this host that is gone (killed, or its failure could not
    be recorded, say on a full disk) ends as 'failed'."""
    rows = con.execute(
        "select run_id, pid from pipeline_runs where status = 'running' and host = ? and pid is not null",
        [socket.gethostname()],
    ).fetchall()
    dead = [run_id for run_id, pid in rows if not _process_alive(int(pid))]
    if dead:
        con.execute(
            "update pipeline_runs set status = 'failed', finished_at = ?, "
            "summary = coalesce(summary, "
            "json_object('error', 'the process running it ended without recording its end')) "
            "where run_id in (select unnest(?::json::varchar[]))",
            [utcnow(), json_list(dead)],
        )


def _process_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # alive, owned by another user
    return True


def finish_run(db_path: str | os.PathLike[str], run_id: str, status: str, summary: dict[str, Any]) -> None:
    """Record a flow run's end ('completed', 'completed_with_errors', 'failed') and its summary."""
    with write_connection(db_path) as con:
        con.execute(
            "update pipeline_runs set finished_at = ?, status = ?, summary = ? where run_id = ?",
            [utcnow(), status, json.dumps(summary, default=str), run_id],
        )


def fail_run(db_path: str | os.PathLike[str], run_id: str, exc: BaseException) -> None:
    """Record that a run failed with `exc`; never raises (it runs while `exc` propagates).

    When even this write fails (the disk is full), the row stays 'running' until the next run on
    this host closes it as failed (_close_abandoned_runs).
    """
    try:
        finish_run(db_path, run_id, "failed", {"error": f"{type(exc).__name__}: {first_line(exc)}"})
    except Exception as cleanup:  # noqa: BLE001 -- the run's own error is the one to report
        logger.warning("could not record the failure of run %s: %s", run_id, first_line(cleanup))
