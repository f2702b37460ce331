"""`capex doctor`: check every stored raw-HTML reference against its pack, and compact damaged packs.

A pack (tasks/store/rawstore.py) is a run of zstd frames, one per page, appended under the writers' lock.
What goes wrong: a batch whose append succeeded but whose commit failed leaves complete frames that
no row points at; a process killed during an append leaves a partial frame (a torn tail, which
becomes a torn region inside the pack once the next batch appends after it); a pack truncated,
overwritten or removed by hand breaks the references into it. The first two only waste space and
`repair` reclaims it; the last is reported and left as it is (reprocess records those articles as
failed), since deleting rows would hide what was lost.

Repair copies the referenced frames of a pack, in offset order, into a new file of the next
generation (`2025-03.zst` -> `2025-03.1.zst` -> `2025-03.2.zst`), fsyncs it and the directory,
checks each copied page against the original, rewrites the rows' pack and offset in one transaction,
and only then removes the old file. A crash before the commit leaves the old pack referenced and the
new file unreferenced; after it, the old file unreferenced: both are consistent, and the next repair
removes the unreferenced file. All of it runs under the writers' lock, so no batch appends to a pack
while it is compacted.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, BinaryIO

import zstandard

from tasks import store
from tasks.store import rawstore

if TYPE_CHECKING:  # only tasks/store/ opens DuckDB; this module runs SQL on the connections it hands out
    import duckdb


# Bytes read at a time when scanning or copying a pack: bounds memory whatever the pack's size.
CHUNK_BYTES = 1 << 20


_ROW_SQL = (
    "select r.article_id, a.url, r.pack, r.pack_offset, r.raw_bytes from article_raw r "
    "left join articles a using (article_id) where r.raw_html_zstd is null order by r.pack, r.pack_offset"
)


_INLINE_SQL = (
    "select r.article_id, a.url, r.raw_html_zstd, r.raw_bytes from article_raw r "
    "left join articles a using (article_id) where r.raw_html_zstd is not null order by r.article_id"
)


@dataclass(frozen=True, slots=True)
class Ref:
    """One article_raw row that points into a pack."""

    article_id: str
    url: str | None
    pack: str | None
    offset: int | None
    length: int | None


@dataclass(frozen=True, slots=True)
class Problem:
    """One finding: a broken reference (`broken`), or bytes no row points at (`unreferenced`, `torn`)."""

    kind: str
    pack: str | None
    start: int
    end: int
    detail: str
    articles: tuple[tuple[str, str | None], ...] = ()


@dataclass(slots=True)
class Report:
    """What a check found, and what a repair did before it."""

    n_refs: int = 0
    n_inline: int = 0
    n_packs: int = 0
    problems: list[Problem] = field(default_factory=list)
    repaired: list[str] = field(default_factory=list)


@dataclass(slots=True)
class Pack:
    """A pack file opened under the writers' lock, its size then, and the rows pointing into it."""

    handle: BinaryIO | None
    size: int
    refs: list[Ref] = field(default_factory=list)


def check(db_path: str | os.PathLike[str]) -> Report:
    """Check every article_raw row (pack references and inline blobs) and every pack file.

    Rows and pack sizes are read under the writers' lock (so a batch's append in flight is not
    taken for an unreferenced tail); the frames are then read through the handles opened there.
    """
    with store.write_connection(db_path) as con:
        packs = open_packs(db_path, con)
    report = Report()
    with packs_closed(packs):
        report.n_packs = sum(p.handle is not None for p in packs.values())
        report.n_refs = sum(len(p.refs) for p in packs.values())
        for name, pack in sorted(packs.items()):
            report.problems.extend(check_pack(name, pack))
    with store.read_connection(db_path) as con:
        cursor = con.execute(_INLINE_SQL)
        while rows := cursor.fetchmany(500):
            report.n_inline += len(rows)
            for article_id, url, blob, raw_bytes in rows:
                if (error := _inline_error(blob, raw_bytes)) is not None:
                    report.problems.append(Problem("broken", None, 0, len(blob), f"inline blob: {error}",
                                                   ((article_id, url),)))
    return report


def open_packs(db_path: str | os.PathLike[str], con: duckdb.DuckDBPyConnection) -> dict[str, Pack]:
    """Every pack named by a row or present in the pack directory, opened, with its rows.

    Rows that name no pack are under the key "".
    """
    directory = rawstore.pack_dir(db_path)
    packs: dict[str, Pack] = {}
    on_disk = sorted(p.name for p in directory.glob("*.zst")) if directory.is_dir() else []
    for row in con.execute(_ROW_SQL).fetchall():
        ref = Ref(*row)
        packs.setdefault(ref.pack or "", Pack(None, 0)).refs.append(ref)
    with packs_closed(packs, on_error_only=True):
        for name in [*on_disk, *packs]:
            pack = packs.setdefault(name, Pack(None, 0))
            if pack.handle is None and name and Path(name).name == name and (directory / name).is_file():
                pack.handle = open(directory / name, "rb")  # noqa: SIM115 -- closed by packs_closed
                pack.size = os.fstat(pack.handle.fileno()).st_size
    return packs


@contextmanager
def packs_closed(packs: dict[str, Pack], on_error_only: bool = False) -> Iterator[None]:
    """Close the packs' handles on the way out (only if an exception leaves, with `on_error_only`)."""
    try:
        yield
    except BaseException:
        _close(packs)
        raise
    if not on_error_only:
        _close(packs)


def _close(packs: dict[str, Pack]) -> None:
    for pack in packs.values():
        if pack.handle is not None:
            pack.handle.close()


def check_pack(name: str, pack: Pack) -> list[Problem]:
    """The broken references into one pack, then its unreferenced and torn regions."""
    if pack.handle is None:
        if not pack.refs:
            return []
        reason = "pack name is not a file name" if Path(name).name != name else "pack file missing"
        if not name:
            reason = "row has neither a pack nor an inline blob"
        ends = [(r.offset or 0) + (r.length or 0) for r in pack.refs]
        return [Problem("broken", name or None, min(r.offset or 0 for r in pack.refs), max(ends), reason,
                        tuple((r.article_id, r.url) for r in pack.refs))]
    problems = [p for ref in pack.refs if (p := _check_ref(name, pack.handle, pack.size, ref)) is not None]
    return problems + _gap_problems(name, pack)


def _check_ref(name: str, handle: BinaryIO, size: int, ref: Ref) -> Problem | None:
    """A broken reference: past the end of its pack, or not exactly one frame that decodes."""
    offset, length = ref.offset, ref.length
    article = ((ref.article_id, ref.url),)
    if offset is None or length is None or offset < 0 or length <= 0:
        return Problem("broken", name, offset or 0, (offset or 0) + (length or 0),
                       f"row has offset {offset} and length {length}", article)
    if offset + length > size:
        return Problem("broken", name, offset, offset + length, f"past the end of the pack ({size} bytes)", article)
    handle.seek(offset)
    error = frame_error(handle.read(length))
    return None if error is None else Problem("broken", name, offset, offset + length, error, article)


def frame_error(data: bytes) -> str | None:
    """Why `data` is not exactly one zstd frame that decodes to the size its header records, or None."""
    decoder = zstandard.ZstdDecompressor().decompressobj()
    try:
        out = decoder.decompress(data)
    except zstandard.ZstdError as exc:
        return f"frame does not decode: {exc}"
    if not decoder.eof:
        return "frame is incomplete"
    if decoder.unused_data:
        return f"{len(decoder.unused_data)} bytes follow the frame inside the reference"
    expected = zstandard.get_frame_parameters(data).content_size
    if expected != zstandard.CONTENTSIZE_UNKNOWN and expected != len(out):
        return f"frame decodes to {len(out)} bytes, its header says {expected}"
    return None


def referenced(pack: Pack) -> list[tuple[int, int]]:
    """The byte ranges of the pack some row points at (clipped to the file), merged, in order."""
    spans = sorted((r.offset, min(r.offset + r.length, pack.size)) for r in pack.refs
                   if r.offset is not None and r.length is not None and 0 <= r.offset < pack.size and r.length > 0)
    merged: list[tuple[int, int]] = []
    for start, end in spans:
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], end))
        else:
            merged.append((start, end))
    return merged


def _gap_problems(name: str, pack: Pack) -> list[Problem]:
    """Each region no row points at: its complete frames (`unreferenced`), then any partial frame (`torn`)."""
    assert pack.handle is not None
    problems, position = [], 0
    for start, end in [*referenced(pack), (pack.size, pack.size)]:
        if start > position:
            n_frames, frames_end = _complete_frames(pack.handle, position, start)
            if n_frames:
                problems.append(Problem("unreferenced", name, position, frames_end,
                                        f"{n_frames} complete frame(s) no article references (a failed batch's pages)"))
            if frames_end < start:
                where = "torn tail" if start == pack.size else "torn region"
                problems.append(Problem("torn", name, frames_end, start,
                                        f"{where}: a partial or undecodable frame no article references"))
        position = max(position, end)
    return problems


def _complete_frames(handle: BinaryIO, start: int, end: int) -> tuple[int, int]:
    """How many complete zstd frames the bytes [start, end) begin with, and where the last one ends."""
    context = zstandard.ZstdDecompressor()
    decoder = context.decompressobj()
    n_frames, frame_end, position, data = 0, start, start, b""
    handle.seek(start)
    while True:
        if not data:
            data = handle.read(min(CHUNK_BYTES, end - position))
            position += len(data)
            if not data:
                return n_frames, frame_end
        try:
            decoder.decompress(data)
        except zstandard.ZstdError:
            return n_frames, frame_end
        if not decoder.eof:
            data = b""
            continue
        data = decoder.unused_data
        n_frames, frame_end, decoder = n_frames + 1, position - len(data), context.decompressobj()


def _inline_error(blob: bytes, raw_bytes: int | None) -> str | None:
    """Why an inline blob (a row from before packs) is damaged, or None."""
    if raw_bytes is not None and raw_bytes != len(blob):
        return f"inline blob is {len(blob)} bytes, raw_bytes says {raw_bytes}"
    return frame_error(blob)


def describe(problem: Problem) -> str:
    """One line: severity, pack and byte range, what is wrong, the articles affected."""
    severity = "error" if problem.kind == "broken" else "warning"
    where = f"{problem.pack} [{problem.start}, {problem.end})" if problem.pack else "article_raw"
    articles = ", ".join(f"{aid} {url or '(no article row)'}" for aid, url in problem.articles)
    return f"{severity}: {where}: {problem.detail}" + (f"; articles: {articles}" if articles else "")


def summary(report: Report) -> str:
    """The last line: what was checked and what was found."""
    checked = f"{report.n_refs} references into {report.n_packs} packs and {report.n_inline} inline pages checked"
    broken = [p for p in report.problems if p.kind == "broken"]
    loose = [p for p in report.problems if p.kind != "broken"]
    if not report.problems:
        return f"doctor: clean: {checked}"
    n_articles = sum(len(p.articles) for p in broken)
    loose_bytes = sum(p.end - p.start for p in loose)
    return (f"doctor: {checked}: {len(broken)} broken reference(s) affecting {n_articles} article(s) "
            "(reprocess records them as failed), "
            f"{len(loose)} unreferenced or torn region(s) of {loose_bytes:,} bytes "
            "(capex doctor --repair removes them)")


__all__ = ["Pack", "Problem", "Ref", "Report", "check", "check_pack", "describe", "frame_error", "open_packs",
           "packs_closed", "referenced", "summary"]
