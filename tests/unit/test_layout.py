"""The module layout's dependency rule (docs/ARCHITECTURE.md): flows -> stages -> store -> models."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from tests.support.paths import REPO

# what each part of tasks/ may import from the project (itself always)
ALLOWED = {
    "tasks/extract": {"tasks.models", "tasks.errors"},
    # settings: the lake backend's data path and S3 settings, resolved there like every setting
    "tasks/store": {"tasks.models", "tasks.errors", "tasks.settings"},
    "tasks/report": {"tasks.store", "tasks.models", "tasks.errors"},
    "tasks/ingest": {"tasks.extract", "tasks.store", "tasks.models", "tasks.errors", "tasks.settings",
                     "tasks.progress"},
}
BASE = {"tasks.models", "tasks.errors"}  # what the top-level records, errors and settings may import


def _imports(path: Path) -> set[str]:
    """The project modules (tasks.*, flows.*) a file imports, at any depth in the file."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.module and node.module.split(".")[0] in ("tasks", "flows"):
            found |= {f"tasks.{a.name}" for a in node.names} if node.module == "tasks" else {node.module}
        elif isinstance(node, ast.Import):
            found |= {a.name for a in node.names if a.name.split(".")[0] in ("tasks", "flows")}
    return found


@pytest.mark.parametrize("part", sorted(ALLOWED))
def test_each_stage_imports_only_what_the_dependency_rule_allows(part: str) -> None:
    """A stage imports itself and the parts below it, never a stage beside or above it, never flows/."""
    own = part.replace("/", ".")
    for path in sorted((REPO / part).rglob("*.py")):
        bad = {m for m in _imports(path)
               if not m.startswith(own) and not any(m == a or m.startswith(a + ".") for a in ALLOWED[part])}
        assert not bad, f"{path.relative_to(REPO)} imports {sorted(bad)}"


def test_records_and_errors_import_nothing_of_the_pipeline() -> None:
    """tasks/models.py and tasks/errors.py sit at the bottom: they import no stage."""
    for name in ("models.py", "errors.py"):
        assert _imports(REPO / "tasks" / name) <= BASE, name
