"""A local Dask cluster for the scale-out tests: `dask scheduler` and `dask worker` as subprocesses on 127.0.0.1.

The workers run with Prefect's offline environment (they run Prefect tasks) and, unless asked
otherwise, with `distributed.worker.daemon` off so that the extraction pool can start its processes.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from tasks.settings import PREFECT_OFFLINE_ENV
from tests.support.cli import BIN
from tests.support.paths import REPO

# A cold `dask worker` imports distributed, then each task imports Prefect and trafilatura: ~15 s measured
# on these machines; a slow CI machine gets several times that.
READY_TIMEOUT_S = 120.0


def free_port() -> int:
    """A TCP port free on 127.0.0.1 right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _stop(proc: subprocess.Popen[bytes]) -> None:
    """Stop a process group started with start_new_session: TERM, then KILL after 20 s."""
    if proc.poll() is not None:
        return
    os.killpg(proc.pid, signal.SIGTERM)
    try:
        proc.wait(timeout=20)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(timeout=10)


@contextmanager
def dask_cluster(log_dir: Path, n_workers: int = 2, n_threads: int = 1, daemon: bool = False,
                 env: dict[str, str] | None = None) -> Iterator[str]:
    """A scheduler and `n_workers` worker processes on 127.0.0.1; yields the scheduler's tcp:// address.

    The processes' output goes to `log_dir` (scheduler.log, workers.log); they are stopped on exit.
    """
    log_dir.mkdir(parents=True, exist_ok=True)
    port = free_port()
    address = f"tcp://127.0.0.1:{port}"
    base_env = {**os.environ, **PREFECT_OFFLINE_ENV, "PREFECT_LOGGING_LEVEL": "WARNING", **(env or {})}
    worker_env = {**base_env, "DASK_DISTRIBUTED__WORKER__DAEMON": str(daemon)}
    started: list[subprocess.Popen[bytes]] = []
    try:
        with (log_dir / "scheduler.log").open("wb") as log:
            started.append(subprocess.Popen(
                [str(BIN / "dask"), "scheduler", "--host", "127.0.0.1", "--port", str(port), "--no-dashboard"],
                cwd=REPO, env=base_env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True))
        with (log_dir / "workers.log").open("wb") as log:
            started.append(subprocess.Popen(
                [str(BIN / "dask"), "worker", address, "--host", "127.0.0.1", "--nworkers", str(n_workers),
                 "--nthreads", str(n_threads), "--no-dashboard", "--local-directory", str(log_dir / "workers")],
                cwd=REPO, env=worker_env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True))
        _wait_until_ready(address, n_workers, started)
        yield address
    finally:
        for proc in reversed(started):
            _stop(proc)


def _wait_until_ready(address: str, n_workers: int, started: list[subprocess.Popen[bytes]]) -> None:
    """Wait for the scheduler to accept a client and for every worker to register."""
    from distributed import Client

    deadline = time.monotonic() + READY_TIMEOUT_S
    while True:
        if any(p.poll() is not None for p in started):
            raise RuntimeError(f"the Dask cluster at {address} exited while starting (see its logs)")
        try:
            with Client(address, timeout="5s", set_as_default=False) as client:
                client.wait_for_workers(n_workers, timeout=max(1.0, deadline - time.monotonic()))
                return
        except (OSError, TimeoutError):
            if time.monotonic() > deadline:
                raise
            time.sleep(0.5)
