"""`c4guard verify` of a local artifact from local evidence files, offline."""

from __future__ import annotations

import base64
import hashlib
import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from c4guard.cli import main
from c4guard.supplychain.attestations import make_statement, sign_envelope
from c4guard.supplychain.policy import load_policy
from c4guard.supplychain.verifier import verify_artifact
from tests.supplychain.publish import BUILDER, SOURCE, KeyPair, make_key, slsa_v02, tamper


def spdx(name: str, digest: str) -> dict:
    return {
        "spdxVersion": "SPDX-2.3",
        "SPDXID": "SPDXRef-DOCUMENT",
        "name": name,
        "documentDescribes": ["SPDXRef-artifact"],
        "packages": [
            {
                "SPDXID": "SPDXRef-artifact",
                "name": name,
                "checksums": [{"algorithm": "SHA256", "checksumValue": digest.split(":")[1]}],
            },
            {"SPDXID": "SPDXRef-numpy", "name": "numpy", "versionInfo": "2.1.0"},
            {"SPDXID": "SPDXRef-torch", "name": "torch", "versionInfo": "2.5.0"},
        ],
    }


def grype(digest: str, severity: str = "Medium", score: float = 5.0) -> dict:
    return {
        "descriptor": {"name": "grype", "version": "0.80.0"},
        "source": {"type": "file", "target": {"manifestDigest": digest}},
        "matches": [
            {
                "vulnerability": {
                    "id": "GHSA-aaaa-bbbb-cccc",
                    "severity": severity,
                    "cvss": [{"metrics": {"baseScore": score}}],
                },
                "artifact": {"name": "torch"},
            }
        ],
    }


def sign_blob(path: Path, key: KeyPair) -> None:
    """`cosign sign-blob --output-signature X.sig`: a base64 signature beside the file."""
    sig = bytes.fromhex(key.signer.sign(path.read_bytes()).signature)
    path.with_name(path.name + ".sig").write_text(base64.b64encode(sig).decode())


POLICY = """\
version: 1
signers:
  release: {{key: "{key}"}}
artifacts:
  - match: "*/dist/*"
    signers: [release]
    signature: {{}}
    provenance:
      builder_id: "{builder}"
      source_repository: "git+{source}.git"
    sbom: {{min_components: 2}}
    vulnerabilities: {{max_cvss: 7.0}}
"""


@pytest.fixture
def release(tmp_path: Path) -> tuple[Path, KeyPair, Path]:
    """A wheel, its signature, SLSA v0.2 provenance (.intoto.jsonl), a signed SPDX SBOM and a
    signed Grype report; returns (artifact, key, policy)."""
    key = make_key(tmp_path, "release")
    dist = tmp_path / "dist"
    dist.mkdir()
    wheel = dist / "model_server-1.0-py3-none-any.whl"
    wheel.write_bytes(b"PK\x03\x04 not really a wheel")
    sign_blob(wheel, key)
    digest = "sha256:" + hashlib.sha256(wheel.read_bytes()).hexdigest()
    statement = make_statement(wheel.name, digest, "https://slsa.dev/provenance/v0.2", slsa_v02())
    (tmp_path / "provenance.intoto.jsonl").write_text(
        json.dumps(sign_envelope(statement, key.signer)) + "\n"
    )
    for name, document in (
        ("sbom.spdx.json", spdx(wheel.name, digest)),
        ("grype.json", grype(digest)),
    ):
        (tmp_path / name).write_text(json.dumps(document))
        sign_blob(tmp_path / name, key)
    policy = tmp_path / "policy.yaml"
    policy.write_text(POLICY.format(key=key.public, builder=BUILDER, source=SOURCE))
    return wheel, key, policy


def verify(wheel: Path, policy: Path, *evidence: str):
    args = ["verify", str(wheel), "-p", str(policy), "--offline", "--format", "json"]
    for name in evidence:
        args += ["-e", str(wheel.parent.parent / name)]
    result = CliRunner().invoke(main, args)
    return result.exit_code, json.loads(result.output)


EVIDENCE = ("provenance.intoto.jsonl", "sbom.spdx.json", "grype.json")


def test_local_release_is_allowed(release):
    wheel, _, policy = release

    code, verdict = verify(wheel, policy, *EVIDENCE)

    assert code == 0, verdict
    checks = {c["rule"]: c for c in verdict["checks"]}
    assert checks["provenance"]["evidence"]["slsa_version"] == "0.2"
    assert checks["sbom"]["evidence"]["format"] == "SPDX"
    assert checks["sbom"]["evidence"]["components"] == 2
    assert checks["vulnerabilities"]["evidence"]["scanner"] == "grype"


def test_changed_artifact_fails_its_signature_and_attestations(release):
    wheel, _, policy = release
    wheel.write_bytes(wheel.read_bytes() + b"backdoor")

    code, verdict = verify(wheel, policy, *EVIDENCE)

    assert code == 1
    failed = {c["rule"]: c["code"] for c in verdict["checks"] if not c["passed"]}
    assert failed["signature"] == "untrusted-key"
    assert failed["provenance"] == "digest-mismatch"


def test_unsigned_vulnerability_report_is_denied(release):
    wheel, _, policy = release
    (wheel.parent.parent / "grype.json.sig").unlink()

    code, verdict = verify(wheel, policy, *EVIDENCE)

    assert code == 1
    assert verdict["checks"][-1]["code"] == "unsigned-vulnerability-report"


def test_edited_signed_document_is_tampered(release):
    wheel, _, policy = release
    sbom = wheel.parent.parent / "sbom.spdx.json"
    sbom.write_text(sbom.read_text().replace("2.5.0", "2.5.1"))

    code, verdict = verify(wheel, policy, *EVIDENCE)

    assert code == 1
    sbom_check = next(c for c in verdict["checks"] if c["rule"] == "sbom")
    assert sbom_check["code"] == "untrusted-key"  # a bare signature names no key


def test_tampered_envelope_names_the_trusted_key(release):
    wheel, _, policy = release
    jsonl = wheel.parent.parent / "provenance.intoto.jsonl"
    envelope = tamper(json.loads(jsonl.read_text()), {"builder": {"id": BUILDER + "x"}})
    jsonl.write_text(json.dumps(envelope) + "\n")

    code, verdict = verify(wheel, policy, *EVIDENCE)

    assert code == 1
    check = next(c for c in verdict["checks"] if c["rule"] == "provenance")
    assert check["code"] == "tampered-payload"
    assert "trusted key 'release'" in check["message"]


def test_attestation_by_unknown_key_names_its_key_id(release, tmp_path):
    wheel, _, policy = release
    stranger = make_key(tmp_path, "stranger")
    digest = "sha256:" + hashlib.sha256(wheel.read_bytes()).hexdigest()
    statement = make_statement(wheel.name, digest, "https://slsa.dev/provenance/v0.2", slsa_v02())
    (tmp_path / "provenance.intoto.jsonl").write_text(
        json.dumps(sign_envelope(statement, stranger.signer)) + "\n"
    )

    code, verdict = verify(wheel, policy, *EVIDENCE)

    assert code == 1
    check = next(c for c in verdict["checks"] if c["rule"] == "provenance")
    assert check["code"] == "untrusted-key"
    assert stranger.signer.public_key.keyid in check["message"]


def test_unreadable_evidence_is_an_error(release, tmp_path):
    wheel, _, policy = release
    (tmp_path / "notes.json").write_text('{"hello": 1}')

    code, verdict = verify(wheel, policy, "notes.json")

    assert code == 2
    assert "notes.json" in verdict["errors"][0]


@pytest.mark.parametrize("kind", ["ed25519", "rsa"])
def test_ed25519_and_rsa_keys(tmp_path, kind):
    key = make_key(tmp_path, "k", kind)
    dist = tmp_path / "dist"
    dist.mkdir()
    blob = dist / "weights.bin"
    blob.write_bytes(b"\x00" * 1024)
    sign_blob(blob, key)
    policy = tmp_path / "policy.yaml"
    policy.write_text(
        f'version: 1\nsigners: {{k: {{key: "{key.public}"}}}}\n'
        'artifacts: [{match: "*/dist/*", signers: [k], signature: {}}]\n'
    )

    code, verdict = verify(blob, policy)

    assert code == 0, verdict


def test_gate_mode_reads_only_image_references(release):
    wheel, _, policy = release

    verdict = verify_artifact(str(wheel), load_policy(policy), local_paths=False)

    assert verdict.decision == "error"
    assert "not an OCI reference" in verdict.errors[0]


def test_verdict_is_recorded_in_the_audit_trail(release, tmp_path):
    from c4guard.audit import open_trail

    wheel, _, policy = release
    db = tmp_path / "audit.db"
    args = [
        "verify",
        str(wheel),
        "-p",
        str(policy),
        "--offline",
        "--format",
        "json",
        "--audit-db",
        str(db),
    ] + [arg for name in EVIDENCE for arg in ("-e", str(wheel.parent.parent / name))]
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 0
    with open_trail(str(db), create=False) as trail:
        [entry] = [trail.entry(i) for i in range(trail.size())]
    assert entry.kind == "verify.verdict"
    assert entry.payload["decision"] == json.loads(result.stdout)["decision"] == "allow"
