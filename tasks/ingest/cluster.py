"""Backfill batches on an existing Dask cluster: the checks before a run, and the batch sizing.

Pages stay bounded on Dask workers the same way as locally: each batch extracts its pages in the
worker-process pool of tasks/ingest/pool.py (EXTRACT_TIMEOUT_S and WORKER_MEMORY_BYTES per page),
started inside the Dask worker. Python forbids a daemonic process to start children, and Dask's
nanny starts its workers as daemons unless `distributed.worker.daemon` is off, so the cluster's
workers must be started with DASK_DISTRIBUTED__WORKER__DAEMON=False (or run with --no-nanny);
check_cluster refuses a cluster that is not. Running pages in threads instead was rejected: a
thread cannot be stopped, so a pathological page would hold a Dask thread for ever and its memory
could not be capped.

Dask may run a finished task again when a worker dies; a batch run twice stores nothing twice,
because the store writes articles, facts and raw HTML only for keys it does not have yet.
"""

from __future__ import annotations

import math
import multiprocessing
from dataclasses import dataclass

from tasks.errors import ConfigError

# Dask's scheduler slows down noticeably near ~2,000 tasks; a backfill submits at most this many
# batches (larger batches when it has more URLs), well under that, whatever the size of the list.
MAX_DASK_BATCHES = 500
# Batches submitted per Dask thread: one running, one waiting, so no worker idles between batches.
BATCHES_PER_DASK_THREAD = 2
# How long the checks wait for the scheduler and for its first worker: a cluster still starting
# is given that long; beyond it the command stops before any work.
CLUSTER_WAIT_S = 30.0


@dataclass(frozen=True, slots=True)
class ClusterInfo:
    """The cluster a backfill found: its address, workers and threads (tasks run at once)."""

    address: str
    n_workers: int
    n_threads: int


def is_daemon_process() -> bool:
    """Whether this process is daemonic (then it cannot start the extraction pool's processes)."""
    return bool(multiprocessing.current_process().daemon)


def check_cluster(address: str, wait_s: float = CLUSTER_WAIT_S) -> ClusterInfo:
    """Connect to the scheduler, wait for a worker, and check the workers can run extraction processes.

    Raises:
        ConfigError: no scheduler at the address, no worker within `wait_s`, or daemonic workers.
    """
    from distributed import Client

    # the ignores below: distributed's Client carries no annotations
    try:
        client = Client(address, timeout=f"{wait_s}s", set_as_default=False)  # type: ignore[no-untyped-call]
    except (OSError, TimeoutError) as exc:
        raise ConfigError(f"--dask {address}: cannot connect to a Dask scheduler ({type(exc).__name__}: "
                          f"{str(exc).splitlines()[0] if str(exc) else 'no answer'})") from None
    try:
        try:
            client.wait_for_workers(1, timeout=wait_s)
        except TimeoutError:
            raise ConfigError(f"--dask {address}: the scheduler has no worker (start one: dask worker {address})"
                              ) from None
        daemonic = [w for w, flag in client.run(is_daemon_process).items() if flag]
        if daemonic:
            raise ConfigError(f"--dask {address}: {len(daemonic)} worker(s) run as daemons and cannot start the "
                              "extraction processes; start them with DASK_DISTRIBUTED__WORKER__DAEMON=False")
        threads: dict[str, int] = client.nthreads()  # type: ignore[no-untyped-call]
        return ClusterInfo(address=address, n_workers=len(threads), n_threads=sum(threads.values()))
    finally:
        client.close()  # type: ignore[no-untyped-call]


def dask_batch_size(n_urls: int, base: int) -> int:
    """Pages per batch on a cluster: `base`, or more when the URLs would make over MAX_DASK_BATCHES batches."""
    return max(base, math.ceil(n_urls / MAX_DASK_BATCHES))


def dask_in_flight(n_threads: int) -> int:
    """Batches a backfill keeps submitted to a cluster of `n_threads` threads."""
    return max(1, n_threads * BATCHES_PER_DASK_THREAD)
