"""The read-only guard of `capex sql`: statements that would write files are refused unless allowed."""

from __future__ import annotations

import re

from tasks.errors import ConfigError

# Statement types that write files even on a read-only database (DuckDB's parser names them).
_FILE_WRITING = {"COPY": "COPY", "COPY_DATABASE": "COPY FROM DATABASE", "EXPORT": "EXPORT DATABASE",
                 "ATTACH": "ATTACH (creates a database file)", "LOAD": "INSTALL/LOAD (writes extension files)",
                 "CREATE PERSISTENT SECRET": "CREATE PERSISTENT SECRET"}


_PREPARED = re.compile(r"^\s*prepare\s+\S+\s+as\s+(.*)$", re.IGNORECASE | re.DOTALL)  # "prepare p as copy ..."


# "create persistent secret s (...)": stored in a file under ~/.duckdb
_PERSISTENT_SECRET = re.compile(r"^\s*create\s+(or\s+replace\s+)?persistent\s+secret\b", re.IGNORECASE)


def check_query(query: str, allow_write_files: bool) -> None:
    """An empty query is a usage error; statements that write files need --allow-write-files."""
    import duckdb

    if not query.strip():
        raise ConfigError('QUERY: empty; give a SQL query, e.g. capex sql "select * from capex_stories"')
    try:
        statements = duckdb.extract_statements(query)
    except duckdb.Error:
        return  # not valid SQL: running it reports DuckDB's own error
    if not statements:
        raise ConfigError("QUERY: no SQL statement in it (only comments or semicolons)")
    if allow_write_files:
        return
    for statement in statements:
        kind = statement.type.name
        prepared = _PREPARED.match(statement.query) if kind == "PREPARE" else None
        if prepared:
            check_query(prepared.group(1), allow_write_files)
        if kind == "CREATE" and _PERSISTENT_SECRET.match(statement.query):
            kind = "CREATE PERSISTENT SECRET"
        if kind in _FILE_WRITING:
            raise ConfigError(f"QUERY: {_FILE_WRITING[kind]} writes files; capex sql is read-only "
                              "(add --allow-write-files to run it)")
