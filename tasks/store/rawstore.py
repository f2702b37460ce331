"""The raw HTML of stored articles, in append-only pack files beside the database.

DuckDB rewrites the last row group of a table at every checkpoint, and the writers close (and so
checkpoint) the database after every batch. With ~60 KB of compressed HTML a row in a blob column,
each batch's commit cost grew with the database (`make bench` section f, benchmarks/db_growth.py:
457 -> 1,940 ms per 50-article batch from the first to the fifth 1,000 articles; 211 -> 363 ms with
packs, where what still grows is the articles table). So `article_raw` keeps only where each page
is: a pack file (one per month, `<database>.raw/YYYY-MM.zst`), an offset and a length. Each page is
one zstd frame, appended under the writers' lock and never rewritten; old months can be archived.

Bytes appended by a batch whose commit then failed (or a partial frame of a process killed during
an append) stay in the pack unreferenced: harmless, as the next append starts at the end of the
file; `capex doctor` reports them and `--repair` compacts them away (tasks/store/doctor.py). A pack made
by a repair is named `YYYY-MM.N.zst` (generation N), so appends of the month start a new
`YYYY-MM.zst`. Creating a pack or the pack directory fsyncs the directory that lists it: the file's
own fsync does not make its name durable, and the rows that point at it are committed right after.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from tasks.errors import StoreError


@dataclass(frozen=True, slots=True)
class RawRef:
    """Where one page's compressed HTML is: pack file name, offset and length."""

    pack: str
    offset: int
    length: int


def pack_dir(db_path: str | os.PathLike[str]) -> Path:
    """The directory of a database's packs: `capex.duckdb` -> `capex.duckdb.raw/`."""
    path = Path(db_path)
    return path.with_name(path.name + ".raw")


def append(db_path: str | os.PathLike[str], blobs: Sequence[bytes], now: datetime) -> list[RawRef]:
    """Append compressed pages to this month's pack and return where each one is.

    The caller holds the writers' lock, so appends of several processes never interleave.
    """
    if not blobs:
        return []
    directory = pack_dir(db_path)
    if not directory.is_dir():
        directory.mkdir(parents=True, exist_ok=True)
        fsync_dir(directory.parent)
    name = f"{now:%Y-%m}.zst"
    is_new = not (directory / name).exists()
    refs = []
    with open(directory / name, "ab") as handle:
        offset = handle.seek(0, os.SEEK_END)
        for blob in blobs:
            handle.write(blob)
            refs.append(RawRef(name, offset, len(blob)))
            offset += len(blob)
        handle.flush()
        os.fsync(handle.fileno())  # the rows that point here are committed only after this
    if is_new:
        fsync_dir(directory)
    return refs


def fsync_dir(directory: Path) -> None:
    """Make the directory's entries (files created, renamed or removed in it) durable."""
    fd = os.open(directory, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def load(db_path: str | os.PathLike[str], raw: bytes | RawRef) -> bytes:
    """The compressed HTML of one page: `raw` itself (rows written before packs) or read from its pack."""
    if isinstance(raw, bytes):
        return raw
    if Path(raw.pack).name != raw.pack:
        raise StoreError(f"raw HTML pack name {raw.pack!r} is not a file name")
    try:
        with open(pack_dir(db_path) / raw.pack, "rb") as handle:
            handle.seek(raw.offset)
            data = handle.read(raw.length)
    except OSError as exc:
        raise StoreError(f"raw HTML pack {raw.pack} unreadable: {exc}") from exc
    if len(data) != raw.length:
        raise StoreError(f"raw HTML pack {raw.pack} ends before offset {raw.offset} + {raw.length}")
    return data


__all__ = ["RawRef", "append", "fsync_dir", "load", "pack_dir"]
