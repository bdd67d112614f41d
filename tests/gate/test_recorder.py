"""Recording decisions: a bad payload fails alone; a failed trail is opened again."""

from __future__ import annotations

import pytest

from c4guard.audit import AuditError, EventError
from c4guard.gate.recorder import DecisionRecorder
from tests.gate.harness import decisions


def test_appends_and_recovers_after_a_failure(tmp_path):
    location = str(tmp_path / "audit.db")
    recorder = DecisionRecorder(location, "gate@test")
    try:
        assert recorder.submit({"n": 1}).result(timeout=30).index == 0
        with pytest.raises(EventError):
            recorder.submit({"n": float("nan")}).result(timeout=30)
        recorder.failed(EventError("a bad payload"))
        assert not recorder.broken

        recorder.failed(OSError("connection lost"))
        assert recorder.broken
        recorder.recover()
        assert not recorder.broken
        assert recorder.submit({"n": 2}).result(timeout=30).index == 1
    finally:
        recorder.close()
    assert [p["n"] for p in decisions(location)] == [1, 2]


def test_recovery_fails_while_the_trail_is_gone(tmp_path):
    recorder = DecisionRecorder(str(tmp_path / "audit.db"), "gate@test")
    recorder.location = str(tmp_path / "elsewhere.db")  # no trail there
    recorder.failed(OSError("disk gone"))
    try:
        with pytest.raises(AuditError, match="no audit trail at"):
            recorder.recover()
        assert recorder.broken
    finally:
        recorder.close()
