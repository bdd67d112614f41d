"""CI runs what the README says: `.ci/run` runs the README's test command exactly, fuzzes
60 s per target, and builds the container image unless told not to."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def _readme_test_command() -> str:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    block = readme.split("```sh", 1)[1].split("```", 1)[0]
    [command] = [line for line in block.splitlines() if "'.[test]'" in line]
    return command.strip()


def test_ci_runs_the_readme_test_command_on_every_core() -> None:
    command = _readme_test_command()
    assert "-n auto" in command and "pytest" in command
    assert command in (ROOT / ".ci" / "run").read_text(encoding="utf-8")


def test_ci_fuzzes_a_minute_per_target_and_builds_the_image_by_default() -> None:
    run = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    [seconds] = re.findall(r"C4GUARD_FUZZ_SECONDS:-(\d+)", run)
    assert int(seconds) >= 60
    assert "C4GUARD_CI_IMAGE:-1" in run and "bash .ci/image.sh" in run


def test_the_image_build_does_not_touch_the_working_tree() -> None:
    """It runs beside `pip install .`: it builds from its own copy with its own pip."""
    image = (ROOT / ".ci" / "image.sh").read_text(encoding="utf-8")
    assert ".venv" not in image
    assert re.search(r'wheel .*"\$SOURCE"', image)
