"""Where the shared third-party test data lives (`shared/` beside the repository)."""

from __future__ import annotations

import os
from importlib import resources
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]


def sigstore_vectors() -> Path:
    """`shared/testdata/sigstore`, found in a folder above the repository; missing, tests
    fail under CI=true and skip elsewhere."""
    for folder in REPO.parents:
        candidate = folder / "shared" / "testdata" / "sigstore"
        if candidate.is_dir():
            return candidate
    message = "shared/testdata/sigstore not found above the repository"
    if os.environ.get("CI") == "true":
        pytest.fail(message)
    pytest.skip(message)


def staging_trusted_root() -> Path:
    """The Sigstore staging trusted root that ships inside the `sigstore` package."""
    store = resources.files("sigstore") / "_store" / "https%3A%2F%2Ftuf-repo-cdn.sigstage.dev"
    return Path(str(store / "trusted_root.json"))
