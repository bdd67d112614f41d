"""Fuzz one target for a fixed time, in this process, under a memory ceiling.

`python -m tests.fuzz.runner TARGET SECONDS RESULT.json [CORPUS]`: Hypothesis draws
inputs (seeds mutated: bytes inserted, deleted, duplicated, tokens spliced, seeds
crossed; or plain random bytes) in batches until the time is up. Each input runs under a
per-input time ceiling; the process has RLIMIT_AS 512 MB. An exception the target does not
allow, a MemoryError or a slow input is a failure: the input is written beside the
result. The result holds the executions, the failures and the line coverage of the
target's modules.
"""

from __future__ import annotations

import hashlib
import importlib
import json
import os
import resource
import signal
import sys
import time
import traceback
from pathlib import Path
from typing import Any

import coverage
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

MEMORY_CEILING = 512 * 1024 * 1024
INPUT_SECONDS = float(os.environ.get("C4GUARD_FUZZ_INPUT_SECONDS", "10"))
BATCH = 200


class InputTimeout(BaseException):
    """An input ran past the per-input ceiling."""


def _on_alarm(_signum: int, _frame: Any) -> None:
    raise InputTimeout


@st.composite
def mutated(draw: st.DrawFn, seeds: list[bytes], tokens: tuple[bytes, ...]) -> bytes:
    """A seed with a few random edits, or random bytes."""
    if draw(st.integers(0, 9)) == 0:
        return draw(st.binary(max_size=512))
    data = bytearray(draw(st.sampled_from(seeds)))
    for _ in range(draw(st.integers(1, 8))):
        position = draw(st.integers(0, len(data)))
        edit = draw(st.integers(0, 5))
        if edit == 0:
            data[position:position] = draw(st.binary(min_size=1, max_size=16))
        elif edit == 1:
            del data[position : position + draw(st.integers(1, 64))]
        elif edit == 2:
            piece = data[position : position + draw(st.integers(1, 256))]
            data[draw(st.integers(0, len(data))) : 0] = piece * draw(st.integers(1, 64))
        elif edit == 3 and tokens:  # a token repeated: runs of brackets nest deeply
            data[position:position] = draw(st.sampled_from(tokens)) * draw(st.integers(1, 4096))
        elif edit == 4:
            other = draw(st.sampled_from(seeds))
            data[position:] = other[draw(st.integers(0, len(other))) :]
        elif data:
            data[min(position, len(data) - 1)] = draw(st.integers(0, 255))
    return bytes(data)


def fuzz(name: str, seconds: float, out: Path, corpus: Path | None) -> dict[str, Any]:
    from tests.fuzz.targets import TARGETS, seeds

    target = TARGETS[name]
    inputs = seeds(target, corpus)
    stats: dict[str, Any] = {"target": name, "seeds": len(inputs), "executions": 0}
    failures: list[dict[str, str]] = []
    deadline = time.monotonic() + seconds

    @settings(
        max_examples=BATCH,
        deadline=None,
        database=None,
        phases=[Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    @given(mutated(inputs, target.tokens))
    def one(data: bytes) -> None:
        if time.monotonic() > deadline or len(failures) >= 5:
            return
        stats["executions"] += 1
        signal.setitimer(signal.ITIMER_REAL, INPUT_SECONDS)
        try:
            target.run(data)
        except target.allowed:
            pass
        except (Exception, InputTimeout, RecursionError, MemoryError) as exc:
            failures.append(_failure(name, data, exc, out.parent))
        finally:
            signal.setitimer(signal.ITIMER_REAL, 0)

    signal.signal(signal.SIGALRM, _on_alarm)
    cov = coverage.Coverage(source=list(target.modules), data_file=None, branch=False)
    cov.start()
    for seed in inputs:  # every seed runs once as it is
        one.hypothesis.inner_test(seed)
    while time.monotonic() < deadline and len(failures) < 5:
        one()
    cov.stop()
    stats["coverage"] = _coverage(cov)
    stats["failures"] = failures
    stats["seconds"] = seconds
    return stats


def _failure(name: str, data: bytes, exc: BaseException, folder: Path) -> dict[str, str]:
    digest = hashlib.sha256(data).hexdigest()[:16]
    path = folder / f"{name}-{digest}.bin"
    path.write_bytes(data)
    kind = "slower than the per-input ceiling" if isinstance(exc, InputTimeout) else repr(exc)
    last = traceback.extract_tb(exc.__traceback__)[-1:] if exc.__traceback__ else []
    where = f"{last[0].filename}:{last[0].lineno}" if last else ""
    return {"input": str(path), "error": kind[:300], "where": where}


def _coverage(cov: coverage.Coverage) -> dict[str, Any]:
    covered = statements = 0
    for filename in cov.get_data().measured_files():
        _name, lines, _excluded, missing, _text = cov.analysis2(filename)
        statements += len(lines)
        covered += len(lines) - len(missing)
    percent = round(100 * covered / statements, 1) if statements else 0.0
    return {"lines": statements, "covered": covered, "percent": percent}


def main() -> None:
    name, seconds, result = sys.argv[1], float(sys.argv[2]), Path(sys.argv[3])
    corpus = Path(sys.argv[4]) if len(sys.argv) > 4 else None
    resource.setrlimit(resource.RLIMIT_AS, (MEMORY_CEILING, MEMORY_CEILING))
    importlib.import_module("tests.fuzz.targets")
    stats = fuzz(name, seconds, result, corpus)
    result.write_text(json.dumps(stats, indent=1))


if __name__ == "__main__":
    main()
