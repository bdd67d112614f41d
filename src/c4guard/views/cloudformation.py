"""CloudFormation resources as the facts the Terraform checks read.

The AWS provider for Terraform and CloudFormation describe the same AWS API objects, with
different spellings: `AWS::EKS::Cluster`'s `ResourcesVpcConfig.EndpointPublicAccess` is
`aws_eks_cluster`'s `vpc_config.endpoint_public_access`. Each resource type the checks
judge has its equivalent here (a kind and the property names that are not plain snake
case), so one rule judges both and gives the same verdict; the subject, the location and
the setting's name stay CloudFormation's. Where the two differ in behaviour (a security
group created by CloudFormation keeps AWS's default allow-all egress; a secret's value is
a property of the secret), the translation says what AWS does.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from c4guard.model import Resource
from c4guard.sources.cloudformation import ORIGIN
from c4guard.sources.terraform.values import Unknown, references_in
from c4guard.sources.yamlload import Mapping, Sequence

_FIRST_CAP = re.compile(r"(.)([A-Z][a-z]+)")
_ALL_CAP = re.compile(r"([a-z0-9])([A-Z])")


class Facts(Mapping):
    """A translated body: Terraform's names for CloudFormation's properties, each key's line
    that of the property it came from, and the property's own name (`names`); what the
    translation assumed of a property (`property_notes`, by CloudFormation name)."""

    __slots__ = ("names", "notes", "property_notes")

    def __init__(self, path: str | None = None, line: int | None = None) -> None:
        super().__init__(path, line)
        self.names: dict[str, str] = {}
        self.notes: tuple[str, ...] = ()
        self.property_notes: dict[str, tuple[str, ...]] = {}

    @property
    def called_from(self) -> tuple[str, ...]:
        return ()


Shaper = Callable[[Mapping, Facts], None]


@dataclass(frozen=True, slots=True)
class Equivalent:
    """The Terraform resource type a CloudFormation type is, its property names that are not
    plain snake case, and what else the translation must add (`shape`)."""

    kind: str
    renames: dict[str, str] = field(default_factory=dict)
    shape: Shaper | None = None


def snake(name: str) -> str:
    """`EndpointPublicAccess` -> `endpoint_public_access`, `KMSMasterKeyID` ->
    `kms_master_key_id`."""
    return _ALL_CAP.sub(r"\1_\2", _FIRST_CAP.sub(r"\1_\2", name)).lower()


# Policy documents are JSON in both tools: kept as written.
DOCUMENTS = frozenset({"PolicyDocument", "KeyPolicy", "ResourcePolicy", "AssumeRolePolicyDocument"})


def translate(value: Any, renames: dict[str, str]) -> Any:
    """CloudFormation properties in Terraform's names (lines kept), `Tags` as a map, and
    `"true"`/`"false"` strings as the booleans CloudFormation converts them to."""
    if isinstance(value, dict):
        out = Facts(getattr(value, "path", None), getattr(value, "line", None))
        for key, item in value.items():
            name = renames.get(str(key)) or snake(str(key))
            if key in DOCUMENTS:
                out[name] = item
            else:
                out[name] = _tags(item) if key == "Tags" else translate(item, renames)
            out.names[name] = str(key)
            if isinstance(value, Mapping):
                out.key_lines[name] = value.line_of(key) or 0
        return out
    if isinstance(value, list):
        items = Sequence(getattr(value, "path", None), getattr(value, "line", None))
        items.extend(translate(item, renames) for item in value)
        items.item_lines.extend(getattr(value, "item_lines", []))
        return items
    if isinstance(value, str) and value.lower() in ("true", "false"):
        return value.lower() == "true"
    return value


def _tags(value: Any) -> Any:
    """`[{Key: k, Value: v}]` (or the map SAM and some types use) as a map."""
    if isinstance(value, list):
        return {
            str(t.get("Key")): t.get("Value") for t in value if isinstance(t, dict) and "Key" in t
        }
    return value


def source_path(body: Any, keys: tuple[str | int, ...]) -> str:
    """The CloudFormation spelling of a Terraform path into a translated body: the property
    names where they are written, else the names CloudFormation would use."""
    parts = []
    node = body
    for key in keys:
        if isinstance(key, int):
            parts.append(str(key))
            node = node[key] if isinstance(node, list) and key < len(node) else None
            continue
        if isinstance(node, list):
            node = next((n for n in node if isinstance(n, dict)), None)
        names = getattr(node, "names", {})
        parts.append(names.get(key) or _camel(key))
        node = node.get(key) if isinstance(node, dict) else None
    return ".".join(parts)


def _camel(name: str) -> str:
    """A Terraform name as CloudFormation spells it: a known rename, else CamelCase."""
    renamed = _REVERSE.get(name)
    return renamed or "".join(part[:1].upper() + part[1:] for part in name.split("_"))


# ---------------------------------------------------------------------------- shapes


def _default_egress(properties: Mapping, facts: Facts) -> None:
    """A security group without `SecurityGroupEgress` keeps AWS's default rule: all
    egress to 0.0.0.0/0 (CloudFormation removes it only when the property lists rules)."""
    if "SecurityGroupEgress" in properties:
        return
    rule = Facts(facts.path, facts.line)
    rule.update({"cidr_blocks": ["0.0.0.0/0"], "protocol": "-1"})
    rule.key_lines.update({"cidr_blocks": facts.line or 0, "protocol": facts.line or 0})
    facts["egress"] = [rule]
    facts.key_lines["egress"] = facts.line or 0
    facts.names["egress"] = "SecurityGroupEgress"
    facts.property_notes["SecurityGroupEgress"] = (
        "no SecurityGroupEgress: CloudFormation keeps AWS's default rule, all egress to 0.0.0.0/0",
    )


def _launch_template_data(properties: Mapping, facts: Facts) -> None:
    """`LaunchTemplateData`'s settings are top-level arguments of `aws_launch_template`."""
    data = facts.pop("launch_template_data", None)
    if isinstance(data, Facts):
        for key, value in data.items():
            facts[key] = value
            facts.key_lines[key] = data.line_of(key) or 0
            facts.names[key] = f"LaunchTemplateData.{data.names.get(key, key)}"


def _instance_metadata(properties: Mapping, facts: Facts) -> None:
    """An instance's metadata options are its launch template's: unknown here when it has
    one (an `AWS::EC2::Instance` has no property of its own for them)."""
    if "LaunchTemplate" in properties:
        options = Facts(facts.path, properties.line_of("LaunchTemplate"))
        options["http_tokens"] = Unknown("it is set by the instance's launch template")
        options.key_lines["http_tokens"] = options.line or 0
        facts["metadata_options"] = options
        facts.key_lines["metadata_options"] = options.line or 0
        facts.names["metadata_options"] = "LaunchTemplate"


def _flow_log_target(properties: Mapping, facts: Facts) -> None:
    """`ResourceId` names a VPC, subnet or interface, as `ResourceType` says."""
    target = {"VPC": "vpc_id", "Subnet": "subnet_id", "NetworkInterface": "eni_id"}.get(
        str(properties.get("ResourceType"))
    )
    if target and "resource_id" in facts:
        facts[target] = facts.pop("resource_id")
        facts.key_lines[target] = properties.line_of("ResourceId") or 0
        facts.names[target] = "ResourceId"


SG_RULE = {"CidrIp": "cidr_ipv4", "CidrIpv6": "cidr_ipv6", "GroupId": "security_group_id"}
MASTER_PASSWORD = {"MasterUserPassword": "password", "DBInstanceClass": "instance_class"}
POLICY = {"PolicyDocument": "policy"}

EQUIVALENTS: dict[str, Equivalent] = {
    "AWS::EKS::Cluster": Equivalent("aws_eks_cluster", {"ResourcesVpcConfig": "vpc_config"}),
    "AWS::EKS::Nodegroup": Equivalent("aws_eks_node_group", {"Subnets": "subnet_ids"}),
    "AWS::SageMaker::NotebookInstance": Equivalent("aws_sagemaker_notebook_instance"),
    "AWS::SageMaker::Domain": Equivalent("aws_sagemaker_domain"),
    "AWS::SageMaker::Model": Equivalent("aws_sagemaker_model"),
    "AWS::SageMaker::EndpointConfig": Equivalent(
        "aws_sagemaker_endpoint_configuration", {"KmsKeyId": "kms_key_arn"}
    ),
    "AWS::S3::Bucket": Equivalent(
        "aws_s3_bucket",
        {
            "BucketName": "bucket",
            "BucketEncryption": "server_side_encryption_configuration",
            "ServerSideEncryptionConfiguration": "rule",
            "ServerSideEncryptionByDefault": "apply_server_side_encryption_by_default",
            "KMSMasterKeyID": "kms_master_key_id",
        },
    ),
    "AWS::KMS::Key": Equivalent(
        "aws_kms_key", {"KeyPolicy": "policy", "KeySpec": "customer_master_key_spec"}
    ),
    "AWS::SecretsManager::Secret": Equivalent("aws_secretsmanager_secret"),
    "AWS::SecretsManager::RotationSchedule": Equivalent("aws_secretsmanager_secret_rotation"),
    "AWS::SecretsManager::ResourcePolicy": Equivalent(
        "aws_secretsmanager_secret_policy", {"ResourcePolicy": "policy"}
    ),
    "AWS::SSM::Parameter": Equivalent("aws_ssm_parameter"),
    "AWS::EC2::SecurityGroup": Equivalent(
        "aws_security_group",
        {
            "SecurityGroupIngress": "ingress",
            "SecurityGroupEgress": "egress",
            "CidrIp": "cidr_blocks",
            "CidrIpv6": "ipv6_cidr_blocks",
            "IpProtocol": "protocol",
        },
        _default_egress,
    ),
    "AWS::EC2::SecurityGroupIngress": Equivalent("aws_vpc_security_group_ingress_rule", SG_RULE),
    "AWS::EC2::SecurityGroupEgress": Equivalent("aws_vpc_security_group_egress_rule", SG_RULE),
    "AWS::EC2::VPC": Equivalent("aws_vpc"),
    "AWS::EC2::FlowLog": Equivalent("aws_flow_log", shape=_flow_log_target),
    "AWS::EC2::Subnet": Equivalent("aws_subnet"),
    "AWS::EC2::RouteTable": Equivalent("aws_route_table"),
    "AWS::EC2::Route": Equivalent("aws_route"),
    "AWS::EC2::SubnetRouteTableAssociation": Equivalent("aws_route_table_association"),
    "AWS::EC2::InternetGateway": Equivalent("aws_internet_gateway"),
    "AWS::EC2::VPCPeeringConnection": Equivalent("aws_vpc_peering_connection"),
    "AWS::EC2::Instance": Equivalent("aws_instance", shape=_instance_metadata),
    "AWS::EC2::LaunchTemplate": Equivalent("aws_launch_template", shape=_launch_template_data),
    "AWS::RDS::DBInstance": Equivalent("aws_db_instance", MASTER_PASSWORD),
    "AWS::RDS::DBCluster": Equivalent("aws_rds_cluster", {"MasterUserPassword": "master_password"}),
    "AWS::IAM::Policy": Equivalent("aws_iam_policy", POLICY),
    "AWS::IAM::ManagedPolicy": Equivalent("aws_iam_policy", POLICY),
    "AWS::IAM::Role": Equivalent(
        "aws_iam_role", {"AssumeRolePolicyDocument": "assume_role_policy"}
    ),
    "AWS::IAM::User": Equivalent("aws_iam_user"),
    "AWS::IAM::AccessKey": Equivalent("aws_iam_access_key", {"UserName": "user"}),
}

_REVERSE = {tf: cfn for eq in EQUIVALENTS.values() for cfn, tf in eq.renames.items()}

# Resources that CloudFormation writes inside another: (property, kind, value key, renames).
# A secret's `SecretString` is what `aws_secretsmanager_secret_version` holds in Terraform;
# a role's, user's or group's inline `Policies` are `aws_iam_*_policy` resources.
INLINE = {
    "AWS::SecretsManager::Secret": (
        ("SecretString", "aws_secretsmanager_secret_version", "secret_string"),
    ),
    "AWS::IAM::Role": (("Policies", "aws_iam_role_policy", "policy"),),
    "AWS::IAM::User": (("Policies", "aws_iam_user_policy", "policy"),),
    "AWS::IAM::Group": (("Policies", "aws_iam_group_policy", "policy"),),
}


@dataclass(frozen=True, slots=True)
class Translated:
    """A CloudFormation resource as a Terraform check subject: the resource (its subject
    and location), the Terraform kind it is, and its body in Terraform's names."""

    resource: Resource
    kind: str
    body: Facts


def translated(resources: list[Resource]) -> list[Translated]:
    """Every CloudFormation resource the Terraform checks can judge, translated."""
    out: list[Translated] = []
    for resource in resources:
        if resource.origin != ORIGIN:
            continue
        equivalent = EQUIVALENTS.get(resource.kind)
        properties = resource.body if isinstance(resource.body, Mapping) else Mapping()
        notes = getattr(resource.body, "notes", ())
        if equivalent is not None:
            facts = translate(properties, equivalent.renames)
            if equivalent.shape is not None:
                equivalent.shape(properties, facts)
            facts.notes = notes
            out.append(Translated(resource, equivalent.kind, facts))
        out.extend(_inline(resource, properties, notes))
    _instances_follow_their_launch_templates(out)
    return out


def _instances_follow_their_launch_templates(items: list[Translated]) -> None:
    """An instance launched from a launch template of its own template has that launch
    template's metadata options (located there)."""
    templates = {
        (t.resource.location.path, t.resource.name): t.body
        for t in items
        if t.kind == "aws_launch_template"
    }
    for item in items:
        launch = item.resource.body.get("LaunchTemplate") if item.kind == "aws_instance" else None
        if not isinstance(launch, dict):
            continue
        for key in ("LaunchTemplateId", "LaunchTemplateName"):
            for ref in references_in(launch.get(key)):
                body = templates.get((item.resource.location.path, ref.address))
                if body is None:
                    continue
                options = body.get("metadata_options")
                if isinstance(options, Facts):
                    item.body["metadata_options"] = options
                else:  # not written in the launch template: AWS's defaults apply
                    item.body.pop("metadata_options", None)
                item.body.names["metadata_options"] = f"LaunchTemplate {ref.address}"


def _inline(resource: Resource, properties: Mapping, notes: tuple[str, ...]) -> list[Translated]:
    found = []
    for key, kind, attribute in INLINE.get(resource.kind, ()):
        value = properties.get(key)
        items = value if key == "Policies" and isinstance(value, list) else [value]
        for position, item in enumerate(items):
            if item is None:
                continue
            body = Facts(properties.path, properties.line_of(key))
            inner = (
                item.get("PolicyDocument") if key == "Policies" and isinstance(item, dict) else item
            )
            body[attribute] = inner
            body.key_lines[attribute] = getattr(item, "line", None) or properties.line_of(key) or 0
            body.names[attribute] = f"{key}[{position}]" if key == "Policies" else key
            body.notes = notes
            found.append(Translated(resource, kind, body))
    return found
