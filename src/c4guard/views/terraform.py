"""What the Terraform checks share: resources as subjects, settings with their lines
(nested blocks followed), references between resources, environments, and the
provider defaults a missing argument takes."""

from __future__ import annotations

import json
import re
from collections import defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import PurePath
from typing import TYPE_CHECKING, Any

from c4guard.config import CLASS_NAMES
from c4guard.model import Location, Resource, ResourceRef
from c4guard.sources.terraform import ORIGIN
from c4guard.sources.terraform.environments import environment_name, workspace_of
from c4guard.sources.terraform.modules import FROM_PLAN
from c4guard.sources.terraform.values import Reference, Unknown, is_known, references_in
from c4guard.sources.yamlload import Mapping
from c4guard.views.cloudformation import Translated, source_path, translated
from c4guard.workloads.views import Setting

if TYPE_CHECKING:
    from c4guard.inventory import Inventory

WORLD = frozenset({"0.0.0.0/0", "::/0"})
ENVIRONMENT_KEYS = ("environment", "env", "stage", "tier")
CLASS_TAGS = ("c4guard.dev/class", "c4guard-class")
_ID_ATTRIBUTES = ("id", "arn", "name", "bucket", "self_link")


def unknown_reason(value: Any) -> str | None:
    """Why `value` is not known, or None when it is."""
    if isinstance(value, Unknown):
        return value.reason
    if isinstance(value, Reference):
        return f"it is {value}, known only after apply"
    if not is_known(value):
        return "part of it is known only when Terraform runs"
    return None


@dataclass(eq=False, slots=True)
class TfResource:
    """A Terraform resource as a check subject."""

    resource: Resource
    environment: str | None = None
    classes: frozenset[str] = frozenset()
    equivalent: Translated | None = None  # a CloudFormation resource, in Terraform's terms

    @property
    def ref(self) -> ResourceRef:
        return self.resource.ref

    @property
    def subject(self) -> str:
        return self.resource.name

    address = subject  # a resource's address is its name

    @property
    def path(self) -> str:
        return ""

    @property
    def kind(self) -> str:
        """The Terraform resource type (a CloudFormation resource's equivalent type)."""
        return self.equivalent.kind if self.equivalent else self.resource.kind

    @property
    def scope(self) -> tuple[str | None, str | None]:
        """Where its references resolve: a Terraform module, or one CloudFormation template."""
        if self.equivalent:
            return ("cloudformation", self.resource.location.path)
        return ("terraform", self.resource.namespace)

    @property
    def notes(self) -> tuple[str, ...]:
        """Shown after every finding's message: where a module's resource was called, or
        what a CloudFormation resource's existence assumes (a condition, a CDK construct)."""
        if self.equivalent:
            return self.equivalent.body.notes
        called = getattr(self.resource.body, "called_from", ())
        return (f"created by {' -> '.join(called)}",) if called else ()

    def notes_for(self, setting: str | None) -> tuple[str, ...]:
        """The notes, and for a CloudFormation setting the parameter defaults its property
        took (`setting` in the template's names: its first part is the property)."""
        if not (self.equivalent and setting):
            return self.notes
        prop = setting.split(".", 1)[0]
        defaults = getattr(self.resource.body, "defaults", {}).get(prop, ())
        return (*self.notes, *self.equivalent.body.property_notes.get(prop, ()), *defaults)

    @property
    def from_plan(self) -> bool:
        """True for resources of a `terraform show -json` plan or state."""
        return self.resource.api_version == FROM_PLAN

    @property
    def body(self) -> Mapping:
        return self.equivalent.body if self.equivalent else self.resource.body

    @property
    def source(self) -> str:
        return "cloudformation" if self.equivalent else "terraform"

    @property
    def tags(self) -> dict[str, Any]:
        """Tags (AWS, with the provider's default tags), labels (GCP) or tags (Azure)."""
        for key in ("tags_all", "tags", "labels", "user_labels", "resource_labels"):
            value = self.body.get(key)
            if isinstance(value, dict):
                return value
        return {}

    def get(self, *keys: str | int) -> Any:
        return dig(self.body, keys)[0]

    def blocks(self, *keys: str) -> list[dict[str, Any]]:
        """The nested blocks at `keys` (each step into the first block of a list)."""
        return as_blocks(dig(self.body, keys)[0])

    def locate(self, *keys: str | int) -> Location:
        return dig(self.body, keys)[1] or self.resource.location

    def setting(self, *keys: str | int, default: Any = None) -> Setting:
        """The value at `keys`, where it is written (or the innermost block that should hold
        it), and the provider's `default` when it is absent."""
        value, location, found = dig(self.body, keys)
        path = self.setting_path(keys)
        if found:
            return Setting(value, location or self.resource.location, path, self.source)
        return Setting(default, location or self.resource.location, path, None)

    def setting_path(self, keys: tuple[str | int, ...]) -> str:
        """How the resource's own language names the setting at `keys`."""
        if self.equivalent:
            return source_path(self.body, keys)
        return ".".join(str(k) for k in keys)


def dig(body: Any, keys: Iterable[str | int]) -> tuple[Any, Location | None, bool]:
    """(value, location, found) of `keys` under `body`; lists of blocks are entered at
    their first block unless an index is given."""
    node = body
    location = _where(body, None)
    for key in keys:
        if isinstance(node, list) and not isinstance(key, int):
            node = next((item for item in node if isinstance(item, dict)), None)
        if isinstance(key, int):
            if not isinstance(node, list) or key >= len(node):
                return None, location, False
            node = node[key]
            location = _where(node, None) or location
            continue
        if not isinstance(node, dict) or key not in node:
            return None, location, False
        location = _where(node, key) or location
        node = node[key]
    return node, location, True


def _where(node: Any, key: Any) -> Location | None:
    if isinstance(node, Mapping) and node.path:
        line = node.line_of(key) if key is not None else node.line
        return Location(node.path, line)
    return None


def as_blocks(value: Any) -> list[dict[str, Any]]:
    if isinstance(value, dict):
        return [value]
    if isinstance(value, list):
        return [item for item in value if isinstance(item, dict)]
    return []


def as_list(value: Any) -> list[Any]:
    if value is None:
        return []
    return list(value) if isinstance(value, list | tuple | set) else [value]


def as_document(value: Any) -> Any:
    """A policy written as JSON text (heredoc, file) or as data (jsonencode)."""
    if isinstance(value, str):
        try:
            return json.loads(value)
        except ValueError:
            return None
    return value


class TerraformIndex:
    """Terraform resources by kind and address, with environments, built once per inventory."""

    def __init__(self, inv: Inventory) -> None:
        self.inventory = inv
        resources = [r for r in inv.resources if r.origin == ORIGIN]
        self.all = [TfResource(r) for r in [*resources, *_inline_node_pools(resources)]]
        self.all += [TfResource(t.resource, equivalent=t) for t in translated(inv.resources)]
        self.by_kind: dict[str, list[TfResource]] = defaultdict(list)
        self.by_address: dict[tuple[Any, str], TfResource] = {}
        for item in self.all:
            self.by_kind[item.kind].append(item)
            if item.equivalent is None:
                self.by_address[(item.scope, item.address)] = item
            else:  # a CloudFormation name is its resource, not what it writes inline
                self.by_address.setdefault((item.scope, item.address), item)
        for item in self.all:  # `aws_x.y` also names the first instance of a counted one
            self.by_address.setdefault((item.scope, _instance_free(item.address)), item)
        for item in self.all:
            item.environment = self._environment(item)
            item.classes = self._classes(item)

    def kinds(self, *kinds: str) -> list[TfResource]:
        return [item for kind in kinds for item in self.by_kind.get(kind, [])]

    def resolve(self, value: Any, near: TfResource, *kinds: str) -> TfResource | None:
        """The resource `value` points at: a reference, or a known id/name/ARN."""
        for ref in references_in(value):
            found = self.by_address.get((near.scope, ref.address)) or self.by_address.get(
                (near.scope, _instance_free(ref.address))
            )
            if found and (not kinds or found.kind in kinds):
                return found
        if isinstance(value, str) and value:
            for candidate in self.kinds(*kinds) if kinds else self.all:
                if candidate.scope == near.scope and any(
                    candidate.get(key) == value for key in _ID_ATTRIBUTES
                ):
                    return candidate
        return None

    def referring(
        self, target: TfResource, kinds: Iterable[str], *keys: str
    ) -> Iterator[TfResource]:
        """Resources of `kinds` whose attribute at `keys` points at `target`."""
        for item in self.kinds(*kinds):
            if self.resolve(item.get(*keys), item, target.kind) is target:
                yield item

    def _classes(self, item: TfResource) -> frozenset[str]:
        """Classes from the config's `classes` selectors and a `c4guard-class` tag/label
        (comma- or underscore-separated: GCP labels allow no commas)."""
        tags = {str(k): v for k, v in item.tags.items()}
        found: set[str] = set()
        for rule in self.inventory.config.classes:
            if _selects(rule, item, tags):
                found.update(rule.classes)
        for key in CLASS_TAGS:
            value = tags.get(key) or _node_labels(item).get(key)
            if isinstance(value, str):
                found.update(
                    c.strip().replace("_", "-") for c in re.split(r"[,\s]+", value) if c.strip()
                )
        return frozenset(found & set(CLASS_NAMES))

    def _environment(self, item: TfResource) -> str | None:
        config = self.inventory.config
        tags = {str(k): v for k, v in item.tags.items()}
        for rule in config.environments:
            if _selects(rule, item, tags):
                return rule.environment
        for key, value in tags.items():
            if key.lower() in ENVIRONMENT_KEYS and is_known(value):
                return environment_name(value) or str(value).lower()
        workspace = environment_name(workspace_of(item.resource.namespace))
        if workspace:
            return workspace
        parts = PurePath(item.resource.location.path).parts
        for part in reversed(parts[:-1]):
            found = environment_name(part)
            if found:
                return found
        stem = re.split(r"[._-]", PurePath(item.resource.location.path).name)[0]
        return environment_name(stem)


def has_default_node_pool(cluster: TfResource) -> bool:
    """Whether a GKE cluster keeps the node pool its own `node_config` describes."""
    return not (
        cluster.get("remove_default_node_pool") is True
        or cluster.get("enable_autopilot") is True
        or cluster.blocks("node_pool")
    )


def _inline_node_pools(resources: list[Resource]) -> list[Resource]:
    """A GKE cluster's inline `node_pool` blocks, judged like `google_container_node_pool`
    resources (named `<cluster>.node_pool[<name>]`, located at their block)."""
    pools = []
    for cluster in resources:
        if cluster.kind != "google_container_cluster":
            continue
        for position, block in enumerate(as_blocks(cluster.body.get("node_pool"))):
            name = block.get("name") if isinstance(block.get("name"), str) else position
            body = Mapping(getattr(block, "path", None), getattr(block, "line", None))
            body.update(block)
            body.key_lines.update(getattr(block, "key_lines", {}))
            body["cluster"] = Reference(cluster.name, "id")
            line = getattr(block, "line", None) or cluster.location.line
            pools.append(
                Resource(
                    ORIGIN,
                    "google_container_node_pool",
                    f"{cluster.name}.node_pool[{name}]",
                    cluster.namespace,
                    body,
                    Location(cluster.location.path, line),
                    cluster.api_version,
                )
            )
    return pools


def _node_labels(item: TfResource) -> dict[str, Any]:
    labels = item.get("node_config", "labels")
    return labels if isinstance(labels, dict) else {}


def _instance_free(address: str) -> str:
    return re.sub(r"\[[^\]]*\]$", "", address)


def terraform(inv: Inventory) -> TerraformIndex:
    """The Terraform index of an inventory (built once, shared by every check)."""
    return inv.derived(TerraformIndex)


# ------------------------------------------------------------------ IAM policy documents


def policy_statements(value: Any, index: TerraformIndex, near: TfResource) -> list[dict[str, Any]]:
    """The statements of a policy given as JSON text, data, or a reference to an
    `aws_iam_policy_document` data source."""
    document = as_document(value)
    if isinstance(document, dict):
        statements = document.get("Statement")
        return [s for s in as_list(statements) if isinstance(s, dict)]
    source = index.resolve(value, near, "data.aws_iam_policy_document")
    if source is None:
        return []
    return [_statement_from_block(block) for block in source.blocks("statement")]


def _statement_from_block(block: dict[str, Any]) -> dict[str, Any]:
    """An `aws_iam_policy_document` statement block in policy JSON's shape."""
    statement: dict[str, Any] = {
        "Effect": block.get("effect", "Allow"),
        "Action": as_list(block.get("actions")),
        "Resource": as_list(block.get("resources")),
    }
    principals = [p for p in as_blocks(block.get("principals"))]
    if principals:
        statement["Principal"] = {
            str(p.get("type")): as_list(p.get("identifiers")) for p in principals
        }
    conditions: dict[str, dict[str, Any]] = {}
    for condition in as_blocks(block.get("condition")):
        test = str(condition.get("test"))
        conditions.setdefault(test, {})[str(condition.get("variable"))] = as_list(
            condition.get("values")
        )
    if conditions:
        statement["Condition"] = conditions
    return statement


def statement_list(statement: dict[str, Any], key: str) -> list[str]:
    return [str(v) for v in as_list(statement.get(key))]


def principal_is_anyone(statement: dict[str, Any]) -> bool:
    principal = statement.get("Principal")
    if principal == "*":
        return True
    if isinstance(principal, dict):
        return any("*" in as_list(v) for v in principal.values())
    return False


# ------------------------------------------------------------------ storage


MODEL_STORAGE = re.compile(r"model|weight|checkpoint|llm|hugging", re.IGNORECASE)
BUCKET_KINDS = ("aws_s3_bucket", "google_storage_bucket", "azurerm_storage_account")


def model_buckets(index: TerraformIndex) -> list[TfResource]:
    """Buckets that hold model weights: by name, tags, or the `ai` class."""
    found = []
    for bucket in index.kinds(*BUCKET_KINDS):
        names = [
            bucket.address,
            bucket.get("bucket"),
            bucket.get("name"),
            *(str(v) for v in bucket.tags.values()),
        ]
        if (
            any(isinstance(n, str) and MODEL_STORAGE.search(n) for n in names)
            or "ai" in bucket.classes
        ):
            found.append(bucket)
    return found


SSE_PATH = ("rule", "apply_server_side_encryption_by_default", "kms_master_key_id")


def bucket_keys(index: TerraformIndex, bucket: TfResource) -> list[tuple[Any, TfResource | None]]:
    """(key value, key resource or None when no scanned resource declares it) for each
    customer-managed key that encrypts a bucket."""
    values: list[Any] = []
    if bucket.kind == "aws_s3_bucket":
        values.append(bucket.get("server_side_encryption_configuration", *SSE_PATH))
        for config in index.referring(
            bucket, ["aws_s3_bucket_server_side_encryption_configuration"], "bucket"
        ):
            values.append(config.get(*SSE_PATH))
    elif bucket.kind == "google_storage_bucket":
        values.append(bucket.get("encryption", "default_kms_key_name"))
    else:
        for config in index.referring(
            bucket, ["azurerm_storage_account_customer_managed_key"], "storage_account_id"
        ):
            values.append(config.get("key_vault_key_id"))
    return [
        (
            v,
            index.resolve(
                v, bucket, "aws_kms_key", "google_kms_crypto_key", "azurerm_key_vault_key"
            ),
        )
        for v in values
        if v is not None
    ]


GKE_NODES = ("google_container_node_pool", "google_container_cluster")


GCP_VMS = ("google_compute_instance", "google_compute_instance_template")


AZURE_VMS = ("azurerm_linux_virtual_machine", "azurerm_windows_virtual_machine")


def _gcp_instance(item: TfResource) -> tuple[Any, Any]:
    setting = item.setting("confidential_instance_config")
    config = item.blocks("confidential_instance_config")
    if config and (
        config[0].get("enable_confidential_compute") is True
        or config[0].get("confidential_instance_type") in ("SEV", "SEV_SNP", "TDX")
    ):
        return True, setting
    return None, setting


def _gke(item: TfResource) -> tuple[Any, Any]:
    for keys in (
        ("confidential_nodes", "enabled"),
        ("node_config", "confidential_nodes", "enabled"),
    ):
        setting = item.setting(*keys)
        if setting.value is True:
            return True, setting
    return None, item.setting("confidential_nodes")


def _aws_instance(item: TfResource) -> tuple[Any, Any]:
    snp = item.setting("cpu_options", "amd_sev_snp")
    if snp.value == "enabled":
        return True, snp
    enclave = item.setting("enclave_options", "enabled")
    if enclave.value is True:
        return True, enclave
    return None, snp


def _azure_vm(item: TfResource) -> tuple[Any, Any]:
    setting = item.setting("os_disk", "security_encryption_type")
    if setting.value in ("VMGuestStateOnly", "DiskWithVMGuestState"):
        missing = [k for k in ("vtpm_enabled", "secure_boot_enabled") if item.get(k) is not True]
        if missing:
            return f"is a confidential VM without {' and '.join(missing)}", setting
        return True, setting
    return None, setting


TEE_READERS = {
    "google_compute_instance": _gcp_instance,
    "google_compute_instance_template": _gcp_instance,
    "google_container_cluster": _gke,
    "google_container_node_pool": _gke,
    "aws_instance": _aws_instance,
    "aws_launch_template": _aws_instance,
    "azurerm_linux_virtual_machine": _azure_vm,
    "azurerm_windows_virtual_machine": _azure_vm,
}


def _selects(rule: Any, item: TfResource, tags: dict[str, Any]) -> bool:
    """Whether a config selector (`classes` or `environments` rule) matches the resource."""
    return bool(
        rule.matches(
            kind=item.kind,
            namespace=item.resource.namespace,
            name=item.address,
            labels=tags,
            path=item.resource.location.path,
        )
    )
