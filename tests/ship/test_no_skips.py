"""Under CI=true no test may skip for a missing service, package or ../shared: every skip
goes through `tests.conftest.unavailable`, which fails under CI and, elsewhere, skips with a
reason that says how to enable the test."""

from __future__ import annotations

import os
import re
import subprocess
import sys

import pytest

from .helm import ROOT

SKIPS = re.compile(r"pytest\.skip\(|\.mark\.skip(if)?\b|importorskip\(")


def test_every_skip_goes_through_unavailable() -> None:
    offenders = []
    for path in sorted((ROOT / "tests").rglob("*.py")):
        if path == ROOT / "tests" / "conftest.py" or path == __file__:
            continue
        text = path.read_text(encoding="utf-8")
        offenders += [f"{path.relative_to(ROOT)}: {m.group(0)}" for m in SKIPS.finditer(text)]
    assert not offenders, offenders


@pytest.mark.slow
def test_unavailable_fails_under_ci_and_skips_elsewhere(tmp_path) -> None:
    probe = tmp_path / "test_probe.py"
    probe.write_text(
        "from tests.conftest import unavailable\n"
        "def test_needs_a_service():\n"
        "    unavailable('no such service (run .ci/services/x.sh)')\n"
    )
    runs = {}
    for ci in ("true", ""):
        env = {**os.environ, "CI": ci}
        command = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-rs"]
        command += ["--rootdir", str(ROOT), "-c", str(ROOT / "pyproject.toml"), str(probe)]
        runs[ci] = subprocess.run(
            command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=120
        )
    assert runs["true"].returncode == 1 and "1 failed" in runs["true"].stdout
    assert runs[""].returncode == 0 and "1 skipped" in runs[""].stdout
    assert "run .ci/services/x.sh" in runs[""].stdout
