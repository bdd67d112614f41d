"""The admission webhook end to end: `c4guard gate serve` over real TLS on loopback, images
verified in a real registry, every decision checked in the audit trail."""

from __future__ import annotations

import json
import time
from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest
from click.testing import CliRunner

from c4guard.cli import main
from tests.gate.conftest import AUDIT_RESERVE_S, TIME_BUDGET_S
from tests.gate.harness import audited, decisions, review
from tests.gate.objects import deployment, pod, privileged


def test_signed_hardened_pod_is_allowed_and_audited(gate, images):
    response = gate.admit(pod(images.signed), uid="allowed-pod")

    assert response["allowed"] is True
    assert "status" not in response
    entry = audited(gate, "allowed-pod")
    assert entry["allowed"] is True
    assert entry["request"]["user"] == "alice@example.com"
    [image] = entry["images"]
    assert image["decision"] == "allow" and image["digest"] == images.signed.split("@")[1]
    assert entry["object"]["kind"] == "Pod" and entry["object"]["sha256"].startswith("sha256:")


def test_privileged_pod_is_denied_naming_the_requirement(gate, images):
    response = gate.admit(privileged(images.signed), uid="privileged-pod")

    assert response["allowed"] is False
    assert response["status"]["code"] == 403
    message = response["status"]["message"]
    assert "container server runs privileged" in message
    assert "K8S-PRIVILEGED, AISVS C4 4.1.1" in message
    denied = {d["code"] for d in audited(gate, "privileged-pod")["denied"]}
    assert "K8S-PRIVILEGED" in denied


def test_each_decision_is_in_the_trail_when_its_answer_arrives(gate, images):
    def admit_and_look(n: int) -> bool:
        uid = f"concurrent-{n}"
        gate.admit(pod(images.signed) if n % 2 else privileged(images.signed), uid=uid)
        return uid in {p["request"].get("uid") for p in decisions(gate.audit)}

    with ThreadPoolExecutor(12) as pool:
        assert all(pool.map(admit_and_look, range(24)))


@pytest.mark.parametrize(
    ("image", "code"),
    [
        ("unsigned", "missing-signature"),
        ("wrong_signer", "untrusted-key"),
    ],
)
def test_image_without_valid_signature_is_denied(gate, images, image, code):
    uid = f"image-{image}"
    response = gate.admit(pod(getattr(images, image)), uid=uid)

    assert response["allowed"] is False
    assert f"({code}, AISVS C4 4.2.3)" in response["status"]["message"]
    [verdict] = audited(gate, uid)["images"]
    assert verdict["decision"] == "deny"
    assert code in {f["code"] for f in verdict["failures"]}


def test_tag_only_image_is_denied(gate, images):
    response = gate.admit(pod(images.tag_only), uid="tag-only")

    assert response["allowed"] is False
    assert "tag-only reference" in response["status"]["message"]
    assert "(tag-only-reference, AISVS C4 4.2.3)" in response["status"]["message"]
    assert audited(gate, "tag-only")["allowed"] is False


def test_deployment_with_two_images_needs_both_verified(gate, images):
    workload = deployment(images.signed)
    sidecar = {
        **workload["spec"]["template"]["spec"]["containers"][0],
        "name": "sidecar",
        "image": images.unsigned,
    }
    workload["spec"]["template"]["spec"]["containers"].append(sidecar)

    response = gate.admit(workload, uid="two-images")

    assert response["allowed"] is False
    verdicts = {i["reference"]: i["decision"] for i in audited(gate, "two-images")["images"]}
    assert verdicts == {images.signed: "allow", images.unsigned: "deny"}


def test_warn_level_findings_are_returned_as_warnings(gate, images):
    writable = pod(images.signed, container_security={"readOnlyRootFilesystem": False})

    response = gate.admit(writable, uid="warned")

    assert response["allowed"] is True
    assert any("K8S-READONLY-ROOTFS, AISVS C4 4.1.3" in w for w in response["warnings"])
    assert audited(gate, "warned")["warnings"][0]["code"] == "K8S-READONLY-ROOTFS"


def test_suppression_annotations_are_not_honoured(gate, images):
    ignoring = privileged(
        images.signed,
        annotations={
            "c4guard.dev/ignore": "K8S-PRIVILEGED: the driver needs it; expires=2099-12-31"
        },
    )

    response = gate.admit(ignoring, uid="ignore-annotation")

    assert response["allowed"] is False
    assert "K8S-PRIVILEGED" in response["status"]["message"]


def test_dry_run_is_answered_but_not_audited(gate, images):
    response = gate.admit(privileged(images.signed), uid="dry-run", dry_run=True)

    assert response["allowed"] is False
    assert "dry-run" not in [p["request"].get("uid") for p in decisions(gate.audit)]


def test_deletion_passes_and_is_recorded(gate):
    response = gate.admit(None, operation="DELETE", uid="deletion")

    assert response["allowed"] is True
    assert audited(gate, "deletion")["not_judged"][0]["why"] == "operation DELETE is not judged"


def test_update_that_only_relabels_passes_and_is_recorded(gate, images):
    running = privileged(images.signed)
    relabelled = privileged(images.signed, labels={"team": "inference"})

    response = gate.admit(relabelled, operation="UPDATE", old=running, uid="relabel")
    changed = gate.admit(relabelled, operation="UPDATE", old=pod(images.signed), uid="respec")

    assert response["allowed"] is True and changed["allowed"] is False
    assert audited(gate, "relabel")["not_judged"] == [
        {"check": "*", "why": "an update that leaves the spec unchanged"}
    ]


def test_malformed_review_is_answered_400_and_the_server_keeps_going(gate, images):
    client = gate.client()
    for body in (
        b"{not json",
        b'{"apiVersion": "admission.k8s.io/v1"}',
        b"[]",
        json.dumps(
            {
                "apiVersion": "admission.k8s.io/v1",
                "kind": "AdmissionReview",
                "request": {"uid": "x", "operation": "CREATE"},
            }
        ).encode(),
        b"[" * 100_000,
    ):
        answer = client.post(
            "/validate", content=body, headers={"content-type": "application/json"}
        )
        assert answer.status_code == 400, body[:40]
        assert "not a valid AdmissionReview" in answer.json()["error"]

    assert gate.admit(pod(images.signed))["allowed"] is True


def test_oversized_body_is_rejected(gate, images):
    client = gate.client()
    padding = "x" * (3 * 1024 * 1024)
    big = pod(images.signed, annotations={"padding": padding})

    declared = client.post("/validate", json=review(big))
    streamed = client.post("/validate", content=iter([json.dumps(review(big)).encode()]))

    assert declared.status_code == 413 and streamed.status_code == 413
    assert "larger than" in declared.json()["error"]
    assert gate.admit(pod(images.signed))["allowed"] is True


def test_decision_within_the_time_budget_when_the_registry_hangs(gate, images):
    started = time.monotonic()
    response = gate.admit(pod(images.hanging), uid="hanging-registry")
    elapsed = time.monotonic() - started

    assert response["allowed"] is False
    assert "time budget" in response["status"]["message"]
    assert TIME_BUDGET_S - AUDIT_RESERVE_S - 0.2 < elapsed < TIME_BUDGET_S + 1.0
    assert audited(gate, "hanging-registry")["denied"][0]["code"] == "time-budget"


def test_verdicts_are_cached(gate, images):
    def hits() -> float:
        text = gate.client().get("/metrics").text
        line = next(
            x
            for x in text.splitlines()
            if x.startswith('c4guard_gate_image_cache_lookups_total{result="hit"}')
        )
        return float(line.split()[-1])

    gate.admit(pod(images.signed_other))
    before = hits()
    gate.admit(pod(images.signed_other))
    assert hits() == before + 1
    assert decisions(gate.audit)[-1]["images"][0]["cached"] is True


def test_probes_metrics_and_json_logs(gate, images):
    client = gate.client()
    gate.admit(pod(images.signed))

    assert client.get("/healthz").text == "ok\n"
    assert client.get("/readyz").status_code == 200
    metrics = client.get("/metrics")
    assert metrics.headers["content-type"].startswith("text/plain")
    text = metrics.text
    assert 'c4guard_gate_decisions_total{dry_run="false",result="allow"}' in text
    assert 'c4guard_gate_decisions_total{dry_run="false",result="deny"}' in text
    assert "c4guard_gate_decision_seconds_bucket" in text
    assert 'c4guard_gate_image_cache_lookups_total{result="hit"}' in text
    assert client.get("/nowhere").status_code == 404
    decisions = [line for line in gate.logs() if line.get("event") == "decision"]
    assert decisions and {"request", "result", "duration_ms", "audit_index"} <= set(decisions[-1])


def test_plain_http_is_refused(gate):
    with pytest.raises(httpx.TransportError):
        httpx.get(f"http://127.0.0.1:{gate.port}/healthz", timeout=5)


def test_audit_trail_of_all_decisions_verifies(gate, images):
    gate.admit(pod(images.signed))
    runner = CliRunner()
    env = {"C4GUARD_AUDIT_DB": gate.audit}
    key = gate.log_path.parent / "audit.key"

    assert runner.invoke(main, ["audit", "keygen", "--out", str(key)], env=env).exit_code == 0
    assert runner.invoke(main, ["audit", "checkpoint", "--key", str(key)], env=env).exit_code == 0
    result = runner.invoke(main, ["audit", "verify", "--key", f"{key}.pub"], env=env)

    assert result.exit_code == 0, result.output
    assert result.output.splitlines()[-1].startswith("OK: ")
