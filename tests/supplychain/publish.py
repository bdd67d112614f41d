"""Test inputs: keys, and images published with cosign-format signatures and in-toto
attestations to a real registry (through the product's own OCI client)."""

from __future__ import annotations

import base64
import json
import os
from dataclasses import dataclass, field
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa
from securesystemslib.signer import CryptoSigner

from c4guard.supplychain.attestations import make_statement, sign_envelope
from c4guard.supplychain.evidence import COSIGN_SIGNATURE, DSSE_MEDIA, SIMPLE_SIGNING
from c4guard.supplychain.oci import Manifest, Registry
from c4guard.supplychain.signatures import sslib_key

BUILDER = "https://github.com/slsa-framework/slsa-github-generator/.github/workflows/generator_container_slsa3.yml@refs/tags/v2.0.0"
SOURCE = "https://github.com/example/inference-server"
SOURCE_REF = "refs/tags/v1.4.0"


@dataclass(frozen=True)
class KeyPair:
    private: Path
    public: Path
    signer: CryptoSigner


def make_key(folder: Path, name: str, kind: str = "ecdsa") -> KeyPair:
    """A fresh key pair written as PEM files (`name.key`, `name.pub`)."""
    private = {
        "ecdsa": lambda: ec.generate_private_key(ec.SECP256R1()),
        "ed25519": ed25519.Ed25519PrivateKey.generate,
        "rsa": lambda: rsa.generate_private_key(65537, 2048),
    }[kind]()
    priv_path, pub_path = folder / f"{name}.key", folder / f"{name}.pub"
    priv_path.write_bytes(
        private.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    pub_path.write_bytes(
        private.public_key().public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        )
    )
    return KeyPair(priv_path, pub_path, CryptoSigner(private, sslib_key(private.public_key())))


def push_image(registry: Registry, repository: str, tag: str = "v1") -> Manifest:
    """A small image: an empty config and one random layer."""
    digest = registry.push_artifact(
        repository, [(os.urandom(256), "application/vnd.oci.image.layer.v1.tar", {})], tag=tag
    )
    manifest = registry.manifest(repository, digest)
    assert manifest is not None
    return manifest


def simple_signing(name: str, digest: str) -> bytes:
    return json.dumps(
        {
            "critical": {
                "identity": {"docker-reference": name},
                "image": {"docker-manifest-digest": digest},
                "type": "cosign container image signature",
            },
            "optional": None,
        }
    ).encode()


def sign_image(
    registry: Registry,
    repository: str,
    name: str,
    digest: str,
    signer: CryptoSigner,
    signed_digest: str | None = None,
) -> None:
    """`cosign sign --key`: a simple-signing payload under the `.sig` tag."""
    payload = simple_signing(name, signed_digest or digest)
    sig = signer.sign(payload).signature
    annotation = base64.b64encode(bytes.fromhex(sig)).decode()
    registry.append_cosign_layer(
        repository, digest, "sig", (payload, SIMPLE_SIGNING, {COSIGN_SIGNATURE: annotation})
    )


def envelope(
    name: str, digest: str, predicate_type: str, predicate: dict, signer: CryptoSigner
) -> dict:
    return sign_envelope(make_statement(name, digest, predicate_type, predicate), signer)


def tamper(env: dict, change: dict) -> dict:
    """Edit the statement inside a signed envelope without re-signing it."""
    statement = json.loads(base64.b64decode(env["payload"]))
    statement["predicate"].update(change)
    return {**env, "payload": base64.b64encode(json.dumps(statement).encode()).decode()}


def slsa_v1(builder: str = BUILDER, repository: str = SOURCE, ref: str = SOURCE_REF) -> dict:
    return {
        "buildDefinition": {
            "buildType": "https://actions.github.io/buildtypes/workflow/v1",
            "externalParameters": {
                "workflow": {
                    "ref": ref,
                    "repository": repository,
                    "path": ".github/workflows/release.yml",
                }
            },
            "resolvedDependencies": [
                {"uri": f"git+{repository}@{ref}", "digest": {"gitCommit": "1" * 40}}
            ],
        },
        "runDetails": {"builder": {"id": builder}},
    }


def slsa_v02(builder: str = BUILDER, repository: str = SOURCE, ref: str = SOURCE_REF) -> dict:
    return {
        "builder": {"id": builder},
        "buildType": "https://github.com/slsa-framework/slsa-github-generator/container@v1",
        "invocation": {
            "configSource": {
                "uri": f"git+{repository}@{ref}",
                "digest": {"sha1": "1" * 40},
                "entryPoint": ".github/workflows/release.yml",
            }
        },
        "materials": [{"uri": f"git+{repository}@{ref}", "digest": {"sha1": "1" * 40}}],
    }


def cyclonedx(name: str, digest: str, components: int = 3) -> dict:
    return {
        "bomFormat": "CycloneDX",
        "specVersion": "1.5",
        "version": 1,
        "metadata": {
            "component": {
                "type": "container",
                "name": name,
                "version": digest,
                "bom-ref": f"pkg:oci/{name.rsplit('/', 1)[-1]}@{digest.replace(':', '%3A')}",
            }
        },
        "components": [
            {"type": "library", "name": f"lib{i}", "version": "1.0"} for i in range(components)
        ],
    }


def trivy(digest: str, vulns: list[tuple[str, str, float]]) -> dict:
    return {
        "SchemaVersion": 2,
        "ArtifactName": "image",
        "ArtifactType": "container_image",
        "Metadata": {"RepoDigests": [f"example/image@{digest}"]},
        "Results": [
            {
                "Target": "image (debian 12)",
                "Vulnerabilities": [
                    {
                        "VulnerabilityID": vid,
                        "PkgName": "openssl",
                        "Severity": sev,
                        "CVSS": {"nvd": {"V3Score": score}},
                    }
                    for vid, sev, score in vulns
                ],
            }
        ],
    }


def cosign_vuln(report: dict) -> dict:
    return {
        "invocation": {"uri": "", "event_id": ""},
        "scanner": {
            "uri": "pkg:github/aquasecurity/trivy@0.50.0",
            "version": "0.50.0",
            "result": report,
        },
        "metadata": {
            "scanStartedOn": "2025-01-01T00:00:00Z",
            "scanFinishedOn": "2025-01-01T00:01:00Z",
        },
    }


LOW_VULNS = [("CVE-2024-0001", "LOW", 3.1), ("CVE-2024-0002", "MEDIUM", 5.3)]


@dataclass
class Release:
    """An image and what a release pipeline attaches to it; change a field to break one."""

    signer: CryptoSigner
    attestor: CryptoSigner | None = None
    builder_id: str = BUILDER
    source_repository: str = SOURCE
    signed_digest: str | None = None
    provenance: bool = True
    tamper_provenance: bool = False
    sbom_signed: bool = True
    sbom_digest: str | None = None
    vulns: list[tuple[str, str, float]] = field(default_factory=lambda: list(LOW_VULNS))

    def publish(self, registry: Registry, host: str, repository: str) -> str:
        """Push the image and its evidence; returns the image digest."""
        image = push_image(registry, repository)
        name, digest = f"{host}/{repository}", image.digest
        attestor = self.attestor or self.signer
        sign_image(registry, repository, name, digest, self.signer, self.signed_digest)
        if self.provenance:
            env = envelope(
                name,
                digest,
                "https://slsa.dev/provenance/v1",
                slsa_v1(self.builder_id, self.source_repository),
                attestor,
            )
            if self.tamper_provenance:
                env = tamper(env, slsa_v1("https://evil.example/builder"))
            registry.append_cosign_layer(repository, digest, "att", _dsse_layer(env))
        sbom = cyclonedx(name, self.sbom_digest or digest)
        if self.sbom_signed:  # an SBOM attestation, as an OCI 1.1 referrer
            env = envelope(name, digest, "https://cyclonedx.org/bom", sbom, attestor)
            registry.push_artifact(
                repository, [_dsse_layer(env)], artifact_type=DSSE_MEDIA, subject=image
            )
        else:  # `cosign attach sbom`: the bare document under the `.sbom` tag
            registry.append_cosign_layer(
                repository,
                digest,
                "sbom",
                (json.dumps(sbom).encode(), "application/vnd.cyclonedx+json", {}),
            )
        env = envelope(
            name,
            digest,
            "https://cosign.sigstore.dev/attestation/vuln/v1",
            cosign_vuln(trivy(digest, self.vulns)),
            attestor,
        )
        registry.push_artifact(
            repository, [_dsse_layer(env)], artifact_type=DSSE_MEDIA, subject=image
        )
        return digest


def _dsse_layer(env: dict) -> tuple[bytes, str, dict[str, str]]:
    return json.dumps(env).encode(), DSSE_MEDIA, {}
