"""Terraform registry and git modules: judged from the table of known inputs when not
downloaded (markers in tests/checks/fixtures/terraform-registry), from their source when
`terraform init` left them in `.terraform/modules`, and an evidence gap otherwise."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from c4guard.model import Assessment
from c4guard.sources.terraform.addresses import installed_major, parse_source
from tests.conftest import findings_of, scan_paths, status_of
from tests.expectations import expectations, unmet

FIXTURES = Path(__file__).parents[1] / "fixtures" / "terraform-registry"
DOWNLOADED = Path(__file__).parents[2] / "data" / "terraform-registry" / "eks-init"


@pytest.fixture(scope="module")
def known() -> Assessment:
    return scan_paths([str(FIXTURES)])


def test_known_module_inputs_are_judged_at_their_lines(known: Assessment) -> None:
    missing = unmet(expectations(FIXTURES), findings_of(known))
    assert not missing, "\n".join(missing)


def test_public_eks_endpoint_through_the_module_fails_4_3_2(known: Assessment) -> None:
    (finding,) = [
        f
        for f in findings_of(known, "TF-K8S-API-PUBLIC")
        if f.resource.name == "module.eks.aws_eks_cluster.this[0]"
    ]
    assert finding.result.value == "fail"
    assert "terraform-aws-modules/eks/aws ~> 20.0" in finding.message
    assert status_of(known, "4.3.2") == "fail"


def test_an_unknown_module_is_an_evidence_gap_not_a_pass(tmp_path: Path) -> None:
    (tmp_path / "main.tf").write_text(
        'module "labels" {\n  source  = "cloudposse/label/null"\n  version = "0.25.0"\n}\n'
        'resource "aws_kms_key" "k" {\n  enable_key_rotation = true\n}\n'
    )
    assessment = scan_paths([str(tmp_path)])
    (gap,) = assessment.inputs.gaps
    assert "module.labels" in gap.reason and "cloudposse/label/null 0.25.0" in gap.reason
    assert status_of(assessment, "4.4.3") == "review"  # the key rotates, the module is unread


def test_a_default_that_changed_needs_the_version(tmp_path: Path) -> None:
    """The EKS endpoint was public by default before v19: a commit ref leaves it unknown."""
    (tmp_path / "main.tf").write_text(
        'module "eks" {\n  source = "git::https://github.com/terraform-aws-modules/'
        'terraform-aws-eks.git?ref=8a0efdbbc84180a26e0bacfd2b6fcfceac53b3b6"\n}\n'
    )
    (finding,) = findings_of(scan_paths([str(tmp_path)]), "TF-K8S-API-PUBLIC")
    assert finding.result.value == "unknown"
    assert "changed between versions" in finding.message


def test_downloaded_module_is_judged_from_its_source() -> None:
    assessment = scan_paths([str(DOWNLOADED)])
    (finding,) = findings_of(assessment, "TF-K8S-API-PUBLIC")
    assert finding.result.value == "fail"
    module = DOWNLOADED / ".terraform" / "modules" / "eks" / "main.tf"
    assert finding.location.path == str(module)
    line = module.read_text().splitlines()[finding.location.line - 1]
    assert "var.cluster_endpoint_public_access_cidrs" in line
    assert "created by module.eks at" in finding.message
    assert "not downloaded" not in finding.message
    assert assessment.inputs.gaps == [] and assessment.inputs.input_errors == []


def test_a_manifest_pointing_out_of_terraform_modules_is_not_followed(tmp_path: Path) -> None:
    shutil.copytree(DOWNLOADED, tmp_path / "root")
    outside = tmp_path / "outside"
    shutil.copytree(DOWNLOADED / ".terraform" / "modules" / "eks", outside)
    manifest = tmp_path / "root" / ".terraform" / "modules" / "modules.json"
    manifest.write_text('{"Modules": [{"Key": "eks", "Dir": "../outside"}]}')
    (finding,) = findings_of(scan_paths([str(tmp_path / "root")]), "TF-K8S-API-PUBLIC")
    assert finding.location.path.endswith("root/main.tf")  # judged from the table instead


def test_a_broken_manifest_is_an_input_error(tmp_path: Path) -> None:
    shutil.copytree(DOWNLOADED, tmp_path / "root")
    (tmp_path / "root" / ".terraform" / "modules" / "modules.json").write_text("{")
    assessment = scan_paths([str(tmp_path / "root")])
    (error,) = assessment.inputs.input_errors
    assert error.path.endswith("modules.json") and "modules.json" in error.reason


@pytest.mark.parametrize(
    ("source", "version", "name", "subdir", "major"),
    [
        ("terraform-aws-modules/eks/aws", "~> 20.0", "terraform-aws-modules/eks/aws", "", 20),
        (
            "terraform-aws-modules/eks/aws",
            ">= 19, < 21.0.0",
            "terraform-aws-modules/eks/aws",
            "",
            20,
        ),
        ("terraform-aws-modules/eks/aws", None, "terraform-aws-modules/eks/aws", "", 50),
        (
            "git::https://github.com/terraform-aws-modules/terraform-aws-vpc.git?ref=v5.0.0",
            None,
            "terraform-aws-modules/vpc/aws",
            "",
            5,
        ),
        (
            "terraform-google-modules/kubernetes-engine/google//modules/private-cluster",
            "~> 33.0",
            "terraform-google-modules/kubernetes-engine/google",
            "modules/private-cluster",
            33,
        ),
    ],
)
def test_source_addresses(
    source: str, version: str | None, name: str, subdir: str, major: int
) -> None:
    parsed = parse_source(source, version)
    assert parsed is not None and (parsed.name, parsed.subdir) == (name, subdir)
    assert installed_major(parsed.version, 50) == major


def test_local_and_unknown_addresses_are_not_registry_modules() -> None:
    assert parse_source("./modules/x", None) is None
    assert parse_source("s3::https://bucket/module.zip", None) is None
    assert installed_major("8a0efdbb", 21) is None


def test_unknown_inputs_give_unknown_results(tmp_path: Path) -> None:
    (tmp_path / "main.tf").write_text(
        'variable "enc" {}\nvariable "public" {}\n'
        'module "eks" {\n  source  = "terraform-aws-modules/eks/aws"\n  version = "~> 20.0"\n'
        "  cluster_encryption_config      = var.enc\n"
        "  cluster_endpoint_public_access = var.public\n}\n"
    )
    assessment = scan_paths([str(tmp_path)])
    for check_id in ("TF-K8S-API-PUBLIC", "TF-K8S-SECRETS-ENCRYPTION"):
        (finding,) = findings_of(assessment, check_id)
        assert finding.result.value == "unknown", finding.message
        assert "has no default" in finding.message


def test_known_module_outputs_lead_to_the_resources_they_name(tmp_path: Path) -> None:
    """A bucket made by the s3-bucket module, encrypted with the kms module's key."""
    (tmp_path / "main.tf").write_text(
        'module "kms" {\n  source = "terraform-aws-modules/kms/aws"\n}\n'
        'module "weights" {\n  source = "terraform-aws-modules/s3-bucket/aws"\n'
        '  bucket = "model-weights"\n'
        "  server_side_encryption_configuration = {\n"
        "    rule = { apply_server_side_encryption_by_default = {\n"
        '      sse_algorithm = "aws:kms", kms_master_key_id = module.kms.key_arn } }\n  }\n}\n'
    )
    (finding,) = findings_of(scan_paths([str(tmp_path)]), "TF-MODEL-KEYS-HSM")
    assert finding.result.value == "pass"
    assert "module.kms.aws_kms_key.this[0]" in finding.message
