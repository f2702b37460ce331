"""Fresh lakes for tests: a new catalog database on the session's PostgreSQL and a data directory or S3 prefix."""

from __future__ import annotations

import itertools
import os
from pathlib import Path

import pytest

from tests.support.services import PostgresServer, S3Server

_names = itertools.count(1)


def fresh_lake(pg: PostgresServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
               s3: S3Server | None = None) -> str:
    """A --db value naming a new, empty lake; CAPEX_DATA_PATH (and the S3 settings) set for this test."""
    name = f"lake_{os.getpid()}_{next(_names)}"
    dsn = pg.create_database(name)
    if s3 is None:
        data = tmp_path / "lakedata"
        data.mkdir(exist_ok=True)
        monkeypatch.setenv("CAPEX_DATA_PATH", str(data))
    else:
        bucket = s3.create_bucket(name.replace("_", "-"))  # an s3:// URL
        monkeypatch.setenv("CAPEX_DATA_PATH", f"{bucket}/capex")
        monkeypatch.setenv("CAPEX_S3_ENDPOINT", f"http://{s3.endpoint}")
        monkeypatch.setenv("AWS_ACCESS_KEY_ID", s3.key_id)
        monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", s3.secret)
    return f"ducklake:postgres:{dsn}"
