"""Run c4guard in a child process under a memory ceiling and a time limit.

The ceiling is set with `resource.setrlimit(RLIMIT_AS)` in the child, so a regression ends
in a MemoryError (or a kill) of that child instead of taking the machine down; the peak
resident memory and the wall time come back for the assertions.
"""

from __future__ import annotations

import os
import resource
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import IO

MEMORY_CEILING = 512 * 1024 * 1024
SECONDS_PER_MB = 10.0
MIN_SECONDS = 10.0


@dataclass(frozen=True, slots=True)
class Outcome:
    """How a bounded run ended."""

    returncode: int
    stdout: str
    stderr: str
    seconds: float
    peak_bytes: int
    timed_out: bool


def time_limit(input_bytes: int) -> float:
    """The acceptance limit: 10 s per MB of input, never less than 10 s."""
    return max(MIN_SECONDS, SECONDS_PER_MB * input_bytes / 1_000_000)


def _limit_memory() -> None:
    resource.setrlimit(resource.RLIMIT_AS, (MEMORY_CEILING, MEMORY_CEILING))


def _without_dac_override() -> list[str]:
    """A command prefix under which root obeys permission bits: the capabilities that
    bypass them leave the bounding set (root's effective set is rebuilt from it on exec).
    Empty for other users, whom the bits bind anyway."""
    if os.geteuid() != 0:
        return []
    setpriv = shutil.which("setpriv")
    if setpriv is None:
        raise RuntimeError("running as root needs setpriv (util-linux) to drop CAP_DAC_*")
    return [setpriv, "--bounding-set=-dac_override,-dac_read_search"]


def run_c4guard(
    args: list[str],
    timeout: float,
    cwd: Path | None = None,
    unprivileged: bool = False,
    stdin: Path | None = None,
) -> Outcome:
    """`python -m c4guard ARGS` under the 512 MB ceiling; killed at `timeout` seconds.
    `unprivileged`: permission bits bind the child even when the tests run as root;
    `stdin`: a file to read as standard input."""
    prefix = _without_dac_override() if unprivileged else []
    env = {**os.environ, "PYTHONDONTWRITEBYTECODE": "1", "NO_COLOR": "1"}
    with (
        tempfile.TemporaryFile() as out,
        tempfile.TemporaryFile() as err,
        open(stdin or os.devnull, "rb") as feed,
    ):
        started = time.monotonic()
        child = subprocess.Popen(
            [*prefix, sys.executable, "-m", "c4guard", *args],
            stdin=feed,
            stdout=out,
            stderr=err,
            cwd=cwd,
            env=env,
            preexec_fn=_limit_memory,
        )
        status, usage, timed_out = _wait(child.pid, started + timeout)
        child.returncode = os.waitstatus_to_exitcode(status)  # reaped here, not by Popen
        seconds = time.monotonic() - started
        return Outcome(
            child.returncode,
            _text(out),
            _text(err),
            seconds,
            usage.ru_maxrss * 1024,
            timed_out,
        )


def _wait(pid: int, deadline: float) -> tuple[int, resource.struct_rusage, bool]:
    """Wait for `pid` (killing it at `deadline`); its exit status and its own usage."""
    timed_out = False
    while True:
        done, status, usage = os.wait4(pid, os.WNOHANG)
        if done:
            return status, usage, timed_out
        if time.monotonic() > deadline and not timed_out:
            os.kill(pid, signal.SIGKILL)
            timed_out = True
        time.sleep(0.02)


def _text(stream: IO[bytes]) -> str:
    stream.seek(0)
    return stream.read().decode("utf-8", "replace")
