"""What a CI step does for the supply chain, read from the action it uses and its inputs,
or from the commands of its script: artifacts it publishes, provenance, SBOMs, signatures,
vulnerability scans, verification, deployment.

Recognition is by action name and command pattern; it cannot see into `make` targets or
scripts in other files beyond a target's name, and the findings say which step was read.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import Any

from c4guard.shellscan import logical_lines

SIGNED_PROVENANCE_TYPES = re.compile(r"slsaprovenance\w*|https?://slsa\.dev/provenance\S*", re.I)
SBOM_TYPES = re.compile(
    r"cyclonedx[\w-]*|spdx[\w-]*|https?://(?:cyclonedx\.org/bom|spdx\.dev/document)"
    r"\S*",
    re.I,
)
_NEUTRALISED = re.compile(r"\|\|\s*(?:true|:|exit\s+0|echo\b)|;\s*true\s*$")


@dataclass(frozen=True, slots=True)
class Artifact:
    """Something a step publishes, and what the publishing tool attaches to it unsigned."""

    kind: str
    via: str
    unsigned_provenance: bool = False
    embedded_sbom: bool = False


@dataclass(frozen=True, slots=True)
class StepFacts:
    """Everything a step was recognised to do; each field names the tool that did it."""

    artifacts: tuple[Artifact, ...] = ()
    signed_provenance: str | None = None
    sbom: str | None = None
    signed_sbom: str | None = None
    signature: str | None = None
    vuln_scan: str | None = None
    vuln_gate: bool = False
    verification: str | None = None
    deployment: str | None = None
    local_cluster: str | None = None
    notes: tuple[str, ...] = field(default=())

    def __or__(self, other: StepFacts) -> StepFacts:
        """Both steps' facts (first non-empty value wins for each tool field)."""
        values: dict[str, Any] = {}
        for name in StepFacts.__dataclass_fields__:
            mine, theirs = getattr(self, name), getattr(other, name)
            values[name] = mine + theirs if isinstance(mine, tuple) else mine or theirs
        return StepFacts(**values)


NOTHING = StepFacts()


def recognise(
    uses: str | None,
    inputs: dict[str, Any],
    script: str,
    env: dict[str, Any],
    allowed_to_fail: bool,
) -> StepFacts:
    """The facts of one step: its action (with inputs), then each command of its script."""
    facts = NOTHING
    if uses:
        facts = facts | _action_facts(uses, inputs)
    for _offset, line in logical_lines(script):
        facts = facts | _command_facts(line, env)
    if allowed_to_fail and facts.vuln_gate:
        facts = replace(
            facts,
            vuln_gate=False,
            notes=(*facts.notes, "the scan may fail without failing the job"),
        )
    return facts


# ------------------------------------------------------------------------ actions


def action_name(uses: str) -> str:
    """`owner/repo[/path]` of an action reference, lower-case, without `@ref`."""
    return uses.split("@", 1)[0].strip().lower().rstrip("/")


def _truthy(value: Any) -> bool:
    return value is True or str(value).strip().lower() in ("true", "1", "yes")


def _falsy(value: Any) -> bool:
    return value is False or str(value).strip().lower() in ("false", "0", "no")


def _build_push(name: str, inputs: dict[str, Any]) -> StepFacts:
    outputs = str(inputs.get("outputs", ""))
    pushes = _truthy(inputs.get("push")) or "type=registry" in outputs or "push=true" in outputs
    attests = str(inputs.get("attests", ""))
    sbom = _truthy(inputs.get("sbom")) or "type=sbom" in attests
    provenance = not _falsy(inputs.get("provenance")) and not _truthy(inputs.get("load"))
    if not pushes:
        return NOTHING
    artifact = Artifact("container image", name, unsigned_provenance=provenance, embedded_sbom=sbom)
    return StepFacts(artifacts=(artifact,))


def _pypi_publish(name: str, inputs: dict[str, Any]) -> StepFacts:
    """PEP 740 attestations are on by default with Trusted Publishing (no password)."""
    artifact = StepFacts(artifacts=(Artifact("Python package", name),))
    if _falsy(inputs.get("attestations")) or inputs.get("password"):
        return artifact
    return artifact | StepFacts(
        signed_provenance=f"{name} (PEP 740 attestations)",
        signature=f"{name} (PEP 740 attestations)",
    )


def _attest(name: str, inputs: dict[str, Any]) -> StepFacts:
    predicate = str(inputs.get("predicate-type", ""))
    if inputs.get("sbom-path") or SBOM_TYPES.fullmatch(predicate):
        return StepFacts(signed_sbom=name, signature=name)
    if not predicate or SIGNED_PROVENANCE_TYPES.fullmatch(predicate):
        return StepFacts(signed_provenance=name, signature=name)
    return StepFacts(signature=name)


def _trivy(name: str, inputs: dict[str, Any]) -> StepFacts:
    output = str(inputs.get("format", "")).lower()
    if SBOM_TYPES.fullmatch(output):
        return StepFacts(sbom=name)
    gate = str(inputs.get("exit-code", "0")).strip() not in ("", "0")
    return StepFacts(vuln_scan=name, vuln_gate=gate)


def _scan(gate_input: str | None, default: bool) -> Callable[[str, dict[str, Any]], StepFacts]:
    def facts(name: str, inputs: dict[str, Any]) -> StepFacts:
        value = inputs.get(gate_input) if gate_input else None
        gate = default if value is None else _truthy(value)
        return StepFacts(vuln_scan=name, vuln_gate=gate)

    return facts


def _scout(name: str, inputs: dict[str, Any]) -> StepFacts:
    if "cves" not in str(inputs.get("command", "")):
        return NOTHING
    return StepFacts(vuln_scan=name, vuln_gate=_truthy(inputs.get("exit-code")))


def _publishes(kind: str) -> Callable[[str, dict[str, Any]], StepFacts]:
    return lambda name, _inputs: StepFacts(artifacts=(Artifact(kind, name),))


def _fact(**values: Any) -> Callable[[str, dict[str, Any]], StepFacts]:
    def make(name: str, _inputs: dict[str, Any]) -> StepFacts:
        fields: dict[str, Any] = {k: name if v is True else v for k, v in values.items()}
        return StepFacts(**fields)

    return make


# Action name (owner/repo[/path]) prefixes and what they do.
ACTIONS: tuple[tuple[str, Callable[[str, dict[str, Any]], StepFacts]], ...] = (
    ("docker/build-push-action", _build_push),
    ("docker/bake-action", _build_push),
    ("redhat-actions/push-to-registry", _publishes("container image")),
    ("mr-smithers-excellent/docker-build-push", _publishes("container image")),
    ("elgohr/publish-docker-github-action", _publishes("container image")),
    ("pypa/gh-action-pypi-publish", _pypi_publish),
    ("js-devtools/npm-publish", _publishes("npm package")),
    ("helm/chart-releaser-action", _publishes("Helm chart")),
    ("goreleaser/goreleaser-action", _publishes("release")),
    ("softprops/action-gh-release", _publishes("release asset")),
    ("ncipollo/release-action", _publishes("release asset")),
    ("svenstaro/upload-release-action", _publishes("release asset")),
    ("actions/upload-release-asset", _publishes("release asset")),
    ("actions/attest-build-provenance", _fact(signed_provenance=True, signature=True)),
    ("actions/attest-sbom", _fact(signed_sbom=True, signature=True)),
    ("actions/attest", _attest),
    ("slsa-framework/slsa-github-generator", _fact(signed_provenance=True, signature=True)),
    ("sigstore/gh-action-sigstore-python", _fact(signature=True)),
    ("anchore/sbom-action/download-syft", lambda _n, _i: NOTHING),
    ("anchore/sbom-action", _fact(sbom=True)),
    ("cyclonedx/", _fact(sbom=True)),
    ("microsoft/sbom-tool", _fact(sbom=True)),
    ("advanced-security/sbom-generator-action", _fact(sbom=True)),
    ("aquasecurity/trivy-action", _trivy),
    ("anchore/scan-action", _scan("fail-build", True)),
    ("snyk/actions", _scan(None, True)),
    ("docker/scout-action", _scout),
    ("google/osv-scanner-action", _scan("fail-on-vuln", True)),
    ("azure/container-scan", _scan(None, True)),
    ("gitlab-template/jobs/container-scanning.gitlab-ci.yml", _scan(None, False)),
    ("gitlab-template/security/container-scanning.gitlab-ci.yml", _scan(None, False)),
    ("gitlab-template/jobs/dependency-scanning.gitlab-ci.yml", _scan(None, False)),
    ("gitlab-template/security/dependency-scanning.gitlab-ci.yml", _scan(None, False)),
    ("slsa-framework/slsa-verifier", _fact(verification=True)),
    ("azure/k8s-deploy", _fact(deployment=True)),
    ("azure/webapps-deploy", _fact(deployment=True)),
    ("azure/container-apps-deploy-action", _fact(deployment=True)),
    ("google-github-actions/deploy-cloudrun", _fact(deployment=True)),
    ("google-github-actions/deploy-appengine", _fact(deployment=True)),
    ("google-github-actions/deploy-cloud-functions", _fact(deployment=True)),
    ("aws-actions/amazon-ecs-deploy-task-definition", _fact(deployment=True)),
    ("deliverybot/helm", _fact(deployment=True)),
    ("helm/kind-action", _fact(local_cluster=True)),
    ("engineerd/setup-kind", _fact(local_cluster=True)),
    ("container-tools/kind-action", _fact(local_cluster=True)),
    ("medyagh/setup-minikube", _fact(local_cluster=True)),
    ("manusa/actions-setup-minikube", _fact(local_cluster=True)),
    ("absaoss/k3d-action", _fact(local_cluster=True)),
    ("nolar/setup-k3d-k3s", _fact(local_cluster=True)),
    ("jupyterhub/action-k3s-helm", _fact(local_cluster=True)),
    ("debianmaster/actions-k3s", _fact(local_cluster=True)),
)


def _action_facts(uses: str, inputs: dict[str, Any]) -> StepFacts:
    name = action_name(uses)
    for prefix, facts in ACTIONS:
        if (
            name == prefix
            or name.startswith(prefix.rstrip("/") + "/")
            or (prefix.endswith("/") and name.startswith(prefix))
        ):
            return facts(name, inputs)
    return NOTHING


# ------------------------------------------------------------------------ commands


@dataclass(frozen=True, slots=True)
class CommandRule:
    """A command pattern, the words one of which a line must contain for the pattern to be
    tried (a cheap filter), and what a match means."""

    pattern: re.Pattern[str]
    label: str
    needles: tuple[str, ...]
    make: Callable[[str, str, dict[str, Any]], StepFacts]


def _artifact(kind: str) -> Callable[[str, str, dict[str, Any]], StepFacts]:
    def make(label: str, line: str, _env: dict[str, Any]) -> StepFacts:
        buildx = label == "docker buildx --push"
        provenance = buildx and not re.search(r"--provenance[= ]\"?(false|0)\b", line)
        sbom = buildx and bool(re.search(r"--sbom[= ]\"?(true|1)\b", line))
        return StepFacts(artifacts=(Artifact(kind, label, provenance, sbom),))

    return make


def _field(name: str) -> Callable[[str, str, dict[str, Any]], StepFacts]:
    def make(label: str, _line: str, _env: dict[str, Any]) -> StepFacts:
        fields: dict[str, Any] = {name: label}
        return StepFacts(**fields)

    return make


def _cosign_attest(label: str, line: str, _env: dict[str, Any]) -> StepFacts:
    match = re.search(r"--type[= ]\"?'?([^\s\"']+)", line)
    predicate = match[1] if match else "custom"
    if SIGNED_PROVENANCE_TYPES.fullmatch(predicate):
        return StepFacts(signed_provenance=label, signature=label)
    if SBOM_TYPES.fullmatch(predicate):
        return StepFacts(signed_sbom=label, signature=label)
    return StepFacts(signature=label)


def _sign_blob(label: str, line: str, _env: dict[str, Any]) -> StepFacts:
    if re.search(r"sbom|\.spdx|\.cdx|bom\.json|cyclonedx", line, re.I):
        return StepFacts(signed_sbom=label, signature=label)
    return StepFacts(signature=label)


def _sbom_or_scan(label: str, line: str, env: dict[str, Any]) -> StepFacts:
    """trivy writes an SBOM with --format cyclonedx/spdx, else it scans."""
    output = re.search(r"(?:--format|-f)[= ]\"?'?([\w-]+)", line)
    if output and SBOM_TYPES.fullmatch(output[1]):
        return StepFacts(sbom=label)
    code = re.search(r"--exit-code[= ]\"?'?(\d+)", line)
    gate = bool(code and code[1] != "0") or str(env.get("TRIVY_EXIT_CODE", "0")) not in ("", "0")
    return _scan_facts(label, line, gate)


def _grype(label: str, line: str, env: dict[str, Any]) -> StepFacts:
    gate = bool(re.search(r"(?:--fail-on|-f)[= ]\w+", line)) or bool(
        env.get("GRYPE_FAIL_ON_SEVERITY")
    )
    return _scan_facts(label, line, gate)


def _gating_scan(label: str, line: str, _env: dict[str, Any]) -> StepFacts:
    return _scan_facts(label, line, True)


def _exit_code_scan(label: str, line: str, _env: dict[str, Any]) -> StepFacts:
    return _scan_facts(label, line, "--exit-code" in line)


def _scan_facts(label: str, line: str, gate: bool) -> StepFacts:
    if gate and _NEUTRALISED.search(line):
        return StepFacts(vuln_scan=label, notes=(f"`{label}` failures are ignored (|| true)",))
    return StepFacts(vuln_scan=label, vuln_gate=gate)


def _deploy(label: str, line: str, _env: dict[str, Any]) -> StepFacts:
    if re.search(r"--dry-run\b(?!=none)", line):
        return NOTHING
    return StepFacts(deployment=label)


_RULES: list[tuple[str, str, Callable[[str, str, dict[str, Any]], StepFacts]]] = [
    # publishing
    (
        r"\b(?:docker|podman|nerdctl)\s+(?:image\s+)?push\b",
        "docker push",
        _artifact("container image"),
    ),
    (
        r"\bdocker\s+(?:buildx\s+)?(?:build|bake)\b.*?(?:--push\b|--output[= ]\S*"
        r"(?:type=registry|push=true))",
        "docker buildx --push",
        _artifact("container image"),
    ),
    (r"\bbuildah\s+push\b", "buildah push", _artifact("container image")),
    (
        r"\bko\s+(?:build|publish|resolve|apply)\b(?!.*(?:--push=false|\s-L\b|--local\b))",
        "ko",
        _artifact("container image"),
    ),
    (r"\bjib:build\b|\bgradlew?\b.*\bjib\b(?!DockerBuild)", "jib", _artifact("container image")),
    (r"\bgcloud\s+builds\s+submit\b", "gcloud builds submit", _artifact("container image")),
    (r"/kaniko/executor\b(?!.*--no-push)", "kaniko", _artifact("container image")),
    (r"\bcrane\s+(?:push|copy|append|mutate)\b", "crane", _artifact("container image")),
    (r"\bskopeo\s+copy\b", "skopeo copy", _artifact("container image")),
    (r"\bdocker[- ]compose\b.*\bpush\b", "docker compose push", _artifact("container image")),
    (r"\bpack\s+build\b.*--publish\b", "pack build --publish", _artifact("container image")),
    (r"\boras\s+push\b", "oras push", _artifact("OCI artifact")),
    (
        r"\btwine\s+upload\b|\b(?:uv|poetry|hatch|flit|pdm)\s+publish\b",
        "Python publish",
        _artifact("Python package"),
    ),
    (r"\b(?:npm|pnpm|yarn)\s+(?:npm\s+)?publish\b", "npm publish", _artifact("npm package")),
    (r"\bcargo\s+publish\b", "cargo publish", _artifact("crate")),
    (r"\bgem\s+push\b", "gem push", _artifact("gem")),
    (
        r"\bmvnw?\b.*\bdeploy\b|\bgradlew?\b.*\bpublish\w*",
        "maven/gradle publish",
        _artifact("Maven package"),
    ),
    (r"\bnuget\s+push\b", "nuget push", _artifact("NuGet package")),
    (r"\bhelm\s+(?:push|cm-push)\b", "helm push", _artifact("Helm chart")),
    (r"\bgoreleaser(?:\s+release\b|\s*$|\s+--)", "goreleaser", _artifact("release")),
    (r"\bgh\s+release\s+(?:create|upload)\b", "gh release", _artifact("release asset")),
    (r"\b(?:huggingface-cli|hf)\s+upload\b", "huggingface upload", _artifact("model")),
    (
        r"\bmake\s+(?:-\S+\s+)*\S*(?:push|publish)\S*",
        "make push target",
        _artifact("artifact (make target)"),
    ),
    # provenance, SBOMs, signatures
    (r"\bcosign\s+attest(?:-blob)?\b", "cosign attest", _cosign_attest),
    (r"\bcosign\s+sign-blob\b", "cosign sign-blob", _sign_blob),
    (r"\bcosign\s+sign(?![-\w])", "cosign sign", _field("signature")),
    (r"\bnotation\s+sign\b", "notation sign", _field("signature")),
    (r"\b(?:python3?\s+-m\s+)?sigstore\s+sign\b", "sigstore sign", _field("signature")),
    (r"\bdocker\s+trust\s+sign\b", "docker trust sign", _field("signature")),
    (r"\bgpg2?\b.*(?:--detach-sign|--clearsign|--sign)\b", "gpg sign", _field("signature")),
    (r"\bsyft\b(?!\s+(?:version|--version|login))", "syft", _field("sbom")),
    (r"\bcdxgen\b|(?<![\w=./-])cyclonedx-[a-z][\w-]*", "cyclonedx", _field("sbom")),
    (r"\bdocker\s+(?:scout\s+)?sbom\b", "docker sbom", _field("sbom")),
    (
        r"\bsbom-tool\s+generate\b|\bbom\s+generate\b|\bspdx-sbom-generator\b",
        "sbom generator",
        _field("sbom"),
    ),
    # vulnerability scans
    (r"\btrivy\b(?!\s+(?:--version|version|-v\b))", "trivy", _sbom_or_scan),
    (r"\bgrype\b(?!\s+(?:version|--version|db\b))", "grype", _grype),
    (r"\bsnyk\s+(?:container\s+)?test\b", "snyk test", _gating_scan),
    (r"\bdocker\s+scout\s+(?:cves|quickview)\b", "docker scout cves", _exit_code_scan),
    (r"\bosv-scanner\b", "osv-scanner", _gating_scan),
    (r"\bpip-audit\b", "pip-audit", _gating_scan),
    (r"\bgovulncheck\b", "govulncheck", _gating_scan),
    # verification and deployment
    (
        r"\bcosign\s+verify(?:-attestation|-blob|-blob-attestation)?\b",
        "cosign verify",
        _field("verification"),
    ),
    (r"\bslsa-verifier\s+verify-\w+", "slsa-verifier", _field("verification")),
    (r"\bc4guard\s+(?:verify|gate\s+check)\b", "c4guard verify", _field("verification")),
    (r"\bnotation\s+verify\b", "notation verify", _field("verification")),
    (r"\bgh\s+attestation\s+verify\b", "gh attestation verify", _field("verification")),
    (r"\b(?:python3?\s+-m\s+)?sigstore\s+verify\b", "sigstore verify", _field("verification")),
    (r"\bkubectl\b.*\s(?:apply|replace|set\s+image|rollout\s+restart)\b", "kubectl", _deploy),
    (r"\bhelm(?:file)?\s+(?:upgrade|install|sync|apply)\b", "helm upgrade", _deploy),
    (r"\bargocd\s+app\s+(?:sync|set|create)\b", "argocd app sync", _deploy),
    (r"\bflux\s+reconcile\b", "flux reconcile", _deploy),
    (
        r"\bgcloud\s+(?:beta\s+)?(?:run\s+deploy|app\s+deploy|deploy\s+releases\s+create|"
        r"functions\s+deploy)\b",
        "gcloud deploy",
        _deploy,
    ),
    (r"\baws\s+ecs\s+update-service\b", "aws ecs update-service", _deploy),
    (
        r"\baz\s+(?:containerapp\s+(?:update|create)|webapp\s+(?:deploy|config\s+container\s+set)"
        r"|aks\s+command\s+invoke)\b",
        "az deploy",
        _deploy,
    ),
    (r"\bskaffold\s+(?:run|deploy)\b", "skaffold deploy", _deploy),
    (r"\bdocker\s+stack\s+deploy\b", "docker stack deploy", _deploy),
    (r"\bkn\s+service\s+(?:create|update)\b", "kn service", _deploy),
    (
        r"\bkind\s+create\s+cluster\b|\bminikube\s+start\b|\bk3d\s+cluster\s+create\b"
        r"|\bmicrok8s\b|\bget\.k3s\.io\b|(?i:create[_-]kind[_-]cluster|kind[_-]cluster[_-]"
        r"(?:create|setup)|setup[_-](?:kind|minikube|k3d))",
        "local cluster",
        _field("local_cluster"),
    ),
]
# Words one of which a line must contain before a rule's pattern is tried (a cheap filter).
_NEEDLES: dict[str, tuple[str, ...]] = {
    "docker push": ("push",),
    "docker buildx --push": ("push", "registry"),
    "buildah push": ("buildah",),
    "ko": ("ko ",),
    "jib": ("jib",),
    "gcloud builds submit": ("gcloud",),
    "kaniko": ("kaniko",),
    "crane": ("crane",),
    "skopeo copy": ("skopeo",),
    "docker compose push": ("push",),
    "pack build --publish": ("pack",),
    "oras push": ("oras",),
    "Python publish": ("twine", "publish"),
    "npm publish": ("publish",),
    "cargo publish": ("cargo",),
    "gem push": ("gem",),
    "maven/gradle publish": ("mvn", "gradle"),
    "nuget push": ("nuget",),
    "helm push": ("helm",),
    "goreleaser": ("goreleaser",),
    "gh release": ("gh ",),
    "huggingface upload": ("upload",),
    "make push target": ("make",),
    "cosign attest": ("cosign",),
    "cosign sign-blob": ("cosign",),
    "cosign sign": ("cosign",),
    "notation sign": ("notation",),
    "sigstore sign": ("sigstore",),
    "docker trust sign": ("trust",),
    "gpg sign": ("gpg",),
    "syft": ("syft",),
    "cyclonedx": ("cdxgen", "cyclonedx"),
    "docker sbom": ("sbom",),
    "sbom generator": ("sbom", "bom "),
    "trivy": ("trivy",),
    "grype": ("grype",),
    "snyk test": ("snyk",),
    "docker scout cves": ("scout",),
    "osv-scanner": ("osv-scanner",),
    "pip-audit": ("pip-audit",),
    "govulncheck": ("govulncheck",),
    "cosign verify": ("cosign",),
    "slsa-verifier": ("slsa-verifier",),
    "c4guard verify": ("c4guard",),
    "notation verify": ("notation",),
    "gh attestation verify": ("attestation",),
    "sigstore verify": ("sigstore",),
    "kubectl": ("kubectl",),
    "helm upgrade": ("helm",),
    "argocd app sync": ("argocd",),
    "flux reconcile": ("flux",),
    "gcloud deploy": ("gcloud",),
    "aws ecs update-service": ("ecs",),
    "az deploy": ("az ",),
    "skaffold deploy": ("skaffold",),
    "docker stack deploy": ("stack",),
    "kn service": ("kn ",),
    "local cluster": ("kind", "minikube", "k3d", "k3s", "microk8s"),
}
COMMAND_RULES = tuple(
    CommandRule(re.compile(p), label, _NEEDLES[label], make) for p, label, make in _RULES
)
_ANY_NEEDLE = re.compile("|".join(re.escape(n) for rule in COMMAND_RULES for n in rule.needles))


def _command_facts(line: str, env: dict[str, Any]) -> StepFacts:
    lowered = line.lower()
    if not _ANY_NEEDLE.search(lowered):
        return NOTHING
    facts = NOTHING
    for rule in COMMAND_RULES:
        if any(n in lowered for n in rule.needles) and rule.pattern.search(line):
            facts = facts | rule.make(rule.label, line, env)
    return facts
