"""A registry with TLS and htpasswd auth on loopback; credentials from docker config.json."""

from __future__ import annotations

import base64
import json
import uuid
from collections.abc import Iterator
from pathlib import Path

import bcrypt
import pytest

from c4guard.supplychain.oci import Registry, docker_credentials
from c4guard.supplychain.policy import load_policy
from c4guard.supplychain.verifier import RegistryOptions, verify_artifact
from tests.supplychain.publish import Release
from tests.supplychain.registry import running_registry
from tests.supplychain.test_verify_registry import write_policy
from tests.tls import self_signed_certificate

USER, PASSWORD = "ci-bot", "s3cret-for-tests"


@pytest.fixture(scope="module")
def secure_registry(tmp_path_factory) -> Iterator[tuple[str, Path]]:
    folder = tmp_path_factory.mktemp("secure-registry")
    cert, key = self_signed_certificate(folder)
    htpasswd = folder / "htpasswd"
    htpasswd.write_text(f"{USER}:{bcrypt.hashpw(PASSWORD.encode(), bcrypt.gensalt(4)).decode()}\n")
    with running_registry(folder, tls=(cert, key), htpasswd=htpasswd) as host:
        yield host, cert


def docker_config(folder: Path, host: str, password: str = PASSWORD) -> Path:
    path = folder / "config.json"
    auth = base64.b64encode(f"{USER}:{password}".encode()).decode()
    path.write_text(json.dumps({"auths": {host: {"auth": auth}}}))
    return path


def test_verify_through_tls_and_docker_config_auth(tmp_path, secure_registry, release_key):
    host, ca = secure_registry
    config = docker_config(tmp_path, host)
    repository = f"ml/secure-{uuid.uuid4().hex[:8]}"
    with Registry(host, credentials=docker_credentials(host, config), ca_file=ca) as registry:
        digest = Release(release_key.signer).publish(registry, host, repository)
    policy = load_policy(write_policy(tmp_path, host, release_key))

    verdict = verify_artifact(
        f"{host}/{repository}@{digest}",
        policy,
        registry=RegistryOptions(docker_config=config, ca_file=ca),
    )

    assert verdict.decision == "allow", verdict.reasons


def test_wrong_password_is_an_error(tmp_path, secure_registry, release_key):
    host, ca = secure_registry
    policy = load_policy(write_policy(tmp_path, host, release_key))

    verdict = verify_artifact(
        f"{host}/ml/app@sha256:{'0' * 64}",
        policy,
        registry=RegistryOptions(docker_config=docker_config(tmp_path, host, "wrong"), ca_file=ca),
    )

    assert verdict.decision == "error"
    assert "401" in verdict.errors[0]
    assert "wrong" not in verdict.errors[0]


def test_untrusted_certificate_is_an_error(tmp_path, secure_registry, release_key):
    host, _ = secure_registry
    policy = load_policy(write_policy(tmp_path, host, release_key))

    verdict = verify_artifact(
        f"{host}/ml/app@sha256:{'0' * 64}",
        policy,
        registry=RegistryOptions(docker_config=docker_config(tmp_path, host)),
    )

    assert verdict.decision == "error"
    assert "certificate" in verdict.errors[0].lower()
