"""The code base stays ruff-clean (the project's lint rules are in pyproject.toml)."""

from __future__ import annotations

import subprocess
import sys

from tests.conftest import REPO


def test_ruff_is_clean() -> None:
    paths = ["src", "tests", "bench", "scripts"]
    result = subprocess.run([sys.executable, "-m", "ruff", "check", "--no-cache", *paths],
                            capture_output=True, text=True, check=False, cwd=REPO)
    assert result.returncode == 0, result.stdout + result.stderr
