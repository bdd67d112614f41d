"""Terraform sources: HCL parsing with lines, module evaluation (variables, tfvars, locals,
count/for_each, modules, dynamic blocks), unknown values, plan JSON (CloudFormation:
tests/sources/test_cloudformation.py)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from c4guard.cli import main
from c4guard.sources import read_inputs
from c4guard.sources.terraform.hcl import HclError, parse_hcl
from c4guard.sources.terraform.values import Reference, Unknown
from tests.conftest import findings_of, scan_paths, shared_path, status_of

FIXTURES = Path(__file__).parent / "fixtures" / "terraform"
PLAN = FIXTURES / "plan.json"


def terraform_resources(path: Path) -> dict[str, object]:
    inputs = read_inputs([str(path)])
    return {r.name: r for r in inputs.resources if r.origin == "terraform"}


def test_blocks_and_attributes_keep_their_lines() -> None:
    top = parse_hcl(
        'resource "aws_s3_bucket" "b" {\n  bucket = "x"\n\n  versioning {\n'
        "    enabled = true\n  }\n}\n"
    )
    [block] = top.blocks
    assert (block.type, block.labels, block.line, block.end_line) == (
        "resource",
        ("aws_s3_bucket", "b"),
        1,
        7,
    )
    assert block.attributes["bucket"].line == 2
    assert block.blocks[0].line == 4
    assert block.blocks[0].attributes["enabled"].expr == ("lit", True)


def test_heredoc_keeps_text_and_strips_indentation() -> None:
    top = parse_hcl('p = <<-EOT\n    {\n      "a": "${var.x}"\n    }\n  EOT\n')
    expr = top.attributes["p"].expr
    assert expr[0] == "tmpl"
    assert expr[1][0] == '{\n  "a": "'
    assert expr[1][-1] == '"\n}\n'


def test_syntax_error_names_the_line() -> None:
    with pytest.raises(HclError) as caught:
        parse_hcl('resource "a" "b" {\n  x = 1\n  y = = 2\n}\n')
    assert caught.value.line == 3


def test_bad_file_is_an_input_error_and_hides_nothing(write, tmp_path) -> None:
    write("good.tf", 'resource "aws_sagemaker_notebook_instance" "n" {\n  name = "n"\n}\n')
    write("bad.tf", 'resource "aws_s3_bucket" "b" {\n  bucket = "x"\n  oops {\n')
    inputs = read_inputs([str(tmp_path)])
    [error] = inputs.summary.input_errors
    assert error.path.endswith("bad.tf")
    assert error.line is not None and "invalid HCL" in error.reason
    assert [r.name for r in inputs.resources] == ["aws_sagemaker_notebook_instance.n"]


def test_deep_nesting_is_an_input_error_not_a_crash(write, tmp_path) -> None:
    write("deep.tf", "x = " + "[" * 5000 + "]" * 5000 + "\n")
    inputs = read_inputs([str(tmp_path)])
    assert len(inputs.summary.input_errors) == 1


def test_a_long_flat_sum_is_not_nesting(write, tmp_path) -> None:
    terms = " + ".join(["1"] * 3000)
    write(
        "sum.tf",
        f"locals {{ total = {terms} }}\n"
        'resource "aws_s3_bucket" "b" {\n  bucket = "b-${local.total}"\n}\n',
    )
    inputs = read_inputs([str(tmp_path)])
    assert inputs.summary.input_errors == []
    [bucket] = inputs.resources
    assert bucket.body["bucket"] == "b-3000"


def test_variables_locals_tfvars_and_interpolation(write, tmp_path) -> None:
    write(
        "main.tf",
        """
        variable "env" { default = "dev" }
        variable "region" {}
        locals {
          prefix = "ai-${var.env}"
          name   = "${local.prefix}-models"
        }
        resource "aws_s3_bucket" "b" {
          bucket = local.name
          tags   = { Environment = upper(var.env), Region = var.region }
        }
    """,
    )
    write("prod.auto.tfvars", 'env = "prod"\n')
    body = terraform_resources(tmp_path)["aws_s3_bucket.b"].body
    assert body["bucket"] == "ai-prod-models"
    assert body["tags"]["Environment"] == "PROD"
    region = body["tags"]["Region"]
    assert isinstance(region, Unknown) and "var.region" in region.reason


def test_tfvars_that_disagree_leave_the_value_unknown(write, tmp_path) -> None:
    write(
        "main.tf",
        'variable "size" {}\nresource "aws_instance" "i" {\n  instance_type = var.size\n}\n',
    )
    write("small.tfvars", 'size = "t3.small"\n')
    write("large.tfvars", 'size = "p5.48xlarge"\n')
    value = terraform_resources(tmp_path)["aws_instance.i"].body["instance_type"]
    assert isinstance(value, Unknown) and "differs" in value.reason


def test_environment_tfvars_are_workspaces(write, tmp_path) -> None:
    write(
        "main.tf",
        """
        variable "role" {}
        resource "aws_sagemaker_notebook_instance" "n" {
          name     = "notebook-${terraform.workspace}"
          role_arn = var.role
        }
    """,
    )
    write("dev.tfvars", 'role = "arn:aws:iam::111111111111:role/sagemaker"\n')
    write("prod.tfvars", 'role = "arn:aws:iam::111111111111:role/sagemaker"\n')
    inputs = read_inputs([str(tmp_path)])
    notebooks = {r.namespace: r.body["name"] for r in inputs.resources}
    assert notebooks == {f"{tmp_path}@dev": "notebook-dev", f"{tmp_path}@prod": "notebook-prod"}
    [shared] = findings_of(scan_paths([str(tmp_path)]), "TF-ENV-SHARED")
    assert shared.result.value == "fail"
    assert "is shared by environments dev" in shared.message and "prod" in shared.message


def test_count_for_each_and_dynamic_blocks(write, tmp_path) -> None:
    write(
        "main.tf",
        """
        resource "aws_instance" "gpu" {
          count = 2
          ami   = "ami-${count.index}"
        }
        resource "aws_instance" "none" {
          count = 0
        }
        resource "aws_security_group" "sg" {
          for_each = toset(["a", "b"])
          name     = each.key
          dynamic "ingress" {
            for_each = { ssh = 22, https = 443 }
            iterator = port
            content {
              from_port = port.value
              to_port   = port.value
            }
          }
        }
    """,
    )
    resources = terraform_resources(tmp_path)
    assert sorted(resources) == [
        "aws_instance.gpu[0]",
        "aws_instance.gpu[1]",
        'aws_security_group.sg["a"]',
        'aws_security_group.sg["b"]',
    ]
    assert resources["aws_instance.gpu[1]"].body["ami"] == "ami-1"
    ingress = resources['aws_security_group.sg["b"]'].body["ingress"]
    assert [i["from_port"] for i in ingress] == [22, 443]
    assert ingress.item_lines == [11, 11]  # the dynamic block's line


def test_references_between_resources(write, tmp_path) -> None:
    write(
        "main.tf",
        """
        resource "aws_kms_key" "k" {}
        resource "aws_s3_bucket" "b" {
          bucket = "b"
        }
        resource "aws_s3_bucket_server_side_encryption_configuration" "b" {
          bucket = aws_s3_bucket.b.id
          rule {
            apply_server_side_encryption_by_default {
              kms_master_key_id = aws_kms_key.k.arn
              sse_algorithm     = "aws:kms"
            }
          }
        }
    """,
    )
    body = terraform_resources(tmp_path)[
        "aws_s3_bucket_server_side_encryption_configuration.b"
    ].body
    assert body["bucket"] == Reference("aws_s3_bucket.b", "id")
    key = body["rule"][0]["apply_server_side_encryption_by_default"][0]["kms_master_key_id"]
    assert key == Reference("aws_kms_key.k", "arn")


def test_local_module_arguments_and_outputs(write, tmp_path) -> None:
    write(
        "root/main.tf",
        """
        module "net" {
          source = "../modules/net"
          cidr   = "0.0.0.0/0"
        }
        resource "aws_instance" "i" {
          vpc_security_group_ids = [module.net.sg_id]
        }
        module "remote" {
          source = "terraform-aws-modules/vpc/aws"
        }
        resource "aws_instance" "j" {
          subnet_id = module.remote.private_subnets[0]
        }
    """,
    )
    write(
        "modules/net/main.tf",
        """
        variable "cidr" {}
        resource "aws_security_group" "sg" {
          egress {
            cidr_blocks = [var.cidr]
            protocol    = "-1"
            from_port   = 0
            to_port     = 0
          }
        }
        output "sg_id" { value = aws_security_group.sg.id }
    """,
    )
    resources = terraform_resources(tmp_path)
    assert set(resources) == {
        "module.net.aws_security_group.sg",
        "aws_instance.i",
        "aws_instance.j",
        # a known registry module, not downloaded: made from its inputs (docs/terraform.md)
        "module.remote.aws_vpc.this[0]",
        "module.remote.aws_default_security_group.this[0]",
    }
    sg = resources["module.net.aws_security_group.sg"]
    assert sg.body["egress"][0]["cidr_blocks"] == ["0.0.0.0/0"]
    assert sg.namespace == str(tmp_path / "root")
    assert resources["aws_instance.i"].body["vpc_security_group_ids"] == [
        Reference("module.net.aws_security_group.sg", "id")
    ]
    assert isinstance(resources["aws_instance.j"].body["subnet_id"], Unknown)


def test_a_local_module_argument_makes_its_resource_fail() -> None:
    assessment = scan_paths(
        [str(Path(__file__).parents[1] / "checks" / "fixtures" / "terraform" / "modules")]
    )
    findings = {f.resource.name: f for f in findings_of(assessment, "TF-SAGEMAKER-INTERNET")}
    results = {name: f.result.value for name, f in findings.items()}
    assert results == {
        "module.research.aws_sagemaker_notebook_instance.this": "fail",
        "module.production.aws_sagemaker_notebook_instance.this": "pass",
    }
    failing = findings["module.research.aws_sagemaker_notebook_instance.this"]
    assert failing.location.path.endswith("modules/notebook/main.tf")
    assert "created by module.research at " in failing.message
    assert failing.message.endswith("terraform/modules/main.tf:2)")


def test_terraform_json_syntax(write, tmp_path) -> None:
    write(
        "main.tf.json",
        """
        {
          "variable": {"open": {"default": "0.0.0.0/0"}},
          "resource": {
            "aws_security_group": {
              "web": {
                "ingress": [{"from_port": 22, "to_port": 22, "protocol": "tcp",
                             "cidr_blocks": ["${var.open}"]}]
              }
            }
          }
        }
    """,
    )
    [finding] = [f for f in findings_of(scan_paths([str(tmp_path)]), "TF-ADMIN-PORTS-OPEN")]
    assert finding.result.value == "fail"
    assert finding.location.line == 6


def test_unknown_values_are_unknown_findings_and_the_requirement_is_review(write, tmp_path) -> None:
    write(
        "main.tf",
        """
        variable "access" {}
        resource "aws_sagemaker_notebook_instance" "n" {
          name                   = "n"
          direct_internet_access = var.access
          root_access            = "Disabled"
        }
    """,
    )
    assessment = scan_paths([str(tmp_path)])
    [finding] = findings_of(assessment, "TF-SAGEMAKER-INTERNET")
    assert finding.result.value == "unknown"
    assert finding.location.line == 4
    assert "var.access has no default" in finding.message
    assert status_of(assessment, "4.3.5") == "review"


def test_provider_defaults_and_traps(write, tmp_path) -> None:
    write(
        "main.tf",
        """
        resource "aws_sagemaker_notebook_instance" "n" {
          name = "n"
        }
        resource "aws_sagemaker_domain" "d" {
          domain_name = "d"
        }
        resource "aws_security_group" "quiet" {
          name = "quiet"
        }
        resource "aws_backup_vault" "v" {
          name = "v"
        }
        resource "aws_backup_vault_lock_configuration" "v" {
          backup_vault_name  = aws_backup_vault.v.name
          min_retention_days = 7
        }
        resource "aws_eks_cluster" "c" {
          name    = "c"
          version = "1.30"
        }
    """,
    )
    assessment = scan_paths([str(tmp_path)])
    by_check = {(f.check_id, f.resource.name): f for f in findings_of(assessment)}
    notebook = by_check[("TF-SAGEMAKER-INTERNET", "aws_sagemaker_notebook_instance.n")]
    assert notebook.result.value == "fail" and "provider's default" in notebook.message
    assert (
        by_check[("TF-SAGEMAKER-ROOT", "aws_sagemaker_notebook_instance.n")].result.value == "fail"
    )
    domain = by_check[("TF-SAGEMAKER-INTERNET", "aws_sagemaker_domain.d")]
    assert domain.result.value == "fail" and "PublicInternetOnly" in domain.message
    egress = by_check[("TF-SG-EGRESS-OPEN", "aws_security_group.quiet")]
    assert egress.result.value == "pass" and "removed AWS's default" in egress.message
    lock = by_check[("TF-WORM-BACKUPS", "aws_backup_vault_lock_configuration.v")]
    assert lock.result.value == "fail" and "governance mode" in lock.message
    eks = by_check[("TF-K8S-SECRETS-ENCRYPTION", "aws_eks_cluster.c")]
    assert eks.result.value == "pass" and "AWS-owned key" in eks.message


# ---------------------------------------------------------------------------- plans


@pytest.fixture(scope="module")
def plan_findings() -> dict[tuple[str, str], object]:
    assessment = scan_paths([str(PLAN)])
    return {(f.check_id, f.resource.name): f for f in findings_of(assessment)}


@pytest.mark.parametrize(
    ("check_id", "address", "result", "line"),
    [
        ("TF-SG-EGRESS-OPEN", "module.network.aws_security_group.nodes", "fail", 86),
        (
            "TF-ADMIN-PORTS-OPEN",
            "module.network.aws_vpc_security_group_ingress_rule.ssh",
            "fail",
            103,
        ),
        ("TF-IMDSV2", "module.network.aws_instance.gpu[0]", "fail", 119),
        ("TF-KEY-ROTATION", "aws_kms_key.models", "fail", 15),
        ("TF-KEYS-IN-KMS", "aws_kms_key.models", "pass", 13),
        ("TF-MODEL-KEYS-HSM", "aws_s3_bucket.weights", "pass", 25),
        ("TF-SAGEMAKER-ROOT", "aws_sagemaker_notebook_instance.research", "fail", 57),
        ("TF-SAGEMAKER-INTERNET", "aws_sagemaker_notebook_instance.research", "fail", 56),
        ("TF-SAGEMAKER-NETWORK-ISOLATION", "aws_sagemaker_model.llm", "fail", 68),
        # public_access_cidrs is not configured: the provider's default 0.0.0.0/0 applies
        ("TF-K8S-API-PUBLIC", "module.network.aws_eks_cluster.ai", "fail", 131),
    ],
)
def test_plan_json_findings(plan_findings, check_id, address, result, line) -> None:
    finding = plan_findings[(check_id, address)]
    assert (finding.result.value, finding.location.line) == (result, line)
    assert finding.location.path == str(PLAN)


def test_plan_unknown_values_keep_their_references() -> None:
    resources = terraform_resources(PLAN)
    sse = resources["aws_s3_bucket_server_side_encryption_configuration.weights"].body
    assert sse["bucket"] == Reference("aws_s3_bucket.weights", "id")
    rule = resources["module.network.aws_vpc_security_group_ingress_rule.ssh"].body
    assert rule["security_group_id"] == Reference("module.network.aws_security_group.nodes", "id")


# ---------------------------------------------------------------------------- corpus


@pytest.mark.slow
def test_corpus_terraform_scans_without_a_crash() -> None:
    corpus = shared_path("corpus")
    targets = [
        str(corpus / "bridgecrewio__terragoat"),
        str(corpus / "GoogleCloudPlatform__ai-on-gke"),
        str(corpus / "bridgecrewio__checkov" / "tests" / "terraform"),
    ]
    assessment = scan_paths(targets)
    crashed = [r.reason for r in assessment.requirements if "could not run" in r.reason]
    assert crashed == []
    tf_errors = [e for e in assessment.inputs.input_errors if e.path.endswith(".tf")]
    assert all(e.line and "invalid HCL" in e.reason for e in tf_errors)
    # checkov's deliberately invalid test files, and nothing else
    assert len(tf_errors) <= 12
    plans = {
        f.location.path
        for f in findings_of(assessment)
        if f.location.path.endswith(".json") and f.check_id.startswith("TF-")
    }
    assert plans, "checkov's plan JSON files yield Terraform findings"
    terragoat = {
        (f.check_id, f.result.value)
        for f in findings_of(assessment)
        if "terragoat" in f.location.path
    }
    assert {
        ("TF-ADMIN-PORTS-OPEN", "fail"),
        ("TF-SECRET-LITERAL", "fail"),
        ("TF-K8S-API-PUBLIC", "fail"),
        ("TF-FLOW-LOGS", "pass"),
    } <= terragoat


def test_rules_find_their_counted_group(write, tmp_path) -> None:
    write(
        "main.tf",
        """
        resource "aws_security_group" "nodes" {
          count = 1
          name  = "nodes"
        }
        resource "aws_security_group_rule" "ssh" {
          type              = "ingress"
          security_group_id = aws_security_group.nodes[0].id
          from_port         = 22
          to_port           = 22
          protocol          = "tcp"
          cidr_blocks       = ["0.0.0.0/0"]
        }
    """,
    )
    findings = findings_of(scan_paths([str(tmp_path)]), "TF-ADMIN-PORTS-OPEN")
    assert [(f.resource.name, f.result.value) for f in findings] == [
        ("aws_security_group_rule.ssh", "fail")
    ]


def test_plan_json_on_stdin() -> None:
    result = CliRunner().invoke(
        main, ["scan", "-", "--format", "json", "--fail-on", "none"], input=PLAN.read_text()
    )
    assert result.exit_code == 0, result.output
    report = json.loads(result.output)
    assert report["scanned_domains"] == ["secrets", "terraform"]
    checks = {f["check_id"] for r in report["requirements"] for f in r["findings"]}
    assert {"TF-SG-EGRESS-OPEN", "TF-KEY-ROTATION", "TF-SAGEMAKER-ROOT"} <= checks


def test_provider_default_tags_give_the_environment(write, tmp_path) -> None:
    write(
        "main.tf",
        """
        provider "aws" {
          default_tags {
            tags = { Environment = "production" }
          }
        }
        resource "aws_iam_role" "shared" {
          name = "shared"
        }
        resource "aws_sagemaker_notebook_instance" "n" {
          name     = "n"
          role_arn = aws_iam_role.shared.arn
          tags     = { Team = "ml" }
        }
    """,
    )
    notebook = terraform_resources(tmp_path)["aws_sagemaker_notebook_instance.n"]
    assert notebook.body["tags_all"] == {"Environment": "production", "Team": "ml"}
    [finding] = findings_of(scan_paths([str(tmp_path)]), "TF-ENV-SHARED")
    assert finding.message.endswith("is used only in the prod environment")


@pytest.mark.parametrize(
    ("check_id", "resource"),
    [
        (
            "TF-SAGEMAKER-INTERNET",
            'aws_sagemaker_notebook_instance "n" { direct_internet_access = var.v }',
        ),
        ("TF-SAGEMAKER-ROOT", 'aws_sagemaker_notebook_instance "n" { root_access = var.v }'),
        (
            "TF-SAGEMAKER-NETWORK-ISOLATION",
            'aws_sagemaker_model "m" { enable_network_isolation = var.v }',
        ),
        ("TF-IMDSV2", 'aws_instance "i" {\n metadata_options { http_tokens = var.v }\n}'),
        (
            "TF-K8S-API-PUBLIC",
            'aws_eks_cluster "c" {\n vpc_config { endpoint_public_access = var.v }\n}',
        ),
        (
            "TF-SG-EGRESS-OPEN",
            'aws_vpc_security_group_egress_rule "r" {\n cidr_ipv4 = var.v\n ip_protocol = "-1"\n}',
        ),
        ("TF-SECRETS-MANAGER", 'aws_ssm_parameter "p" {\n name = "db_password"\n type = var.v\n}'),
        (
            "TF-GKE-BINARY-AUTHZ",
            'google_container_cluster "c" {\n binary_authorization {\n'
            " evaluation_mode = var.v\n }\n}",
        ),
        (
            "TF-SECURE-BOOT",
            'google_compute_instance "i" {\n shielded_instance_config {\n'
            " enable_secure_boot = var.v\n }\n}",
        ),
        ("TF-KEYS-IN-KMS", 'azurerm_key_vault_key "k" { key_type = var.v }'),
    ],
)
def test_an_unresolvable_value_is_unknown_never_pass_or_fail(
    write, tmp_path, check_id, resource
) -> None:
    write("main.tf", f'variable "v" {{}}\nresource {resource}\n')
    results = {f.result.value for f in findings_of(scan_paths([str(tmp_path)]), check_id)}
    assert results == {"unknown"}


def test_long_chains_of_locals_are_unknown_not_a_crash(write, tmp_path) -> None:
    chain = "\n".join(f"  l{i} = local.l{i + 1}" for i in range(600))
    nested = "\n".join(f"  n{i} = {'[' * 60}local.n{i + 1}{']' * 60}" for i in range(40))
    write(
        "main.tf",
        f'locals {{\n{chain}\n  l600 = "end"\n{nested}\n  n40 = 1\n}}\n'
        'resource "aws_s3_bucket" "b" {\n  bucket = local.l0\n  tags = local.n0\n}\n',
    )
    inputs = read_inputs([str(tmp_path)])
    if inputs.resources:
        bucket = inputs.resources[0].body["bucket"]
        assert isinstance(bucket, Unknown) and "refer to each other" in bucket.reason
    else:
        assert "too deeply" in inputs.summary.input_errors[0].reason


def test_expressions_that_would_exhaust_memory_are_unknown(write, tmp_path) -> None:
    write(
        "main.tf",
        """
        locals {
          wide   = format("%0999999999d", 1)
          repeat = "x" * 1000000000
          sum    = 1 + 2 * 3
          name   = format("%s-%d", "gpu", 2)
        }
        resource "aws_s3_bucket" "b" {
          tags = { wide = local.wide, repeat = local.repeat, sum = local.sum, name = local.name }
        }
    """,
    )
    tags = terraform_resources(tmp_path)["aws_s3_bucket.b"].body["tags"]
    assert isinstance(tags["wide"], Unknown) and isinstance(tags["repeat"], Unknown)
    assert (tags["sum"], tags["name"]) == (7, "gpu-2")


def test_operators_on_references_with_attributes(write, tmp_path) -> None:
    write(
        "main.tf",
        """
        variable "path" { default = null }
        variable "flags" { default = { public = false } }
        locals {
          chosen  = var.path == null ? "default" : var.path
          private = !var.flags.public
          bigger  = var.flags.public || 2 > 1
        }
        resource "aws_s3_bucket" "b" {
          tags = { chosen = local.chosen, private = local.private, bigger = local.bigger }
        }
        resource "aws_s3_bucket_versioning" "v" {
          bucket = resource.aws_s3_bucket.b.id
        }
    """,
    )
    resources = terraform_resources(tmp_path)
    assert resources["aws_s3_bucket.b"].body["tags"] == {
        "chosen": "default",
        "private": True,
        "bigger": True,
    }
    assert resources["aws_s3_bucket_versioning.v"].body["bucket"] == Reference(
        "aws_s3_bucket.b", "id"
    )


def test_kubernetes_manifests_applied_by_terraform_are_judged(write, tmp_path) -> None:
    write(
        "main.tf",
        """
        variable "image" {}
        resource "kubernetes_manifest" "vllm" {
          manifest = {
            apiVersion = "v1"
            kind       = "Pod"
            metadata   = { name = "vllm", namespace = "serving" }
            spec = {
              containers = [{
                name            = "vllm"
                image           = "vllm/vllm-openai:v0.6.0"
                securityContext = { privileged = true }
              }]
            }
          }
        }
        resource "kubernetes_manifest" "unknown" {
          manifest = {
            apiVersion = "v1"
            kind       = "Pod"
            metadata   = { name = "unknown" }
            spec       = { containers = [{ name = "c", image = var.image }] }
          }
        }
        resource "kubectl_manifest" "job" {
          yaml_body = <<-YAML
            apiVersion: batch/v1
            kind: Job
            metadata:
              name: train
            spec:
              template:
                spec:
                  containers:
                    - name: train
                      image: trainer:1
                      securityContext:
                        privileged: true
          YAML
        }
    """,
    )
    assessment = scan_paths([str(tmp_path)])
    privileged = {
        (f.resource.name, f.location.line)
        for f in findings_of(assessment, "K8S-PRIVILEGED")
        if f.result.value == "fail"
    }
    assert privileged == {("vllm", 3), ("train", 37)}  # the manifest; the YAML line
    assert "kubernetes" in assessment.scanned_domains


def test_google_default_labels_give_the_environment(write, tmp_path) -> None:
    write(
        "main.tf",
        """
        provider "google" {
          default_labels = { env = "staging" }
        }
        resource "google_storage_bucket" "b" {
          name   = "b"
          labels = { team = "ml" }
        }
    """,
    )
    bucket = terraform_resources(tmp_path)["google_storage_bucket.b"]
    assert bucket.body["tags_all"] == {"env": "staging", "team": "ml"}


def test_names_are_not_shared_resources_across_workspaces(write, tmp_path) -> None:
    write(
        "main.tf",
        """
        variable "groups" {}
        resource "aws_instance" "i" {
          vpc_security_group_ids = var.groups
        }
    """,
    )
    write("dev.tfvars", 'groups = ["default"]\n')
    write("prod.tfvars", 'groups = ["default"]\n')
    assert findings_of(scan_paths([str(tmp_path)]), "TF-ENV-SHARED") == []


def test_inline_ignore_inside_a_terraform_block_suppresses_its_finding(write, tmp_path) -> None:
    write(
        "main.tf",
        """
        resource "aws_security_group" "open" {
          name = "open"
          # c4guard:ignore TF-SG-EGRESS-OPEN reason="egress proxy host" expires=2099-01-01
          egress {
            from_port   = 0
            to_port     = 0
            protocol    = "-1"
            cidr_blocks = ["0.0.0.0/0"]
          }
        }

        resource "aws_security_group" "also_open" {
          name = "also-open"
          egress {
            from_port   = 0
            to_port     = 0
            protocol    = "-1"
            cidr_blocks = ["0.0.0.0/0"]
          }
        }
    """,
    )
    findings = [
        f
        for f in scan_paths([str(tmp_path)]).findings()
        if f.check_id == "TF-SG-EGRESS-OPEN" and f.result.value == "fail"
    ]
    by_name = {f.resource.name.rsplit(".", 1)[-1]: f for f in findings}
    assert by_name["open"].suppression is not None
    assert by_name["open"].suppression.reason == "egress proxy host"
    assert by_name["also_open"].suppression is None
