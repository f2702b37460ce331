"""Throwaway services for the lake tests: a PostgreSQL cluster and an S3 server (moto) on 127.0.0.1.

The test suite starts and stops them itself, on free ports (CI starts nothing). Each start is a
bounded wait and every exit path stops what was started: a failing test leaves no postgres or
moto_server process behind. Measured here: initdb + start about 0.6 s, moto_server ready in about
0.4 s. The DuckDB extension lookup below is the tests' own; the backend has its own in tasks/store.
"""

from __future__ import annotations

import glob
import http.client
import os
import pwd
import re
import shlex
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from importlib.util import find_spec
from pathlib import Path
from typing import TYPE_CHECKING, Any

from tests.support.faultserver import refuse_connection_port as free_port

if TYPE_CHECKING:
    import duckdb

HOST = "127.0.0.1"
PG_USER = "postgres"
# pg_ctl -w gives up after this; a start takes ~0.1 s here, a loaded CI machine is slower
PG_START_TIMEOUT_S = 30
# any other PostgreSQL command (initdb ~0.5 s, stop ~0.1 s) is killed after this
PG_COMMAND_TIMEOUT_S = 60
# moto_server imports boto and werkzeug first: ready in ~0.4 s here
S3_START_TIMEOUT_S = 30
# a port from free_port() can be taken before the server binds it: try a few
START_ATTEMPTS = 3
DUMMY_KEY_ID, DUMMY_SECRET, S3_REGION = "x", "y", "us-east-1"
_DB_NAME = re.compile(r"[a-z_][a-z0-9_]{0,62}")


# ---------------------------------------------------------------- PostgreSQL


def postgres_bindir() -> Path | None:
    """The directory holding initdb, pg_ctl and postgres: PATH, `pg_config --bindir`, /usr/lib/postgresql/*/bin."""
    candidates: list[Path] = []
    if found := shutil.which("initdb"):
        candidates.append(Path(found).resolve().parent)
    if pg_config := shutil.which("pg_config"):
        with suppress(OSError, subprocess.SubprocessError):
            out = subprocess.run([pg_config, "--bindir"], capture_output=True, text=True, timeout=10, check=True)
            candidates.append(Path(out.stdout.strip()))
    # Debian keeps the server binaries off PATH; prefer the newest major version
    versions = sorted(glob.glob("/usr/lib/postgresql/*/bin"), key=_major_version, reverse=True)
    candidates += [Path(p) for p in versions]
    for bindir in candidates:
        if all(os.access(bindir / name, os.X_OK) for name in ("initdb", "pg_ctl", "postgres")):
            return bindir
    return None


def _major_version(bindir: str) -> int:
    part = Path(bindir).parent.name
    return int(part) if part.isdigit() else 0


def postgres_unavailable_reason() -> str | None:
    """Why a throwaway PostgreSQL cannot be started here, or None when it can."""
    if postgres_bindir() is None:
        return ("PostgreSQL server binaries (initdb, pg_ctl) not found on PATH, via `pg_config --bindir` or in "
                "/usr/lib/postgresql/*/bin: install them (Debian: apt-get install postgresql) to run the lake tests")
    if os.geteuid() == 0:
        try:
            pwd.getpwnam(PG_USER)
        except KeyError:
            return f"running as root, and initdb refuses root, but there is no {PG_USER!r} user to run it as"
        if shutil.which("runuser") is None:
            return "running as root, and initdb refuses root, but runuser is not installed to drop to 'postgres'"
    if find_spec("psycopg") is None:
        return "psycopg is not installed (make install)"
    return None


class PostgresServer:
    """A PostgreSQL cluster in a temp dir, listening on 127.0.0.1:port with trust authentication."""

    def __init__(self, bindir: Path, base: Path, port: int) -> None:
        self.host, self.port, self.user = HOST, port, PG_USER
        self.bindir, self.base = bindir, base
        self.datadir = base / "data"
        self.log = base / "server.log"

    def dsn(self, dbname: str = "postgres") -> str:
        """The libpq connection string of `dbname` on this server."""
        return f"dbname={dbname} host={self.host} port={self.port} user={self.user}"

    def create_database(self, name: str) -> str:
        """Create database `name` (lowercase letters, digits, _) and return its libpq DSN."""
        import psycopg
        from psycopg import sql

        if not _DB_NAME.fullmatch(name):
            raise ValueError(f"database name {name!r}: use lowercase letters, digits and _")
        with psycopg.connect(self.dsn(), autocommit=True, connect_timeout=10) as conn:
            conn.execute(sql.SQL("create database {}").format(sql.Identifier(name)))
        return self.dsn(name)

    @property
    def running(self) -> bool:
        """Whether the postmaster of this cluster is up."""
        return self._pg_ctl("status", check=False).returncode == 0

    def start(self) -> None:
        """Start (or restart) the cluster on its port; returns once it accepts connections."""
        options = f"-p {self.port} -k {shlex.quote(str(self.base))} -c listen_addresses={self.host} -c fsync=off"
        done = self._pg_ctl("-w", "-t", str(PG_START_TIMEOUT_S), "-l", str(self.log), "-o", options, "start",
                            check=False)
        if done.returncode != 0:
            raise RuntimeError(f"pg_ctl start failed on port {self.port}: {done.stdout}{done.stderr}\n"
                               f"{self._log_tail()}")

    def stop(self, mode: str = "fast") -> None:
        """Stop the cluster (`mode` fast drops client connections, immediate is a crash); start() brings it back."""
        pid = self.pid
        done = self._pg_ctl("-w", "-t", str(PG_START_TIMEOUT_S), "-m", mode, "stop", check=False)
        if done.returncode != 0 and self.running:
            raise RuntimeError(f"pg_ctl stop -m {mode} failed: {done.stdout}{done.stderr}")
        # pg_ctl returns when postmaster.pid is gone, a moment before the process itself exits
        if pid is not None and not wait_gone(pid, PG_START_TIMEOUT_S):
            raise RuntimeError(f"postmaster {pid} still running after pg_ctl stop -m {mode}")

    def kill(self) -> None:
        """Stop whatever runs, however it can: immediate shutdown, then SIGKILL of the postmaster."""
        with suppress(RuntimeError, subprocess.TimeoutExpired):
            self.stop("immediate")
        pid = self.pid
        # a stale postmaster.pid may name a process that is no postmaster any more
        if pid is not None and process_alive(pid) and _command_name(pid) == "postgres":
            with suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)

    @property
    def pid(self) -> int | None:
        """The postmaster's process id from postmaster.pid, or None when the file is absent."""
        try:
            first = (self.datadir / "postmaster.pid").read_text().split("\n", 1)[0]
        except OSError:
            return None
        return int(first) if first.strip().isdigit() else None

    def _pg_ctl(self, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        return self._run(str(self.bindir / "pg_ctl"), "-D", str(self.datadir), *args, check=check)

    def _run(self, *cmd: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        # initdb and postgres refuse root: as root, run them as the postgres user; cwd=base because
        # the postgres user cannot enter root's working directory
        prefix = ["runuser", "-u", PG_USER, "--"] if os.geteuid() == 0 else []
        return subprocess.run([*prefix, *cmd], cwd=self.base, capture_output=True, text=True, check=check,
                              timeout=PG_COMMAND_TIMEOUT_S)

    def _initdb(self) -> None:
        self._run(str(self.bindir / "initdb"), "-D", str(self.datadir), "-A", "trust", "-U", PG_USER,
                  "--no-locale", "-E", "UTF8", "--no-sync")

    def _log_tail(self) -> str:
        with suppress(OSError):
            return "server log:\n" + "\n".join(self.log.read_text(errors="replace").splitlines()[-20:])
        return "(no server log)"


@contextmanager
def postgres_server() -> Iterator[PostgresServer]:
    """A fresh PostgreSQL cluster on 127.0.0.1 and a free port; stopped and deleted on exit."""
    reason = postgres_unavailable_reason()
    if reason:
        raise RuntimeError(reason)
    bindir = postgres_bindir()
    assert bindir is not None
    base = Path(tempfile.mkdtemp(prefix="capex-pg-", dir=_tempdir_for_others()))
    if os.geteuid() == 0:
        owner = pwd.getpwnam(PG_USER)
        os.chown(base, owner.pw_uid, owner.pw_gid)
    server = PostgresServer(bindir, base, free_port())
    try:
        server._initdb()
        _start_on_a_free_port(server)
        yield server
    finally:
        try:
            server.stop()
        except (RuntimeError, subprocess.SubprocessError):
            server.kill()
        shutil.rmtree(base, ignore_errors=True)


def _start_on_a_free_port(server: PostgresServer | S3Server) -> None:
    for attempt in range(START_ATTEMPTS):
        try:
            server.start()
            return
        except RuntimeError:
            if attempt == START_ATTEMPTS - 1:
                raise
            server.port = free_port()


def _tempdir_for_others() -> str:
    """The temp dir, or /tmp when some parent of it is closed to other users (the postgres user must enter it)."""
    temp = Path(tempfile.gettempdir()).resolve()
    if os.geteuid() != 0 or all(p.stat().st_mode & 0o001 for p in (temp, *temp.parents)):
        return str(temp)
    return "/tmp"


def process_alive(pid: int) -> bool:
    """Whether process `pid` exists and is not a zombie."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    # the state follows the parenthesised command name, which may itself contain ") "
    return stat.rsplit(")", 1)[1].split()[0] != "Z"


def _command_name(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/comm").read_text().strip()
    except OSError:
        return ""


def wait_gone(pid: int, timeout_s: float) -> bool:
    """Wait up to `timeout_s` for process `pid` to exit; whether it did."""
    deadline = time.monotonic() + timeout_s
    while process_alive(pid):
        if time.monotonic() > deadline:
            return False
        time.sleep(0.02)
    return True


# ---------------------------------------------------------------- S3 (moto)


def s3_unavailable_reason() -> str | None:
    """Why moto's S3 server cannot be started here, or None when it can."""
    missing = [name for name in ("moto", "boto3", "werkzeug", "flask") if find_spec(name) is None]
    if missing:
        return f"moto[server] is not installed (missing {', '.join(missing)}): make install"
    return None


class S3Server:
    """A moto_server process answering S3 on 127.0.0.1:port; any credentials are accepted."""

    key_id, secret, region = DUMMY_KEY_ID, DUMMY_SECRET, S3_REGION

    def __init__(self, port: int, log: Path) -> None:
        self.host, self.port, self.log = HOST, port, log
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def endpoint(self) -> str:
        """host:port, as DuckDB's ENDPOINT wants it."""
        return f"{self.host}:{self.port}"

    @property
    def url(self) -> str:
        """The endpoint URL, as boto3 wants it."""
        return f"http://{self.endpoint}"

    def client(self) -> Any:
        """A boto3 S3 client for this server (dummy credentials, path-style, no proxy)."""
        import boto3
        from botocore.config import Config

        # proxies={} so that HTTP(S)_PROXY from the environment never catches 127.0.0.1
        config = Config(s3={"addressing_style": "path"}, proxies={}, connect_timeout=5, read_timeout=30,
                        retries={"max_attempts": 2})
        return boto3.client("s3", endpoint_url=self.url, aws_access_key_id=self.key_id,
                            aws_secret_access_key=self.secret, region_name=self.region, config=config)

    def create_bucket(self, name: str) -> str:
        """Create bucket `name`; returns its s3:// URL."""
        self.client().create_bucket(Bucket=name)
        return f"s3://{name}"

    def create_secret(self, con: duckdb.DuckDBPyConnection) -> None:
        """Create DuckDB's (temporary) S3 secret for this server on `con` (httpfs loaded)."""
        # CREATE SECRET takes no bound parameters; every value here is our own constant or port
        con.execute(f"create secret (type s3, key_id '{self.key_id}', secret '{self.secret}', "
                    f"region '{self.region}', endpoint '{self.endpoint}', url_style 'path', use_ssl false)")

    def start(self) -> None:
        """Start moto_server and wait until it answers HTTP."""
        moto_server = Path(sys.executable).parent / "moto_server"
        cmd = [str(moto_server)] if moto_server.exists() else [sys.executable, "-m", "moto.server"]
        with self.log.open("ab") as log:
            # its own session: stop() signals the whole group
            self.process = subprocess.Popen([*cmd, "-H", self.host, "-p", str(self.port)], stdin=subprocess.DEVNULL,
                                            stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
        deadline = time.monotonic() + S3_START_TIMEOUT_S
        while not self._answers():
            if self.process.poll() is not None or time.monotonic() > deadline:
                self.stop()
                raise RuntimeError(f"moto_server did not start on port {self.port}:\n{self._log_tail()}")
            time.sleep(0.05)

    def stop(self) -> None:
        """Stop moto_server (SIGTERM, then SIGKILL after 10 s)."""
        if self.process is None:
            return
        with suppress(ProcessLookupError):
            os.killpg(self.process.pid, signal.SIGTERM)
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            with suppress(ProcessLookupError):
                os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(timeout=10)
        self.process = None

    def _answers(self) -> bool:
        # http.client rather than urllib: urllib would send 127.0.0.1 through an environment proxy
        conn = http.client.HTTPConnection(self.host, self.port, timeout=2)
        try:
            conn.request("GET", "/")
            conn.getresponse().read()
            return True
        except OSError:
            return False
        finally:
            conn.close()

    def _log_tail(self) -> str:
        return "\n".join(self.log.read_text(errors="replace").splitlines()[-20:])


@contextmanager
def s3_server() -> Iterator[S3Server]:
    """moto's S3 server on 127.0.0.1 and a free port; stopped on exit."""
    reason = s3_unavailable_reason()
    if reason:
        raise RuntimeError(reason)
    logdir = Path(tempfile.mkdtemp(prefix="capex-s3-"))
    server = S3Server(free_port(), logdir / "moto.log")
    try:
        with _loopback_bypasses_proxy():
            _start_on_a_free_port(server)
            yield server
    finally:
        server.stop()
        shutil.rmtree(logdir, ignore_errors=True)


@contextmanager
def _loopback_bypasses_proxy() -> Iterator[None]:
    """While inside, NO_PROXY names 127.0.0.1: DuckDB's httpfs takes HTTP_PROXY from the environment
    when a connection opens (measured: with HTTP_PROXY set, every request to moto went to the proxy)."""
    saved = {name: os.environ.get(name) for name in ("NO_PROXY", "no_proxy")}
    for name, value in saved.items():
        if HOST not in (value or "").split(","):
            os.environ[name] = f"{value},{HOST}" if value else HOST
    try:
        yield
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


# ---------------------------------------------------------------- DuckDB extensions, offline


def duckdb_extension_path(name: str) -> Path:
    """The .duckdb_extension file of `name` (ducklake, postgres, httpfs) inside its installed PyPI wheel."""
    from tasks.errors import StoreError
    from tasks.store.lake import extension_file

    try:
        return extension_file(name)
    except StoreError as exc:
        raise FileNotFoundError(str(exc)) from None


def offline_duckdb(extension_dir: Path, *names: str, database: str = ":memory:") -> duckdb.DuckDBPyConnection:
    """A DuckDB connection with extensions `names` installed from their wheels into `extension_dir` and loaded."""
    import duckdb

    # no download ever: known extensions are not auto-installed, ours come from local files
    con = duckdb.connect(database, config={"autoinstall_known_extensions": False,
                                           "extension_directory": str(extension_dir)})
    for name in names:
        # INSTALL takes no bound parameters; the path is our own. A plain LOAD '<path>' of postgres
        # fails (entry point name mismatch), INSTALL then LOAD <name> works.
        con.execute(f"install '{duckdb_extension_path(name)}'")
        con.execute(f"load {name}")
    return con
