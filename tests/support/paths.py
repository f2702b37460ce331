"""Where things are: the repository, its test data, the shared real-world corpus."""

from __future__ import annotations

from pathlib import Path

REPO = Path(__file__).resolve().parent.parent.parent
DATA = REPO / "tests" / "data"
CORPUS = REPO.parent / "shared" / "corpus"
