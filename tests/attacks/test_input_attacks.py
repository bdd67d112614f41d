"""The attack suite for `scan` and `gate check`: hostile inputs, each read by c4guard in
a child process under a 512 MB address-space ceiling and a time limit of 10 s per MB
(never under 10 s). Each must end in a verdict or an input error, not a traceback, a
MemoryError or a kill."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.attacks import inputs
from tests.attacks.bounded import MEMORY_CEILING, Outcome, run_c4guard, time_limit
from tests.secrets.image_builder import Layer, OciLayout

GATE_CONFIG = "version: 1\ngate:\n  images:\n    verify: false\n"


def _scan(path: Path) -> Outcome:
    size = path.stat().st_size if path.is_file() else 0
    return run_c4guard(["scan", str(path), "--format", "json"], timeout=time_limit(size))


def _gate_check(path: Path, tmp_path: Path) -> Outcome:
    config = tmp_path / "c4guard-gate.yaml"
    config.write_text(GATE_CONFIG)
    args = ["gate", "check", str(path), "--config", str(config), "--format", "json"]
    return run_c4guard(args, timeout=time_limit(path.stat().st_size))


def _within_limits(outcome: Outcome) -> None:
    assert not outcome.timed_out, f"killed after {outcome.seconds:.1f} s"
    assert "Traceback" not in outcome.stderr, outcome.stderr[-2000:]
    assert outcome.peak_bytes < MEMORY_CEILING


def _input_errors(outcome: Outcome) -> list[dict[str, object]]:
    report = json.loads(outcome.stdout)
    return report["input_errors"]


ALIAS_BOMBS = {
    "small-args-aliases": inputs.small_alias_bomb,
    "long-word-1k4": inputs.long_word_alias_bomb,
    "megabyte": inputs.megabyte_alias_bomb,
}


@pytest.mark.parametrize("name", sorted(ALIAS_BOMBS))
def test_scan_refuses_an_alias_bomb_as_an_input_error(name: str, tmp_path: Path) -> None:
    path = tmp_path / f"{name}.yaml"
    path.write_text(ALIAS_BOMBS[name]())
    outcome = _scan(path)
    _within_limits(outcome)
    [error] = _input_errors(outcome)
    assert "alias bomb" in error["reason"]
    assert error["line"] is not None


@pytest.mark.parametrize("name", sorted(ALIAS_BOMBS))
def test_gate_check_refuses_an_alias_bomb(name: str, tmp_path: Path) -> None:
    path = tmp_path / f"{name}.yaml"
    path.write_text(ALIAS_BOMBS[name]())
    outcome = _gate_check(path, tmp_path)
    _within_limits(outcome)
    assert outcome.returncode == 1
    [error] = json.loads(outcome.stdout)["input_errors"]
    assert "alias bomb" in error


def test_six_million_empty_objects_are_refused_cheaply_and_not_as_an_alias_bomb(
    tmp_path: Path,
) -> None:
    path = tmp_path / "empties.json"
    path.write_text(inputs.empty_objects_json())
    outcome = _scan(path)
    _within_limits(outcome)
    [error] = _input_errors(outcome)
    assert "alias" not in error["reason"]
    assert "6,000,001 objects and arrays" in error["reason"]


READABLE_POD = """\
apiVersion: v1
kind: Pod
metadata: {name: readable}
spec:
  containers: [{name: c, image: nginx:1.27}]
"""


def test_an_unreadable_directory_is_an_input_error_and_the_scan_goes_on(tmp_path: Path) -> None:
    tree = tmp_path / "tree"
    (tree / "ok").mkdir(parents=True)
    (tree / "ok" / "pod.yaml").write_text(READABLE_POD)
    locked = tree / "locked"
    locked.mkdir()
    (locked / "pod.yaml").write_text(READABLE_POD)
    tmp_path.chmod(0o755)
    locked.chmod(0)
    try:
        outcome = run_c4guard(["scan", str(tree), "--format", "json"], 60, unprivileged=True)
    finally:
        locked.chmod(0o755)
    _within_limits(outcome)
    report = json.loads(outcome.stdout)
    [error] = report["input_errors"]
    assert error["path"] == str(locked)
    assert error["reason"] == "cannot list directory: Permission denied"
    assert report["summary"]["files_read"] == 1


def test_tar_slip_entries_of_an_image_layer_reach_the_report(tmp_path: Path) -> None:
    layout = OciLayout(tmp_path / "image")
    layers = [Layer().file(f"../../etc/cron.d/job{i}", "* * * * * root id\n") for i in range(25)]
    layout.image([Layer().file("app/main.py", "print(1)\n"), *layers], "gzip")
    layout.write_index()
    outcome = _scan(tmp_path / "image")
    _within_limits(outcome)
    reasons = [error["reason"] for error in _input_errors(outcome)]
    assert len(reasons) == 21
    assert "leaves the root (tar slip)" in reasons[0] and "../../etc/cron.d/job0" in reasons[0]
    assert reasons[-1] == "image layer: 5 more warnings like these"


def test_an_ed25519_private_key_in_pkcs8_is_found(tmp_path: Path) -> None:
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import ed25519

    key = ed25519.Ed25519PrivateKey.from_private_bytes(bytes(range(1, 33)))
    pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    (tmp_path / "signing.pem").write_bytes(pem)
    outcome = _scan(tmp_path)
    _within_limits(outcome)
    assert '"private-key"' in outcome.stdout


def test_a_flat_300_term_hcl_sum_is_read(tmp_path: Path) -> None:
    (tmp_path / "main.tf").write_text(inputs.hcl_sum(300))
    outcome = _scan(tmp_path)
    _within_limits(outcome)
    assert _input_errors(outcome) == []


@pytest.mark.slow
def test_a_json_list_of_50000_pods_is_ordinary_input(tmp_path: Path) -> None:
    """9.4 MB: read by the C json parser (101 s and 2.4 GB before). One check keeps the
    report small: every check adds a finding per container, whatever the input form."""
    path = tmp_path / "pods.json"
    path.write_text(inputs.pod_list_json(50_000))
    args = ["scan", str(path), "--format", "text", "--check", "K8S-PRIVILEGED"]
    outcome = run_c4guard(args, timeout=time_limit(path.stat().st_size))
    _within_limits(outcome)
    assert "Read 1 files, 50000 resources" in outcome.stdout
    assert outcome.returncode == 0


@pytest.mark.slow
def test_a_json_list_of_50000_pods_on_stdin_is_judged_by_every_check(tmp_path: Path) -> None:
    """A cluster dump piped in: every check, 800,000 findings, under the 512 MB ceiling
    (2.4 GB before: the YAML builder read stdin, and every finding held its own copies)."""
    path = tmp_path / "pods.json"
    path.write_text(inputs.pod_list_json(50_000))
    outcome = run_c4guard(["scan", "-"], timeout=time_limit(path.stat().st_size), stdin=path)
    _within_limits(outcome)
    assert "Read 1 files, 50000 resources" in outcome.stdout
    assert outcome.returncode == 1  # the Pods fail checks: a verdict
