"""Shared test helpers: scan files written into a temporary directory, look up findings."""

from __future__ import annotations

import os
import textwrap
from collections.abc import Callable
from pathlib import Path
from typing import NoReturn

import pytest

from c4guard.config import Config, load_config
from c4guard.engine import ScanRequest, assess
from c4guard.model import Assessment, Finding
from c4guard.sources import ReadOptions, read_inputs

REPO = Path(__file__).resolve().parents[1]
SHARED = Path(os.environ.get("C4GUARD_SHARED", REPO.parent / "shared"))


def scan_paths(
    paths: list[str],
    config: Config | None = None,
    level: int = 3,
    options: ReadOptions | None = None,
) -> Assessment:
    inputs = read_inputs(paths, options or ReadOptions())
    return assess(inputs, config or Config(), ScanRequest(paths, level))


def findings_of(assessment: Assessment, check_id: str | None = None) -> list[Finding]:
    return [f for f in assessment.findings() if check_id is None or f.check_id == check_id]


def status_of(assessment: Assessment, requirement: str) -> str:
    return next(r.status.value for r in assessment.requirements if r.requirement.id == requirement)


# Fixtures that start or reach a service of .ci/services (PostgreSQL, the OCI registry,
# Chromium): a test that uses one, directly or through another fixture, is `services`.
SERVICE_FIXTURES = frozenset({"postgres_server", "registry_host", "secure_registry", "browser"})
SERVICE_PARAMS = {"location": "postgresql"}  # the audit trail tests' PostgreSQL variant


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Mark every test that needs a service `services`, from the fixtures it uses, so that
    `pytest -m 'not slow and not services'` is the fast loop."""
    for item in items:
        params = getattr(getattr(item, "callspec", None), "params", {})
        uses = set(getattr(item, "fixturenames", ()))
        if uses & SERVICE_FIXTURES or any(
            params.get(name) == value for name, value in SERVICE_PARAMS.items()
        ):
            item.add_marker(pytest.mark.services)


@pytest.fixture(autouse=True)
def isolated_state(
    tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch
) -> Path:
    """Each test gets its own state directory (redaction key, default audit trail) and no
    redaction key from the environment: nothing touches the developer's real state."""
    state = tmp_path_factory.mktemp("state")
    monkeypatch.setenv("C4GUARD_STATE_DIR", str(state))
    monkeypatch.delenv("C4GUARD_REDACTION_KEY", raising=False)
    return state


@pytest.fixture
def write(tmp_path: Path) -> Callable[..., Path]:
    """Write `content` (dedented) to `name` under a temporary directory."""

    def _write(name: str, content: str | bytes) -> Path:
        path = tmp_path / name
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(textwrap.dedent(content).lstrip("\n"), encoding="utf-8")
        return path

    return _write


@pytest.fixture
def scan(tmp_path: Path) -> Callable[..., Assessment]:
    """Scan the temporary directory (with its c4guard.yaml when present)."""

    def _scan(*paths: str, level: int = 3) -> Assessment:
        targets = list(paths) or [str(tmp_path)]
        config_file = tmp_path / "c4guard.yaml"
        config = load_config(config_file if config_file.exists() else None)
        return scan_paths(targets, config, level)

    return _scan


IN_CI = os.environ.get("CI", "").lower() == "true"


def unavailable(reason: str) -> NoReturn:
    """A service, package or shared data a test needs is missing: a failure under CI=true
    (CI must run every test), else a skip whose reason says how to enable it."""
    if IN_CI:
        pytest.fail(f"{reason} (CI=true: every test must run)")
    pytest.skip(reason)


def shared_path(*parts: str) -> Path:
    """A path under the project's shared data. Without it the test skips, saying how to enable
    it, except under CI (`CI=true`), where missing shared data is a failure."""
    path = SHARED.joinpath(*parts)
    if not path.exists():
        message = (
            f"shared data not available: {path} "
            "(put ../shared beside the clone, or set C4GUARD_SHARED)"
        )
        unavailable(message)
    return path
