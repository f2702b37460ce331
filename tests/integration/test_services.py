"""The lake tests' services: a throwaway PostgreSQL and moto's S3 on 127.0.0.1, with DuckLake loaded offline."""

from __future__ import annotations

from pathlib import Path

import duckdb
import psycopg
import pytest

from tests.support import services
from tests.support.services import PostgresServer, S3Server, duckdb_extension_path, offline_duckdb

ROWS = [(1, "Microsoft", 80e9), (2, "Alphabet", 75e9), (3, "Meta", 65e9)]


def attach_lake(con: duckdb.DuckDBPyConnection, dsn: str, data_path: str) -> None:
    """Attach the DuckLake whose catalog is `dsn` as `lake`, every insert written as Parquet to `data_path`."""
    # DuckLake keeps inserts of a few rows in the catalog (data inlining, on by default: measured with
    # 2 rows, no file was written); 0 sends every insert to the data path, which is what is under test
    con.execute(f"attach 'ducklake:postgres:{dsn}' as lake (data_path '{data_path}', data_inlining_row_limit 0)")


def write_rows(con: duckdb.DuckDBPyConnection) -> None:
    """Create lake.capex and insert ROWS."""
    con.execute("create table lake.capex (capex_id integer, company varchar, amount_usd double)")
    con.executemany("insert into lake.capex values (?, ?, ?)", ROWS)


def read_rows(con: duckdb.DuckDBPyConnection) -> list[tuple[object, ...]]:
    """All rows of lake.capex in key order."""
    return con.execute("select capex_id, company, amount_usd from lake.capex order by capex_id").fetchall()


def test_extension_files_ship_in_the_wheels() -> None:
    """The ducklake, postgres and httpfs extension files are found inside their installed wheels."""
    for name in ("ducklake", "postgres", "httpfs"):
        path = duckdb_extension_path(name)
        assert path.is_file()
        assert path.name == f"{name}.duckdb_extension"
    with pytest.raises(FileNotFoundError, match="duckdb-extension-nosuch is not installed"):
        duckdb_extension_path("nosuch")


def test_postgres_database_accepts_connections(pg_server: PostgresServer) -> None:
    """create_database returns a libpq DSN on 127.0.0.1 that psycopg connects to as postgres."""
    dsn = pg_server.create_database("svc_plain")
    assert dsn == f"dbname=svc_plain host=127.0.0.1 port={pg_server.port} user=postgres"
    with psycopg.connect(dsn, connect_timeout=10) as conn:
        assert conn.execute("select current_database(), current_user").fetchone() == ("svc_plain", "postgres")
    with pytest.raises(ValueError, match="lowercase letters"):
        pg_server.create_database("x; drop")


def test_s3_bucket_accepts_objects(s3_server: S3Server) -> None:
    """create_bucket makes a bucket on the moto server that stores and returns an object."""
    assert s3_server.create_bucket("svc-plain") == "s3://svc-plain"
    client = s3_server.client()
    client.put_object(Bucket="svc-plain", Key="a/b.txt", Body=b"capex")
    assert client.get_object(Bucket="svc-plain", Key="a/b.txt")["Body"].read() == b"capex"


@pytest.mark.slow
def test_lake_in_a_directory(pg_server: PostgresServer, tmp_path: Path) -> None:
    """A DuckLake with its catalog in PostgreSQL and its data in a directory writes Parquet and reads it back."""
    dsn = pg_server.create_database("svc_lake_dir")
    data = tmp_path / "data"
    with offline_duckdb(tmp_path / "ext", "ducklake", "postgres") as con:
        attach_lake(con, dsn, f"{data}/")
        write_rows(con)
    with offline_duckdb(tmp_path / "ext", "ducklake", "postgres") as con:
        attach_lake(con, dsn, f"{data}/")
        assert read_rows(con) == ROWS
    assert list(data.rglob("*.parquet"))


@pytest.mark.slow
def test_lake_in_s3(pg_server: PostgresServer, s3_server: S3Server, tmp_path: Path) -> None:
    """A DuckLake with its data under s3://bucket/prefix/ on the moto server writes Parquet objects and reads them."""
    dsn = pg_server.create_database("svc_lake_s3")
    s3_server.create_bucket("svc-lake")
    with offline_duckdb(tmp_path / "ext", "ducklake", "postgres", "httpfs") as con:
        s3_server.create_secret(con)
        attach_lake(con, dsn, "s3://svc-lake/capex/")
        write_rows(con)
        assert read_rows(con) == ROWS
    listed = s3_server.client().list_objects_v2(Bucket="svc-lake", Prefix="capex/").get("Contents", [])
    keys = [item["Key"] for item in listed]
    assert keys
    assert all(key.endswith(".parquet") for key in keys)


@pytest.mark.slow
def test_lake_survives_a_postgres_restart(pg_server: PostgresServer, tmp_path: Path) -> None:
    """With PostgreSQL stopped a lake write fails; after start() the same cluster still holds the committed rows."""
    dsn = pg_server.create_database("svc_lake_restart")
    data = f"{tmp_path / 'data'}/"
    with offline_duckdb(tmp_path / "ext", "ducklake", "postgres") as con:
        attach_lake(con, dsn, data)
        write_rows(con)
        pg_server.stop()
        try:
            assert not pg_server.running
            with pytest.raises(duckdb.IOException, match="Connection refused"):
                con.execute("insert into lake.capex values (4, 'Amazon', 100e9)")
        finally:
            pg_server.start()
    with offline_duckdb(tmp_path / "ext", "ducklake", "postgres") as con:
        attach_lake(con, dsn, data)
        assert read_rows(con) == ROWS


@pytest.mark.slow
def test_no_process_outlives_a_failing_test() -> None:
    """When the body raises, both servers are stopped and PostgreSQL's directory is deleted."""
    for reason in (services.postgres_unavailable_reason(), services.s3_unavailable_reason()):
        if reason:
            pytest.skip(reason)
    with (pytest.raises(RuntimeError, match="the test failed"), services.postgres_server() as pg,
          services.s3_server() as s3):
        assert pg.pid is not None
        assert s3.process is not None
        pids, base = [pg.pid, s3.process.pid], pg.base
        raise RuntimeError("the test failed")
    assert not any(services.process_alive(pid) for pid in pids)
    assert not base.exists()
