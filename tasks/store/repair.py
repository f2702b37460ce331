"""`capex doctor --repair`: compact packs with unreferenced or torn regions into their next generation.

Under the writers' lock for the whole compaction: the referenced frames are copied in offset order
into `<month>.N.zst`, fsynced with the directory and read back; every moved row is rewritten in one
transaction; only after the commit are the old files deleted. A crash before the commit leaves the old
pack referenced (and an orphan new file), after it the new one (and an orphan old file): both states
are consistent, and the next doctor reports the orphan and the next repair removes it."""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, BinaryIO

from tasks import store
from tasks.errors import StoreError
from tasks.store import rawstore

if TYPE_CHECKING:  # only tasks/store/ opens DuckDB; this module runs SQL on the connections it hands out
    import duckdb

from tasks.store.doctor import CHUNK_BYTES, Pack, Ref, Report, check, check_pack, open_packs, packs_closed, referenced
from tasks.store.sql import rollback_quietly


def repair(db_path: str | os.PathLike[str]) -> Report:
    """Compact every pack with unreferenced or torn regions (and remove unreferenced packs); then check again.

    A pack with a broken reference into it is left as it is: its rows keep failing, visibly.
    """
    done: list[str] = []
    directory = rawstore.pack_dir(db_path)
    with store.write_connection(db_path) as con:
        packs = open_packs(db_path, con)
        with packs_closed(packs):
            _compact_all(con, directory, packs, done)
    report = check(db_path)
    report.repaired = done
    return report


def _compact_all(con: duckdb.DuckDBPyConnection, directory: Path, packs: dict[str, Pack], done: list[str]) -> None:
    """Compact or remove each pack with loose bytes and no broken reference; move the rows; remove the old files."""
    moves: list[tuple[Ref, str, int]] = []
    doomed: list[str] = []
    for name, pack in sorted(packs.items()):
        if pack.handle is None:
            continue
        problems = check_pack(name, pack)
        if not problems:
            continue
        if any(p.kind == "broken" for p in problems):
            done.append(f"{name}: not compacted, broken references into it (see below)")
            continue
        doomed.append(name)
        if pack.refs:
            new_name, new_offsets = _compact(directory, name, pack, set(packs))
            moves.extend((ref, new_name, new_offsets[ref.offset or 0]) for ref in pack.refs)
            done.append(f"{name}: compacted into {new_name} ({_reclaimed(pack):,} bytes reclaimed)")
        else:
            done.append(f"{name}: removed, no article references it ({pack.size:,} bytes)")
    _move_refs(con, moves)
    for name in doomed:  # the rows point at the new packs now: the old files are garbage
        (directory / name).unlink()
    if doomed:
        rawstore.fsync_dir(directory)


def _reclaimed(pack: Pack) -> int:
    return pack.size - sum(end - start for start, end in referenced(pack))


def _next_name(name: str, taken: set[str], directory: Path) -> str:
    """The pack's next generation: `2025-03.zst` -> `2025-03.1.zst`, `2025-03.1.zst` -> `2025-03.2.zst`."""
    stem, *rest = name.removesuffix(".zst").split(".")
    generation = int(rest[0]) + 1 if rest and rest[0].isdigit() else 1
    while f"{stem}.{generation}.zst" in taken or (directory / f"{stem}.{generation}.zst").exists():
        generation += 1
    return f"{stem}.{generation}.zst"


def _compact(directory: Path, name: str, pack: Pack, taken: set[str]) -> tuple[str, dict[int, int]]:
    """Copy the referenced ranges of a pack into its next generation; return its name and old -> new offsets."""
    assert pack.handle is not None
    new_name = _next_name(name, taken, directory)
    starts: dict[int, int] = {}
    with open(directory / new_name, "xb") as out:
        for start, end in referenced(pack):
            starts[start] = out.tell()
            _copy(pack.handle, out, start, end)
        out.flush()
        os.fsync(out.fileno())
    rawstore.fsync_dir(directory)
    spans = referenced(pack)
    offsets = {}
    for ref in pack.refs:
        assert ref.offset is not None
        span_start = next(s for s, e in spans if s <= ref.offset < e)
        offsets[ref.offset] = starts[span_start] + ref.offset - span_start
    _verify_copy(pack, directory / new_name, offsets)
    return new_name, offsets


def _copy(source: BinaryIO, out: BinaryIO, start: int, end: int) -> None:
    source.seek(start)
    while start < end:
        data = source.read(min(CHUNK_BYTES, end - start))
        if not data:
            raise StoreError(f"pack ended at {start} while copying up to {end}")
        out.write(data)
        start += len(data)


def _verify_copy(pack: Pack, new_path: Path, offsets: dict[int, int]) -> None:
    """Every page reads back from the new pack byte-identical to the old one, before any row moves."""
    assert pack.handle is not None
    with open(new_path, "rb") as new:
        for ref in pack.refs:
            assert ref.offset is not None and ref.length is not None
            pack.handle.seek(ref.offset)
            new.seek(offsets[ref.offset])
            if pack.handle.read(ref.length) != new.read(ref.length):
                new_path.unlink()
                raise StoreError(f"compacted pack {new_path.name} differs from {ref.pack} at article {ref.article_id}")


def _move_refs(con: duckdb.DuckDBPyConnection, moves: Sequence[tuple[Ref, str, int]]) -> None:
    """Point the moved rows at their new pack and offset, all in one transaction."""
    if not moves:
        return
    subquery, params = store.typed_columns({
        "article_id": ("VARCHAR", [ref.article_id for ref, _, _ in moves]),
        "old_pack": ("VARCHAR", [ref.pack for ref, _, _ in moves]),
        "old_offset": ("BIGINT", [ref.offset for ref, _, _ in moves]),
        "pack": ("VARCHAR", [pack for _, pack, _ in moves]),
        "pack_offset": ("BIGINT", [offset for _, _, offset in moves]),
    })
    con.execute("begin transaction")
    try:
        row = con.execute(
            "update article_raw set pack = v.pack, pack_offset = v.pack_offset "
            f"from {subquery} as v where article_raw.article_id = v.article_id "
            "and article_raw.pack = v.old_pack and article_raw.pack_offset = v.old_offset", params,
        ).fetchone()
        if row is None or row[0] != len(moves):
            raise StoreError(f"moved {row[0] if row else 0} of {len(moves)} raw HTML references; nothing changed")
        con.execute("commit")
    except Exception:
        rollback_quietly(con)  # the first error is the one to report
        raise


__all__ = ["repair"]
