"""C4.3 Network security and access control: Terraform evidence for AWS, GCP and Azure."""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from c4guard.checks.registry import Outcome, check, failed, passed, unknown
from c4guard.checks.terraform.common import expect_known
from c4guard.sources.terraform.values import is_known
from c4guard.views.terraform import (
    WORLD,
    TerraformIndex,
    TfResource,
    as_list,
    has_default_node_pool,
    terraform,
    unknown_reason,
)
from c4guard.views.terraform_rules import AWS_RULE_KINDS, NetRule, all_rules, azure_rules

if TYPE_CHECKING:
    from c4guard.inventory import Inventory

AWS_SG = (
    "https://registry.terraform.io/providers/hashicorp/aws/latest/docs/resources/security_group"
)
IMDS = (
    "https://docs.aws.amazon.com/AWSEC2/latest/UserGuide/configuring-IMDS-existing-instances.html"
)
ADMIN_PORTS = {22: "SSH", 3389: "RDP"}


# ---------------------------------------------------------------------------- 4.3.1


@check(
    "TF-SG-EGRESS-OPEN",
    requirement="4.3.1",
    severity="high",
    title="Security groups and firewalls do not allow all egress to the internet",
    remediation="Replace the allow-all egress rule with rules to the destinations the "
    "workload needs (VPC endpoints, specific CIDRs, ports).",
    references=(AWS_SG,),
)
def egress_not_open(inv: Inventory) -> Iterator[Outcome]:
    """Terraform removes AWS's default allow-all egress rule from the groups it creates, so
    a group without egress rules has no egress; a rule to 0.0.0.0/0 or ::/0 on all
    protocols undoes default-deny."""
    index = terraform(inv)
    rules = [r for r in all_rules(index) if r.direction == "egress" and r.allow]
    by_owner: dict[int, list[NetRule]] = defaultdict(list)
    for rule in rules:
        by_owner[id(rule.group or rule.owner)].append(rule)
    for rule in rules:
        state = rule.world()
        if state is None:
            yield unknown(
                rule.owner,
                f"has an egress rule to {_peers(rule)}, not known before apply",
                setting=rule.setting,
            )
        elif state and rule.all_protocols is not False:
            yield failed(
                rule.owner,
                "allows all egress to the internet "
                f"({', '.join(map(str, rule.peers))}, all protocols)",
                setting=rule.setting,
            )
    for group in index.kinds("aws_security_group"):
        if not by_owner.get(id(group)):
            yield passed(
                group,
                "has no egress rule: Terraform removed AWS's default "
                "allow-all egress, so nothing leaves unless a rule allows it",
            )
        elif not any(
            r.world() is not False and r.all_protocols is not False for r in by_owner[id(group)]
        ):
            yield passed(group, "allows egress only to specific destinations or protocols")


def _peers(rule: NetRule) -> str:
    return ", ".join(str(p) for p in rule.peers) or "(none)"


@check(
    "TF-DEFAULT-SG-RULES",
    requirement="4.3.1",
    severity="medium",
    title="The VPC default security group allows no traffic",
    remediation="Manage `aws_default_security_group` with no ingress and no egress blocks.",
    references=("https://docs.aws.amazon.com/vpc/latest/userguide/default-security-group.html",),
)
def default_security_group(inv: Inventory) -> Iterator[Outcome]:
    """Resources launched without a group get the default one; it should admit nothing."""
    for group in terraform(inv).kinds("aws_default_security_group"):
        kept = [d for d in ("ingress", "egress") if group.blocks(d)]
        if kept:
            yield failed(group, f"keeps {' and '.join(kept)} rules", setting=group.setting(kept[0]))
        else:
            yield passed(group, "has no ingress or egress rules")


@check(
    "TF-GCP-EGRESS-DENY",
    requirement="4.3.1",
    severity="high",
    title="GCP networks have a deny-all egress baseline firewall rule",
    remediation="Add a `google_compute_firewall` with direction EGRESS, `deny { protocol = "
    '"all" }`, destination 0.0.0.0/0 and a low priority (e.g. 65534), then '
    "allow what is needed above it.",
    references=("https://cloud.google.com/firewall/docs/firewalls#default_firewall_rules",),
)
def gcp_egress_baseline(inv: Inventory) -> Iterator[Outcome]:
    """GCP's implied rule allows all egress unless a deny-all egress rule overrides it."""
    index = terraform(inv)
    denies = [
        r
        for r in all_rules(index)
        if r.owner.kind == "google_compute_firewall"
        and r.direction == "egress"
        and not r.allow
        and r.world()
        and r.all_protocols
    ]
    for network in index.kinds("google_compute_network"):
        baseline = next(
            (
                r
                for r in denies
                if index.resolve(r.owner.get("network"), r.owner, "google_compute_network")
                is network
            ),
            None,
        )
        if baseline:
            yield passed(
                network,
                f"has the deny-all egress rule {baseline.owner.address}",
                setting=baseline.setting,
            )
        else:
            yield failed(
                network,
                "has no deny-all egress firewall rule: GCP's implied rule allows all egress",
            )


@check(
    "TF-AZURE-NSG-BASELINE",
    requirement="4.3.1",
    severity="high",
    title="Azure network security groups deny outbound internet traffic by default",
    remediation="Add an Outbound Deny rule for destination `Internet` (or `*`), protocol `*`, "
    "all ports, at a priority below your allow rules.",
    references=(
        "https://learn.microsoft.com/azure/virtual-network/"
        "network-security-groups-overview#default-security-rules",
    ),
)
def azure_nsg_baseline(inv: Inventory) -> Iterator[Outcome]:
    """Every NSG carries the default AllowInternetOutBound rule unless a deny rule
    with a higher priority overrides it."""
    index = terraform(inv)
    rules = list(azure_rules(index))
    for group in index.kinds("azurerm_network_security_group"):
        deny = next(
            (
                r
                for r in rules
                if (r.group or r.owner) is group
                and r.direction == "egress"
                and not r.allow
                and r.world()
                and r.all_protocols
                and r.ports is None
            ),
            None,
        )
        if deny:
            yield passed(group, "denies outbound internet traffic", setting=deny.setting)
        else:
            yield failed(
                group,
                "has no outbound deny rule: Azure's default "
                "AllowInternetOutBound rule admits all internet egress",
            )


# ---------------------------------------------------------------------------- 4.3.2


@check(
    "TF-ADMIN-PORTS-OPEN",
    requirement="4.3.2",
    severity="critical",
    title="SSH and RDP are not open to the internet",
    remediation="Restrict SSH/RDP to a bastion, VPN or identity-aware proxy range; never "
    "0.0.0.0/0 or ::/0.",
    references=(AWS_SG, "https://cloud.google.com/iap/docs/using-tcp-forwarding"),
)
def admin_ports_closed(inv: Inventory) -> Iterator[Outcome]:
    """Administrative protocols reachable from anywhere are brute-forced within minutes."""
    index = terraform(inv)
    rules = [r for r in all_rules(index) if r.direction == "ingress" and r.allow]
    judged: dict[int, TfResource] = {}
    bad: set[int] = set()
    for rule in rules:
        holder = rule.group or rule.owner
        judged[id(holder)] = holder
        exposed = [name for port, name in ADMIN_PORTS.items() if rule.covers(port)]
        state = rule.world()
        if state is not False and not rule.ports_known:
            yield unknown(
                rule.owner,
                f"admits traffic from {_peers(rule)} on a protocol or ports not known before "
                "apply (or not valid)",
                setting=rule.setting,
            )
            bad.add(id(holder))
            continue
        if not exposed:
            continue
        what = "all ports" if rule.ports is None else "/".join(exposed)
        if state is None:
            yield unknown(
                rule.owner,
                f"admits {what} from {_peers(rule)}, not known before apply",
                setting=rule.setting,
            )
            bad.add(id(holder))
        elif state:
            yield failed(
                rule.owner,
                f"admits {what} from the internet ({_peers(rule)})",
                setting=rule.setting,
            )
            bad.add(id(holder))
    holders = [
        *index.kinds(
            "aws_security_group", "google_compute_firewall", "azurerm_network_security_group"
        ),
        *judged.values(),
    ]
    for holder in dict.fromkeys(holders):
        if id(holder) not in bad and holder.kind not in AWS_RULE_KINDS:
            yield passed(holder, "admits no SSH, RDP or all-port traffic from the internet")


@check(
    "TF-IMDSV2",
    requirement="4.3.2",
    severity="high",
    title="EC2 instances and launch templates require IMDSv2",
    remediation='Set `metadata_options { http_tokens = "required" }` (and account-wide '
    "`aws_ec2_instance_metadata_defaults`).",
    references=(IMDS,),
)
def imdsv2_required(inv: Inventory) -> Iterator[Outcome]:
    """IMDSv1 answers any request that reaches 169.254.169.254, the classic SSRF path to
    the instance role's credentials. http_tokens defaults to optional."""
    index = terraform(inv)
    defaults = index.kinds("aws_ec2_instance_metadata_defaults")
    # Account defaults count for the resources of the same configuration (same account).
    required_in = {d.scope for d in defaults if d.get("http_tokens") == "required"}
    for item in defaults:
        yield _tokens_outcome(item, item.setting("http_tokens", default="no-preference"), False)
    for item in index.kinds("aws_instance", "aws_launch_template", "aws_launch_configuration"):
        endpoint = item.setting("metadata_options", "http_endpoint")
        if str(endpoint.value).lower() == "disabled":
            yield passed(item, "turns the instance metadata endpoint off", setting=endpoint)
            continue
        setting = item.setting("metadata_options", "http_tokens", default="optional")
        yield _tokens_outcome(item, setting, item.scope in required_in)
    for group in index.kinds("aws_eks_node_group"):
        if not group.blocks("launch_template"):
            yield failed(
                group,
                "uses EKS's default launch template, which allows IMDSv1 with "
                "a hop limit of 2 (pods reach the node role)",
                fix="give the node group a launch template with http_tokens = "
                '"required" and http_put_response_hop_limit = 1',
            )


def _tokens_outcome(item: TfResource, setting: Any, account_required: bool) -> Outcome:
    value = setting.value
    if value == "required":
        return passed(item, "requires IMDSv2 session tokens", setting=setting)
    reason = unknown_reason(value)
    if reason:
        return unknown(item, f"http_tokens is unknown: {reason}", setting=setting)
    if not setting.present and account_required:
        return passed(item, "inherits the account default http_tokens = required", setting=setting)
    return failed(item, f"allows IMDSv1 (http_tokens = {value})", setting=setting)


@check(
    "TF-IMDS-HOP-LIMIT",
    requirement="4.3.2",
    severity="medium",
    title="Container hosts keep the IMDS hop limit at 1",
    remediation="Set `metadata_options { http_put_response_hop_limit = 1 }` on launch "
    "templates of EKS node groups, and use IRSA or EKS Pod Identity for pods.",
    references=(IMDS,),
)
def imds_hop_limit(inv: Inventory) -> Iterator[Outcome]:
    """With a hop limit above 1, containers on the node can fetch the node role's
    credentials from the metadata service."""
    index = terraform(inv)
    for group in index.kinds("aws_eks_node_group"):
        for block in group.blocks("launch_template"):
            template = index.resolve(
                block.get("id") or block.get("name"), group, "aws_launch_template"
            )
            if template is None:
                continue
            setting = template.setting("metadata_options", "http_put_response_hop_limit", default=1)
            value = setting.value
            if isinstance(value, int) and value > 1:
                yield failed(
                    template,
                    f"lets containers of {group.address} reach the metadata "
                    f"service (hop limit {value})",
                    setting=setting,
                )
            elif isinstance(value, int):
                yield passed(template, "keeps the metadata hop limit at 1", setting=setting)
            else:
                yield unknown(
                    template, f"hop limit is unknown: {unknown_reason(value)}", setting=setting
                )


@check(
    "TF-GKE-METADATA",
    requirement="4.3.2",
    severity="high",
    title="GKE nodes hide the Compute Engine metadata server (GKE_METADATA)",
    remediation="Enable Workload Identity (`workload_identity_config`) and set "
    '`workload_metadata_config { mode = "GKE_METADATA" }` on node pools.',
    references=("https://cloud.google.com/kubernetes-engine/docs/how-to/workload-identity",),
)
def gke_metadata(inv: Inventory) -> Iterator[Outcome]:
    """Without the GKE metadata server, pods read the node's service-account token."""
    index = terraform(inv)
    for cluster in index.kinds("google_container_cluster"):
        if cluster.get("enable_autopilot") is True:
            yield passed(
                cluster,
                "is an Autopilot cluster (GKE metadata server always on)",
                setting=cluster.setting("enable_autopilot"),
            )
            continue
        if has_default_node_pool(cluster):
            yield _metadata_outcome(cluster, cluster, ("node_config",))
    for pool in index.kinds("google_container_node_pool"):
        owner = index.resolve(pool.get("cluster"), pool, "google_container_cluster")
        yield _metadata_outcome(pool, owner, ("node_config",), attached=True)


# The google provider before 4.0 spelled GKE_METADATA as node_metadata = GKE_METADATA_SERVER.
LEGACY_METADATA = ("workload_metadata_config", "node_metadata")


def _metadata_outcome(
    item: TfResource,
    cluster: TfResource | None,
    prefix: tuple[str, ...],
    attached: bool = False,
) -> Outcome:
    setting = item.setting(*prefix, "workload_metadata_config", "mode")
    mode = setting.value
    legacy = item.setting(*prefix, *LEGACY_METADATA)
    if mode == "GKE_METADATA" or (not setting.present and legacy.value == "GKE_METADATA_SERVER"):
        return passed(item, "uses the GKE metadata server", setting=setting)
    if not setting.present and legacy.present:
        setting, mode = legacy, legacy.value
    if setting.present and is_known(mode):
        return failed(item, f"exposes the node's metadata to pods (mode {mode})", setting=setting)
    if setting.present:
        return unknown(item, f"metadata mode is unknown: {unknown_reason(mode)}", setting=setting)
    if cluster and cluster.get("workload_identity_config", "workload_pool") is not None:
        return passed(
            item,
            "inherits GKE_METADATA from the cluster's Workload Identity",
            setting=cluster.setting("workload_identity_config", "workload_pool"),
        )
    if attached and cluster is None:
        # A cluster defined elsewhere (data source, other root module, variable) may enable
        # Workload Identity, which new node pools inherit: not visible here.
        return unknown(
            item,
            "sets no metadata mode and its cluster is not among the inputs, so whether it "
            "inherits GKE_METADATA from the cluster's Workload Identity is not known",
            setting=item.setting("cluster"),
        )
    return failed(
        item,
        "exposes the node's metadata and service-account token to pods "
        "(no Workload Identity, no GKE_METADATA mode)",
        setting=setting,
    )


@check(
    "TF-GCP-OS-LOGIN",
    requirement="4.3.2",
    severity="medium",
    title="Compute Engine instances use OS Login for SSH",
    remediation='Set metadata `enable-oslogin = "TRUE"` on the project '
    "(`google_compute_project_metadata`) or the instance.",
    references=("https://cloud.google.com/compute/docs/oslogin",),
)
def gcp_os_login(inv: Inventory) -> Iterator[Outcome]:
    """OS Login ties SSH to IAM identities (with 2FA) instead of keys in metadata."""
    index = terraform(inv)
    project_on = any(
        _os_login(p.get("metadata")) is True
        for p in index.kinds(
            "google_compute_project_metadata", "google_compute_project_metadata_item"
        )
    )
    for item in index.kinds("google_compute_project_metadata_item"):
        if item.get("key") == "enable-oslogin":
            project_on = project_on or str(item.get("value")).upper() == "TRUE"
    for instance in index.kinds("google_compute_instance", "google_compute_instance_template"):
        value = _os_login(instance.get("metadata"))
        setting = instance.setting("metadata")
        if value is False:
            yield failed(instance, "disables OS Login in its metadata", setting=setting)
        elif value is True:
            yield passed(instance, "enables OS Login", setting=setting)
        elif project_on:
            yield passed(instance, "inherits OS Login from the project metadata")
        else:
            yield failed(
                instance,
                "does not enable OS Login (neither instance nor project "
                "metadata sets enable-oslogin = TRUE)",
                setting=setting,
            )


def _os_login(metadata: Any) -> bool | None:
    if not isinstance(metadata, dict) or "enable-oslogin" not in metadata:
        return None
    return str(metadata["enable-oslogin"]).upper() == "TRUE"


@check(
    "TF-K8S-API-PUBLIC",
    requirement="4.3.2",
    severity="high",
    title="Managed Kubernetes API endpoints are not open to the whole internet",
    remediation="Make the endpoint private, or restrict it to known CIDRs "
    "(EKS `public_access_cidrs`, GKE `master_authorized_networks_config`, AKS "
    "`api_server_access_profile.authorized_ip_ranges`).",
    references=("https://docs.aws.amazon.com/eks/latest/userguide/cluster-endpoint.html",),
)
def kubernetes_api_exposure(inv: Inventory) -> Iterator[Outcome]:
    """A world-reachable API server leaves only authentication between the internet and
    the cluster's control plane."""
    index = terraform(inv)
    for cluster in index.kinds("aws_eks_cluster"):
        public = cluster.setting("vpc_config", "endpoint_public_access", default=True)
        allowed = cluster.setting("vpc_config", "public_access_cidrs", default=["0.0.0.0/0"])
        if unknown_reason(public.value):
            yield unknown(
                cluster,
                f"endpoint_public_access is unknown: {unknown_reason(public.value)}",
                setting=public,
            )
            continue
        # An empty list is no list: AWS then applies its default, 0.0.0.0/0.
        cidrs = as_list(allowed.value) or ["0.0.0.0/0"]
        yield _api_outcome(
            cluster,
            public.value is not False,
            cidrs,
            allowed if public.value is not False else public,
        )
    for cluster in index.kinds("google_container_cluster"):
        private = cluster.get("private_cluster_config", "enable_private_endpoint") is True
        networks = [
            b.get("cidr_block")
            for b in cluster.blocks("master_authorized_networks_config", "cidr_blocks")
        ]
        configured = bool(cluster.blocks("master_authorized_networks_config"))
        cidrs = networks if configured else ["0.0.0.0/0"]
        yield _api_outcome(
            cluster, not private, cidrs, cluster.setting("master_authorized_networks_config")
        )
    for cluster in index.kinds("azurerm_kubernetes_cluster"):
        private_setting = cluster.setting("private_cluster_enabled")
        if unknown_reason(private_setting.value):
            yield unknown(
                cluster,
                f"private_cluster_enabled is unknown: {unknown_reason(private_setting.value)}",
                setting=private_setting,
            )
            continue
        private = private_setting.value is True
        ranges = cluster.get("api_server_access_profile", "authorized_ip_ranges") or cluster.get(
            "api_server_authorized_ip_ranges"
        )
        cidrs = as_list(ranges) or ["0.0.0.0/0"]
        yield _api_outcome(
            cluster, not private, cidrs, cluster.setting("api_server_access_profile")
        )


def _api_outcome(cluster: TfResource, public: bool, cidrs: list[Any], setting: Any) -> Outcome:
    if not public:
        return passed(cluster, "has a private API endpoint", setting=setting)
    if any(isinstance(c, str) and c in WORLD for c in cidrs):
        return failed(
            cluster, "exposes its Kubernetes API endpoint to the whole internet", setting=setting
        )
    if not all(is_known(c) for c in cidrs):
        return unknown(
            cluster,
            "restricts its public API endpoint to CIDRs not known before apply",
            setting=setting,
        )
    if not cidrs:
        return passed(cluster, "admits no public network to its API endpoint", setting=setting)
    return passed(
        cluster,
        f"restricts its public API endpoint to {', '.join(map(str, cidrs))}",
        setting=setting,
    )


# ---------------------------------------------------------------------------- 4.3.3


@check(
    "TF-FLOW-LOGS",
    requirement="4.3.3",
    severity="medium",
    title="Networks record flow logs of all traffic",
    remediation='AWS: `aws_flow_log` with `traffic_type = "ALL"` for each VPC; GCP: '
    "`log_config` on each subnetwork; Azure: VNet flow logs "
    "(`azurerm_network_watcher_flow_log` with `target_resource_id`).",
    references=(
        "https://docs.aws.amazon.com/vpc/latest/userguide/flow-logs.html",
        "https://learn.microsoft.com/azure/network-watcher/nsg-flow-logs-migrate",
    ),
)
def flow_logs(inv: Inventory) -> Iterator[Outcome]:
    """Egress to unapproved destinations can only be noticed when traffic is logged."""
    index = terraform(inv)
    for vpc in index.kinds("aws_vpc"):
        logs = list(index.referring(vpc, ["aws_flow_log"], "vpc_id"))
        full = [f for f in logs if f.get("traffic_type") == "ALL"]
        unresolved = [f for f in logs if unknown_reason(f.get("traffic_type"))]
        if unresolved and not full:
            yield unknown(
                vpc,
                f"has a flow log whose traffic_type is unknown: "
                f"{unknown_reason(unresolved[0].get('traffic_type'))}",
                setting=unresolved[0].setting("traffic_type"),
            )
        elif full:
            yield passed(
                vpc,
                f"logs all traffic ({full[0].address})",
                setting=full[0].setting("traffic_type"),
            )
        elif logs:
            yield failed(
                vpc,
                f"logs only {logs[0].get('traffic_type')} traffic",
                setting=logs[0].setting("traffic_type"),
            )
        else:
            yield failed(vpc, "has no flow log")
    for subnet in index.kinds("google_compute_subnetwork"):
        if subnet.blocks("log_config"):
            yield passed(subnet, "records VPC flow logs", setting=subnet.setting("log_config"))
        elif subnet.get("purpose") in (None, "PRIVATE"):
            yield failed(subnet, "records no VPC flow logs (no log_config)")
    yield from _azure_flow_logs(index)


def _azure_flow_logs(index: TerraformIndex) -> Iterator[Outcome]:
    logs = index.kinds("azurerm_network_watcher_flow_log")
    for network in index.kinds("azurerm_virtual_network"):
        own = next(
            (
                f
                for f in logs
                if index.resolve(f.get("target_resource_id"), f, "azurerm_virtual_network")
                is network
            ),
            None,
        )
        if own and own.get("enabled") is not False:
            yield passed(network, f"has a VNet flow log ({own.address})")
        else:
            yield failed(network, "has no VNet flow log")
    for log in logs:
        if log.get("network_security_group_id") is not None and not log.get("target_resource_id"):
            yield failed(
                log,
                "is an NSG flow log: Azure is retiring NSG flow logs; use VNet flow logs",
                setting=log.setting("network_security_group_id"),
            )


@check(
    "TF-FIREWALL-LOGGING",
    requirement="4.3.3",
    severity="low",
    title="GCP firewall rules log their matches",
    remediation='Add `log_config { metadata = "INCLUDE_ALL_METADATA" }` to the rule.',
    references=("https://cloud.google.com/firewall/docs/firewall-rules-logging",),
)
def firewall_logging(inv: Inventory) -> Iterator[Outcome]:
    """Firewall rule logging records what each rule allowed or denied."""
    for firewall in terraform(inv).kinds("google_compute_firewall"):
        if firewall.blocks("log_config"):
            yield passed(firewall, "logs its matches", setting=firewall.setting("log_config"))
        else:
            yield failed(firewall, "does not log its matches (no log_config)")


# ---------------------------------------------------------------------------- 4.3.5


@check(
    "TF-SAGEMAKER-INTERNET",
    requirement="4.3.5",
    severity="high",
    title="SageMaker notebooks and domains have no direct internet access",
    remediation='Set `direct_internet_access = "Disabled"` on notebook instances and '
    '`app_network_access_type = "VpcOnly"` on domains, with a subnet_id.',
    references=(
        "https://docs.aws.amazon.com/sagemaker/latest/dg/appendix-notebook-and-"
        "internet-access.html",
    ),
)
def sagemaker_internet(inv: Inventory) -> Iterator[Outcome]:
    """A notebook's direct_internet_access defaults to Enabled, a domain's
    app_network_access_type to PublicInternetOnly: both give AI workloads a path to the
    internet outside the VPC's controls."""
    index = terraform(inv)
    for notebook in index.kinds("aws_sagemaker_notebook_instance"):
        setting = notebook.setting("direct_internet_access", default="Enabled")
        yield expect_known(
            notebook,
            setting,
            "Disabled",
            "has no direct internet access",
            "has direct internet access",
        )
    for domain in index.kinds("aws_sagemaker_domain"):
        setting = domain.setting("app_network_access_type", default="PublicInternetOnly")
        yield expect_known(
            domain,
            setting,
            "VpcOnly",
            "keeps its apps' traffic in the VPC",
            "sends its apps' traffic over the public internet",
        )


@check(
    "TF-NOTEBOOK-PUBLIC-IP",
    requirement="4.3.5",
    severity="high",
    title="Vertex AI Workbench and Azure ML are not reachable from the public internet",
    remediation="GCP: `gce_setup { disable_public_ip = true }` (Workbench) or "
    "`no_public_ip = true` (legacy notebooks); Azure ML: "
    "`public_network_access_enabled = false` with private endpoints.",
    references=(
        "https://cloud.google.com/vertex-ai/docs/workbench/instances/create-private-instance",
    ),
)
def notebook_public_ip(inv: Inventory) -> Iterator[Outcome]:
    """Notebook VMs get a public IP unless told otherwise; Azure ML workspaces accept
    public network access by default."""
    index = terraform(inv)
    for item in index.kinds("google_workbench_instance"):
        setting = item.setting("gce_setup", "disable_public_ip", default=False)
        yield expect_known(
            item, setting, True, "has no public IP address", "has a public IP address"
        )
    for item in index.kinds("google_notebooks_instance"):
        setting = item.setting("no_public_ip", default=False)
        yield expect_known(
            item, setting, True, "has no public IP address", "has a public IP address"
        )
    for item in index.kinds(
        "azurerm_machine_learning_workspace", "azurerm_machine_learning_compute_instance"
    ):
        key = (
            "public_network_access_enabled"
            if "workspace" in item.kind
            else "node_public_ip_enabled"
        )
        yield expect_known(
            item,
            item.setting(key, default=True),
            False,
            "is not reachable from the public internet",
            "accepts traffic from the public internet",
        )


# Literal values that name one resource wherever they appear (names such as "default" do not).
GLOBAL_ID = re.compile(r"^(arn:|sg-[0-9a-f]{8,}$|[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-)")
SHARED_KINDS = {
    "aws_iam_role": (
        "role_arn",
        "role",
        "execution_role_arn",
        "task_role_arn",
        "service_role_arn",
        "iam_role_arn",
        "node_role_arn",
    ),
    "aws_security_group": (
        "vpc_security_group_ids",
        "security_groups",
        "security_group_ids",
        "vpc_config.security_group_ids",
    ),
    "aws_kms_key": (
        "kms_key_id",
        "kms_key_arn",
        "kms_master_key_id",
        "key_arn",
        "encryption_config.provider.key_arn",
    ),
}


@check(
    "TF-ENV-SHARED",
    requirement="4.3.5",
    severity="high",
    title="Environments share no IAM role, security group or KMS key, and are not peered",
    remediation="Give each environment (dev/test/prod) its own roles, groups and keys, and "
    "remove peering or transit routes between environments.",
    references=(
        "https://docs.aws.amazon.com/whitepapers/latest/organizing-your-aws-"
        "environment/benefits-of-using-multiple-aws-accounts.html",
    ),
)
def environments_share_nothing(inv: Inventory) -> Iterator[Outcome]:
    """A role, group or key used in two environments, or a peering between them, is a path
    from dev into prod. Environments come from tags/labels, directory names and the
    config's `environments`."""
    index = terraform(inv)
    users: dict[Any, dict[str, TfResource]] = defaultdict(dict)
    targets: dict[Any, TfResource | str] = {}
    for item in index.all:
        if item.environment is None:
            continue
        for kind, keys in SHARED_KINDS.items():
            for key in keys:
                for value in as_list(item.get(*key.split("."))):
                    target = index.resolve(value, item, kind)
                    # the same literal ARN or id in two workspaces names one shared resource
                    identity = (
                        id(target)
                        if target
                        else (kind, value)
                        if isinstance(value, str) and GLOBAL_ID.match(value)
                        else None
                    )
                    if identity is not None:
                        targets[identity] = target or value
                        users[identity].setdefault(item.environment, item)
    for identity, shared in targets.items():
        environments = users[identity]
        subject = shared if isinstance(shared, TfResource) else next(iter(environments.values()))
        what = "" if isinstance(shared, TfResource) else f"uses {shared}, which "
        if len(environments) > 1:
            names = ", ".join(
                f"{env} ({user.address})" for env, user in sorted(environments.items())
            )
            yield failed(
                subject,
                f"{what}is shared by environments {names}",
                evidence={"environments": sorted(environments)},
            )
        elif isinstance(shared, TfResource):
            [env] = environments
            yield passed(subject, f"is used only in the {env} environment")
    yield from _peerings(index)


def _peerings(index: TerraformIndex) -> Iterator[Outcome]:
    for peering in index.kinds(
        "aws_vpc_peering_connection",
        "google_compute_network_peering",
        "azurerm_virtual_network_peering",
    ):
        sides = [
            index.resolve(peering.get(key), peering)
            for key in (
                "vpc_id",
                "peer_vpc_id",
                "network",
                "peer_network",
                "virtual_network_name",
                "remote_virtual_network_id",
            )
        ]
        environments = {s.environment for s in sides if s is not None and s.environment}
        if len(environments) > 1:
            yield failed(peering, f"connects environments {', '.join(sorted(environments))}")
        elif environments:
            yield passed(peering, f"stays within the {environments.pop()} environment")
    yield from _transit_gateways(index)


def _transit_gateways(index: TerraformIndex) -> Iterator[Outcome]:
    """VPCs of different environments attached to one transit gateway can reach each other
    unless route tables separate them (not judged here: the shared gateway is the
    finding)."""
    attached: dict[int, dict[str, TfResource]] = defaultdict(dict)
    for attachment in index.kinds("aws_ec2_transit_gateway_vpc_attachment"):
        gateway = index.resolve(
            attachment.get("transit_gateway_id"), attachment, "aws_ec2_transit_gateway"
        )
        vpc = index.resolve(attachment.get("vpc_id"), attachment, "aws_vpc")
        environment = (vpc.environment if vpc else None) or attachment.environment
        if gateway is not None and environment:
            attached[id(gateway)].setdefault(environment, attachment)
    for gateway in index.kinds("aws_ec2_transit_gateway"):
        environments = attached.get(id(gateway), {})
        if len(environments) > 1:
            yield failed(gateway, f"connects environments {', '.join(sorted(environments))}")
        elif environments:
            yield passed(gateway, f"serves only the {next(iter(environments))} environment")


AI_KINDS = {
    "aws_sagemaker_notebook_instance": ("subnet_id",),
    "aws_sagemaker_domain": ("subnet_ids",),
    "aws_eks_node_group": ("subnet_ids",),
    "aws_instance": ("subnet_id",),
}
GPU_INSTANCE_PREFIXES = (
    "p2.",
    "p3",
    "p4",
    "p5",
    "p6",
    "g3",
    "g4",
    "g5",
    "g6",
    "inf",
    "trn",
    "dl1",
    "dl2",
)


@check(
    "TF-AI-SUBNET-INTERNET",
    requirement="4.3.5",
    severity="high",
    title="Subnets of AI workloads have no route to an internet gateway",
    remediation="Place AI workloads in private subnets; reach AWS services through VPC "
    "endpoints and the internet (if at all) through an egress proxy or NAT "
    "with filtering.",
    references=("https://docs.aws.amazon.com/vpc/latest/userguide/VPC_Route_Tables.html",),
)
def ai_subnets_private(inv: Inventory) -> Iterator[Outcome]:
    """A subnet whose route table sends 0.0.0.0/0 to an internet gateway is a public
    subnet: workloads there have direct internet access."""
    index = terraform(inv)
    public_tables = _public_route_tables(index)
    for item in index.kinds(*AI_KINDS):
        if not _is_ai(item):
            continue
        for key in AI_KINDS[item.kind]:
            for value in as_list(item.get(key)):
                subnet = index.resolve(value, item, "aws_subnet")
                if subnet is None:
                    continue
                route = _subnet_route(index, subnet, public_tables)
                if route:
                    yield failed(
                        item,
                        f"runs in {subnet.address}, routed to the internet through {route}",
                        setting=item.setting(key),
                    )
                else:
                    yield passed(
                        item,
                        f"runs in {subnet.address}, which has no route to an internet gateway",
                        setting=item.setting(key),
                    )


def _is_ai(item: TfResource) -> bool:
    if item.kind.startswith("aws_sagemaker"):
        return True
    types = [
        str(t) for t in as_list(item.get("instance_types")) + as_list(item.get("instance_type"))
    ]
    return any(t.startswith(GPU_INSTANCE_PREFIXES) for t in types)


def _public_route_tables(index: TerraformIndex) -> dict[int, str]:
    public: dict[int, str] = {}
    for table in index.kinds("aws_route_table"):
        for route in table.blocks("route"):
            if route.get("cidr_block") == "0.0.0.0/0" and index.resolve(
                route.get("gateway_id"), table, "aws_internet_gateway"
            ):
                public[id(table)] = f"{table.address} (0.0.0.0/0 -> internet gateway)"
    for aws_route in index.kinds("aws_route"):
        routed = index.resolve(aws_route.get("route_table_id"), aws_route, "aws_route_table")
        if (
            routed
            and aws_route.get("destination_cidr_block") == "0.0.0.0/0"
            and index.resolve(aws_route.get("gateway_id"), aws_route, "aws_internet_gateway")
        ):
            public[id(routed)] = f"{aws_route.address} (0.0.0.0/0 -> internet gateway)"
    return public


def _subnet_route(
    index: TerraformIndex, subnet: TfResource, public_tables: dict[int, str]
) -> str | None:
    for association in index.referring(subnet, ["aws_route_table_association"], "subnet_id"):
        table = index.resolve(association.get("route_table_id"), association, "aws_route_table")
        if table is not None and id(table) in public_tables:
            return public_tables[id(table)]
    return None
