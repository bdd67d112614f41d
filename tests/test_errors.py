"""One error hierarchy: every exception c4guard defines is a `C4GuardError`, the exit codes
are defined once, and the command line turns errors into `c4guard: <message>` and the
error's exit code."""

from __future__ import annotations

import importlib
import pkgutil
import re
from pathlib import Path

from click.testing import CliRunner

import c4guard
from c4guard.cli import main
from c4guard.errors import EXIT_USAGE, C4GuardError, ConfigError, InvalidInput

SRC = Path(c4guard.__file__).parent


def _modules() -> list[str]:
    found = pkgutil.walk_packages(c4guard.__path__, "c4guard.")
    return [m.name for m in found if not m.name.endswith("__main__")]


def test_every_exception_class_is_a_c4guard_error():
    defined = [
        cls
        for name in _modules()
        for cls in vars(importlib.import_module(name)).values()
        if isinstance(cls, type) and issubclass(cls, BaseException) and cls.__module__ == name
    ]
    assert len(defined) > 30
    assert [c.__qualname__ for c in defined if not issubclass(c, C4GuardError)] == []


def test_exit_codes_are_defined_once():
    assignments = [
        str(path.relative_to(SRC))
        for path in SRC.rglob("*.py")
        if re.search(r"^EXIT_\w+\s*(?::[^=]+)?=\s*\d", path.read_text(), re.MULTILINE)
    ]
    assert assignments == ["errors.py"]


def test_an_error_names_its_file_and_line():
    assert str(InvalidInput("not a mapping", file="a.yaml", line=3)) == "a.yaml:3: not a mapping"
    assert str(InvalidInput("unreadable", file="a.yaml")) == "a.yaml: unreadable"
    assert str(InvalidInput("no file")) == "no file"
    error = ConfigError(["c4guard.yaml:2: level: must be 1 to 3", "c4guard.yaml:5: bad key"])
    assert error.render().splitlines() == [
        "configuration error:",
        "  c4guard.yaml:2: level: must be 1 to 3",
        "  c4guard.yaml:5: bad key",
    ]


def test_the_command_line_prints_the_error_and_exits_with_its_code(tmp_path: Path):
    config = tmp_path / "c4guard.yaml"
    config.write_text("version: 1\nlevel: 9\n", encoding="utf-8")
    runner = CliRunner()

    unknown = runner.invoke(main, ["explain", "NO-SUCH-CHECK"])
    bad_config = runner.invoke(main, ["scan", str(tmp_path), "--config", str(config)])

    assert unknown.exit_code == EXIT_USAGE
    assert unknown.stderr.startswith("c4guard: no requirement or check 'NO-SUCH-CHECK'")
    assert bad_config.exit_code == EXIT_USAGE
    assert bad_config.stderr.startswith("c4guard: configuration error:\n  ")
    assert "level" in bad_config.stderr
