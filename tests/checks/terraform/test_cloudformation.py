"""CloudFormation templates are judged by the Terraform checks through shared facts: each
fixture row (tests/checks/fixtures/cloudformation/<row>) holds a template and the Terraform
configuration that builds the same AWS objects, and both get the same verdict per check
and resource; the template's marked findings are reported at their lines."""

from __future__ import annotations

import json
from collections import defaultdict
from pathlib import Path

import jsonschema
import pytest
from click.testing import CliRunner

from c4guard.cli import main
from c4guard.model import Assessment
from c4guard.report.json import report_schema
from tests.conftest import findings_of, scan_paths
from tests.expectations import expectations, unmet

FIXTURES = Path(__file__).parents[1] / "fixtures" / "cloudformation"
ROWS = sorted(p.name for p in FIXTURES.iterdir() if (p / "main.tf").is_file())
CDK_TEMPLATE = FIXTURES / "cdk" / "cdk.out" / "AiPlatformStack.template.json"

Verdicts = dict[tuple[str, str], set[str]]


def template_of(row: str) -> Path:
    yaml = FIXTURES / row / "template.yaml"
    return yaml if yaml.is_file() else CDK_TEMPLATE


def cdk_names(template: Path) -> dict[str, str]:
    """Logical ids of a `cdk synth` template by construct id (`Stack/<id>/Resource`)."""
    resources = json.loads(template.read_text(encoding="utf-8"))["Resources"]
    return {
        name: body["Metadata"]["aws:cdk:path"].split("/")[1]
        for name, body in resources.items()
        if "aws:cdk:path" in body.get("Metadata", {})
    }


def verdicts(assessment: Assessment, names: dict[str, str] | None = None) -> Verdicts:
    """Results per (check, resource name): Terraform's `type.name` and CloudFormation's
    logical id (a CDK construct id) compared by name."""
    found: Verdicts = defaultdict(set)
    for finding in findings_of(assessment):
        if finding.check_id.startswith("TF-"):
            name = finding.resource.name.rsplit(".", 1)[-1]
            found[(finding.check_id, (names or {}).get(name, name))].add(finding.result.value)
    return dict(found)


@pytest.mark.parametrize("row", ROWS)
def test_template_and_terraform_get_the_same_verdicts(row: str) -> None:
    template = template_of(row)
    from_template = scan_paths([str(template)])
    from_terraform = scan_paths([str(FIXTURES / row / "main.tf")])
    assert from_template.inputs.input_errors == []
    assert from_terraform.inputs.input_errors == []
    names = cdk_names(template) if template.suffix == ".json" else None
    judged = verdicts(from_template, names)
    assert judged, f"{row}: nothing judged"
    assert judged == verdicts(from_terraform)


def test_every_marked_finding_is_reported_at_its_line() -> None:
    templates = [str(template_of(row)) for row in ROWS]
    assessment = scan_paths(templates)
    marked = [e for e in expectations(FIXTURES) if e.path in templates]
    assert len(marked) > 30
    missing = unmet(marked, findings_of(assessment))
    assert not missing, "\n".join(missing)


def test_a_cdk_template_is_read_with_lines_and_construct_paths() -> None:
    assessment = scan_paths([str(FIXTURES / "cdk")])
    assert assessment.inputs.input_errors == []
    rotation = [
        f for f in findings_of(assessment, "TF-KEY-ROTATION") if f.location.path.endswith(".json")
    ]
    assert [(f.result.value, f.resource.kind, f.resource.name) for f in rotation] == [
        ("fail", "AWS::KMS::Key", "weightskeyB2F3C1A4")
    ]
    assert rotation[0].location.line == 3
    assert "AWS CDK construct AiPlatformStack/weightskey/Resource" in rotation[0].message
    internet = findings_of(assessment, "TF-SAGEMAKER-INTERNET")
    lines = CDK_TEMPLATE.read_text(encoding="utf-8").splitlines()
    json_finding = next(f for f in internet if f.location.path.endswith(".json"))
    assert '"DirectInternetAccess": "Enabled"' in lines[json_finding.location.line - 1]


def test_a_parameter_default_is_used_and_said() -> None:
    assessment = scan_paths([str(FIXTURES / "eks" / "template.yaml")])
    public = next(
        f for f in findings_of(assessment, "TF-K8S-API-PUBLIC") if f.resource.name == "public"
    )
    assert public.result.value == "fail"
    assert "parameter PublicEndpoint taken at its default (true)" in public.message
    encryption = next(
        f
        for f in findings_of(assessment, "TF-K8S-SECRETS-ENCRYPTION")
        if f.resource.name == "public"
    )
    assert "PublicEndpoint" not in encryption.message  # said only of the property that took it


def test_unresolved_values_are_unknown_with_their_reason() -> None:
    assessment = scan_paths([str(FIXTURES / "sagemaker" / "template.yaml")])
    by_name = {
        f.resource.name: f for f in findings_of(assessment, "TF-SAGEMAKER-NETWORK-ISOLATION")
    }
    assert by_name["draft"].result.value == "unknown"
    assert "parameter Isolated has no default" in by_name["draft"].message
    assert "EnableNetworkIsolation" in by_name["draft"].message
    studio = next(
        f for f in findings_of(assessment, "TF-SAGEMAKER-INTERNET") if f.resource.name == "studio"
    )
    assert "condition Production" in studio.message


def test_conditions_decide_which_resources_exist(write, tmp_path) -> None:
    write(
        "stack.yaml",
        """
        AWSTemplateFormatVersion: "2010-09-09"
        Parameters:
          Env:
            Type: String
            Default: dev
          Region:
            Type: String
        Conditions:
          IsProd: !Equals [!Ref Env, prod]
          IsDev: !Not [!Condition IsProd]
          Somewhere: !Equals [!Ref Region, eu-west-1]
        Resources:
          prodkey:
            Type: AWS::KMS::Key
            Condition: IsProd
          devkey:
            Type: AWS::KMS::Key
            Condition: IsDev
            Properties:
              EnableKeyRotation: !If [IsProd, false, true]
          maybekey:
            Type: AWS::KMS::Key
            Condition: Somewhere
            Properties:
              EnableKeyRotation: !If [IsDev, "true", "false"]
        """,
    )
    results = {
        f.resource.name: f for f in findings_of(scan_paths([str(tmp_path)]), "TF-KEY-ROTATION")
    }
    assert set(results) == {"devkey", "maybekey"}
    assert results["devkey"].result.value == "pass"
    assert results["maybekey"].result.value == "pass"
    assert "created only when condition Somewhere holds" in results["maybekey"].message


def test_cloudformation_default_egress_is_judged(write, tmp_path) -> None:
    """Unlike Terraform, CloudFormation keeps AWS's default allow-all egress rule of a
    group created without `SecurityGroupEgress`."""
    write(
        "sg.yaml",
        """
        Resources:
          open:
            Type: AWS::EC2::SecurityGroup
            Properties:
              GroupDescription: default egress
          closed:
            Type: AWS::EC2::SecurityGroup
            Properties:
              GroupDescription: no egress
              SecurityGroupEgress:
                - IpProtocol: icmp
                  FromPort: -1
                  ToPort: -1
                  CidrIp: 127.0.0.1/32
        """,
    )
    results = {
        f.resource.name: f for f in findings_of(scan_paths([str(tmp_path)]), "TF-SG-EGRESS-OPEN")
    }
    assert results["open"].result.value == "fail"
    assert results["open"].location.line == 2
    assert results["open"].setting == "SecurityGroupEgress.0.CidrIp"
    assert "CloudFormation keeps AWS's default rule" in results["open"].message
    assert results["closed"].result.value == "pass"


def test_the_json_report_of_a_template_validates_against_the_schema() -> None:
    result = CliRunner().invoke(
        main, ["scan", str(FIXTURES / "cdk"), "--format", "json"], catch_exceptions=False
    )
    report = json.loads(result.output)
    jsonschema.Draft202012Validator(report_schema()).validate(report)
    assert {"cloudformation", "terraform"} <= set(report["scanned_domains"])
    assert report["summary"]["files_by_domain"]["cloudformation"] == 1


def test_an_instance_has_its_launch_templates_metadata_options(write, tmp_path) -> None:
    write(
        "instances.yaml",
        """
        Resources:
          nodes:
            Type: AWS::EC2::LaunchTemplate
            Properties:
              LaunchTemplateData:
                MetadataOptions:
                  HttpTokens: required
          local:
            Type: AWS::EC2::Instance
            Properties:
              LaunchTemplate:
                LaunchTemplateId: !Ref nodes
                Version: !GetAtt nodes.LatestVersionNumber
          elsewhere:
            Type: AWS::EC2::Instance
            Properties:
              LaunchTemplate:
                LaunchTemplateId: lt-0123456789abcdef0
                Version: "1"
        """,
    )
    results = {f.resource.name: f for f in findings_of(scan_paths([str(tmp_path)]), "TF-IMDSV2")}
    assert results["local"].result.value == "pass"
    assert results["local"].location.line == 7  # HttpTokens, in the launch template
    assert results["elsewhere"].result.value == "unknown"
    assert "launch template" in results["elsewhere"].message


def test_an_inline_ignore_in_a_template_suppresses_its_resources_finding(write, tmp_path) -> None:
    write(
        "keys.yaml",
        """
        Resources:
          legacy:
            # c4guard:ignore TF-KEY-ROTATION reason="rotated by hand" expires=2099-01-31
            Type: AWS::KMS::Key
          fresh:
            Type: AWS::KMS::Key
        """,
    )
    results = {
        f.resource.name: f for f in findings_of(scan_paths([str(tmp_path)]), "TF-KEY-ROTATION")
    }
    assert results["legacy"].suppression is not None
    assert results["fresh"].suppression is None and results["fresh"].result.value == "fail"
