"""CI workflow checks beyond the fixture markers (tests/checks/test_markers.py): the
acceptance cases of the pipelines issue, test deployments, scans that cannot fail."""

from __future__ import annotations

from pathlib import Path

from tests.conftest import findings_of, scan_paths, status_of

FIXTURES = Path(__file__).parents[1] / "fixtures"
PUSH_WITHOUT_PROVENANCE = """
    name: Publish
    on: push
    permissions: {}
    jobs:
      image:
        runs-on: ubuntu-latest
        permissions: {contents: read, packages: write}
        steps:
          - uses: docker/build-push-action@4f58ea79222b3b9dc2c8bbdd6debcef730109a75
            with:
              push: true
              provenance: false
              tags: ghcr.io/example/server:1.0
"""


def test_push_without_provenance_fails_4_2_1_at_the_job_line(write, scan) -> None:
    write(".github/workflows/publish.yml", PUSH_WITHOUT_PROVENANCE)
    result = scan()
    [provenance] = findings_of(result, "WF-PROVENANCE")
    assert provenance.result.value == "fail" and provenance.location.line == 5
    assert provenance.location.path.endswith(".github/workflows/publish.yml")
    assert status_of(result, "4.2.1") == "fail"


def test_attested_provenance_passes_and_4_2_1_stays_review(write, scan) -> None:
    write(
        ".github/workflows/publish.yml",
        PUSH_WITHOUT_PROVENANCE
        + """
              - uses: actions/attest-build-provenance@c074443f1aee8d4aeeae555aebba3282517141b2
                with:
                  subject-name: ghcr.io/example/server
                  subject-digest: ${{ steps.build.outputs.digest }}
    """.replace("\n    ", "\n"),
    )
    result = scan()
    [provenance] = findings_of(result, "WF-PROVENANCE")
    assert provenance.result.value == "pass"
    assert "actions/attest-build-provenance" in provenance.message
    assert not [
        f for f in findings_of(result) if f.requirement == "4.2.1" and f.result.value == "fail"
    ]
    assert status_of(result, "4.2.1") == "review"  # partial automation: never a pass alone


def test_sbom_generated_but_not_signed_fails_4_2_2(write, scan) -> None:
    write(
        ".github/workflows/publish.yml",
        PUSH_WITHOUT_PROVENANCE
        + """
              - uses: anchore/sbom-action@f325610c9f50a54015d37c8d16cb3b0e2c8f4de0
                with:
                  image: ghcr.io/example/server:1.0
    """.replace("\n    ", "\n"),
    )
    result = scan()
    [generated] = findings_of(result, "WF-SBOM")
    [signed] = findings_of(result, "WF-SBOM-SIGNED")
    assert generated.result.value == "pass"
    assert signed.result.value == "fail" and "does not sign" in signed.message
    assert signed.location.line == 5
    assert status_of(result, "4.2.2") == "fail"


def test_hardened_fixtures_have_no_failure() -> None:
    result = scan_paths(
        [str(FIXTURES / "workflows" / "hardened"), str(FIXTURES / "gitlab" / "hardened")]
    )
    failing = [
        f"{f.check_id} {f.location} {f.message}"
        for f in findings_of(result)
        if f.result.value != "pass"
    ]
    assert failing == []
    assert status_of(result, "4.2.2") == "pass"
    assert status_of(result, "4.2.3") == "pass"


def test_test_deployments_are_not_judged(write, scan) -> None:
    write(
        ".github/workflows/e2e.yml",
        """
        on: push
        permissions: {}
        jobs:
          e2e:
            runs-on: ubuntu-latest
            steps:
              - run: ./tests/install_KinD_create_KinD_cluster_install_kustomize.sh
              - run: kubectl apply -f config/
    """,
    )
    write(
        ".github/workflows/pr.yml",
        """
        on: pull_request
        permissions: {}
        jobs:
          test:
            runs-on: ubuntu-latest
            steps: [{run: helm upgrade --install app ./chart}]
          preview:
            runs-on: ubuntu-latest
            environment: preview
            steps: [{run: helm upgrade --install app ./chart}]
    """,
    )
    [preview] = findings_of(scan(), "WF-VERIFY-BEFORE-DEPLOY")
    assert preview.subject.endswith("of job preview") and preview.result.value == "fail"


def test_a_scan_that_may_fail_does_not_gate(write, scan) -> None:
    write(
        ".github/workflows/publish.yml",
        PUSH_WITHOUT_PROVENANCE
        + """
              - run: trivy image --exit-code 1 ghcr.io/example/server:1.0
                continue-on-error: true
              - run: grype ghcr.io/example/server:1.0 --fail-on high || true
    """.replace("\n    ", "\n"),
    )
    [gate] = findings_of(scan(), "WF-VULN-GATE")
    assert gate.result.value == "fail"
    assert "may fail without failing the job" in gate.message
    assert "failures are ignored" in gate.message


def test_literal_credentials_in_scripts_never_reach_a_finding(write, scan) -> None:
    write(
        ".github/workflows/ci.yml",
        """
        on: push
        jobs:
          fetch:
            runs-on: ubuntu-latest
            steps:
              - run: |
                  curl -H "Authorization: token ghp_0123456789abcdefghijABCDEFGHIJ012345" \
                    https://bot:pa55word@example.com/install.sh?token=abc123 | sh
    """,
    )
    write(
        ".gitlab-ci.yml",
        """
        push:
          stage: build
          script:
            - docker login -u bot -p hunter2secret registry.example.com
            - docker push registry.example.com/x:1
    """,
    )
    result = scan()
    assert not result.inputs.input_errors
    findings = findings_of(result)
    assert {"WF-PIPE-TO-SHELL", "WF-PROVENANCE"} <= {f.check_id for f in findings}
    text = " ".join(f"{f.subject} {f.message} {f.setting} {f.evidence}" for f in findings)
    for secret in ("ghp_0123", "pa55word", "abc123", "hunter2secret"):
        assert secret not in text
    assert "https://example.com/install.sh" in text


def test_messages_say_why_provenance_is_missing() -> None:
    result = scan_paths([str(FIXTURES / "workflows" / "insecure"), str(FIXTURES / "gitlab")])
    messages = [f.message for f in findings_of(result, "WF-PROVENANCE") if f.result.value == "fail"]
    assert any("BuildKit's provenance attestation only, which is unsigned" in m for m in messages)
    assert any("provenance disabled (provenance: false" in m for m in messages)
    assert any("RUNNER_GENERATE_ARTIFACTS_METADATA metadata only" in m for m in messages)
