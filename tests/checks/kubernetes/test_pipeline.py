"""C4.2 admission checks: what Kyverno, ImageValidatingPolicy, sigstore policy-controller,
VAP, Ratify and c4guard's gate really enforce (scenarios in fixtures/pipeline)."""

from __future__ import annotations

from tests.checks.kube_fixtures import FIXTURES, scan_scenario
from tests.conftest import findings_of, status_of
from tests.expectations import scenario_failures

AREA = FIXTURES / "pipeline"


def test_every_marked_finding_is_reported_at_its_line() -> None:
    missing = scenario_failures(AREA, scan_scenario)
    assert not missing, "\n".join(missing)


def admission(name: str) -> dict[str, object]:
    assessment = scan_scenario(AREA / name)
    return {
        f"{f.resource.namespace}/{f.subject}": f
        for f in findings_of(assessment, "K8S-IMAGE-VERIFIED-AT-ADMISSION")
    }


def test_kyverno_audit_mode_does_not_satisfy_4_2_3(write, scan) -> None:
    write(
        "policy.yaml",
        """
        apiVersion: kyverno.io/v1
        kind: ClusterPolicy
        metadata: {name: verify}
        spec:
          validationFailureAction: Audit
          rules:
            - name: all
              match: {any: [{resources: {kinds: [Pod]}}]}
              verifyImages:
                - imageReferences: ["*"]
        ---
        apiVersion: v1
        kind: Pod
        metadata: {name: p, namespace: ns}
        spec:
          containers:
            - name: app
              image: ghcr.io/acme/app:1
    """,
    )
    assessment = scan()
    [finding] = findings_of(assessment, "K8S-IMAGE-VERIFIED-AT-ADMISSION")
    assert finding.result.value == "fail" and "(Audit)" in finding.message
    assert status_of(assessment, "4.2.3") == "fail"


def test_per_entry_failure_action_overrides_the_spec_action() -> None:
    findings = admission("kyverno")
    assert findings["ml-serving/container signed"].result.value == "pass"
    audited = findings["ml-serving/container audited"]
    assert audited.result.value == "fail" and "Audit" in audited.message


def test_sigstore_policies_need_the_namespace_opt_in_and_enforce_mode() -> None:
    findings = admission("sigstore")
    assert findings["inference/container model"].result.value == "pass"
    proxy = findings["inference/container proxy"]
    assert proxy.result.value == "fail" and "warn" in proxy.message
    other = findings["notebooks/container model"]
    assert other.result.value == "fail" and "policy.sigstore.dev/include" in other.message


def test_dry_run_audit_and_fail_open_controls_admit() -> None:
    findings = admission("others")
    assert "dryrun" in findings["batch/container nightly"].message
    assert "Audit" in findings["audit-only/container job"].message
    assert "failurePolicy Ignore" in findings["gated/container job"].message
    assert all(f.result.value == "fail" for k, f in findings.items() if "training" not in k)
