"""`python -m c4guard` in a child process under a 512 MB address-space ceiling and a wall
clock limit, so that a regression fails the test instead of taking the machine down."""

from __future__ import annotations

import os
import resource
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

MEMORY_CEILING = 512 * 1024 * 1024


@dataclass(frozen=True)
class Run:
    returncode: int | None  # None: killed at the time limit
    stdout: str
    stderr: str
    seconds: float


def _ceiling() -> None:
    resource.setrlimit(resource.RLIMIT_AS, (MEMORY_CEILING, MEMORY_CEILING))


def c4guard(args: list[str], timeout: float, state: Path | None = None) -> Run:
    env = {**os.environ, "NO_COLOR": "1"}
    if state is not None:
        env["C4GUARD_STATE_DIR"] = str(state)
    started = time.monotonic()
    try:
        done = subprocess.run(
            [sys.executable, "-m", "c4guard", *args],
            capture_output=True,
            text=True,
            timeout=timeout,
            env=env,
            stdin=subprocess.DEVNULL,
            preexec_fn=_ceiling,
        )
    except subprocess.TimeoutExpired as exc:
        return Run(None, str(exc.stdout or ""), str(exc.stderr or ""), time.monotonic() - started)
    return Run(done.returncode, done.stdout, done.stderr, time.monotonic() - started)
