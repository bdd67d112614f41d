"""`c4guard verify` against a real registry (Debian's docker-registry on loopback)."""

from __future__ import annotations

import json
import uuid
from pathlib import Path

import pytest
from click.testing import CliRunner

from c4guard.cli import main
from c4guard.supplychain.oci import Registry
from c4guard.supplychain.policy import load_policy
from c4guard.supplychain.verifier import RegistryOptions, verify_artifact
from tests.supplychain.publish import BUILDER, SOURCE, KeyPair, Release

POLICY = """\
version: 1
signers:
  release:
    key: {key}
artifacts:
  - match: "{host}/ml/*"
    require_digest: true
    signers: [release]
    signature: {{}}
    provenance:
      builder_id: "{builder}"
      source_repository: "{source}"
      source_ref: "refs/tags/v*"
    sbom:
      min_components: 1
    vulnerabilities:
      max_severity: medium
      max_cvss: 6.9
"""


def write_policy(folder: Path, host: str, key: KeyPair) -> Path:
    path = folder / "policy.yaml"
    path.write_text(POLICY.format(key=key.public, host=host, builder=BUILDER, source=SOURCE))
    return path


def publish(registry: Registry, host: str, release: Release) -> str:
    repository = f"ml/server-{uuid.uuid4().hex[:8]}"
    digest = release.publish(registry, host, repository)
    return f"{host}/{repository}@{digest}"


def test_signed_attested_image_is_allowed(tmp_path, registry, registry_host, release_key):
    reference = publish(registry, registry_host, Release(release_key.signer))
    policy = write_policy(tmp_path, registry_host, release_key)

    result = CliRunner().invoke(
        main, ["verify", reference, "--policy", str(policy), "--plain-http", "--format", "json"]
    )

    assert result.exit_code == 0, result.output
    verdict = json.loads(result.output)
    assert verdict["decision"] == "allow"
    checks = {c["rule"]: c for c in verdict["checks"]}
    assert set(checks) == {"reference", "signature", "provenance", "sbom", "vulnerabilities"}
    assert checks["signature"]["evidence"]["signer"] == "release"
    assert checks["provenance"]["evidence"]["builder_id"] == BUILDER
    assert checks["sbom"]["evidence"]["components"] == 3
    assert checks["vulnerabilities"]["evidence"]["worst"].startswith("CVE-2024-0002")
    assert "referrer" in checks["sbom"]["evidence"]["origin"]  # found via the tag schema


def test_text_output_names_each_check(tmp_path, registry, registry_host, release_key):
    reference = publish(registry, registry_host, Release(release_key.signer))
    policy = write_policy(tmp_path, registry_host, release_key)

    result = CliRunner().invoke(main, ["verify", reference, "-p", str(policy), "--plain-http"])

    assert result.exit_code == 0, result.output
    assert result.output.startswith(f"ALLOW: {reference}")
    assert "ok   provenance" in result.output


def _other_digest() -> str:
    return "sha256:" + "ab" * 32


DENIALS = {
    "tampered payload": (
        lambda k, o: Release(k, tamper_provenance=True),
        "provenance",
        "tampered-payload",
        "tampered payload",
    ),
    "digest mismatch": (
        lambda k, o: Release(k, signed_digest=_other_digest()),
        "signature",
        "digest-mismatch",
        "digest mismatch",
    ),
    "wrong builder id": (
        lambda k, o: Release(k, builder_id="https://ci.example/builder"),
        "provenance",
        "wrong-builder-id",
        "wrong builder id",
    ),
    "wrong source repository": (
        lambda k, o: Release(k, source_repository="https://github.com/attacker/fork"),
        "provenance",
        "wrong-source-repository",
        "wrong source repository",
    ),
    "untrusted key": (
        lambda k, o: Release(o, attestor=k),
        "signature",
        "untrusted-key",
        "untrusted key",
    ),
    "missing attestation": (
        lambda k, o: Release(k, provenance=False),
        "provenance",
        "missing-attestation",
        "missing attestation",
    ),
    "unsigned SBOM": (
        lambda k, o: Release(k, sbom_signed=False),
        "sbom",
        "unsigned-sbom",
        "unsigned SBOM",
    ),
    "SBOM for another digest": (
        lambda k, o: Release(k, sbom_digest=_other_digest()),
        "sbom",
        "sbom-for-another-digest",
        "SBOM for another digest",
    ),
    "vulnerability over the ceiling": (
        lambda k, o: Release(k, vulns=[("CVE-2024-3094", "CRITICAL", 10.0)]),
        "vulnerabilities",
        "vulnerability-over-ceiling",
        "vulnerability over the ceiling",
    ),
}


@pytest.mark.parametrize("case", DENIALS)
def test_denied_with_a_reason_naming_the_case(
    case, tmp_path, registry, registry_host, release_key, other_key
):
    make_release, rule, code, words = DENIALS[case]
    reference = publish(registry, registry_host, make_release(release_key.signer, other_key.signer))
    policy = load_policy(write_policy(tmp_path, registry_host, release_key))

    verdict = verify_artifact(reference, policy, registry=RegistryOptions(plain_http=True))

    assert verdict.decision == "deny" and verdict.exit_code == 1
    failed = {c.rule: c for c in verdict.checks if not c.passed}
    assert set(failed) == {rule}, verdict.reasons
    assert failed[rule].code == code
    assert words in failed[rule].message


def test_tag_only_reference_denied_when_digest_required(
    tmp_path, registry, registry_host, release_key
):
    reference = publish(registry, registry_host, Release(release_key.signer))
    tag_reference = reference.split("@")[0] + ":v1"
    policy = write_policy(tmp_path, registry_host, release_key)

    result = CliRunner().invoke(
        main, ["verify", tag_reference, "-p", str(policy), "--plain-http", "--format", "json"]
    )

    assert result.exit_code == 1, result.output
    verdict = json.loads(result.output)
    assert [c["code"] for c in verdict["checks"]] == ["tag-only-reference"]
    assert "tag-only reference" in verdict["checks"][0]["message"]


def test_tag_resolved_when_digest_not_required(tmp_path, registry, registry_host, release_key):
    reference = publish(registry, registry_host, Release(release_key.signer))
    policy_path = write_policy(tmp_path, registry_host, release_key)
    policy_path.write_text(
        policy_path.read_text().replace("require_digest: true", "require_digest: false")
    )

    verdict = verify_artifact(
        reference.split("@")[0] + ":v1",
        load_policy(policy_path),
        registry=RegistryOptions(plain_http=True),
    )

    assert verdict.decision == "allow", verdict.reasons
    assert verdict.digest == reference.split("@")[1]


def test_unknown_artifact_is_denied_by_default(tmp_path, registry_host, release_key):
    policy = load_policy(write_policy(tmp_path, registry_host, release_key))

    verdict = verify_artifact(
        f"{registry_host}/other/app@sha256:{'0' * 64}",
        policy,
        registry=RegistryOptions(plain_http=True),
    )

    assert verdict.decision == "deny"
    assert verdict.checks[0].code == "no-policy-entry"


def test_unreachable_registry_is_an_error_not_an_allow(tmp_path, release_key):
    policy = load_policy(write_policy(tmp_path, "127.0.0.1:9", release_key))

    verdict = verify_artifact(
        f"127.0.0.1:9/ml/app@sha256:{'0' * 64}", policy, registry=RegistryOptions(plain_http=True)
    )

    assert verdict.decision == "error" and verdict.exit_code == 2
    assert "127.0.0.1:9" in verdict.errors[0]
