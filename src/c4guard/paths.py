"""Where c4guard keeps installation-local state (audit database, redaction key)."""

from __future__ import annotations

import os
from pathlib import Path


def state_dir() -> Path:
    """The state directory: `$C4GUARD_STATE_DIR`, else `$XDG_STATE_HOME/c4guard`,
    else `~/.local/state/c4guard`. Created with mode 0700 on first use."""
    explicit = os.environ.get("C4GUARD_STATE_DIR")
    if explicit:
        path = Path(explicit)
    else:
        base = os.environ.get("XDG_STATE_HOME") or str(Path.home() / ".local" / "state")
        path = Path(base) / "c4guard"
    path.mkdir(mode=0o700, parents=True, exist_ok=True)
    return path
