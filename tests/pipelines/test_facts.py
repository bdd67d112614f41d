"""What a step is recognised to do, from its action and inputs or its commands."""

from __future__ import annotations

import pytest

from c4guard.pipelines.facts import recognise


def facts(
    uses: str | None = None,
    script: str = "",
    env: dict | None = None,
    may_fail: bool = False,
    **inputs: object,
):
    return recognise(uses, inputs, script, env or {}, may_fail)


@pytest.mark.parametrize(
    ("script", "kind"),
    [
        ("docker push ghcr.io/x/y:1", "container image"),
        ("docker buildx build --platform linux/amd64 -t x --push .", "container image"),
        ("docker buildx build . --output type=registry,name=x", "container image"),
        ("/kaniko/executor --destination x", "container image"),
        ("ko build ./cmd/server", "container image"),
        ("twine upload dist/*", "Python package"),
        ("uv publish", "Python package"),
        ("helm push chart.tgz oci://ghcr.io/x", "Helm chart"),
        ("huggingface-cli upload org/model ./out", "model"),
        ("make .push-build-image", "artifact (make target)"),
    ],
)
def test_publishing_commands(script: str, kind: str) -> None:
    [artifact] = facts(script=script).artifacts
    assert artifact.kind == kind


@pytest.mark.parametrize(
    "script",
    [
        "docker build -t x .",
        "/kaniko/executor --no-push --destination x",
        "ko build -L ./cmd",
        "docker buildx build --load -t x .",
        "helm package chart",
        "echo docker push later",
    ],
)
def test_commands_that_do_not_publish(script: str) -> None:
    assert facts(script=script).artifacts == () or script.startswith("echo")


def test_build_push_action_provenance_and_sbom_inputs() -> None:
    [default] = facts("docker/build-push-action@v6", push=True).artifacts
    assert default.unsigned_provenance and not default.embedded_sbom
    [off] = facts(
        "docker/build-push-action@v6", push="true", provenance="false", sbom="true"
    ).artifacts
    assert not off.unsigned_provenance and off.embedded_sbom
    assert facts("docker/build-push-action@v6", load=True).artifacts == ()


def test_attestations_and_signatures() -> None:
    assert facts("actions/attest-build-provenance@v2").signed_provenance
    assert facts("actions/attest@v2", **{"sbom-path": "sbom.json"}).signed_sbom
    assert facts(
        "actions/attest@v2", **{"predicate-type": "https://slsa.dev/provenance/v1"}
    ).signed_provenance
    assert facts(script="cosign attest --type spdxjson --predicate s.json x").signed_sbom
    assert facts(
        script="cosign attest --type slsaprovenance --predicate p.json x"
    ).signed_provenance
    assert facts(script="cosign sign --yes x@sha256:1").signature == "cosign sign"
    assert facts(script="cosign sign-blob --bundle s.bundle sbom.spdx.json").signed_sbom
    assert facts(script="cosign verify x").signature is None


def test_pypi_publish_attests_only_with_trusted_publishing() -> None:
    assert facts("pypa/gh-action-pypi-publish@release/v1").signed_provenance
    assert not facts("pypa/gh-action-pypi-publish@release/v1", password="x").signed_provenance
    assert not facts("pypa/gh-action-pypi-publish@release/v1", attestations=False).signed_provenance


@pytest.mark.parametrize(
    ("script", "env", "gate"),
    [
        ("trivy image --exit-code 1 --severity CRITICAL x", {}, True),
        ("trivy image x", {}, False),
        ("trivy image x", {"TRIVY_EXIT_CODE": "1"}, True),
        ("grype x --fail-on high", {}, True),
        ("grype x", {}, False),
        ("snyk container test x", {}, True),
        ("snyk container test x || true", {}, False),
        ("docker scout cves x --exit-code", {}, True),
    ],
)
def test_vulnerability_scans_and_gates(script: str, env: dict, gate: bool) -> None:
    result = facts(script=script, env=env)
    assert result.vuln_scan and result.vuln_gate is gate


def test_trivy_sbom_output_is_not_a_scan() -> None:
    result = facts(script="trivy image --format cyclonedx --output s.json x")
    assert result.sbom == "trivy" and result.vuln_scan is None
    action = facts("aquasecurity/trivy-action@0.28.0", format="spdx-json")
    assert action.sbom and not action.vuln_scan


def test_deployments_and_local_clusters() -> None:
    assert facts(script="helm upgrade --install app ./chart").deployment
    assert facts(script="kubectl apply -k overlays/prod").deployment
    assert not facts(script="kubectl apply --dry-run=client -f x").deployment
    assert not facts(script="kubectl get pods").deployment
    assert facts(script="kind create cluster").local_cluster
    assert facts("azure/k8s-deploy@v5").deployment
