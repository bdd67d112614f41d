"""`c4guard gate check`: the webhook's decision for manifests in CI."""

from __future__ import annotations

import json

import yaml
from click.testing import CliRunner

from c4guard.cli import main
from tests.gate.harness import decisions
from tests.gate.objects import deployment, pod, privileged

IMAGE = "registry.example/ml/server@sha256:" + "0" * 64
NO_IMAGES = "version: 1\ngate:\n  images: {verify: false}\n"


def run(*args: str, stdin: str | None = None) -> tuple[int, str]:
    result = CliRunner().invoke(main, ["gate", "check", *args], input=stdin)
    return result.exit_code, result.output


def manifests(*objects: dict) -> str:
    return yaml.safe_dump_all(objects, sort_keys=False)


def test_denies_with_file_and_line_and_allows_the_hardened(write):
    config = write("c4guard.yaml", NO_IMAGES)
    bad = write("bad.yaml", manifests(deployment(IMAGE, name="good"), privileged(IMAGE)))

    code, output = run(str(bad), "--config", str(config))

    assert code == 1
    lines = output.splitlines()
    assert lines[0] == f"ALLOW Deployment ml/good ({bad}:1)"
    assert any(line.startswith("DENY  Pod ml/app (") for line in lines)
    privileged_line = next(line for line in lines if "runs privileged" in line)
    assert privileged_line.startswith(f"  deny: {bad}:")
    assert privileged_line.endswith("(K8S-PRIVILEGED, AISVS C4 4.1.1)")
    assert lines[-1] == "2 object(s): 1 allowed, 1 denied"


def test_no_suppression_but_the_gate_policy_counts(write):
    config = write(
        "c4guard.yaml",
        NO_IMAGES
        + """\
exceptions:
  - check: K8S-PRIVILEGED
    reason: the driver needs the host
    expires: 2099-12-31
""",
    )
    annotated = privileged(
        IMAGE, annotations={"c4guard.dev/ignore": "K8S-PRIVILEGED: driver; expires=2099-12-31"}
    )
    text = manifests(annotated).replace(
        "privileged: true",
        'privileged: true  # c4guard:ignore K8S-PRIVILEGED reason="driver" expires=2099-12-31',
    )
    assert "c4guard:ignore" in text
    path = write("ignored.yaml", text)

    code, output = run(str(path), "--config", str(config))

    assert code == 1 and "(K8S-PRIVILEGED, AISVS C4 4.1.1)" in output


def test_stdin_and_json(write):
    config = write("c4guard.yaml", NO_IMAGES)

    code, output = run(
        "-", "--config", str(config), "--format", "json", stdin=manifests(pod(IMAGE))
    )

    assert code == 0
    [decision] = json.loads(output)["decisions"]
    assert decision["allowed"] is True and decision["location"] == "<stdin>:1"
    assert {n["check"] for n in decision["not_judged"]} >= {"K8S-PSA-RESTRICTED"}


def test_nothing_to_decide_and_unreadable_input(write):
    config = write("c4guard.yaml", NO_IMAGES)
    service = write("svc.yaml", "apiVersion: v1\nkind: Service\nmetadata: {name: s}\n")
    broken = write("broken.yaml", "apiVersion: v1\nkind: Pod\nmetadata: [\n")

    assert run(str(service), "--config", str(config))[0] == 2
    code, output = run(str(broken), "--config", str(config))
    assert code == 1 and f"input error: {broken}:" in output


def test_image_verification_needs_a_trust_policy(write):
    code, output = run(str(write("p.yaml", manifests(pod(IMAGE)))))
    assert code == 2 and "needs a trust policy" in output


def test_images_verified_and_decisions_audited(tmp_path, gate_files, images, write):
    path = write(
        "deploy.yaml",
        manifests(pod(images.signed, name="signed"), pod(images.tag_only, name="tagged")),
    )
    trail = str(tmp_path / "audit.db")

    code, output = run(str(path), "--config", str(gate_files), "--audit-db", trail)

    assert code == 1
    assert f"ALLOW Pod ml/signed ({path}:1)" in output
    assert "tag-only reference" in output and "(tag-only-reference, AISVS C4 4.2.3)" in output
    recorded = decisions(trail)
    assert [(p["object"]["name"], p["allowed"]) for p in recorded] == [
        ("signed", True),
        ("tagged", False),
    ]
    assert recorded[0]["request"] == {"source": "gate check", "location": f"{path}:1"}
    assert recorded[0]["images"][0]["decision"] == "allow"
