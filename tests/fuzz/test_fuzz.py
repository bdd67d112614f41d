"""Fuzzing of every parser (tests/fuzz/targets.py), each target for a fixed time.

`C4GUARD_FUZZ_SECONDS` sets the time per target (CI: 60; default 5). The targets run in
child processes (`tests.fuzz.runner`, RLIMIT_AS 512 MB, a per-input time ceiling), as
many at once as there are CPUs, so CI spends ceil(targets / CPUs) x the time per target.
A failure names the input it saved; fix the parser, then keep the input under
tests/fuzz/regressions/<target>/, where `test_regression_inputs` replays it.
"""

from __future__ import annotations

import contextlib
import json
import os
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import SHARED
from tests.fuzz.targets import TARGETS

SECONDS = float(os.environ.get("C4GUARD_FUZZ_SECONDS", "5"))
REGRESSIONS = Path(__file__).parent / "regressions"
REPO = Path(__file__).resolve().parents[2]
SLACK_SECONDS = 240  # start-up, seeds and coverage analysis of each child


def _corpus() -> Path | None:
    corpus = SHARED / "corpus"
    if corpus.is_dir():
        return corpus
    if os.environ.get("CI") == "true":
        pytest.fail(f"shared corpus missing: {corpus} (seeds for the fuzz targets)")
    return None


def _fuzz(name: str, folder: Path, corpus: Path | None) -> dict[str, Any]:
    result = folder / f"{name}.json"
    command = [sys.executable, "-m", "tests.fuzz.runner", name, str(SECONDS), str(result)]
    completed = subprocess.run(
        [*command, *([str(corpus)] if corpus else [])],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=SECONDS + SLACK_SECONDS,
        check=False,
    )
    if not result.exists():
        return {"target": name, "crashed": completed.returncode, "stderr": completed.stderr[-3000:]}
    return json.loads(result.read_text())


@pytest.fixture(scope="module")
def fuzz_results(tmp_path_factory: pytest.TempPathFactory) -> dict[str, dict[str, Any]]:
    folder = tmp_path_factory.mktemp("fuzz")
    corpus = _corpus()
    with ThreadPoolExecutor(max_workers=os.cpu_count() or 1) as pool:
        results = pool.map(lambda name: _fuzz(name, folder, corpus), sorted(TARGETS))
        return {result["target"]: result for result in results}


@pytest.mark.slow
@pytest.mark.timeout(int(SECONDS * len(TARGETS) + SLACK_SECONDS * 4))
@pytest.mark.parametrize("name", sorted(TARGETS))
def test_fuzz_target(name: str, fuzz_results: dict[str, dict[str, Any]]) -> None:
    result = fuzz_results[name]
    print(json.dumps({k: v for k, v in result.items() if k != "failures"}))
    assert "crashed" not in result, result.get("stderr")
    assert result["executions"] > 0
    assert result["failures"] == [], json.dumps(result["failures"], indent=1)


def _regression_inputs() -> list[Path]:
    return sorted(p for p in REGRESSIONS.glob("*/*") if p.is_file())


@pytest.mark.parametrize("path", _regression_inputs(), ids=lambda p: f"{p.parent.name}/{p.name}")
def test_regression_inputs(path: Path) -> None:
    """Inputs fuzzing once crashed a parser with: now only the parser's own errors."""
    target = TARGETS[path.parent.name]
    with contextlib.suppress(target.allowed):
        target.run(path.read_bytes())
