"""How far a run is, for whoever watches it in this process (the CLI's progress display).

The flows report pages as they are planned and ingested; listeners (`capex poll`'s and `capex
backfill`'s display on stderr) receive a snapshot after each change. Batches run in threads of
the flow's process, so updates are taken under a lock.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass, replace


@dataclass(frozen=True, slots=True)
class Progress:
    """A run's pages: done of total so far, new articles stored, pages failed."""

    label: str
    done: int = 0
    total: int = 0
    new: int = 0
    failed: int = 0


Listener = Callable[[Progress], None]
_LISTENERS: list[Listener] = []
_STATE: dict[str, Progress] = {}
_LOCK = threading.Lock()


def add_listener(fn: Listener) -> None:
    """Receive a Progress snapshot after every change in this process."""
    _LISTENERS.append(fn)


def remove_listener(fn: Listener) -> None:
    """Stop receiving progress."""
    if fn in _LISTENERS:
        _LISTENERS.remove(fn)


def expect(label: str, pages: int) -> None:
    """`pages` more pages are on their way (a batch was submitted)."""
    _update(label, lambda p: replace(p, total=p.total + pages))


def advance(label: str, done: int, new: int, failed: int) -> None:
    """`done` more pages were handled, of which `new` were stored and `failed` failed."""
    _update(label, lambda p: replace(p, done=p.done + done, new=p.new + new, failed=p.failed + failed))


def report(label: str, done: int, total: int, new: int, failed: int) -> None:
    """The run's counts as a whole (a backfill resuming knows its totals)."""
    _update(label, lambda p: Progress(label, done, total, new, failed))


def reset(label: str) -> None:
    """Forget a finished run's counts (the next run of this process starts from zero)."""
    with _LOCK:
        _STATE.pop(label, None)


def _update(label: str, change: Callable[[Progress], Progress]) -> None:
    with _LOCK:
        snapshot = _STATE[label] = change(_STATE.get(label, Progress(label)))
    for fn in list(_LISTENERS):  # noqa: PERF101 -- a copy: a listener may remove itself
        fn(snapshot)


__all__ = ["Progress", "add_listener", "advance", "expect", "remove_listener", "report", "reset"]
