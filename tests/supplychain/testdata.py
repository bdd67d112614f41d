"""Third-party test data vendored under tests/data (see the README and LICENSE there)."""

from __future__ import annotations

from importlib import resources
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
DATA = REPO / "tests" / "data"


def sigstore_vectors() -> Path:
    """Public Sigstore test vectors (sigstore-python's test assets, Apache-2.0)."""
    return DATA / "sigstore"


def staging_trusted_root() -> Path:
    """The Sigstore staging trusted root that ships inside the `sigstore` package."""
    store = resources.files("sigstore") / "_store" / "https%3A%2F%2Ftuf-repo-cdn.sigstage.dev"
    return Path(str(store / "trusted_root.json"))
