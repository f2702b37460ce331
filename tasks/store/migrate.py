"""Numbered SQL migrations, the views recreated after them, and data fills SQL cannot do."""

from __future__ import annotations

import hashlib
import logging
from dataclasses import dataclass
from pathlib import Path

import duckdb

from tasks.models import utcnow
from tasks.store import lake
from tasks.store.bulk import typed_columns
from tasks.store.identity import content_fingerprint, outlet_of
from tasks.store.sql import rollback_quietly

logger = logging.getLogger(__name__)

# the repository's sql/ folder: numbered migrations and views/
SQL_DIR = Path(__file__).resolve().parent.parent.parent / "sql"


def views_checksum(sql_dir: Path = SQL_DIR) -> str:
    """A checksum of the view files: readers compare it with the one the last migration recorded."""
    digest = hashlib.sha256()
    for view in sorted((sql_dir / "views").glob("*.sql")):
        digest.update(view.read_bytes())
    return digest.hexdigest()


@dataclass(frozen=True, slots=True)
class Migration:
    """One numbered SQL migration file."""

    version: int
    name: str
    sql: str

    @property
    def checksum(self) -> str:
        return hashlib.sha256(self.sql.encode("utf-8")).hexdigest()


def migrations(sql_dir: Path = SQL_DIR) -> list[Migration]:
    """The migration files `NNNN_<verb>_<object>.sql` in order."""
    return [Migration(int(path.name[:4]), path.stem[5:], path.read_text(encoding="utf-8"))
            for path in sorted(sql_dir.glob("[0-9][0-9][0-9][0-9]_*.sql"))]


def migrate(con: duckdb.DuckDBPyConnection, sql_dir: Path = SQL_DIR) -> list[int]:
    """Apply pending migrations, each in a transaction with its record, then recreate the views."""
    in_lake = lake.is_lake_connection(con)
    ddl = lake.lake_ddl if in_lake else _unchanged
    con.execute(ddl(
        "create table if not exists schema_migrations ("
        " version integer primary key, name varchar not null, checksum varchar not null,"
        " applied_at timestamp not null)"
    ))
    applied = {row[0]: row[1] for row in con.execute("select version, checksum from schema_migrations").fetchall()}
    newly = []
    for mig in migrations(sql_dir):
        if mig.version in applied:
            if applied[mig.version] != mig.checksum:
                logger.warning("migration %04d_%s changed after it was applied", mig.version, mig.name)
            continue
        con.execute("begin transaction")
        try:
            con.execute(ddl(mig.sql))
            con.execute(
                "insert into schema_migrations values (?, ?, ?, ?)",
                [mig.version, mig.name, mig.checksum, utcnow()],
            )
            con.execute("commit")
        except Exception:
            rollback_quietly(con)
            raise
        newly.append(mig.version)
    _fill_article_identity(con)
    for view in sorted((sql_dir / "views").glob("*.sql")):
        con.execute(view.read_text(encoding="utf-8"))
    # readers compare this with the view files to know whether they must migrate first
    con.execute("create table if not exists schema_views (checksum varchar)")
    con.execute("delete from schema_views")
    con.execute("insert into schema_views values (?)", [views_checksum(sql_dir)])
    return newly


def _unchanged(sql: str) -> str:
    return sql


def _fill_article_identity(con: duckdb.DuckDBPyConnection) -> None:
    """Outlet, fingerprint and first copy of articles stored before migration 0006 (one transaction).

    Articles are taken in the order they were fetched, so the first copy stored stays the original.
    """
    columns = {r[0] for r in con.execute(
        "select column_name from information_schema.columns where table_name = 'articles'").fetchall()}
    if "outlet" not in columns:
        return  # a test migrating to an older schema
    rows = con.execute("select article_id, url, text from articles where outlet is null and content_hash is null "
                       "order by fetched_at, article_id").fetchall()
    if not rows:
        return
    known = dict(con.execute("select content_hash, article_id from articles where content_hash is not null "
                             "and duplicate_of is null").fetchall())
    filled = []
    for article_id, url, text in rows:
        fingerprint = content_fingerprint(text or "")
        original = known.setdefault(fingerprint, article_id) if fingerprint else article_id
        filled.append((article_id, outlet_of(url), fingerprint, None if original == article_id else original))
    subquery, params = typed_columns({
        "article_id": ("VARCHAR", [r[0] for r in filled]), "outlet": ("VARCHAR", [r[1] for r in filled]),
        "content_hash": ("VARCHAR", [r[2] for r in filled]), "duplicate_of": ("VARCHAR", [r[3] for r in filled]),
    })
    con.execute("begin transaction")
    con.execute(f"update articles set outlet = v.outlet, content_hash = v.content_hash, duplicate_of = v.duplicate_of "
                f"from {subquery} as v where articles.article_id = v.article_id", params)
    con.execute("commit")
