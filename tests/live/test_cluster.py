"""`c4guard cluster` against an HTTPS API server on loopback that serves recorded responses."""

from __future__ import annotations

import json
import re
from collections import Counter
from pathlib import Path

import jsonschema
import pytest
import yaml
from click.testing import CliRunner

from c4guard import __version__
from c4guard.cli import main
from c4guard.config import Config
from c4guard.engine import ScanRequest, assess
from c4guard.live.cluster import read_cluster
from c4guard.live.kubeapi import ConnectOptions, connect
from c4guard.model import Assessment
from c4guard.report.json import report_schema
from c4guard.sources.kubernetes import CLUSTER_SCOPED_KINDS
from tests.conftest import REPO, scan_paths
from tests.live.apiserver import (
    FIXTURES,
    TOKEN,
    Behaviour,
    manifests,
    recorded_api,
    recorded_controlled_objects,
)

MANIFESTS = FIXTURES / "manifests"
EXAMPLES = REPO / "examples"


def live_assessment(api, folder: Path, namespaces: tuple[str, ...] = ()) -> Assessment:
    from c4guard.live.cluster import ClusterOptions

    conn = connect(ConnectOptions(kubeconfig=str(api.kubeconfig(folder))))
    try:
        inputs = read_cluster(conn, ClusterOptions(namespaces=namespaces))
    finally:
        conn.close()
    return assess(inputs, Config(), ScanRequest(["cluster"]))


# Where a class reason was read ("(path.yaml:12)" or "(recorded:/apis/...)") differs by source.
READ_FROM = re.compile(r"recorded:/[^\s),]*|[^\s(),]+\.ya?ml(?::\d+)?")


def finding_keys(assessment: Assessment) -> Counter:
    """Everything a Kubernetes finding says except where it was read from."""
    return Counter(
        (
            f.check_id,
            f.result.value,
            f.resource.origin,
            f.resource.kind,
            f.resource.namespace,
            f.resource.name,
            f.subject,
            f.setting,
            READ_FROM.sub("", f.message),
            f.fingerprint,
        )
        for f in assessment.findings()
        if f.resource.origin == "k8s"
    )


def kubernetes_statuses(assessment: Assessment, files: Assessment) -> dict[str, str]:
    """Statuses of the requirements that the files' scan settled on Kubernetes evidence
    alone (a file scan may also read every file for secrets, a cluster does not)."""
    kubernetes_only = {
        r.requirement.id
        for r in files.requirements
        if all(f.resource.origin == "k8s" for f in r.findings)
    }
    return {
        r.requirement.id: r.status.value
        for r in assessment.requirements
        if r.requirement.id in kubernetes_only
    }


def cluster_cli(api, folder: Path, *args: str) -> tuple[int, dict]:
    result = CliRunner().invoke(
        main,
        ["cluster", "--kubeconfig", str(api.kubeconfig(folder)), "--format", "json", *args],
        catch_exceptions=False,
    )
    assert result.exit_code in (0, 1), result.output
    report = json.loads(result.output)
    jsonschema.validate(report, report_schema())
    return result.exit_code, report


def requirement(report: dict, rid: str) -> dict:
    return next(r for r in report["requirements"] if r["id"] == rid)


# ------------------------------------------------------------------------ same findings


def test_the_cluster_gives_the_same_findings_as_its_manifests(tmp_path: Path) -> None:
    files = scan_paths([str(MANIFESTS)])
    objects = manifests(MANIFESTS) + recorded_controlled_objects()
    with recorded_api(tmp_path, objects) as api:
        live = live_assessment(api, tmp_path)
        paged = api.paged_requests()
        requests = api.behaviour.requests
    assert finding_keys(live) == finding_keys(files)
    assert kubernetes_statuses(live, files) == kubernetes_statuses(files, files)
    assert live.scanned_domains == ["cluster"]
    assert paged, "no list was paged with a continue token"
    assert all("limit=500" in r for r in requests if "/namespaces" not in r and "limit" in r)
    assert (
        live.inputs.skipped[
            "objects run by a workload that is judged itself (ReplicaSets, Pods, Jobs...)"
        ]
        == 6
    )
    listed = {r.split("?")[0].rsplit("/", 1)[-1] for r in requests if "limit=" in r}
    assert {"pods", "deployments", "inferenceservices", "servingruntimes"} <= listed
    assert not listed & {"secrets", "events", "leases", "endpoints", "controllerrevisions"}
    assert not any(r.startswith("/apis/metrics.k8s.io") for r in requests)
    where = next(f.location.path for f in live.findings() if f.resource.name == "debug-shell")
    assert where == "recorded:/api/v1/namespaces/ml-serving/pods/debug-shell"


@pytest.mark.parametrize("example", ["hardened-platform", "insecure-platform"])
def test_the_examples_served_as_a_cluster_give_the_same_findings(
    tmp_path: Path, example: str
) -> None:
    folder = EXAMPLES / example
    # A cluster never serves Secrets to c4guard, so the files are compared without them.
    objects = [o for o in manifests(folder) if o["kind"] != "Secret"]
    unnamespaced = [
        o["metadata"]["name"]
        for o in objects
        if o["kind"] not in CLUSTER_SCOPED_KINDS and not o["metadata"].get("namespace")
    ]
    assert not unnamespaced, f"namespaced objects without a namespace: {unnamespaced}"
    written = tmp_path / "manifests" / "all.yaml"
    written.parent.mkdir()
    written.write_text(yaml.safe_dump_all(objects))
    files = scan_paths([str(written)])
    with recorded_api(tmp_path, objects) as api:
        live = live_assessment(api, tmp_path)
    assert finding_keys(live) == finding_keys(files)


def test_an_expired_continue_token_restarts_the_list(tmp_path: Path) -> None:
    objects = manifests(MANIFESTS) + recorded_controlled_objects()
    with recorded_api(tmp_path, objects) as api:
        baseline = live_assessment(api, tmp_path)
    behaviour = Behaviour(expire_once={"pods"})
    with recorded_api(tmp_path, objects, behaviour) as api:
        restarted = live_assessment(api, tmp_path)
    assert not behaviour.expire_once  # the 410 was served
    assert sum(r == "/api/v1/pods?limit=500" for r in behaviour.requests) == 2
    assert finding_keys(restarted) == finding_keys(baseline)


# ------------------------------------------------------------------------ missing evidence


@pytest.mark.slow
def test_a_forbidden_kind_turns_the_requirements_that_read_it_to_review(tmp_path: Path) -> None:
    objects = manifests(EXAMPLES / "hardened-platform")
    with recorded_api(tmp_path, objects) as api:
        _, allowed = cluster_cli(api, tmp_path)
    behaviour = Behaviour(forbidden={("", "namespaces"), ("networking.k8s.io", "ingresses")})
    with recorded_api(tmp_path, objects, behaviour) as api:
        code, report = cluster_cli(api, tmp_path, "--level", "1")
    assert requirement(allowed, "4.1.1")["status"] == "pass"
    isolation = requirement(report, "4.1.1")
    assert isolation["status"] == "review"
    assert (
        'not permitted to list namespaces cluster-wide: grant the "list" verb on '
        '"namespaces" in the core API group'
    ) in isolation["reason"]
    assert requirement(report, "4.1.2")["status"] == "pass"  # its checks read no Namespace
    gaps = {(g["kind"], g["origin"]) for g in report["evidence_gaps"]}
    assert gaps == {("Namespace", "k8s"), ("Ingress", "k8s")}  # no check reads Ingresses
    assert report["input_errors"] == [] and code == 0  # review is below --fail-on fail


def test_a_failing_kind_is_an_input_error(tmp_path: Path) -> None:
    objects = manifests(MANIFESTS)
    with recorded_api(tmp_path, objects, Behaviour(failing={("apps", "deployments")})) as api:
        _, report = cluster_cli(api, tmp_path)
    [error] = report["input_errors"]
    assert error["path"] == "recorded:/apis/apps/v1/deployments"
    assert "could not list deployments.apps cluster-wide: HTTP 500" in error["reason"]
    assert "etcdserver: request timed out" in error["reason"]
    names = {f["resource"]["name"] for r in report["requirements"] for f in r["findings"]}
    assert "embeddings" not in names and "debug-shell" in names


def test_nothing_readable_is_a_usage_error(tmp_path: Path) -> None:
    forbidden = {
        ("", r)
        for r in (
            "namespaces",
            "pods",
            "serviceaccounts",
            "configmaps",
            "limitranges",
            "nodes",
            "persistentvolumeclaims",
            "persistentvolumes",
            "replicationcontrollers",
            "resourcequotas",
            "services",
        )
    }
    objects = [o for o in manifests(MANIFESTS) if o["kind"] == "Namespace"]
    with recorded_api(tmp_path, objects, Behaviour(forbidden=forbidden)) as api:
        result = CliRunner().invoke(
            main, ["cluster", "--kubeconfig", str(api.kubeconfig(tmp_path))]
        )
    assert result.exit_code == 2
    assert "nothing to assess" in result.output and "not permitted to list" in result.output


# ------------------------------------------------------------------------ scope and config


def test_namespace_scope(tmp_path: Path) -> None:
    objects = manifests(MANIFESTS) + recorded_controlled_objects()
    with recorded_api(tmp_path, objects) as api:
        live = live_assessment(api, tmp_path, namespaces=("ml-serving",))
        requests = api.behaviour.requests
    assert "/api/v1/namespaces/ml-serving" in requests
    assert not any(r.startswith("/api/v1/namespaces?") for r in requests)
    assert any(r.startswith("/api/v1/namespaces/ml-serving/pods?") for r in requests)
    assert not any(r.startswith("/api/v1/pods?") for r in requests)
    assert any(r.startswith("/apis/node.k8s.io/v1/runtimeclasses?") for r in requests)

    def in_scope(key: tuple) -> bool:
        return key[4] == "ml-serving" or key[3:6] == ("Namespace", None, "ml-serving")

    assert all(in_scope(key) for key in finding_keys(live))
    files = scan_paths([str(MANIFESTS)])
    expected = Counter({k: n for k, n in finding_keys(files).items() if in_scope(k)})
    assert finding_keys(live) == expected


def test_context_selection_and_an_unreachable_cluster(tmp_path: Path) -> None:
    with recorded_api(tmp_path, manifests(MANIFESTS)) as api:
        kubeconfig = api.kubeconfig(tmp_path, context="elsewhere")
        unreachable = CliRunner().invoke(main, ["cluster", "--kubeconfig", str(kubeconfig)])
        chosen = CliRunner().invoke(
            main,
            [
                "cluster",
                "--kubeconfig",
                str(kubeconfig),
                "--context",
                "recorded",
                "--format",
                "json",
            ],
        )
    assert unreachable.exit_code == 2
    assert "cannot reach the Kubernetes API at https://127.0.0.1:9" in unreachable.output
    assert chosen.exit_code == 1, chosen.output
    assert json.loads(chosen.output)["targets"] == [f"cluster recorded ({api.url})"]


def test_a_wrong_token_is_a_usage_error(tmp_path: Path) -> None:
    with recorded_api(tmp_path, manifests(MANIFESTS)) as api:
        kubeconfig = api.kubeconfig(tmp_path)
        kubeconfig.write_text(kubeconfig.read_text().replace(TOKEN, "wrong-token"))
        result = CliRunner().invoke(main, ["cluster", "--kubeconfig", str(kubeconfig)])
    assert result.exit_code == 2
    assert "refused discovery" in result.output and "HTTP 401" in result.output


def test_an_untrusted_certificate_is_a_usage_error(tmp_path: Path) -> None:
    with recorded_api(tmp_path, manifests(MANIFESTS)) as api:
        kubeconfig = api.kubeconfig(tmp_path)
        other = tmp_path / "other"
        other.mkdir()
        from tests.tls import self_signed_certificate

        cert, _ = self_signed_certificate(other, "other")
        import base64

        text = kubeconfig.read_text().replace(
            base64.b64encode(api.ca.read_bytes()).decode(),
            base64.b64encode(cert.read_bytes()).decode(),
        )
        kubeconfig.write_text(text)
        result = CliRunner().invoke(main, ["cluster", "--kubeconfig", str(kubeconfig)])
    assert result.exit_code == 2
    assert "cannot reach the Kubernetes API" in result.output
    assert "CERTIFICATE_VERIFY_FAILED" in result.output


def test_in_cluster_service_account(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    with recorded_api(tmp_path, manifests(MANIFESTS)) as api:
        account = tmp_path / "serviceaccount"
        account.mkdir()
        (account / "token").write_text(TOKEN)
        (account / "ca.crt").write_bytes(api.ca.read_bytes())
        host, port = api.url.removeprefix("https://").split(":")
        monkeypatch.setenv("KUBERNETES_SERVICE_HOST", host)
        monkeypatch.setenv("KUBERNETES_SERVICE_PORT", port)
        conn = connect(ConnectOptions(in_cluster=True, service_account_dir=account))
        try:
            inputs = read_cluster(conn)
        finally:
            conn.close()
        # in a pod without any kubeconfig, the service account is used without asking
        monkeypatch.setenv("HOME", str(tmp_path))
        monkeypatch.delenv("KUBECONFIG", raising=False)
        automatic = connect(ConnectOptions(service_account_dir=account))
        automatic.close()
        agents = api.behaviour.user_agents
    assert conn.name == automatic.name == "in-cluster"
    assert {r.name for r in inputs.resources if r.kind == "Namespace"} == {
        "ml-serving",
        "batch-jobs",
    }
    assert agents == {f"c4guard/{__version__}"}


def test_a_namespace_that_does_not_exist_is_an_input_error(tmp_path: Path) -> None:
    with recorded_api(tmp_path, manifests(MANIFESTS)) as api:
        code, report = cluster_cli(api, tmp_path, "-n", "ml-serving", "-n", "no-such-team")
    assert code == 1
    assert [e["path"] for e in report["input_errors"]] == [
        "recorded:/api/v1/namespaces/no-such-team"
    ]
    assert 'namespaces "no-such-team" not found' in report["input_errors"][0]["reason"]


def test_objects_whose_owner_is_not_a_workload_are_judged(tmp_path: Path) -> None:
    notebook = {
        "apiVersion": "example.com/v1",
        "kind": "Widget",
        "metadata": {
            "name": "research",
            "namespace": "team-a",
            "uid": "f0f0f0f0-0000-4000-8000-000000000001",
        },
        "spec": {
            "template": {"spec": {"containers": [{"name": "jupyter", "image": "jupyter/base"}]}}
        },
    }
    statefulset = {
        "apiVersion": "apps/v1",
        "kind": "StatefulSet",
        "metadata": {
            "name": "research",
            "namespace": "team-a",
            "ownerReferences": [
                {
                    "apiVersion": "example.com/v1",
                    "kind": "Widget",
                    "name": "research",
                    "uid": "f0f0f0f0-0000-4000-8000-000000000001",
                    "controller": True,
                }
            ],
        },
        "spec": {
            "template": {"spec": {"containers": [{"name": "jupyter", "image": "jupyter/base"}]}}
        },
    }
    with recorded_api(tmp_path, [notebook, statefulset]) as api:
        live = live_assessment(api, tmp_path)
    kinds = {f.resource.kind for f in live.findings()}
    assert "StatefulSet" in kinds
