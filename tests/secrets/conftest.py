"""Every secrets test runs with its own state directory and no redaction key from the
environment, so nothing reads or writes the developer's real key."""

from __future__ import annotations

from pathlib import Path

import pytest

from c4guard.secrets.redaction import KEY_ENV


@pytest.fixture(autouse=True)
def isolated_state(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    state = tmp_path / "state"
    monkeypatch.setenv("C4GUARD_STATE_DIR", str(state))
    monkeypatch.delenv(KEY_ENV, raising=False)
    return state
