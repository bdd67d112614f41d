"""Fixtures for the gate: a PKI, a real registry with signed and unsigned images, a trust
policy and gate config, and a gate served over TLS on loopback."""

from __future__ import annotations

import socket
import textwrap
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from c4guard.supplychain.oci import Registry
from tests.audit.conftest import postgres_server, postgres_url  # noqa: F401  (fixtures)
from tests.gate.harness import GateProcess, running_gate
from tests.gate.tls import Issued, TestCA
from tests.supplychain.conftest import registry_host  # noqa: F401  (fixture)
from tests.supplychain.publish import KeyPair, make_key, push_image, sign_image

TIME_BUDGET_S = 2.0
AUDIT_RESERVE_S = 0.5


@dataclass(frozen=True)
class PKI:
    ca: TestCA
    server: Issued
    client: Issued


@dataclass(frozen=True)
class Images:
    """Digest references in the test registry, and a tag-only one."""

    signed: str
    signed_other: str
    unsigned: str
    wrong_signer: str
    tag_only: str
    hanging: str  # in a "registry" that accepts connections and never answers


@pytest.fixture(scope="session")
def pki(tmp_path_factory: pytest.TempPathFactory) -> PKI:
    ca = TestCA(tmp_path_factory.mktemp("pki"))
    return PKI(
        ca, ca.issue("server"), ca.issue("api-server", server=False, common_name="kube-apiserver")
    )


@pytest.fixture(scope="session")
def hanging_registry() -> Iterator[str]:
    """`127.0.0.1:PORT` of a listener that never answers: requests to it hang."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen(128)
        yield f"127.0.0.1:{sock.getsockname()[1]}"


@pytest.fixture(scope="session")
def release_keys(tmp_path_factory: pytest.TempPathFactory) -> tuple[KeyPair, KeyPair]:
    folder = tmp_path_factory.mktemp("keys")
    return make_key(folder, "release"), make_key(folder, "intruder")


@pytest.fixture(scope="session")
def images(
    registry_host: str,  # noqa: F811
    release_keys: tuple[KeyPair, KeyPair],
    hanging_registry: str,
) -> Images:
    release, intruder = release_keys
    with Registry(registry_host, plain_http=True) as registry:

        def publish(repository: str, signer: KeyPair | None) -> str:
            digest = push_image(registry, repository).digest
            name = f"{registry_host}/{repository}"
            if signer is not None:
                sign_image(registry, repository, name, digest, signer.signer)
            return f"{name}@{digest}"

        return Images(
            signed=publish("gate/server", release),
            signed_other=publish("gate/sidecar", release),
            unsigned=publish("gate/unsigned", None),
            wrong_signer=publish("gate/forged", intruder),
            tag_only=f"{registry_host}/gate/server:v1",
            hanging=f"{hanging_registry}/gate/server@sha256:{'ab' * 32}",
        )


@pytest.fixture(scope="session")
def gate_files(
    tmp_path_factory: pytest.TempPathFactory,
    registry_host: str,  # noqa: F811
    release_keys: tuple[KeyPair, KeyPair],
    hanging_registry: str,
) -> Path:
    """c4guard.yaml (with the gate section) and trust.yaml in one folder."""
    folder = tmp_path_factory.mktemp("gate-config")
    release, _ = release_keys
    (folder / "trust.yaml").write_text(
        textwrap.dedent(f"""\
        version: 1
        signers:
          release:
            key: {release.public}
        artifacts:
          - match: "{registry_host}/gate/*"
            require_digest: true
            signers: [release]
            signature: {{}}
          - match: "{hanging_registry}/*"
            signers: [release]
            signature: {{}}
        """)
    )
    (folder / "c4guard.yaml").write_text(
        textwrap.dedent(f"""\
        version: 1
        gate:
          time_budget: {TIME_BUDGET_S}
          audit_reserve: {AUDIT_RESERVE_S}
          images:
            trust_policy: trust.yaml
            plain_http: true
        """)
    )
    return folder / "c4guard.yaml"


@pytest.fixture(scope="session")
def gate(
    tmp_path_factory: pytest.TempPathFactory, pki: PKI, gate_files: Path, images: Images
) -> Iterator[GateProcess]:
    """One gate for the session, auditing to a SQLite trail."""
    folder = tmp_path_factory.mktemp("gate")
    with running_gate(
        folder, pki.ca.path, pki.server, config=gate_files, audit=str(folder / "audit.db")
    ) as server:
        yield server
