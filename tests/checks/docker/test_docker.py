"""Dockerfile checks beyond the fixture markers (tests/checks/test_markers.py): the
acceptance cases of the pipelines issue, unknown values, redaction, stable fingerprints."""

from __future__ import annotations

from pathlib import Path

from tests.conftest import findings_of, scan_paths, status_of

FIXTURES = Path(__file__).parents[1] / "fixtures" / "docker"


def test_root_builder_with_non_root_final_stage_passes_4_1_1() -> None:
    result = scan_paths([str(FIXTURES / "multistage.Dockerfile")])
    [user] = findings_of(result, "DOCKER-USER")
    assert user.result.value == "pass" and user.location.line == 23
    assert status_of(result, "4.1.1") == "pass"


def test_digest_pin_passes_and_latest_fails() -> None:
    pinned = scan_paths([str(FIXTURES / "multistage.Dockerfile")])
    latest = scan_paths([str(FIXTURES / "Dockerfile.insecure")])
    runtime = [f for f in findings_of(pinned, "DOCKER-BASE-DIGEST") if f.location.line == 16]
    assert [f.result.value for f in runtime] == ["pass"]
    [moving] = findings_of(latest, "DOCKER-BASE-DIGEST")
    assert moving.result.value == "fail" and ":latest" in moving.message


def test_user_from_a_build_argument_is_unknown_not_a_guess() -> None:
    result = scan_paths([str(FIXTURES / "Containerfile.root")])
    [user] = findings_of(result, "DOCKER-USER")
    assert user.result.value == "unknown" and "build argument" in user.message
    assert status_of(result, "4.1.1") == "review"


def test_secret_names_are_reported_never_their_values() -> None:
    result = scan_paths([str(FIXTURES / "Dockerfile.insecure")])
    messages = " ".join(f.message for f in findings_of(result))
    assert "OPENAI_API_KEY" in messages and "sk-not-a-real-key" not in messages


def test_fingerprints_do_not_move_with_lines(write, scan) -> None:
    write("Dockerfile", "FROM python:latest\nRUN pip install vllm\n")
    before = {f.fingerprint for f in findings_of(scan()) if f.result.value == "fail"}
    write("Dockerfile", "# a new comment\n\nFROM python:latest\nRUN pip install vllm\n")
    after = {f.fingerprint for f in findings_of(scan()) if f.result.value == "fail"}
    assert before == after and before
