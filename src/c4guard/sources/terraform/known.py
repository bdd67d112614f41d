"""Registry modules judged from their inputs when their source was not downloaded.

For the most used modules of AI platforms, a table says which resources a call creates
and which of its inputs set which of their attributes, with the module's own defaults
(read from each module's `variables.tf`; where a default changed between major versions,
the version Terraform would install decides). A call becomes the resources the module
would create, addressed as in the module (`module.eks.aws_eks_cluster.this[0]`), so the
resource checks judge them with their usual messages. An attribute is located at the
call's argument that set it, or at the `module` block when the module's default decides.
Only what the table names is made: the other resources of the module stay unjudged.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from c4guard.sources.terraform.addresses import ModuleSource, installed_major
from c4guard.sources.terraform.hcl import Block
from c4guard.sources.terraform.values import Reference, Unknown, is_known
from c4guard.sources.yamlload import Mapping, Sequence

MAX_MADE_BLOCKS = 64  # node pools made from one list input
ENFORCE = "PROJECT_SINGLETON_POLICY_ENFORCE"


@dataclass(frozen=True, slots=True)
class Changed:
    """A module default that changed between major versions: (first major, value) pairs."""

    since: tuple[tuple[int, Any], ...]


@dataclass(slots=True)
class Call:
    """One call of a known module: the inputs the caller set, where, and the version."""

    source: ModuleSource
    display: str
    block: Block
    inputs: dict[str, Callable[[], Any]]
    major: int | None
    address: str  # "module.eks" (with its instance key)

    def get(self, names: str | tuple[str, ...], default: Any) -> tuple[Any, int]:
        """(value, line) of the first of `names` the call sets, else the module's default
        at the `module` block's line."""
        for name in (names,) if isinstance(names, str) else names:
            if name in self.inputs and name in self.block.attributes:
                return self.inputs[name](), self.block.attributes[name].line
        first = names if isinstance(names, str) else names[0]
        return self._default(first, default), self.block.line

    def _default(self, name: str, default: Any) -> Any:
        if not isinstance(default, Changed):
            return default
        values = [value for _major, value in default.since]
        if self.major is None:
            if all(v == values[0] for v in values):
                return values[0]
            return Unknown(
                f"the default of {name} changed between versions of {self.source.name}, "
                f"and {self.address} does not pin one ({self.source.version})"
            )
        chosen = values[0]
        for first, value in default.since:
            if self.major >= first:
                chosen = value
        return chosen


class Made:
    """One resource a known module creates, built attribute by attribute."""

    def __init__(self, call: Call, kind: str, local: str) -> None:
        self.call = call
        self.kind = kind
        self.local = local  # "aws_eks_cluster.this[0]"
        self.body = Mapping(call.display, call.block.line)

    @property
    def address(self) -> str:
        return f"{self.call.address}.{self.local}"

    def put(self, path: str, found: tuple[Any, int]) -> Made:
        """Set the attribute at `path` ("vpc_config.endpoint_public_access": nested blocks
        as lists of one block, as evaluated configurations hold them)."""
        value, line = found
        written = line != self.call.block.line  # else the module's default decides
        node = self.body
        *blocks, last = path.split(".")
        for key in blocks:
            items = node.get(key)
            if not isinstance(items, Sequence):
                items = Sequence(self.call.display, line)
                items.append(Mapping(self.call.display, line))
                items.item_lines.append(line)
                node[key] = items
            if written and node.line_of(key) == self.call.block.line:
                node.key_lines[key] = items[0].line = line  # a block: its first written input
            node = items[0]
        node[last] = value
        if written:  # a default is located where its block is
            node.key_lines[last] = line
        return self


Builder = Callable[[Call], list[Made]]


@dataclass(frozen=True, slots=True)
class KnownModule:
    latest: int  # the newest major version the table describes
    build: Builder
    outputs: dict[str, tuple[str, str]]  # output -> (resource made, its attribute)


def _truthy(value: Any) -> bool | None:
    """True/False for a known flag, None when it is unknown."""
    return bool(value) if is_known(value) else None


# ------------------------------------------------------------------ AWS


def _eks(call: Call) -> list[Made]:
    """terraform-aws-modules/eks/aws: `cluster_*` inputs up to v20, unprefixed from v21."""
    if call.get("create", True)[0] is False:
        return []
    cluster = Made(call, "aws_eks_cluster", "aws_eks_cluster.this[0]")
    cluster.put(
        "vpc_config.endpoint_public_access",
        call.get(
            ("cluster_endpoint_public_access", "endpoint_public_access"),
            Changed(((0, True), (19, False))),
        ),
    )
    cluster.put(
        "vpc_config.public_access_cidrs",
        call.get(
            ("cluster_endpoint_public_access_cidrs", "endpoint_public_access_cidrs"),
            ["0.0.0.0/0"],
        ),
    )
    version = call.get(("cluster_version", "kubernetes_version"), None)
    if version[0] is not None:
        cluster.put("version", version)
    made = [cluster]
    config, line = call.get(
        ("cluster_encryption_config", "encryption_config"),
        Changed(((0, []), (19, {"resources": ["secrets"]}))),
    )
    if isinstance(config, list):  # up to v18: a list of configurations
        config = config[0] if config else {}
    if not isinstance(config, dict):
        if config is not None:
            cluster.put("encryption_config.resources", (config, line))
        return made
    resources = config.get("resources", ["secrets"] if (call.major or 0) >= 21 else None)
    if not config and (call.major or 0) < 21:
        return made
    cluster.put("encryption_config.resources", (resources, line))
    create_key, key_line = call.get("create_kms_key", Changed(((0, False), (19, True))))
    if create_key is True:
        key = Made(call, "aws_kms_key", "module.kms.aws_kms_key.this[0]")
        key.put("enable_key_rotation", call.get("enable_kms_key_rotation", True))
        cluster.put("encryption_config.provider.key_arn", (Reference(key.address, "arn"), key_line))
        made.append(key)
    else:
        arn = config.get("provider_key_arn") if create_key is False else create_key
        cluster.put("encryption_config.provider.key_arn", (arn, line))
    return made


def _vpc(call: Call) -> list[Made]:
    """terraform-aws-modules/vpc/aws: the VPC, its flow log, its default security group."""
    create, _line = call.get("create_vpc", True)
    if create is False:
        return []
    vpc = Made(call, "aws_vpc", "aws_vpc.this[0]")
    for name in ("cidr", "tags"):
        value = call.get(name, None)
        if value[0] is not None:
            vpc.put("cidr_block" if name == "cidr" else name, value)
    made = [vpc]
    enabled, line = call.get("enable_flow_log", False)
    if enabled is not False:
        log = Made(call, "aws_flow_log", "aws_flow_log.this[0]")
        log.put("vpc_id", (Reference(vpc.address, "id"), line))
        traffic = call.get("flow_log_traffic_type", "ALL")
        log.put("traffic_type", traffic if enabled is True else (enabled, line))
        made.append(log)
    managed, line = call.get("manage_default_security_group", Changed(((0, False), (4, True))))
    if managed is True:
        group = Made(call, "aws_default_security_group", "aws_default_security_group.this[0]")
        for rules in ("ingress", "egress"):
            value = call.get(f"default_security_group_{rules}", [])
            if value[0]:
                group.put(rules, value)
        made.append(group)
    return made


def _kms(call: Call) -> list[Made]:
    """terraform-aws-modules/kms/aws: one key, rotated by default."""
    if call.get("create", True)[0] is False:
        return []
    key = Made(call, "aws_kms_key", "aws_kms_key.this[0]")
    key.put("enable_key_rotation", call.get("enable_key_rotation", True))
    for name in ("customer_master_key_spec", "key_usage", "tags"):
        value = call.get(name, None)
        if value[0] is not None:
            key.put(name, value)
    return [key]


def _s3_bucket(call: Call) -> list[Made]:
    """terraform-aws-modules/s3-bucket/aws: the bucket with its encryption and Object Lock
    (the module's split resources, as the bucket's own blocks)."""
    if call.get("create_bucket", True)[0] is False:
        return []
    bucket = Made(call, "aws_s3_bucket", "aws_s3_bucket.this[0]")
    bucket.put("object_lock_enabled", call.get("object_lock_enabled", False))
    for name in ("bucket", "tags", "server_side_encryption_configuration"):
        value = call.get(name, None)
        if value[0]:
            bucket.put(name, value)
    lock = call.get("object_lock_configuration", {})
    if lock[0]:
        bucket.put("object_lock_configuration", lock)
    return [bucket]


# ------------------------------------------------------------------ GCP


def _gke(call: Call) -> list[Made]:
    """terraform-google-modules/kubernetes-engine/google and its cluster submodules."""
    cluster = Made(call, "google_container_cluster", "google_container_cluster.primary")
    variant = call.source.subdir.rsplit("/", 1)[-1]
    if "private" in variant or "safer" in variant:
        cluster.put(
            "private_cluster_config.enable_private_endpoint",
            call.get("enable_private_endpoint", "safer" in variant),
        )
    networks, line = call.get("master_authorized_networks", [])
    if isinstance(networks, list) and networks:
        blocks = [
            {"cidr_block": n.get("cidr_block") if isinstance(n, dict) else n} for n in networks
        ]
        cluster.put("master_authorized_networks_config.cidr_blocks", (blocks, line))
    elif not isinstance(networks, list):
        cluster.put(
            "master_authorized_networks_config.cidr_blocks", ([{"cidr_block": networks}], line)
        )
    default_encryption = [{"state": "DECRYPTED", "key_name": ""}]
    cluster.put("database_encryption", call.get("database_encryption", default_encryption))
    binauthz, line = call.get("enable_binary_authorization", False)
    enforced = _truthy(binauthz)
    mode = binauthz if enforced is None else ENFORCE if enforced else "DISABLED"
    cluster.put("binary_authorization.evaluation_mode", (mode, line))
    if "autopilot" in variant:
        cluster.put("enable_autopilot", (True, call.block.line))
        return [cluster]
    pools, line = call.get("node_pools", [{"name": "default-node-pool"}])
    metadata = call.get("node_metadata", "GKE_METADATA")
    made = []
    for entry in (pools if isinstance(pools, list) else [pools])[:MAX_MADE_BLOCKS]:
        made.append(_gke_pool(cluster, entry, line, metadata))
    cluster.put("node_pool", ([m.body for m in made], line))
    return [cluster]


def _gke_pool(cluster: Made, entry: Any, line: int, metadata: tuple[Any, int]) -> Made:
    """One `node_pools` entry as an inline node pool of the cluster."""
    pool = Made(cluster.call, "node_pool", "")
    pool.body.line = line

    def option(key: str, default: tuple[Any, int]) -> tuple[Any, int]:
        if isinstance(entry, dict):
            return (entry[key], line) if key in entry else default
        return entry, line  # an unknown list entry: every option is unknown

    pool.put("name", option("name", (None, line)))
    pool.put("node_config.workload_metadata_config.mode", option("node_metadata", metadata))
    shielded = "node_config.shielded_instance_config"
    pool.put(f"{shielded}.enable_secure_boot", option("enable_secure_boot", (False, line)))
    pool.put(
        f"{shielded}.enable_integrity_monitoring",
        option("enable_integrity_monitoring", (True, line)),
    )
    return pool


def _network(call: Call) -> list[Made]:
    """terraform-google-modules/network/google (its subnets submodule, or the submodule
    called alone): one subnetwork per `subnets` entry, with flow logs when the entry's
    `subnet_flow_logs` is true. The network and its firewall rules are not made."""
    subnets, line = call.get("subnets", [])
    region, _ = call.get("subnets_region", None)
    inner = "" if call.source.subdir else "module.subnets."
    made = []
    for entry in (subnets if isinstance(subnets, list) else [])[:MAX_MADE_BLOCKS]:
        if not isinstance(entry, dict):
            continue
        key = json.dumps(f"{region or entry.get('subnet_region')}/{entry.get('subnet_name')}")
        subnet = Made(
            call, "google_compute_subnetwork", f"{inner}google_compute_subnetwork.subnetwork[{key}]"
        )
        subnet.put("name", (entry.get("subnet_name"), line))
        logs = entry.get("subnet_flow_logs")
        if logs is True or str(logs).lower() == "true":
            subnet.put(
                "log_config.aggregation_interval", (entry.get("subnet_flow_logs_interval"), line)
            )
        elif not is_known(logs):
            subnet.put("log_config", (logs, line))
        made.append(subnet)
    return made


# ------------------------------------------------------------------ Azure


def _aks(call: Call) -> list[Made]:
    """Azure/aks/azurerm: the cluster's API endpoint."""
    cluster = Made(call, "azurerm_kubernetes_cluster", "azurerm_kubernetes_cluster.main")
    cluster.put("private_cluster_enabled", call.get("private_cluster_enabled", False))
    ranges = call.get("api_server_authorized_ip_ranges", None)
    if ranges[0] is not None:
        cluster.put("api_server_access_profile.authorized_ip_ranges", ranges)
    return [cluster]


_GKE_VARIANTS = (
    "",
    "modules/private-cluster",
    "modules/beta-private-cluster",
    "modules/beta-public-cluster",
    "modules/beta-autopilot-private-cluster",
    "modules/beta-autopilot-public-cluster",
    "modules/private-cluster-update-variant",
    "modules/beta-private-cluster-update-variant",
    "modules/beta-public-cluster-update-variant",
    "modules/safer-cluster",
    "modules/safer-cluster-update-variant",
)

KNOWN: dict[tuple[str, str], KnownModule] = {
    ("terraform-aws-modules/eks/aws", ""): KnownModule(
        21,
        _eks,
        {
            "cluster_arn": ("aws_eks_cluster.this[0]", "arn"),
            "cluster_name": ("aws_eks_cluster.this[0]", "name"),
            "cluster_id": ("aws_eks_cluster.this[0]", "id"),
            "kms_key_arn": ("module.kms.aws_kms_key.this[0]", "arn"),
        },
    ),
    ("terraform-aws-modules/vpc/aws", ""): KnownModule(
        6,
        _vpc,
        {
            "vpc_id": ("aws_vpc.this[0]", "id"),
            "vpc_arn": ("aws_vpc.this[0]", "arn"),
            "default_security_group_id": ("aws_default_security_group.this[0]", "id"),
        },
    ),
    ("terraform-aws-modules/kms/aws", ""): KnownModule(
        4,
        _kms,
        {
            "key_arn": ("aws_kms_key.this[0]", "arn"),
            "key_id": ("aws_kms_key.this[0]", "key_id"),
        },
    ),
    ("terraform-aws-modules/s3-bucket/aws", ""): KnownModule(
        5,
        _s3_bucket,
        {
            "s3_bucket_id": ("aws_s3_bucket.this[0]", "id"),
            "s3_bucket_arn": ("aws_s3_bucket.this[0]", "arn"),
        },
    ),
    ("azure/aks/azurerm", ""): KnownModule(
        11, _aks, {"aks_id": ("azurerm_kubernetes_cluster.main", "id")}
    ),
    **{
        ("terraform-google-modules/network/google", subdir): KnownModule(18, _network, {})
        for subdir in ("", "modules/subnets", "modules/subnets-beta")
    },
    **{
        ("terraform-google-modules/kubernetes-engine/google", variant): KnownModule(
            44,
            _gke,
            {
                "cluster_id": ("google_container_cluster.primary", "id"),
                "name": ("google_container_cluster.primary", "name"),
            },
        )
        for variant in _GKE_VARIANTS
    },
}


def known_module(source: ModuleSource) -> KnownModule | None:
    return KNOWN.get((source.name, source.subdir))


def make_call(
    source: ModuleSource,
    display: str,
    block: Block,
    inputs: dict[str, Callable[[], Any]],
    address: str,
) -> Call | None:
    """A call of a module the table knows, or None."""
    known = known_module(source)
    if known is None:
        return None
    return Call(
        source, display, block, inputs, installed_major(source.version, known.latest), address
    )


def known_outputs(source: ModuleSource, address: str) -> dict[str, Reference]:
    """The outputs of a known module's call at `address`, as references to what it makes."""
    known = known_module(source)
    outputs = known.outputs if known else {}
    return {name: Reference(f"{address}.{local}", attr) for name, (local, attr) in outputs.items()}


def made_resources(call: Call) -> list[Made]:
    known = known_module(call.source)
    return known.build(call) if known else []
