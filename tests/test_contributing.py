"""CONTRIBUTING.md's worked examples are the code: every path it names exists, every code
block it quotes is in the file it names, the example check is registered where the page
says with passing and failing fixtures, and the example input kind and report format are
listed where the page says they are."""

from __future__ import annotations

import re
import textwrap

import pytest

from c4guard.checks import REGISTRY
from c4guard.cli import FORMATS
from c4guard.report import junit
from c4guard.sources import kinds, mosquitto
from tests.conftest import REPO
from tests.expectations import expectations

PAGE = (REPO / "CONTRIBUTING.md").read_text(encoding="utf-8")
PATH = re.compile(r"`((?:src|tests|scripts|docs|\.ci)/[^`<>* ]+|[A-Za-z_]+\.(?:md|toml))`")
# Every quoted block says which file it is quoted from.
BLOCK = re.compile(r"<!-- quoted from (\S+) -->\n```(?:python|yaml)\n(.*?)```", re.S)


def named_paths() -> list[str]:
    return sorted({m.group(1).rstrip(".,:") for m in PATH.finditer(PAGE)})


def quoted_blocks() -> list[tuple[str, str]]:
    """(file, block) for every code block of the page."""
    found = [(m.group(1), m.group(2)) for m in BLOCK.finditer(PAGE)]
    assert len(found) == PAGE.count("```") // 2, "a code block does not say where it is from"
    return found


@pytest.mark.parametrize("path", named_paths())
def test_every_path_it_names_exists(path: str) -> None:
    assert (REPO / path).exists(), f"CONTRIBUTING.md names {path}, which does not exist"


@pytest.mark.parametrize(
    ("path", "block"), quoted_blocks(), ids=[f"{p}:{i}" for i, (p, _) in enumerate(quoted_blocks())]
)
def test_every_quoted_block_is_in_the_file_it_names(path: str, block: str) -> None:
    text = (REPO / path).read_text(encoding="utf-8")
    assert block in text or textwrap.dedent(block) in text, f"{path} no longer holds:\n{block}"


def test_the_example_check_is_where_the_page_says_with_both_fixtures() -> None:
    check = REGISTRY["COMPOSE-READ-ONLY"]
    assert check.function.__module__ == "c4guard.checks.compose.isolation"
    assert check.requirement.startswith("4.1.")
    fixtures = REPO / "tests" / "checks" / "fixtures" / "compose"
    results = {e.result for e in expectations(fixtures) if e.check_id == check.id}
    assert results >= {"pass", "fail"}


def test_the_example_input_kind_and_report_format_are_listed() -> None:
    assert mosquitto.HANDLER in kinds.HANDLERS
    assert kinds.handler_for("mosquitto.conf") is mosquitto.HANDLER
    assert REGISTRY["CFG-MQTT-MTLS"].function.__module__ == "c4guard.checks.config.edge"
    assert FORMATS["junit"] is junit


def test_the_fast_test_command_names_a_declared_marker() -> None:
    pyproject = (REPO / "pyproject.toml").read_text(encoding="utf-8")
    assert "-m 'not slow'" in PAGE
    assert '"slow:' in pyproject and '"services:' in pyproject
