"""Unit tests of tasks/store/lake.py: the migrations' lake form, the keys it relies on, lake targets."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest

from tasks import store
from tasks.errors import ConfigError
from tasks.store import lake
from tasks.store.bulk import _lake_insert


def test_lake_ddl_removes_keys_sequences_and_unique_only() -> None:
    """Sequences, PRIMARY KEY (column and table) and UNIQUE go; types, NOT NULL and defaults stay."""
    sql = ("create sequence s_seq start 1;\n"
           "create table t (\n    id integer primary key default nextval('s_seq'),\n"
           "    url varchar not null unique,\n    n integer not null default 0,\n"
           "    k varchar not null,\n    primary key (id, k)\n);")
    assert lake.lake_ddl(sql) == ("\ncreate table t (\n    id integer,\n    url varchar not null,\n"
                                  "    n integer not null default 0,\n    k varchar not null\n);")


def test_every_migration_runs_in_duckdb_after_the_lake_translation(tmp_path: Path) -> None:
    """The translated migrations build the same tables and columns as the originals, with no key left."""
    translated = tmp_path / "sql"
    (translated / "views").mkdir(parents=True)
    for mig in store.migrations():
        (translated / f"{mig.version:04d}_{mig.name}.sql").write_text(lake.lake_ddl(mig.sql))
    plain, stripped = duckdb.connect(), duckdb.connect()
    store.migrate(plain)
    store.migrate(stripped, translated)
    columns = ("select table_name, column_name, data_type from information_schema.columns "
               "where table_name not like '%capex%' and table_name not like 'int_%' "
               "and table_name not in ('feed_health', 'page_retry_queue') order by all")
    assert stripped.execute(columns).fetchall() == plain.execute(columns).fetchall()
    keys = "select count(*) from duckdb_constraints() where constraint_type in ('PRIMARY KEY', 'UNIQUE')"
    assert stripped.execute(keys).fetchone() == (1,)  # schema_migrations' own, created by migrate()


def test_table_keys_match_the_file_backends_primary_keys() -> None:
    """TABLE_KEYS, which the lake's insert-if-absent matches on, are the keys the migrations declare."""
    con = duckdb.connect()
    store.migrate(con)
    declared = {
        table: tuple(columns)
        for table, columns in con.execute(
            "select table_name, constraint_column_names from duckdb_constraints() "
            "where constraint_type = 'PRIMARY KEY'").fetchall()
    }
    assert declared == lake.TABLE_KEYS
    uniques = {(t, tuple(c)) for t, c in con.execute(
        "select table_name, constraint_column_names from duckdb_constraints() where constraint_type = 'UNIQUE'"
    ).fetchall()}
    assert {(t, k) for t, k in lake.INSERT_KEYS.items() if k != lake.TABLE_KEYS[t]} <= uniques


def test_lake_insert_is_an_anti_join_merge_with_batch_repeats_dropped() -> None:
    """The lake form of 'on conflict do nothing' inserts only absent keys, once each, in DuckDB too."""
    con = duckdb.connect()
    con.execute("create table facts (fact_id varchar, n integer)")
    con.execute("insert into facts values ('a', 1)")
    sub, params = store.typed_columns({"fact_id": ("VARCHAR", ["a", "b", "b"]), "n": ("INTEGER", [9, 2, 3])})
    con.execute(_lake_insert("facts", ("fact_id", "n"), sub, "do nothing"), params)
    assert con.execute("select fact_id, n from facts order by fact_id").fetchall()[0] == ("a", 1)
    assert con.execute("select count(*) from facts where fact_id = 'b'").fetchone() == (1,)


def test_lake_upsert_and_serial_ids() -> None:
    """An update clause becomes MERGE's matched branch; a sequence's column is allocated after the maximum."""
    con = duckdb.connect()
    con.execute("create table page_failures (url varchar, n_attempts integer)")
    con.execute("insert into page_failures values ('u', 1)")
    sub, params = store.typed_columns({"url": ("VARCHAR", ["u", "v"]), "n_attempts": ("INTEGER", [2, 1])})
    con.execute(_lake_insert("page_failures", ("url", "n_attempts"), sub,
                             "(url) do update set n_attempts = page_failures.n_attempts + excluded.n_attempts"), params)
    assert con.execute("select * from page_failures order by url").fetchall() == [("u", 3), ("v", 1)]
    con.execute("create table feed_polls (poll_id bigint, status varchar)")
    con.execute("insert into feed_polls values (7, 'ok')")
    sub, params = store.typed_columns({"status": ("VARCHAR", ["error", "ok"])})
    con.execute(_lake_insert("feed_polls", ("status",), sub, "do nothing"), params)
    assert con.execute("select poll_id from feed_polls order by 1").fetchall() == [(7,), (8,), (9,)]


@pytest.mark.parametrize("db", [
    "ducklake:sqlite:capex.sqlite", "ducklake:postgres:host=127.0.0.1", "ducklake:capex.ducklake"])
def test_lake_targets_other_than_a_postgres_catalog_are_refused(db: str) -> None:
    """Only a PostgreSQL catalog with a dbname is accepted, with a message naming the expected form."""
    with pytest.raises(ConfigError, match="ducklake:postgres|dbname"):
        lake.parse_target(db)


def test_lake_settings_resolve_the_data_path_and_endpoint(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """CAPEX_DATA_PATH becomes an absolute directory ending in /; an http:// endpoint turns TLS off."""
    from tasks.settings import lake_settings

    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("CAPEX_DATA_PATH", "lakedata")
    monkeypatch.setenv("CAPEX_S3_ENDPOINT", "http://127.0.0.1:9000/")
    settings = lake_settings()
    assert settings.data_path == f"{tmp_path.resolve()}/lakedata/"
    assert (settings.s3_endpoint, settings.s3_use_ssl) == ("127.0.0.1:9000", False)
    monkeypatch.setenv("CAPEX_DATA_PATH", "s3://bucket/capex")
    assert lake_settings().data_path == "s3://bucket/capex/"
