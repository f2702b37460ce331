"""Raw HTML in append-only packs beside the database: round trip, layout and damaged packs."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import pytest

from tasks import store
from tasks.errors import StoreError
from tasks.store import rawstore
from tests.support.records import make_article


def test_append_then_load_returns_each_page(tmp_path: Path) -> None:
    """Pages appended in two calls come back byte for byte, the second call after the first."""
    db = tmp_path / "capex.duckdb"
    first = rawstore.append(db, [b"one", b"second page"], datetime(2025, 3, 1))
    second = rawstore.append(db, [b"third"], datetime(2025, 3, 31))
    assert [rawstore.load(db, ref) for ref in first + second] == [b"one", b"second page", b"third"]
    assert second[0].offset == len(b"one") + len(b"second page")
    assert {r.pack for r in first + second} == {"2025-03.zst"}
    assert rawstore.append(db, [b"april"], datetime(2025, 4, 1))[0] == rawstore.RawRef("2025-04.zst", 0, 5)


def test_write_batch_keeps_the_html_out_of_duckdb(tmp_path: Path) -> None:
    """article_raw rows point into a pack (no blob), and the pack holds exactly the compressed page."""
    db = tmp_path / "capex.duckdb"
    article = make_article("https://example.com/a")
    store.write_batch(db, [article])
    _, rows = store.query(db, "select raw_html_zstd, pack, pack_offset, raw_bytes from article_raw")
    blob, pack, offset, length = rows[0]
    assert blob is None
    assert rawstore.load(db, rawstore.RawRef(pack, offset, length)) == article.raw_html_zstd
    assert (rawstore.pack_dir(db) / pack).stat().st_size == len(article.raw_html_zstd)


def test_stored_pages_resolve_old_inline_rows_and_pack_rows(tmp_path: Path) -> None:
    """Rows written before packs keep their blob; stored_pages hands out bytes for them, a RawRef for others."""
    db = tmp_path / "capex.duckdb"
    old, new = make_article("https://example.com/old"), make_article("https://example.com/new")
    store.write_batch(db, [old, new])
    with store.write_connection(db) as con:
        con.execute("update article_raw set raw_html_zstd = ?, pack = null, pack_offset = null "
                    "where article_id = ?", [b"inline html", old.article_id])
    raws = {row[0]: row[-1] for row in store.stored_pages(db, [old.article_id, new.article_id])}
    assert raws[old.article_id] == b"inline html"
    assert isinstance(raws[new.article_id], rawstore.RawRef)
    assert rawstore.load(db, raws[new.article_id]) == new.raw_html_zstd


@pytest.mark.parametrize(("ref", "message"), [
    (rawstore.RawRef("2025-03.zst", 2, 100), "ends before"),
    (rawstore.RawRef("missing.zst", 0, 1), "unreadable"),
    (rawstore.RawRef("../capex.duckdb", 0, 1), "not a file name"),
])
def test_damaged_or_foreign_references_are_store_errors(tmp_path: Path, ref: rawstore.RawRef, message: str) -> None:
    """A truncated pack, a missing pack or a path outside the pack directory is a clear StoreError."""
    db = tmp_path / "capex.duckdb"
    rawstore.append(db, [b"abcdef"], datetime(2025, 3, 1))
    with pytest.raises(StoreError, match=message):
        rawstore.load(db, ref)


def test_new_pack_and_new_directory_entries_are_fsynced(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Creating the pack directory fsyncs its parent, creating a pack fsyncs the directory; an append does not."""
    import os

    real_fsync, synced = os.fsync, []

    def recording_fsync(fd: int) -> None:
        synced.append(os.readlink(f"/proc/self/fd/{fd}"))  # the real fsync still runs
        real_fsync(fd)

    monkeypatch.setattr(os, "fsync", recording_fsync)
    db = tmp_path / "capex.duckdb"
    directory = rawstore.pack_dir(db)
    rawstore.append(db, [b"one"], datetime(2025, 3, 1))
    assert synced == [str(tmp_path), str(directory / "2025-03.zst"), str(directory)]
    synced.clear()
    rawstore.append(db, [b"two"], datetime(2025, 3, 2))
    assert synced == [str(directory / "2025-03.zst")]
    synced.clear()
    rawstore.append(db, [b"three"], datetime(2025, 4, 1))
    assert synced == [str(directory / "2025-04.zst"), str(directory)]
