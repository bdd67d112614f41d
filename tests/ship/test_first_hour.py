"""A newcomer's first hour (issue 19, "Why"): each friction seen by trying the docs as a new
user has a test here."""

from __future__ import annotations

import itertools
import json
import os
import pty
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest
from click.testing import CliRunner

from c4guard.cli import main

from .helm import ROOT

EXAMPLES = ROOT / "examples"
SUPPLY = EXAMPLES / "supply-chain"


def _run(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(main, list(args))
    return result.exit_code, result.stdout, result.stderr


def test_gate_check_runs_on_the_examples_as_documented() -> None:
    """`c4guard gate check examples/insecure-platform` used to stop with "image
    verification needs a trust policy" (exit 2): the examples ship their gate config."""
    code, out, err = _run("gate", "check", str(EXAMPLES / "insecure-platform"))
    assert code == 1, err  # a decision: denied
    assert "DENY" in out and "tag-only-reference" in out
    code, out, err = _run("gate", "check", str(EXAMPLES / "hardened-platform"))
    assert code == 0, out + err
    assert "0 denied" in out


def test_verify_the_signed_example_artifact(tmp_path: Path) -> None:
    policy = str(SUPPLY / "trust-policy.yaml")
    code, out, _ = _run("verify", str(SUPPLY / "model-card.json"), "-p", policy)
    assert code == 0 and out.startswith("ALLOW"), out
    tampered = tmp_path / "model-card.json"
    shutil.copy(SUPPLY / "model-card.json.sig", tmp_path / "model-card.json.sig")
    tampered.write_text((SUPPLY / "model-card.json").read_text().replace("1.4.0", "1.4.1"))
    code, out, _ = _run("verify", str(tampered), "-p", policy)
    assert code == 1 and out.startswith("DENY"), out
    # The example ships the public key only.
    assert not [p for p in SUPPLY.rglob("*") if "PRIVATE KEY" in _text(p)]


def test_hardened_example_meets_level_1() -> None:
    """It exited 0 but met no level, so an attestation verified with min_level: 1 was
    denied ("met level 0"); it now ships the attestations its review items need."""
    _, out, _ = _run("scan", str(EXAMPLES / "hardened-platform"), "--format", "json")
    report = json.loads(out)
    levels = {entry["level"]: entry for entry in report["summary"]["levels"]}
    assert levels[1]["met"], levels[1]
    attested = {r["id"] for r in report["requirements"] if r["status"] == "attested"}
    assert attested == {"4.2.1", "4.4.4"}


def _text(path: Path) -> str:
    return path.read_text(errors="replace") if path.is_file() else ""


def test_audit_flag_does_not_swallow_the_path(tmp_path: Path, monkeypatch) -> None:
    """`scan --audit examples/hardened-platform` (the docs' order) took the path as the
    database and scanned `.`; --audit is a flag now, --audit-db takes the location."""
    monkeypatch.setenv("C4GUARD_STATE_DIR", str(tmp_path / "state"))
    target = str(EXAMPLES / "hardened-platform")
    result = CliRunner().invoke(main, ["scan", "--audit", target, "--format", "json"])
    assert result.exit_code == 0, result.output[-2000:]
    assert json.loads(result.stdout)["targets"] == [target]
    assert (tmp_path / "state" / "audit.db").is_file()
    db = tmp_path / "trail.db"
    result = CliRunner().invoke(main, ["scan", target, "--audit-db", str(db), "-q"])
    assert result.exit_code == 0 and db.is_file()
    assert "audit" not in result.stderr  # --quiet: no receipt line


def test_usage_errors_come_before_scanning(tmp_path: Path) -> None:
    """A missing path printed a full REVIEW report before the error; `-o` into a missing
    folder ended in a traceback after the whole scan."""
    code, out, err = _run("scan", str(tmp_path / "missing"), str(EXAMPLES / "hardened-platform"))
    assert code == 2 and out == "" and "no such file or directory" in err
    code, out, err = _run(
        "scan", str(EXAMPLES / "hardened-platform"), "-o", str(tmp_path / "nope" / "r.json")
    )
    assert code == 2 and out == "" and "does not exist" in err
    assert "Traceback" not in err


def test_quiet_and_fix_lines(tmp_path: Path) -> None:
    code, out, _ = _run("scan", str(EXAMPLES / "insecure-platform"), "--level", "1", "-q")
    assert code == 1
    assert out.startswith("Level conformance: L1 not met") and "Read " not in out
    assert "fix: " in out
    lines = out.splitlines()
    for before, line in itertools.pairwise(lines):
        if "fix: " in before and line and not line.startswith(" "):
            assert re.match(r"\d+\.\d+\.\d+ ", line), f"unindented continuation: {line!r}"
    fix = next(i for i, line in enumerate(lines) if "fix: " in line and len(line) > 90)
    assert lines[fix + 1].startswith(" " * 18), lines[fix : fix + 2]


def _tty_run(env: dict[str, str], *args: str, stderr: bool = False) -> bytes:
    """What `c4guard ARGS` writes to a terminal (a pseudo-terminal on stdout, and on stderr
    too when `stderr`)."""
    primary, secondary = pty.openpty()
    c4guard = str(Path(sys.executable).parent / "c4guard")
    errors = secondary if stderr else subprocess.DEVNULL
    process = subprocess.Popen([c4guard, *args], stdout=secondary, stderr=errors, env=env)
    os.close(secondary)
    chunks = []
    while True:
        try:
            chunk = os.read(primary, 65536)
        except OSError:
            break
        if not chunk:
            break
        chunks.append(chunk)
    process.wait(timeout=120)
    os.close(primary)
    return b"".join(chunks)


def _tty_scan(env: dict[str, str]) -> bytes:
    return _tty_run(env, "scan", str(EXAMPLES / "hardened-platform"))


@pytest.mark.timeout(240)
def test_no_color_is_honoured(tmp_path: Path) -> None:
    env = {**os.environ, "C4GUARD_STATE_DIR": str(tmp_path)}
    env.pop("NO_COLOR", None)
    assert b"\x1b[" in _tty_scan(env)  # colour on a terminal by default
    assert b"\x1b[" not in _tty_scan({**env, "NO_COLOR": "1"})


@pytest.mark.timeout(240)
def test_redaction_key_creation_is_said_once(tmp_path: Path) -> None:
    """The first scan wrote a redaction key under ~/.local/state without saying so."""
    env = {**os.environ, "C4GUARD_STATE_DIR": str(tmp_path / "state")}
    env.pop("C4GUARD_REDACTION_KEY", None)
    target = tmp_path / "settings.ini"
    target.write_text('db_password = "HTn850JA05eUbDPlLziXf0HK"\n')
    first = _tty_run(env, "scan", str(target), "--fail-on", "none", "-q", stderr=True).decode()
    second = _tty_run(env, "scan", str(target), "--fail-on", "none", "-q", stderr=True).decode()
    assert first.count("created the redaction key") == 1, first[-2000:]
    assert str(tmp_path / "state" / "redaction.key") in first
    assert "redaction key" not in second


def test_shell_completion_is_documented_and_works() -> None:
    assert "_C4GUARD_COMPLETE" in (ROOT / "README.md").read_text(encoding="utf-8")
    env = {**os.environ, "_C4GUARD_COMPLETE": "bash_source"}
    c4guard = str(Path(sys.executable).parent / "c4guard")
    result = subprocess.run([c4guard], env=env, capture_output=True, text=True, timeout=60)
    assert result.returncode == 0 and "complete -o nosort -F" in result.stdout


def _gate_serve(tmp_path: Path, port: int, probe_port: int) -> subprocess.Popen[str]:
    pki = tmp_path / "pki"
    assert _run("gate", "certs", "--out-dir", str(pki), "--dns", "localhost")[0] == 0
    config = tmp_path / "c4guard.yaml"
    config.write_text("version: 1\ngate:\n  images:\n    verify: false\n")
    command = [
        str(Path(sys.executable).parent / "c4guard"),
        "gate",
        "serve",
        "--config",
        str(config),
        "--listen",
        f"127.0.0.1:{port}",
        "--probe-listen",
        f"127.0.0.1:{probe_port}",
        "--tls-cert",
        str(pki / "tls.crt"),
        "--tls-key",
        str(pki / "tls.key"),
        "--audit-db",
        str(tmp_path / "trail.db"),
    ]
    env = {**os.environ, "C4GUARD_STATE_DIR": str(tmp_path / "state")}
    return subprocess.Popen(command, stderr=subprocess.PIPE, text=True, env=env)


def _json_lines(stderr: str) -> list[dict]:
    return [json.loads(line) for line in stderr.splitlines() if line.startswith("{")]


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.mark.timeout(120)
def test_gate_serve_stops_cleanly_on_sigterm(tmp_path: Path) -> None:
    """It printed Python tracebacks on SIGTERM."""
    probe_port = _free_port()
    gate = _gate_serve(tmp_path, _free_port(), probe_port)
    try:
        for _ in range(90):
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{probe_port}/healthz", timeout=2)
                break
            except OSError:
                time.sleep(1)
        gate.send_signal(signal.SIGTERM)
        _, stderr = gate.communicate(timeout=60)
    finally:
        gate.kill()
    assert gate.returncode == 0, stderr
    assert "Traceback" not in stderr
    assert all(line.startswith("{") for line in stderr.splitlines()), stderr
    assert _json_lines(stderr)[-1]["event"] == "stopped"


@pytest.mark.timeout(120)
def test_gate_serve_port_in_use_is_one_json_line_and_exit_2(tmp_path: Path) -> None:
    with socket.socket() as holder:
        holder.bind(("127.0.0.1", 0))
        holder.listen()
        gate = _gate_serve(tmp_path, holder.getsockname()[1], _free_port())
        _, stderr = gate.communicate(timeout=90)
    assert gate.returncode == 2, stderr
    assert "Traceback" not in stderr
    events = [line.get("event") for line in _json_lines(stderr)]
    assert "listen_failed" in events
