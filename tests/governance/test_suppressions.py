"""Inline comments and annotations suppress with a reason and an expiry, and only then;
every one of them is reported; `--no-inline-ignores` turns them off."""

from __future__ import annotations

import shutil
from pathlib import Path

from click.testing import CliRunner

from c4guard.cli import main
from tests.governance.conftest import FIXTURES, exceptions_by, findings, scan_json

SUPPRESSIONS = str(FIXTURES / "suppressions.yaml")


def suppressed_names(report) -> set[str]:
    return {name for name, f in findings(report, "K8S-PRIVILEGED").items() if f["suppression"]}


def test_valid_inline_and_annotation_suppressions_suppress() -> None:
    _, report = scan_json(SUPPRESSIONS)
    privileged = findings(report, "K8S-PRIVILEGED")
    assert suppressed_names(report) == {"nvidia-driver", "annotated"}
    assert privileged["nvidia-driver"]["suppression"] == {
        "source": "inline",
        "reason": "the GPU driver installer needs the host",
        "expires": "2099-12-31",
        "approver": "security@example.com",
    }
    assert privileged["annotated"]["suppression"]["source"] == "annotation"
    assert privileged["annotated"]["suppression"]["approver"] == "sec-team"
    (driver, seccomp) = exceptions_by(report, "nvidia-driver")
    assert (driver["check"], driver["status"], driver["matched"], driver["line"]) == (
        "K8S-PRIVILEGED",
        "active",
        1,
        2,
    )
    assert (seccomp["requirement"], seccomp["status"]) == ("4.1.2", "active")


def test_expired_inline_exception_does_not_suppress_and_is_reported() -> None:
    code, report = scan_json(SUPPRESSIONS)
    assert code == 1
    assert findings(report, "K8S-PRIVILEGED")["expired-ignore"]["suppression"] is None
    (entry,) = exceptions_by(report, "expired-ignore")
    assert entry["status"] == "expired" and entry["expires"] == "2020-01-31"
    assert entry["matched"] == 1 and entry["line"] == 24


def test_reasonless_inline_and_annotation_exceptions_do_not_suppress() -> None:
    _, report = scan_json(SUPPRESSIONS)
    privileged = findings(report, "K8S-PRIVILEGED")
    for name in ("no-reason", "annotated-without-reason"):
        assert privileged[name]["suppression"] is None
        (entry,) = exceptions_by(report, name)
        assert entry["status"] == "invalid" and entry["problem"] == "has no reason"


def test_reasonless_config_exception_is_a_configuration_error(tmp_path: Path) -> None:
    shutil.copy(SUPPRESSIONS, tmp_path)
    (tmp_path / "c4guard.yaml").write_text(
        "version: 1\nexceptions:\n  - check: K8S-PRIVILEGED\n    expires: 2099-01-01\n"
    )
    result = CliRunner().invoke(main, ["scan", str(tmp_path)])
    assert result.exit_code == 2 and "exceptions[0].reason: required key is missing" in (
        result.output
    )


def test_no_inline_ignores_disregards_them_but_lists_them() -> None:
    _, report = scan_json(SUPPRESSIONS, "--no-inline-ignores")
    assert suppressed_names(report) == set()
    statuses = {
        (e["resource"]["name"], e.get("check") or e["requirement"]): e["status"]
        for e in report["governance"]["exceptions"]
    }
    assert statuses == {
        ("nvidia-driver", "K8S-PRIVILEGED"): "disabled",
        ("nvidia-driver", "4.1.2"): "disabled",
        ("expired-ignore", "K8S-PRIVILEGED"): "expired",
        ("no-reason", "K8S-PRIVILEGED"): "invalid",
        ("annotated", "K8S-PRIVILEGED"): "disabled",
        ("annotated-without-reason", "K8S-PRIVILEGED"): "invalid",
    }
    next_report = scan_json(SUPPRESSIONS)[1]
    assert report["summary"]["findings"]["fail"] > next_report["summary"]["findings"]["fail"]


def test_unknown_id_does_not_suppress(write, tmp_path: Path) -> None:
    write(
        "pod.yaml",
        """
        # c4guard:ignore K8S-PRIVILEGD,K8S-PRIVILEGED reason="typo beside" expires=2099-01-01
        apiVersion: v1
        kind: Pod
        metadata: {name: p, namespace: ns}
        spec:
          containers: [{name: app, image: x, securityContext: {privileged: true}}]
    """,
    )
    _, report = scan_json(str(tmp_path))
    typo, right = exceptions_by(report, "p")
    assert typo["status"] == "invalid" and "not a known check" in typo["problem"]
    assert right["status"] == "active"


def test_ignore_covers_only_its_own_resource_and_file(write, tmp_path: Path) -> None:
    pod = """
        apiVersion: v1
        kind: Pod
        metadata: {{name: {name}, namespace: ns}}
        spec:
          containers:
            - name: app  {comment}
              image: x
              securityContext: {{privileged: true}}
    """
    ignore = '# c4guard:ignore K8S-PRIVILEGED reason="ok" expires=2099-01-01'
    write(
        "dev/pods.yaml",
        pod.format(name="same", comment=ignore)
        + "---\n"
        + pod.format(name="neighbour", comment=""),
    )
    write("prod/pods.yaml", pod.format(name="same", comment=""))
    _, report = scan_json(str(tmp_path))
    failing = [
        (Path(f["path"]).parent.name, f["resource"]["name"], bool(f["suppression"]))
        for r in report["requirements"]
        for f in r["findings"]
        if f["check_id"] == "K8S-PRIVILEGED"
    ]
    assert sorted(failing) == [
        ("dev", "neighbour", False),
        ("dev", "same", True),
        ("prod", "same", False),
    ]


def test_inline_ignores_survive_parsing_in_worker_processes(tmp_path: Path) -> None:
    for name in ("a.yaml", "b.yaml"):
        shutil.copy(SUPPRESSIONS, tmp_path / name)
    _, report = scan_json(str(tmp_path), "--jobs", "2")
    active = [e for e in report["governance"]["exceptions"] if e["status"] == "active"]
    assert len(active) == 6 and {Path(e["path"]).name for e in active} == {"a.yaml", "b.yaml"}
