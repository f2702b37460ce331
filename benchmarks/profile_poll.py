"""`make profile`: where the CPU of a `capex poll` goes, by process, with py-spy.

Serves the same real pages as `make bench` section a (default 1,000 pages in 10 feeds) on
127.0.0.1, runs `capex poll` under `py-spy record --gil --subprocesses` (only samples holding the
GIL: Python CPU, not waits), and prints for the command process and for the extraction workers
the seconds sampled and the functions with the most inclusive time. The raw profile (collapsed
stacks, for flame graph tools) is written to the --out file.

Usage: python -m benchmarks.profile_poll [--pages N] [--out FILE] [--top N]
"""

from __future__ import annotations

import argparse
import re
import subprocess
import tempfile
from collections import defaultdict
from pathlib import Path

from benchmarks._support import BIN, ENV, Routes, corpus_pages, pipeline_feeds, serve

RATE_HZ = 50
_PROCESS = re.compile(r"^process (\d+):\"(.*)\"$")


def summarise(raw: Path, top: int) -> str:
    """Seconds and top inclusive functions per process kind (command, extraction workers, other)."""
    totals: dict[str, float] = defaultdict(float)
    inclusive: dict[str, dict[str, float]] = defaultdict(lambda: defaultdict(float))
    for line in raw.read_text(encoding="utf-8", errors="replace").splitlines():
        stack, _, count = line.rpartition(" ")
        if not stack or not count.isdigit():
            continue
        frames = stack.split(";")
        match = _PROCESS.match(frames[0])
        cmdline = match.group(2) if match else ""
        kind = ("extraction workers" if "forkserver" in cmdline or "multiprocessing" in cmdline
                else "command" if "capex" in cmdline else "other")
        seconds = int(count) / RATE_HZ
        totals[kind] += seconds
        for name in {re.sub(r":\d+", "", frame) for frame in frames[1:]}:
            inclusive[kind][name] += seconds
    lines = []
    for kind, seconds in sorted(totals.items(), key=lambda kv: -kv[1]):
        lines.append(f"\n{kind}: {seconds:.1f} s holding the GIL")
        ranked = sorted(inclusive[kind].items(), key=lambda kv: -kv[1])[:top]
        lines += [f"  {s:7.1f} s  {name[:140]}" for name, s in ranked]
    return "\n".join(lines)


def main() -> None:
    """Profile one poll and print the summary."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--pages", type=int, default=1000)
    parser.add_argument("--out", default="poll-profile.txt")
    parser.add_argument("--top", type=int, default=25)
    args = parser.parse_args()
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    pages = corpus_pages()
    chosen = [pages[i % len(pages)] for i in range(args.pages)]
    routes = Routes()
    with serve(routes) as base, tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        feeds = pipeline_feeds(routes, base, chosen, 10, tmp / "feeds.toml")
        command = [str(BIN / "py-spy"), "record", "--gil", "--subprocesses", "--rate", str(RATE_HZ),
                   "--format", "raw", "--output", args.out, "--",
                   str(BIN / "capex"), "poll", "--feeds", str(feeds), "--db", str(tmp / "profile.duckdb")]
        result = subprocess.run(command, env=ENV, capture_output=True, check=False)
        if result.returncode != 0:
            raise SystemExit(f"py-spy or capex poll failed ({result.returncode}): {result.stderr.decode()[-2000:]}")
    print(f"raw profile: {args.out}")
    print(summarise(Path(args.out), args.top))


if __name__ == "__main__":
    main()
