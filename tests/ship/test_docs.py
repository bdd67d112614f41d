"""The docs site builds with `mkdocs build --strict`, and every command of the
getting-started pages runs, offline, with the exit code the page says."""

from __future__ import annotations

import os
import re
import shlex
import subprocess
import sys
from pathlib import Path

import pytest

from .helm import ROOT

PAGES = sorted((ROOT / "docs" / "getting-started").glob("*.md"))
EXPECTED_EXIT = re.compile(r"\s+#\s*exit\s+(\d+)\s*$")


def commands(page: Path) -> list[tuple[str, int]]:
    """(command, expected exit code) of every line of the page's `sh` blocks."""
    found = []
    for block in re.findall(r"```sh\n(.*?)```", page.read_text(encoding="utf-8"), re.S):
        for line in block.splitlines():
            if not line.strip() or line.lstrip().startswith("#"):
                continue
            match = EXPECTED_EXIT.search(line)
            found.append((line[: match.start()] if match else line, int(match[1]) if match else 0))
    return found


@pytest.mark.slow
@pytest.mark.timeout(300)
def test_mkdocs_build_strict(tmp_path: Path) -> None:
    env = {**os.environ, "NO_MKDOCS_2_WARNING": "1"}
    command = [sys.executable, "-m", "mkdocs", "build", "--strict", "-d", str(tmp_path / "site")]
    result = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=280)
    assert result.returncode == 0, result.stdout + result.stderr
    assert (tmp_path / "site" / "getting-started" / "gate" / "index.html").is_file()


def test_every_face_has_a_getting_started_page() -> None:
    faces = {"scan", "live", "verify", "gate", "audit", "catalog"}
    assert faces <= {p.stem for p in PAGES}
    for page in PAGES:
        if page.stem != "index":
            assert commands(page), f"{page.name} runs nothing"


@pytest.mark.slow
@pytest.mark.timeout(600)
@pytest.mark.parametrize("page", [p for p in PAGES if p.stem != "index"], ids=lambda p: p.stem)
def test_getting_started_commands_run(page: Path, tmp_path: Path) -> None:
    """Each command, in order, in a folder where `examples/` is the repository's."""
    (tmp_path / "examples").symlink_to(ROOT / "examples")
    env = {
        **os.environ,
        "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}",
        "C4GUARD_STATE_DIR": str(tmp_path / ".state"),
        "NO_COLOR": "1",
    }
    for command, expected in commands(page):
        result = subprocess.run(
            ["bash", "-o", "pipefail", "-c", command],
            cwd=tmp_path,
            env=env,
            capture_output=True,
            text=True,
            timeout=240,
        )
        assert result.returncode == expected, (
            f"{page.name}: {command}\nexit {result.returncode}, expected {expected}\n"
            f"{result.stdout[-2000:]}\n{result.stderr[-2000:]}"
        )
        assert "Traceback" not in result.stderr, f"{command}\n{result.stderr}"


def test_commands_are_parsed() -> None:
    page = ROOT / "docs" / "getting-started" / "scan.md"
    parsed = dict(commands(page))
    assert parsed["c4guard scan examples/insecure-platform"] == 1
    programs = {shlex.split(c)[0].partition("=")[0] for p in PAGES for c, _ in commands(p)}
    assert programs == {"c4guard", "sed", "cp", "_C4GUARD_COMPLETE"}, programs
