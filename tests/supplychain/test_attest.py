"""`c4guard attest` signs a scan report; `verify` enforces the level it met."""

from __future__ import annotations

import base64
import hashlib
import json
import uuid
from pathlib import Path

import pytest
from click.testing import CliRunner

from c4guard.cli import main
from c4guard.supplychain.assessment import PREDICATE_TYPE, level_met
from tests.supplychain.publish import push_image

REPORT = Path(__file__).parent / "fixtures" / "scan-report.json"


def assessment_policy(folder: Path, public_key: Path, match: str, min_level: int) -> Path:
    path = folder / "policy.yaml"
    path.write_text(f"""\
version: 1
signers:
  platform: {{key: "{public_key}"}}
artifacts:
  - match: "{match}"
    signers: [platform]
    assessment: {{min_level: {min_level}}}
""")
    return path


def run(*args: str):
    return CliRunner().invoke(main, list(args))


def test_attest_writes_a_signed_statement_with_levels(tmp_path, release_key):
    digest = "sha256:" + "c" * 64
    out = tmp_path / "assessment.intoto.json"

    result = run(
        "attest",
        str(REPORT),
        "--subject",
        f"registry.example/ml/app@{digest}",
        "--key",
        str(release_key.private),
        "-o",
        str(out),
    )

    assert result.exit_code == 0, result.output
    envelope = json.loads(out.read_text())
    statement = json.loads(base64.b64decode(envelope["payload"]))
    assert statement["predicateType"] == PREDICATE_TYPE
    assert statement["subject"] == [
        {"name": "registry.example/ml/app", "digest": {"sha256": "c" * 64}}
    ]
    predicate = statement["predicate"]
    assert predicate["levelMet"] == 2
    assert (
        predicate["report"]["digest"]["sha256"] == hashlib.sha256(REPORT.read_bytes()).hexdigest()
    )
    assert predicate["requirements"] == {"attested": 1, "fail": 1, "pass": 1}


@pytest.mark.parametrize(("min_level", "exit_code"), [(2, 0), (3, 1)])
def test_offline_assessment_level_is_enforced(tmp_path, release_key, min_level, exit_code):
    reference = f"registry.example/ml/app@sha256:{'d' * 64}"
    out = tmp_path / "assessment.intoto.json"
    assert (
        run(
            "attest", str(REPORT), "-s", reference, "-k", str(release_key.private), "-o", str(out)
        ).exit_code
        == 0
    )
    policy = assessment_policy(tmp_path, release_key.public, "registry.example/ml/*", min_level)

    result = run(
        "verify", reference, "-p", str(policy), "-e", str(out), "--offline", "--format", "json"
    )

    assert result.exit_code == exit_code, result.output
    check = json.loads(result.output)["checks"][-1]
    if exit_code:
        assert check["code"] == "assessment-below-level"
    else:
        assert check["evidence"]["level_met"] == 2


@pytest.mark.parametrize("how", [[], ["--referrer"]])
def test_attestation_pushed_to_registry_is_found(
    tmp_path, registry, registry_host, release_key, how
):
    repository = f"ml/gate-{uuid.uuid4().hex[:8]}"
    push_image(registry, repository, tag="v2")
    policy = assessment_policy(tmp_path, release_key.public, f"{registry_host}/ml/*", 2)

    pushed = run(
        "attest",
        str(REPORT),
        "-s",
        f"{registry_host}/{repository}:v2",
        "-k",
        str(release_key.private),
        "--push",
        "--plain-http",
        *how,
    )
    result = run("verify", f"{registry_host}/{repository}:v2", "-p", str(policy), "--plain-http")

    assert pushed.exit_code == 0, pushed.output
    assert result.exit_code == 0, result.output
    assert "ok   assessment" in result.output


def test_attest_refuses_a_file_that_is_not_a_report(tmp_path, release_key):
    bogus = tmp_path / "report.json"
    bogus.write_text('{"hello": "world"}')

    result = run(
        "attest",
        str(bogus),
        "-s",
        f"registry.example/a@sha256:{'e' * 64}",
        "-k",
        str(release_key.private),
    )

    assert result.exit_code == 2
    assert "not a c4guard scan report" in result.output


def test_attest_needs_a_digest_without_push(release_key):
    result = run(
        "attest", str(REPORT), "-s", "registry.example/ml/app:v1", "-k", str(release_key.private)
    )

    assert result.exit_code == 2
    assert "digest" in result.output


@pytest.mark.parametrize(
    ("levels", "met"),
    [
        ([{"level": 1, "met": True}, {"level": 2, "met": False}, {"level": 3, "met": True}], 1),
        ([{"level": 1, "met": False}], 0),
        ([{"level": 2, "met": True}], 0),
    ],
)
def test_level_met_is_the_highest_consecutive_level(levels, met):
    assert level_met(levels) == met
