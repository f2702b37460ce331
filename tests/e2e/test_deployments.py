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


def test_prefect_yaml_declares_the_deployments_with_importable_entrypoints() -> None:
    """prefect.yaml names poll-feeds (scheduled), its two shards (scheduled, paused) and backfill, all on the
    capex pool, and every entrypoint imports a flow that takes the deployment's parameters."""
    import importlib
    import inspect

    config = yaml.safe_load((REPO / "prefect.yaml").read_text())
    deployments = {d["name"]: d for d in config["deployments"]}
    assert set(deployments) == {"poll-feeds", "poll-feeds-shard-0-of-2", "poll-feeds-shard-1-of-2", "backfill",
                                "maintain-lake"}
    assert deployments["maintain-lake"]["schedules"] == [{"cron": "17 3 * * *", "timezone": "UTC"}]
    assert deployments["poll-feeds"]["schedules"] == [{"cron": "*/30 * * * *", "timezone": "UTC"}]
    assert deployments["poll-feeds"]["parameters"]["shard"] is None
    for k in (0, 1):
        shard = deployments[f"poll-feeds-shard-{k}-of-2"]
        assert shard["parameters"]["shard"] == f"{k}/2"
        assert shard["schedules"] == [{"cron": "*/30 * * * *", "timezone": "UTC", "active": False}]
    assert "schedules" not in deployments["backfill"]  # on demand
    for d in deployments.values():
        assert d["work_pool"]["name"] == "capex"
        module, _, name = d["entrypoint"].partition(":")
        flow = getattr(importlib.import_module(module.removesuffix(".py").replace("/", ".")), name)
        assert d["name"] == flow.name or d["name"].startswith(flow.name + "-shard-")
        assert set(d["parameters"]) <= set(inspect.signature(flow.fn).parameters)
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


def _stop(worker: subprocess.Popen[bytes]) -> None:
    """Stop a worker and its flow-run processes: SIGTERM, then SIGKILL if it has not exited after 30 s (on a loaded
    machine a worker can take longer to wind down; how it stops is not what these tests check)."""
    os.killpg(worker.pid, 15)
    try:
        worker.wait(timeout=30)
    except subprocess.TimeoutExpired:
        os.killpg(worker.pid, 9)
        worker.wait(timeout=30)


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
            _stop(worker)
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


def test_shard_deployments_split_the_feeds_on_a_process_worker(prefect_server: dict[str, str],
                                                               tmp_path: Path) -> None:
    """The two shard deployments, run on a process worker of the capex pool, poll each feed once between them;
    `prefect deploy --all` leaves their schedules paused and poll-feeds's active."""
    from tests.support.faultserver import article, fault_server, rss, static
    from tests.support.records import write_feeds

    env = {**prefect_server, "PWD": str(REPO)}
    hosts = ("127.0.0.1", "0x7f.1")  # both the loopback address; shard 0 and shard 1 of 2
    db = tmp_path / "sharded.duckdb"
    with fault_server() as server:
        for i, host in enumerate(hosts):
            page = f"http://{host}:{server.port}/a/{i}.html"
            server.route(f"/feed{i}.xml", static(rss([(f"Story {i}", page)])))
            server.route(f"/a/{i}.html", static(article(f"Story {i}"), content_type="text/html"))
        feeds = write_feeds(tmp_path / "feeds.toml", *[f"http://{h}:{server.port}/feed{i}.xml"
                                                       for i, h in enumerate(hosts)], allow_private=True)
        _prefect(env, "work-pool", "create", "capex", "--type", "process")
        _prefect(env, "--no-prompt", "deploy", "--all")
        worker = subprocess.Popen([str(BIN / "prefect"), "worker", "start", "--pool", "capex", "--limit", "1"],
                                  env=env, cwd=REPO, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                                  start_new_session=True)
        try:
            for k in (0, 1):
                _prefect(env, "deployment", "run", f"poll-feeds/poll-feeds-shard-{k}-of-2",
                         "--param", f"feeds={feeds}", "--param", f"db={db}")
            deadline = time.monotonic() + 240
            runs: list[tuple[object, ...]] = []
            while time.monotonic() < deadline and len(runs) < 2:
                time.sleep(1)
                if db.exists():
                    try:
                        runs = store.query(db, "select summary->>'shard' from pipeline_runs "
                                               "where status = 'completed' order by 1")[1]
                    except store.StoreError:
                        continue
        finally:
            _stop(worker)
        assert runs == [("0/2",), ("1/2",)], (worker.stderr.read() if worker.stderr else b"").decode()[-3000:]
        assert [server.hits[f"/feed{i}.xml"] for i in range(2)] == [1, 1]
        assert [server.hits[f"/a/{i}.html"] for i in range(2)] == [1, 1]
    api = prefect_server["PREFECT_API_URL"]
    deployed = {d["name"]: d for d in httpx.post(f"{api}/deployments/filter", json={}, timeout=10).json()}
    assert {name: [s["active"] for s in d["schedules"]] for name, d in deployed.items()} == {
        "poll-feeds": [True], "poll-feeds-shard-0-of-2": [False], "poll-feeds-shard-1-of-2": [False],
        "backfill": [], "maintain-lake": [True]}
