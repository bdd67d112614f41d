"""Checks of build files and configuration files (Dockerfile, compose, CI workflows, seccomp
profiles): every marked finding in the fixtures is reported at its line. That every check
has failing and passing fixtures is held for the whole registry by
test_every_check_has_fixtures.py."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.conftest import findings_of, scan_paths
from tests.expectations import expectations, unmet

FIXTURES = Path(__file__).parent / "fixtures"
AREAS = {
    "docker": ("docker",),
    "compose": ("compose",),
    "workflows": ("workflows", "gitlab"),
    "config": ("config",),
}


@pytest.mark.parametrize("domain", sorted(AREAS))
def test_every_marked_finding_is_reported_at_its_line(domain: str) -> None:
    assessment = scan_paths([str(FIXTURES / area) for area in AREAS[domain]])
    marked = [e for area in AREAS[domain] for e in expectations(FIXTURES / area)]
    missing = unmet(marked, findings_of(assessment))
    assert not missing, "\n".join(missing)
