"""Attacks on `c4guard verify` (issue 17, findings 2 and 5): hostile registries and
malformed evidence end in a verdict with a code, JSON output and an audit entry, never a
traceback or a hang."""

from __future__ import annotations

import base64
import json
from pathlib import Path

import pytest

from c4guard.audit import open_trail
from c4guard.audit.events import decode_entry
from tests.attacks.hostile_registry import (
    OCI_INDEX,
    HostileRegistry,
    digest_of,
    image_manifest,
)
from tests.attacks.limited import Run, c4guard
from tests.supplychain.publish import make_key
from tests.supplychain.test_sigstore_offline import GITHUB_OAUTH, keyless_policy
from tests.supplychain.testdata import sigstore_vectors

REPOSITORY = "team/model"


def key_policy(folder: Path, match: str) -> Path:
    key = make_key(folder, "release")
    path = folder / "trust.yaml"
    path.write_text(
        f"version: 1\nsigners:\n  release:\n    key: {key.public}\nartifacts:\n"
        f'  - match: "{match}"\n    signers: [release]\n    signature: {{}}\n'
    )
    return path


def verify(args: list[str], tmp_path: Path, timeout: float = 60) -> tuple[Run, dict, dict]:
    """Run verify with JSON output into a trail; (run, verdict, audited verdict)."""
    trail = tmp_path / "audit.db"
    run = c4guard(
        ["verify", *args, "--format", "json", "--audit-db", str(trail)],
        timeout,
        tmp_path / "state",
    )
    assert run.returncode is not None, f"verify did not end in {timeout} s"
    assert "Traceback" not in run.stderr, run.stderr
    verdict = json.loads(run.stdout)
    with open_trail(str(trail), create=False) as opened:
        entries = [decode_entry(data) for _, data in opened.entries()]
    assert [e.kind for e in entries] == ["verify.verdict"]
    return run, verdict, entries[0].payload


def hostile_verdict(registry: HostileRegistry, tmp_path: Path, digest: str) -> tuple[Run, dict]:
    policy = key_policy(tmp_path, f"{registry.host}/*")
    reference = f"{registry.host}/{REPOSITORY}@{digest}"
    run, verdict, audited = verify([reference, "-p", str(policy), "--plain-http"], tmp_path)
    assert audited["decision"] == verdict["decision"]
    assert audited["error_code"] == verdict["error_code"]
    return run, verdict


def test_manifest_that_is_a_json_list_is_a_registry_error(tmp_path: Path) -> None:
    body = b"[]"
    with HostileRegistry() as registry:
        registry.serve(f"/v2/{REPOSITORY}/manifests/{digest_of(body)}", body)
        run, verdict = hostile_verdict(registry, tmp_path, digest_of(body))
    assert run.returncode == 2
    assert verdict["decision"] == "error"
    assert verdict["error_code"] == "registry-error"
    assert "not a JSON object" in verdict["errors"][0]


def test_layer_list_holding_an_integer_is_a_registry_error(tmp_path: Path) -> None:
    image = image_manifest("layer-int")
    digest = digest_of(image)
    with HostileRegistry() as registry:
        registry.serve(f"/v2/{REPOSITORY}/manifests/{digest}", image)
        signature_tag = digest.replace(":", "-") + ".sig"
        registry.serve(f"/v2/{REPOSITORY}/manifests/{signature_tag}", {"layers": [1]})
        run, verdict = hostile_verdict(registry, tmp_path, digest)
    assert run.returncode == 2
    assert verdict["error_code"] == "registry-error"
    assert "item 0 is not a descriptor" in verdict["errors"][0]


def test_referrers_index_that_is_not_json_is_a_registry_error(tmp_path: Path) -> None:
    image = image_manifest("referrers")
    digest = digest_of(image)
    with HostileRegistry() as registry:
        registry.serve(f"/v2/{REPOSITORY}/manifests/{digest}", image)
        registry.serve(f"/v2/{REPOSITORY}/referrers/{digest}", b"{not json", OCI_INDEX)
        run, verdict = hostile_verdict(registry, tmp_path, digest)
    assert run.returncode == 2
    assert verdict["error_code"] == "registry-error"
    assert "referrers index" in verdict["errors"][0]


def test_bundle_whose_certificate_is_not_der_is_invalid_evidence(tmp_path: Path) -> None:
    bundle = json.loads((sigstore_vectors() / "bundle.txt.sigstore").read_text())
    chain = bundle["verificationMaterial"]["x509CertificateChain"]
    chain["certificates"][0]["rawBytes"] = base64.b64encode(b"not DER at all").decode()
    artifact = tmp_path / "bundle.txt"
    artifact.write_bytes((sigstore_vectors() / "bundle.txt").read_bytes())
    evidence = tmp_path / "broken.sigstore.json"
    evidence.write_text(json.dumps(bundle))
    policy = keyless_policy(tmp_path, "a@tny.town", GITHUB_OAUTH, "    signature: {}\n")
    run, verdict, _ = verify(
        [str(artifact), "-p", str(policy), "-e", str(evidence), "--offline"], tmp_path
    )
    assert run.returncode == 1
    (signature,) = verdict["checks"]
    assert signature["code"] == "invalid-bundle"
    assert "not a valid Sigstore bundle" in signature["message"]


@pytest.mark.slow
def test_dripping_registry_ends_verify_at_its_deadline(tmp_path: Path) -> None:
    """A registry that sends one byte a second never trips a per-read timeout; the total
    deadline (--timeout) ends the verification with a registry-deadline verdict."""
    image = image_manifest("drip")
    with HostileRegistry(drip=1.0) as registry:
        registry.serve(f"/v2/{REPOSITORY}/manifests/{digest_of(image)}", image)
        policy = key_policy(tmp_path, f"{registry.host}/*")
        reference = f"{registry.host}/{REPOSITORY}@{digest_of(image)}"
        run, verdict, _ = verify(
            [reference, "-p", str(policy), "--plain-http", "--timeout", "3"], tmp_path, timeout=40
        )
    assert run.returncode == 2
    assert verdict["error_code"] == "registry-deadline"
    assert run.seconds < 15
