"""`capex doctor` on real packs and databases: damage is named with its articles, --repair compacts safely."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest
import zstandard

from tasks import store
from tasks.errors import StoreError
from tasks.ingest.pool import decompress_html
from tasks.models import Article
from tasks.store import rawstore
from tests.support.cli import ENV, capex
from tests.support.packs import only_pack, pages, stored_html
from tests.support.paths import REPO


def _doctor(db: str, *args: str) -> tuple[int, list[str]]:
    result = capex("doctor", "--db", db, *args, timeout=120)
    assert not result.stderr.strip() or result.returncode != 0, result.stderr.decode()
    return result.returncode, result.stdout.decode().splitlines()


def _expected(*batches: list[Article]) -> dict[str, bytes]:
    return {a.article_id: decompress_html(a.raw_html_zstd) for batch in batches for a in batch}


def _torn_db(db: str) -> tuple[list[Article], Path, int]:
    """Four stored articles, then half of a fifth page's frame appended to the pack."""
    stored = pages(0, 4)
    store.write_batch(db, stored)
    pack = only_pack(db)
    size = pack.stat().st_size
    with open(pack, "ab") as handle:
        handle.write(pages(10, 1)[0].raw_html_zstd[:40])
    return stored, pack, size


def test_torn_tail_is_reported_then_repaired_with_every_page_byte_identical(db: str) -> None:
    """A partial frame at the end of a pack exits 1 naming its range; --repair compacts it and doctor is clean."""
    stored, pack, size = _torn_db(db)
    rc, out = _doctor(db)
    assert rc == 1
    assert out[0] == (f"warning: {pack.name} [{size}, {size + 40}): torn tail: a partial or undecodable frame "
                      "no article references")
    assert out[-1].endswith("1 unreferenced or torn region(s) of 40 bytes (capex doctor --repair removes them)")
    rc, out = _doctor(db, "--repair")
    new_name = pack.name.replace(".zst", ".1.zst")
    assert rc == 0, out
    assert out == [f"repaired: {pack.name}: compacted into {new_name} (40 bytes reclaimed)",
                   "doctor: clean: 4 references into 1 packs and 0 inline pages checked"]
    assert _doctor(db) == (0, ["doctor: clean: 4 references into 1 packs and 0 inline pages checked"])
    assert [p.name for p in rawstore.pack_dir(db).iterdir()] == [new_name]
    assert (rawstore.pack_dir(db) / new_name).stat().st_size == size
    assert stored_html(db) == _expected(stored)


def test_batch_killed_between_append_and_commit_leaves_a_region_repair_removes(db: str) -> None:
    """A writer SIGKILLed after its append leaves complete frames between two batches; doctor names them,
    repair drops them."""
    first, killed, last = pages(0, 3), pages(3, 2), pages(5, 2)
    store.write_batch(db, first)
    start = only_pack(db).stat().st_size
    code = ("import os, signal; from tasks import store; from tasks.store import rawstore\n"
            "from tests.support.packs import pages\n"
            f"with store.write_connection({db!r}):\n"
            f"    rawstore.append({db!r}, [a.raw_html_zstd for a in pages(3, 2)], store.utcnow())\n"
            "    os.kill(os.getpid(), signal.SIGKILL)\n")
    child = subprocess.run([sys.executable, "-c", code], cwd=REPO, env=ENV, capture_output=True, timeout=60,
                           check=False)
    assert child.returncode == -signal.SIGKILL, child.stderr.decode()
    store.write_batch(db, last)  # the killed writer's lock went with it
    end = start + sum(len(a.raw_html_zstd) for a in killed)
    pack = only_pack(db)
    rc, out = _doctor(db)
    assert rc == 1
    assert out[0] == (f"warning: {pack.name} [{start}, {end}): 2 complete frame(s) no article references "
                      "(a failed batch's pages)")
    assert _doctor(db, "--repair")[0] == 0
    assert _doctor(db)[0] == 0
    assert stored_html(db) == _expected(first, last)
    assert only_pack(db).stat().st_size == sum(len(a.raw_html_zstd) for a in first + last)


def _truncate(db: str, pack: Path, broken: list[str]) -> None:
    with open(pack, "r+b") as handle:
        handle.truncate(pack.stat().st_size - 10)


def _remove(db: str, pack: Path, broken: list[str]) -> None:
    pack.unlink()


def _overwrite(db: str, pack: Path, broken: list[str]) -> None:
    (raw,) = [row[-1] for row in store.stored_pages(db, broken)]
    with open(pack, "r+b") as handle:
        handle.seek(raw.offset)
        handle.write(b"\0\0\0\0")  # the frame's magic number


def _point_past_end(db: str, pack: Path, broken: list[str]) -> None:
    with store.write_connection(db) as con:
        con.execute("update article_raw set pack_offset = pack_offset + 1000000 where article_id = ?", [broken[0]])


@pytest.mark.parametrize(("damage", "which", "message"), [
    (_truncate, [2], "past the end of the pack"),
    (_remove, [0, 1, 2], "pack file missing"),
    (_overwrite, [1], "frame does not decode"),
    (_point_past_end, [1], "past the end of the pack"),
])
def test_broken_references_are_named_with_their_articles_and_never_repaired_away(
        db: str, damage: Callable[[str, Path, list[str]], None], which: list[int], message: str) -> None:
    """A truncated, missing or overwritten pack and a row past the end: each exits 1 naming the articles;
    repair keeps the rows."""
    stored = pages(0, 3)
    store.write_batch(db, stored)
    pack = only_pack(db)
    broken = [stored[i] for i in which]
    damage(db, pack, [a.article_id for a in broken])
    for args in ((), ("--repair",)):
        rc, out = _doctor(db, *args)
        errors = [line for line in out if line.startswith("error:")]
        assert rc == 1
        assert len(errors) == 1 and f"error: {pack.name} [" in errors[0] and message in errors[0]
        assert all(f"{a.article_id} {a.url}" in errors[0] for a in broken)
        assert not any(a.article_id in errors[0] for a in stored if a not in broken)
        assert out[-1].startswith("doctor: ") and f"1 broken reference(s) affecting {len(broken)} article(s)" in out[-1]
    assert store.table_counts(db)["article_raw"] == 3
    for article in stored:
        (raw,) = [row[-1] for row in store.stored_pages(db, [article.article_id])]
        if article in broken:
            with pytest.raises((StoreError, zstandard.ZstdError)):  # what reprocess records as a failure
                decompress_html(rawstore.load(db, raw))
        else:
            assert decompress_html(rawstore.load(db, raw)) == decompress_html(article.raw_html_zstd)


def test_a_crash_on_either_side_of_the_commit_leaves_a_state_repair_finishes(db: str, tmp_path: Path) -> None:
    """A leftover next-generation file (crash before the commit) or old pack (crash after it) is reported
    and removed."""
    stored, pack, size = _torn_db(db)
    directory = rawstore.pack_dir(db)
    old_copy = tmp_path / "old.zst"
    shutil.copyfile(pack, old_copy)
    with open(directory / pack.name.replace(".zst", ".1.zst"), "wb") as leftover:
        leftover.write(pack.read_bytes()[:size])  # what a repair killed before its commit had written
    rc, out = _doctor(db)
    assert rc == 1 and f"warning: {pack.name.replace('.zst', '.1.zst')} [0, {size}): 4 complete frame(s)" in out[0]
    assert stored_html(db) == _expected(stored)
    assert _doctor(db, "--repair")[0] == 0
    assert [p.name for p in directory.iterdir()] == [pack.name.replace(".zst", ".2.zst")]
    shutil.copyfile(old_copy, pack)  # a repair killed after its commit, before removing the old pack
    rc, out = _doctor(db)
    assert rc == 1 and out[0].startswith(f"warning: {pack.name} [0, {size}): 4 complete frame(s)")
    assert _doctor(db, "--repair")[0] == 0
    assert [p.name for p in directory.iterdir()] == [pack.name.replace(".zst", ".2.zst")]
    assert stored_html(db) == _expected(stored)


def test_inline_rows_from_before_packs_are_decoded_too(db: str) -> None:
    """Rows that keep their blob in the table are checked: a damaged blob is an error naming its article."""
    good, bad = pages(0, 2)
    store.write_batch(db, [good, bad])
    with store.write_connection(db) as con:
        for article, blob in ((good, good.raw_html_zstd), (bad, bad.raw_html_zstd[:-8])):
            con.execute("update article_raw set raw_html_zstd = ?, raw_bytes = ?, pack = null, pack_offset = null "
                        "where article_id = ?", [blob, len(blob), article.article_id])
    assert _doctor(db, "--repair")[0] == 1  # the pack's frames are unreferenced now: removed
    rc, out = _doctor(db)
    assert rc == 1
    assert out == [f"error: article_raw: inline blob: frame is incomplete; articles: {bad.article_id} {bad.url}",
                   ("doctor: 0 references into 0 packs and 2 inline pages checked: 1 broken reference(s) affecting "
                    "1 article(s) (reprocess records them as failed), 0 unreferenced or torn region(s) of 0 bytes "
                    "(capex doctor --repair removes them)")]


def test_no_database_is_a_usage_error_and_creates_nothing(tmp_path: Path) -> None:
    """doctor on a path with no database exits 2 with one line and creates no file."""
    result = capex("doctor", "--db", str(tmp_path / "absent.duckdb"), "--repair", timeout=60)
    assert result.returncode == 2
    assert result.stderr.decode().strip() == f"capex: no database at {tmp_path / 'absent.duckdb'}"
    assert os.listdir(tmp_path) == []
