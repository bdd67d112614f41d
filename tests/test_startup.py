"""Start-up: the command line loads what a command needs and nothing heavier.

Each case runs in a fresh interpreter (an import in this process is cached), runs the
command through `c4guard.cli.main` and lists the modules it left in `sys.modules`. Timing is
measured in `bench/startup_bench.py`, not here.
"""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from tests.conftest import REPO

# Third-party stacks that only some commands need (supply chain, live, gate, audit,
# report formats) and c4guard's own faces and scan stack.
FACES = ("c4guard.gate", "c4guard.live", "c4guard.supplychain", "c4guard.audit")
HEAVY = (
    "sigstore",
    "model_signing",
    "kubernetes",
    "uvicorn",
    "prometheus_client",
    "cryptography",
    "httpx",
    "psycopg",
    "rich",
    "trestle",
    "pynvml",
    *FACES,
)
SCAN_STACK = ("pydantic", "c4guard.checks", "c4guard.sources", "c4guard.engine", "c4guard.report")

PROBE = """
import json, sys
args = json.loads(sys.argv[1])
if args is not None:
    from c4guard.cli import main
    try:
        main(args, standalone_mode=True)
    except SystemExit:
        pass
else:
    import c4guard.cli
print(json.dumps(sorted(sys.modules)), file=sys.stderr)
"""


def loaded_after(args: list[str] | None) -> set[str]:
    """The modules (and their parent packages) loaded by `c4guard <args>`, or by importing
    `c4guard.cli` when `args` is None."""
    done = subprocess.run(
        [sys.executable, "-c", PROBE, json.dumps(args)],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    return set(json.loads(done.stderr.strip().splitlines()[-1]))


def present(modules: set[str], names: tuple[str, ...]) -> list[str]:
    return [n for n in names if any(m == n or m.startswith(n + ".") for m in modules)]


@pytest.mark.parametrize(
    "args",
    [None, ["--version"], ["controls"], ["controls", "--level", "1"]],
    ids=["import", "version", "controls", "controls-level"],
)
def test_light_commands_load_no_face_nor_scan_stack(args: list[str] | None) -> None:
    modules = loaded_after(args)
    assert "c4guard.cli" in modules
    assert present(modules, HEAVY + SCAN_STACK) == []


def test_scan_of_one_file_loads_no_face() -> None:
    modules = loaded_after(
        ["scan", "--format", "json", "examples/insecure-platform/pytorchjob.yaml"]
    )
    assert present(modules, ("c4guard.checks", "c4guard.engine")) == [
        "c4guard.checks",
        "c4guard.engine",
    ]  # the probe did run the scan
    assert present(modules, HEAVY) == []
    assert present(modules, ("c4guard.report.html", "c4guard.report.oscal")) == []


def test_explain_loads_the_checks_but_no_face() -> None:
    modules = loaded_after(["explain", "4.1.1"])
    assert "c4guard.checks" in modules
    assert present(modules, HEAVY) == []


def test_the_faces_still_load_when_asked_for() -> None:
    modules = loaded_after(["gate", "--help"])
    assert "c4guard.cli.gate" in modules
