from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from c4guard.supplychain.oci import Registry
from tests.supplychain.publish import KeyPair, make_key
from tests.supplychain.registry import running_registry


@pytest.fixture(scope="session")
def registry_host(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A plain-HTTP docker-registry on a free loopback port, for the whole session."""
    with running_registry(tmp_path_factory.mktemp("registry")) as host:
        yield host


@pytest.fixture
def registry(registry_host: str) -> Iterator[Registry]:
    with Registry(registry_host, plain_http=True) as client:
        yield client


@pytest.fixture
def release_key(tmp_path: Path) -> KeyPair:
    return make_key(tmp_path, "release")


@pytest.fixture
def other_key(tmp_path: Path) -> KeyPair:
    return make_key(tmp_path, "intruder")
