"""C4.5 sandbox and TEE checks (scenarios in fixtures/sandbox)."""

from __future__ import annotations

from c4guard.kube.tee import kbs_url
from tests.checks.kube_fixtures import (
    FIXTURES,
    PLAIN_POD,
    scan_scenario,
)
from tests.conftest import findings_of, status_of
from tests.expectations import scenario_failures

AREA = FIXTURES / "sandbox"


def test_every_marked_finding_is_reported_at_its_line() -> None:
    missing = scenario_failures(AREA, scan_scenario)
    assert not missing, "\n".join(missing)


def test_untrusted_findings_say_why_the_workload_is_untrusted() -> None:
    findings = findings_of(scan_scenario(AREA / "untrusted"), "K8S-UNTRUSTED-SANDBOX")
    messages = {f.resource.name: f.message for f in findings}
    assert "mistralai/Mistral-7B-Instruct-v0.3" in messages["eval-community-model"]
    assert "trust_remote_code" in messages["chat"]


def test_no_untrusted_or_confidential_workloads_are_not_applicable(write, scan) -> None:
    write("pod.yaml", PLAIN_POD)
    assessment = scan()
    for requirement in ("4.5.1", "4.5.2", "4.5.3", "4.5.4", "4.5.5", "4.5.6"):
        assert status_of(assessment, requirement) == "not_applicable", requirement


def test_kbs_url_from_plain_and_encoded_init_data() -> None:
    assert kbs_url('url = "https://kbs:8080"') == "https://kbs:8080"
    assert kbs_url("bm90IGluaXQgZGF0YQ==") is None
