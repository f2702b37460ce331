"""End-to-end with a real Prefect server: deploy from prefect.yaml, run the backfill deployment on a worker."""

from __future__ import annotations

import os
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
import yaml

from benchmarks._support import prefect_server as start_prefect_server
from tasks import store
from tests.support.cli import BIN, ENV
from tests.support.paths import REPO
from tests.support.site import Site, serve_site

pytestmark = pytest.mark.slow


def test_prefect_yaml_declares_both_deployments_with_importable_entrypoints() -> None:
    """prefect.yaml names poll-feeds (scheduled) and backfill, and both entrypoints import."""
    import importlib
    import inspect

    config = yaml.safe_load((REPO / "prefect.yaml").read_text())
    deployments = {d["name"]: d for d in config["deployments"]}
    assert set(deployments) == {"poll-feeds", "backfill"}
    assert deployments["poll-feeds"]["schedules"][0]["cron"] == "*/30 * * * *"
    assert "schedules" not in deployments["backfill"]
    for d in deployments.values():
        module, _, name = d["entrypoint"].partition(":")
        flow = getattr(importlib.import_module(module.removesuffix(".py").replace("/", ".")), name)
        assert flow.name == d["name"]
    from flows.backfill import backfill

    assert {"since", "until", "feeds", "urls", "sitemap", "reprocess"} <= set(
        inspect.signature(backfill.fn).parameters)


@pytest.fixture()
def prefect_server(tmp_path: Path) -> Iterator[dict[str, str]]:
    """`prefect server start` on 127.0.0.1 with its own PREFECT_HOME; yields the client environment."""
    home = tmp_path / "prefect-home"
    # No scheduler service: `prefect deploy --all` registers poll-feeds with the repository's real
    # feeds.toml, and a run scheduled at :00 or :30 during the test would reach the internet.
    with start_prefect_server(home, scheduler=False) as api:
        yield {**ENV, "PREFECT_HOME": str(home), "PREFECT_LOGGING_LEVEL": "WARNING", "PREFECT_API_URL": api}


def _prefect(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[bytes]:
    result = subprocess.run([str(BIN / "prefect"), *args], env=env, cwd=REPO, capture_output=True, timeout=180,
                            check=False)
    assert result.returncode == 0, (result.stdout + result.stderr).decode()[-3000:]
    return result


def test_backfill_deployment_runs_on_a_process_worker(prefect_server: dict[str, str], tmp_path: Path) -> None:
    """prefect deploy from prefect.yaml, a process worker, and `prefect deployment run` with parameters."""
    env = {**prefect_server, "PWD": str(REPO)}
    site = Site(n_articles=4)
    with serve_site(site) as base:
        urls = tmp_path / "urls.txt"
        urls.write_text("".join(f"{base}{site.article_path(i)}\n" for i in range(4)))
        db = tmp_path / "deployed.duckdb"
        _prefect(env, "work-pool", "create", "capex", "--type", "process")
        _prefect(env, "--no-prompt", "deploy", "--all")
        worker = subprocess.Popen([str(BIN / "prefect"), "worker", "start", "--pool", "capex", "--limit", "1"],
                                  env=env, cwd=REPO, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                                  start_new_session=True)
        try:
            _prefect(env, "deployment", "run", "backfill/backfill", "--param", f"urls={urls}",
                     "--param", f"db={db}", "--param", "since=2025-01-01")
            deadline = time.monotonic() + 240
            n = 0
            while time.monotonic() < deadline and n < 4:
                time.sleep(1)
                if db.exists():
                    try:
                        n = store.query(db, "select count(*) from articles")[1][0][0]
                    except store.StoreError:
                        continue
        finally:
            os.killpg(worker.pid, 15)
            worker.wait(timeout=30)
        assert n == 4, (worker.stderr.read() if worker.stderr else b"").decode()[-3000:]
        _, runs = store.query(db, "select flow, status from pipeline_runs")
        assert ("backfill", "completed") in runs or ("backfill", "running") in runs


def test_capex_serve_keeps_schedule_active_after_sigterm(prefect_server: dict[str, str], tmp_path: Path) -> None:
    """`capex serve` registers both deployments and leaves the poll schedule active when stopped."""
    feeds = tmp_path / "feeds.toml"
    feeds.write_text('[[feeds]]\nname = "x"\nurl = "http://127.0.0.1:9/feed.xml"\n')
    api = prefect_server["PREFECT_API_URL"]
    proc = subprocess.Popen([str(BIN / "capex"), "serve", "--feeds", str(feeds), "--db", str(tmp_path / "s.duckdb")],
                            env=prefect_server, cwd=REPO, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                            start_new_session=True)
    names: dict[str, dict[str, object]] = {}
    try:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline and len(names) < 2:
            time.sleep(1)
            found = httpx.post(f"{api}/deployments/filter", json={}, timeout=10).json()
            names = {d["name"]: d for d in found}
    finally:
        os.killpg(proc.pid, 15)
        proc.wait(timeout=60)
    assert set(names) == {"poll-feeds", "backfill"}, (proc.stderr.read() if proc.stderr else b"").decode()[-2000:]
    after = {d["name"]: d for d in httpx.post(f"{api}/deployments/filter", json={}, timeout=10).json()}
    assert after["poll-feeds"]["paused"] is False
    assert after["poll-feeds"]["schedules"][0]["schedule"]["cron"] == "*/30 * * * *"
