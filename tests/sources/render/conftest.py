"""Renderer availability for the chart and overlay tests: the `c4guard[render]` extra (which
the `test` extra installs) or the binaries. Under CI a missing renderer fails the test."""

from __future__ import annotations

import pytest

from c4guard.sources.render.tools import Renderers, find_renderers
from tests.conftest import unavailable


@pytest.fixture(scope="session")
def renderers() -> Renderers:
    found = find_renderers()
    missing = [name for name in ("helm", "kustomize") if getattr(found, name) is None]
    if missing:
        message = f"no renderer for {', '.join(missing)} (pip install 'c4guard[render]')"
        unavailable(message)
    return found
