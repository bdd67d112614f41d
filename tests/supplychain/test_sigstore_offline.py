"""Sigstore bundles verified fully offline against a trusted root file."""

from __future__ import annotations

import base64
import json
import shutil
from pathlib import Path

import pytest

from c4guard.supplychain.policy import load_policy
from c4guard.supplychain.verifier import verify_artifact
from tests.supplychain.testdata import sigstore_vectors, staging_trusted_root

GITHUB_OAUTH = "https://github.com/login/oauth"
BEACON = (
    "https://github.com/sigstore-conformance/extremely-dangerous-public-oidc-beacon/"
    ".github/workflows/extremely-dangerous-oidc-beacon.yml@refs/heads/main"
)
ACTIONS = "https://token.actions.githubusercontent.com"
REGEN = "https://github.com/sigstore-conformance/rekor2-dsse-hashedrekord-regen"


def keyless_policy(folder: Path, identity: str, issuer: str, rules: str, match: str = "*") -> Path:
    path = folder / "policy.yaml"
    path.write_text(f"""\
version: 1
signers:
  ci:
    keyless:
      identity: "{identity}"
      issuer: "{issuer}"
      trusted_root: "{staging_trusted_root()}"
artifacts:
  - match: "{match}"
    signers: [ci]
{rules}""")
    return path


@pytest.fixture
def artifact(tmp_path: Path) -> Path:
    """`bundle.txt` of the Sigstore vectors, copied without its bundle beside it."""
    return Path(shutil.copy(sigstore_vectors() / "bundle.txt", tmp_path / "bundle.txt"))


def verify_file(tmp_path: Path, artifact: Path, bundle: Path, identity: str = "a@tny.town"):
    policy = load_policy(keyless_policy(tmp_path, identity, GITHUB_OAUTH, "    signature: {}\n"))
    return verify_artifact(str(artifact), policy, evidence_files=[bundle], offline=True)


def test_bundle_verifies_offline_against_trusted_root(tmp_path, artifact):
    verdict = verify_file(tmp_path, artifact, sigstore_vectors() / "bundle.txt.sigstore")

    assert verdict.decision == "allow", verdict.reasons
    signature = verdict.checks[0]
    assert signature.evidence["signer"] == "ci"
    assert "a@tny.town" in signature.message


def test_modified_bundle_is_rejected(tmp_path, artifact):
    bundle = json.loads((sigstore_vectors() / "bundle.txt.sigstore").read_text())
    sig = bundle["messageSignature"]["signature"]
    bundle["messageSignature"]["signature"] = ("A" if sig[0] != "A" else "B") + sig[1:]
    modified = tmp_path / "modified.sigstore.json"
    modified.write_text(json.dumps(bundle))

    verdict = verify_file(tmp_path, artifact, modified)

    assert verdict.decision == "deny"
    assert verdict.checks[0].code == "invalid-signature", verdict.reasons


def test_modified_artifact_is_rejected(tmp_path, artifact):
    artifact.write_bytes(artifact.read_bytes() + b"!")

    verdict = verify_file(tmp_path, artifact, sigstore_vectors() / "bundle.txt.sigstore")

    assert verdict.decision == "deny"
    assert verdict.checks[0].code == "invalid-signature"


def test_other_identity_is_rejected(tmp_path, artifact):
    verdict = verify_file(
        tmp_path,
        artifact,
        sigstore_vectors() / "bundle.txt.sigstore",
        identity="someone@example.org",
    )

    assert verdict.decision == "deny"
    assert verdict.checks[0].code == "untrusted-identity"
    assert "a@tny.town" in verdict.checks[0].message


def test_bundle_without_inclusion_proof_cannot_be_verified_offline(tmp_path):
    vectors = sigstore_vectors()
    artifact = Path(shutil.copy(vectors / "bundle_no_checkpoint.txt", tmp_path / "a.txt"))

    verdict = verify_file(tmp_path, artifact, vectors / "bundle_no_checkpoint.txt.sigstore")

    assert verdict.decision == "deny"
    check = verdict.checks[0]
    assert check.code == "invalid-bundle"
    assert "cannot be verified offline" in check.message
    assert "inclusion proof" in check.message


def test_keyless_provenance_attestation_offline(tmp_path):
    bundle = sigstore_vectors() / "a.dsse.staging-rekor-v2.txt.sigstore.json"
    subject = json.loads(
        base64.b64decode(json.loads(bundle.read_text())["dsseEnvelope"]["payload"])
    )["subject"][0]
    reference = f"registry.example/ml/app@sha256:{subject['digest']['sha256']}"
    rules = f'    provenance:\n      builder_id: "{REGEN}"\n'
    policy = load_policy(
        keyless_policy(tmp_path, BEACON, ACTIONS, rules, match="registry.example/ml/*")
    )

    verdict = verify_artifact(reference, policy, evidence_files=[bundle], offline=True)

    assert verdict.decision == "allow", verdict.reasons
    provenance = verdict.checks[-1]
    assert provenance.evidence["builder_id"] == REGEN
    assert provenance.evidence["slsa_version"] == "1"


def test_keyless_provenance_for_another_digest_is_denied(tmp_path):
    bundle = sigstore_vectors() / "a.dsse.staging-rekor-v2.txt.sigstore.json"
    rules = f'    provenance:\n      builder_id: "{REGEN}"\n'
    policy = load_policy(
        keyless_policy(tmp_path, BEACON, ACTIONS, rules, match="registry.example/ml/*")
    )

    verdict = verify_artifact(
        f"registry.example/ml/app@sha256:{'1' * 64}", policy, evidence_files=[bundle], offline=True
    )

    assert verdict.decision == "deny"
    assert verdict.checks[-1].code == "digest-mismatch"
