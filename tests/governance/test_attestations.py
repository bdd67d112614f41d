"""Attestations settle manual requirements until they expire, and never hide a failure."""

from __future__ import annotations

from pathlib import Path

from tests.governance.conftest import PRIVILEGED_POD, scan_json


def attestation(requirement: str, expires: str) -> str:
    return (
        f'  - requirement: "{requirement}"\n    statement: reviewed by the platform team\n'
        f"    evidence: [https://wiki.example/review]\n    owner: platform\n"
        f"    reviewed: 2020-01-01\n    expires: {expires}\n"
    )


def scan_with(write, tmp_path: Path, attestations: str) -> dict:
    write("pod.yaml", PRIVILEGED_POD)
    write("c4guard.yaml", "version: 1\nattestations:\n" + attestations)
    return scan_json(str(tmp_path))[1]


def requirement(report: dict, rid: str) -> dict:
    return next(r for r in report["requirements"] if r["id"] == rid)


def attestation_status(report: dict, rid: str) -> str:
    return next(
        a["status"] for a in report["governance"]["attestations"] if a["requirement"] == rid
    )


def test_valid_attestation_settles_a_manual_requirement(write, tmp_path: Path) -> None:
    report = scan_with(write, tmp_path, attestation("4.5.7", "2099-12-31"))
    assert requirement(report, "4.5.7")["status"] == "attested"
    assert attestation_status(report, "4.5.7") == "applied"


def test_expired_attestation_returns_the_requirement_to_review(write, tmp_path: Path) -> None:
    report = scan_with(write, tmp_path, attestation("4.5.7", "2020-06-30"))
    r = requirement(report, "4.5.7")
    assert r["status"] == "review" and "expired on 2020-06-30" in r["reason"]
    assert attestation_status(report, "4.5.7") == "expired"


def test_attestation_over_a_failing_finding_stays_fail(write, tmp_path: Path) -> None:
    report = scan_with(write, tmp_path, attestation("4.1.1", "2099-12-31"))
    r = requirement(report, "4.1.1")
    assert r["status"] == "fail" and "does not hide failing findings" in r["reason"]
    assert attestation_status(report, "4.1.1") == "overridden by failing findings"
    assert any(f["result"] == "fail" and f["suppression"] is None for f in r["findings"])
