"""Running the installed `capex` console script in a subprocess, as a user would."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from tasks.settings import PREFECT_OFFLINE_ENV
from tests.support.paths import REPO

BIN = Path(sys.executable).parent
ENV = {**os.environ, **PREFECT_OFFLINE_ENV}


def capex(*args: str, cwd: Path = REPO, stdin: bytes | None = None, timeout: float = 300,
          env: dict[str, str] | None = None) -> subprocess.CompletedProcess[bytes]:
    """Run the installed `capex` console script (with `env` added to the test environment)."""
    return subprocess.run([str(BIN / "capex"), *args], cwd=cwd, env={**ENV, **(env or {})}, input=stdin, check=False,
                          capture_output=True, timeout=timeout)
