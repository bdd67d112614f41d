"""C4.4 Secrets and cryptographic keys: Terraform evidence for AWS, GCP and Azure."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from c4guard.checks.registry import Outcome, check, failed, passed, unknown, verdict
from c4guard.secrets.placeholders import is_placeholder
from c4guard.sources.terraform.values import Reference, Unknown
from c4guard.views.terraform import (
    TfResource,
    as_list,
    policy_statements,
    principal_is_anyone,
    statement_list,
    terraform,
    unknown_reason,
)

if TYPE_CHECKING:
    from c4guard.inventory import Inventory

SECRET_NAME = re.compile(
    r"pass(word|wd)?|secret|token|api[_-]?key|private[_-]?key|credential", re.IGNORECASE
)
AZURE_HSM_KEY_TYPES = frozenset({"RSA-HSM", "EC-HSM", "oct-HSM"})
KMS = "https://docs.aws.amazon.com/kms/latest/developerguide/overview.html"


# ---------------------------------------------------------------------------- 4.4.1


@check(
    "TF-SECRETS-MANAGER",
    requirement="4.4.1",
    severity="high",
    title="Secrets live in a secrets manager, and SSM parameters holding secrets are SecureString",
    remediation="Store secrets in AWS Secrets Manager, GCP Secret Manager or Azure Key "
    'Vault; make secret-like SSM parameters `type = "SecureString"`.',
    references=(
        "https://docs.aws.amazon.com/systems-manager/latest/userguide/"
        "sysman-paramstore-securestring.html",
    ),
)
def secrets_manager(inv: Inventory) -> Iterator[Outcome]:
    """Managers encrypt at rest and audit reads; a plain String parameter does neither."""
    index = terraform(inv)
    for item in index.kinds(
        "aws_secretsmanager_secret", "google_secret_manager_secret", "azurerm_key_vault_secret"
    ):
        yield passed(item, "is held in a dedicated secrets manager")
    for item in index.kinds("aws_ssm_parameter"):
        setting = item.setting("type")
        name = str(item.get("name") or item.address)
        if setting.value == "SecureString":
            yield passed(item, "is a KMS-encrypted SecureString", setting=setting)
        elif unknown_reason(setting.value):
            yield unknown(
                item, f"type is unknown: {unknown_reason(setting.value)}", setting=setting
            )
        elif SECRET_NAME.search(name):
            yield failed(
                item,
                f"holds a secret-like value ({name}) as a plain {setting.value}",
                setting=setting,
            )


@check(
    "TF-K8S-SECRETS-ENCRYPTION",
    requirement="4.4.1",
    severity="medium",
    title="Managed Kubernetes encrypts Secrets with a customer-managed key",
    remediation='GKE: `database_encryption { state = "ENCRYPTED", key_name = ... }`; '
    'EKS: `encryption_config { resources = ["secrets"], provider { key_arn } }`.',
    references=(
        "https://cloud.google.com/kubernetes-engine/docs/how-to/encrypting-secrets",
        "https://docs.aws.amazon.com/eks/latest/userguide/envelope-encryption.html",
    ),
)
def kubernetes_secrets_encryption(inv: Inventory) -> Iterator[Outcome]:
    """GKE stores Secrets encrypted only at the storage layer unless application-layer
    encryption is on. EKS 1.28+ envelope-encrypts Secrets with an AWS-owned key even
    without encryption_config: its absence means no customer-managed key, not plaintext."""
    index = terraform(inv)
    for cluster in index.kinds("google_container_cluster"):
        setting = cluster.setting("database_encryption", "state", default="DECRYPTED")
        if setting.value == "ENCRYPTED":
            yield passed(cluster, "encrypts Secrets with a Cloud KMS key", setting=setting)
        elif unknown_reason(setting.value):
            yield unknown(
                cluster,
                f"database_encryption is unknown: {unknown_reason(setting.value)}",
                setting=setting,
            )
        else:
            yield failed(
                cluster,
                "does not encrypt Secrets at the application layer "
                f"(database_encryption.state = {setting.value})",
                setting=setting,
            )
    for cluster in index.kinds("aws_eks_cluster"):
        yield _eks_encryption(cluster)


def _eks_encryption(cluster: TfResource) -> Outcome:
    setting = cluster.setting("encryption_config", "resources")
    if "secrets" in [str(r) for r in as_list(setting.value)]:
        return passed(
            cluster,
            "envelope-encrypts Secrets with a customer-managed KMS key",
            setting=cluster.setting("encryption_config", "provider", "key_arn"),
        )
    if unknown_reason(setting.value):
        return unknown(
            cluster,
            f"encryption_config.resources is unknown: {unknown_reason(setting.value)}",
            setting=setting,
        )
    version = cluster.get("version")
    if isinstance(version, str) and _version(version) < (1, 28):
        return failed(
            cluster,
            f"runs Kubernetes {version} without encryption_config: Secrets "
            "are not envelope-encrypted",
            setting=cluster.setting("version"),
        )
    return passed(
        cluster,
        "has no encryption_config: EKS 1.28+ envelope-encrypts Secrets with "
        "an AWS-owned key (no customer-managed key)",
        setting=cluster.setting("encryption_config"),
    )


def _version(text: str) -> tuple[int, ...]:
    try:
        return tuple(int(p) for p in text.split(".")[:2])
    except ValueError:
        return (99,)


# ---------------------------------------------------------------------------- 4.4.2


@check(
    "TF-KEYS-IN-KMS",
    requirement="4.4.2",
    severity="high",
    title="Keys are generated and kept in a KMS or HSM",
    remediation="Create keys with `aws_kms_key` (optionally in a CloudHSM custom key store), "
    "`google_kms_crypto_key` or `azurerm_key_vault_key` of an HSM type; do not "
    "import key material or generate keys with `tls_private_key`.",
    references=(KMS,),
)
def keys_in_kms(inv: Inventory) -> Iterator[Outcome]:
    """`tls_private_key` writes the private key into Terraform state; imported key material
    (`aws_kms_external_key`) was generated outside the HSM."""
    index = terraform(inv)
    for key in index.kinds("aws_kms_key"):
        store = key.setting("custom_key_store_id")
        if store.present:
            yield passed(key, "is generated in a CloudHSM custom key store", setting=store)
        else:
            yield passed(key, "is generated and kept in AWS KMS (FIPS 140-3 validated HSMs)")
    for key in index.kinds("google_kms_crypto_key"):
        yield passed(key, "is generated and kept in Cloud KMS")
    for key in index.kinds("aws_kms_external_key"):
        yield failed(key, "uses imported key material generated outside the HSM")
    for key in index.kinds("tls_private_key"):
        yield failed(
            key,
            "generates a private key that Terraform stores in its state",
            fix="generate the key in a KMS/HSM, or outside Terraform",
        )
    for key in index.kinds("azurerm_key_vault_key"):
        setting = key.setting("key_type")
        if setting.value in AZURE_HSM_KEY_TYPES:
            yield passed(key, f"is an HSM-protected key ({setting.value})", setting=setting)
        elif unknown_reason(setting.value):
            yield unknown(
                key, f"key_type is unknown: {unknown_reason(setting.value)}", setting=setting
            )
        else:
            yield failed(
                key,
                f"is a software-protected key ({setting.value}); use {setting.value}-HSM",
                setting=setting,
            )


# ---------------------------------------------------------------------------- 4.4.3


@check(
    "TF-KEY-ROTATION",
    requirement="4.4.3",
    severity="medium",
    title="KMS keys rotate automatically",
    remediation="AWS: `enable_key_rotation = true`; GCP: `rotation_period`; Azure: "
    "`rotation_policy { automatic { ... } }`.",
    references=("https://docs.aws.amazon.com/kms/latest/developerguide/rotate-keys.html",),
)
def key_rotation(inv: Inventory) -> Iterator[Outcome]:
    """Keys that never rotate keep every ciphertext exposed to one compromised version."""
    index = terraform(inv)
    for key in index.kinds("aws_kms_key"):
        if (
            str(key.get("customer_master_key_spec") or key.get("key_spec") or "SYMMETRIC_DEFAULT")
            != "SYMMETRIC_DEFAULT"
        ):
            continue  # AWS rotates only symmetric keys
        setting = key.setting("enable_key_rotation", default=False)
        yield _rotation(key, setting, setting.value is True)
    for key in index.kinds("google_kms_crypto_key"):
        if key.get("purpose") not in (None, "ENCRYPT_DECRYPT"):
            continue
        setting = key.setting("rotation_period")
        yield _rotation(key, setting, setting.present and setting.value is not None)
    for key in index.kinds("azurerm_key_vault_key"):
        setting = key.setting("rotation_policy", "automatic")
        yield _rotation(key, setting, bool(setting.value))


def _rotation(key: TfResource, setting: Any, rotates: bool) -> Outcome:
    reason = unknown_reason(setting.value)
    if reason and setting.present:
        return unknown(key, f"rotation setting is unknown: {reason}", setting=setting)
    return verdict(
        rotates, key, "rotates automatically", "does not rotate automatically", setting=setting
    )


@check(
    "TF-SECRET-ROTATION",
    requirement="4.4.3",
    severity="medium",
    title="Secrets rotate automatically",
    remediation="AWS: add `aws_secretsmanager_secret_rotation` with a rotation Lambda; GCP: "
    "`rotation` with `topics` and a subscriber that rotates the secret.",
    references=(
        "https://docs.aws.amazon.com/secretsmanager/latest/userguide/rotating-secrets.html",
        "https://cloud.google.com/secret-manager/docs/secret-rotation",
    ),
)
def secret_rotation(inv: Inventory) -> Iterator[Outcome]:
    """GCP Secret Manager's `rotation` only publishes a Pub/Sub notification: something
    must act on it, which Terraform rarely shows."""
    index = terraform(inv)
    for secret in index.kinds("aws_secretsmanager_secret"):
        if _holds_parameters(index, secret):
            continue
        rotation = next(
            index.referring(secret, ["aws_secretsmanager_secret_rotation"], "secret_id"), None
        )
        if rotation:
            yield passed(secret, f"rotates through {rotation.address}")
        else:
            yield failed(secret, "has no aws_secretsmanager_secret_rotation")
    for secret in index.kinds("google_secret_manager_secret"):
        if _holds_parameters(index, secret):
            continue
        setting = secret.setting("rotation")
        if not setting.present:
            yield failed(secret, "has no rotation schedule")
        elif secret.get("topics") and secret.get("rotation", "next_rotation_time"):
            rotator = _gcp_rotator(index, secret)
            if rotator is not None:
                yield passed(
                    secret,
                    f"is rotated by {rotator.address}, which receives its rotation notifications",
                    setting=setting,
                )
            else:
                yield unknown(
                    secret,
                    "notifies a Pub/Sub topic on its rotation schedule, but "
                    "GCP does not rotate secrets itself: the rotator is not "
                    "visible here",
                    setting=setting,
                )
        else:
            yield failed(
                secret,
                "has a rotation block without topics and next_rotation_time: "
                "no one is told to rotate it",
                setting=setting,
            )


# The versions of a secret-store entry: (version kind, attribute naming the entry, value).
SECRET_VERSIONS = {
    "aws_secretsmanager_secret": (
        "aws_secretsmanager_secret_version",
        "secret_id",
        "secret_string",
    ),
    "google_secret_manager_secret": (
        "google_secret_manager_secret_version",
        "secret",
        "secret_data",
    ),
}
# Attributes of another resource that identify it: a value made of one is a parameter.
IDENTIFYING_ATTRIBUTES = frozenset({"id", "name", "arn", "self_link", "email", "number"})
NUMBER = re.compile(r"-?\d+(?:\.\d+)?")
RESOURCE_PATH = re.compile(r"projects/[^/\s]+(?:/[^/\s]+/[^/\s]+)+")


def _holds_parameters(index: Any, secret: TfResource) -> bool:
    """A secret-store entry whose every version visibly holds a parameter (a number, a
    resource path, another resource's id or name), not a credential: nothing to rotate."""
    kind, key, attribute = SECRET_VERSIONS[secret.kind]
    values = [version.get(attribute) for version in index.referring(secret, [kind], key)]
    return bool(values) and all(_parameter(value) for value in values)


def _parameter(value: Any) -> bool:
    if isinstance(value, bool | int | float):
        return True
    if isinstance(value, Reference):
        return value.attribute.rsplit(".", 1)[-1] in IDENTIFYING_ATTRIBUTES
    return isinstance(value, str) and bool(
        NUMBER.fullmatch(value.strip()) or RESOURCE_PATH.fullmatch(value.strip())
    )


# Where a subscriber names the Pub/Sub topic it acts on.
TOPIC_SUBSCRIBERS = {
    "google_cloudfunctions2_function": ("event_trigger", "pubsub_topic"),
    "google_cloudfunctions_function": ("event_trigger", "resource"),
    "google_eventarc_trigger": ("transport", "pubsub", "topic"),
    "google_pubsub_subscription": ("topic",),
}


def _gcp_rotator(index: Any, secret: TfResource) -> TfResource | None:
    """A function, Eventarc trigger or push subscription on one of the secret's topics."""
    topics = {_topic_name(index, block.get("name"), secret) for block in secret.blocks("topics")}
    topics.discard(None)
    for kind, keys in TOPIC_SUBSCRIBERS.items():
        for subscriber in index.kinds(kind):
            if kind == "google_pubsub_subscription" and not subscriber.get("push_config"):
                continue
            if _topic_name(index, subscriber.get(*keys), subscriber) in topics:
                return subscriber
    return None


def _topic_name(index: Any, value: Any, near: TfResource) -> str | None:
    """A topic's short name, from a reference to a google_pubsub_topic or a topic path."""
    topic = index.resolve(value, near, "google_pubsub_topic")
    if topic is not None:
        value = topic.get("name")
    if isinstance(value, str) and value:
        return value.rsplit("/topics/", 1)[-1]
    return None


@check(
    "TF-LONG-LIVED-KEYS",
    requirement="4.4.3",
    severity="high",
    title="No long-lived cloud access keys are created",
    remediation="Use roles with short-lived credentials (IRSA, EKS Pod Identity, Workload "
    "Identity, workload identity federation) instead of access keys.",
    references=("https://cloud.google.com/iam/docs/best-practices-service-accounts",),
)
def long_lived_keys(inv: Inventory) -> Iterator[Outcome]:
    """Static access keys never rotate by themselves and end up in Terraform state."""
    index = terraform(inv)
    keys = index.kinds("aws_iam_access_key", "google_service_account_key")
    for key in keys:
        yield failed(key, "creates a long-lived access key (also stored in Terraform state)")
    for kind, key_kind, attribute in (
        ("aws_iam_user", "aws_iam_access_key", "user"),
        ("google_service_account", "google_service_account_key", "service_account_id"),
    ):
        for account in index.kinds(kind):
            if not any(index.referring(account, [key_kind], attribute)):
                yield passed(account, "has no long-lived access key")


# ---------------------------------------------------------------------------- 4.4.4


SECRET_READ_ACTIONS = (
    "secretsmanager:getsecretvalue",
    "kms:decrypt",
    "ssm:getparameter",
    "ssm:getparameters",
)
POLICY_KINDS = {
    "aws_iam_policy": "policy",
    "aws_iam_role_policy": "policy",
    "aws_iam_user_policy": "policy",
    "aws_iam_group_policy": "policy",
    "aws_kms_key": "policy",
    "aws_kms_key_policy": "policy",
    "aws_secretsmanager_secret_policy": "policy",
    "aws_secretsmanager_secret": "policy",
}


@check(
    "TF-SECRETS-POLICY-WILDCARD",
    requirement="4.4.4",
    severity="high",
    title="No policy grants reading secrets or decrypting on every resource, or to anyone",
    remediation="Grant secretsmanager:GetSecretValue / kms:Decrypt on named secrets and keys, "
    "to named principals, with conditions.",
    references=(
        "https://docs.aws.amazon.com/secretsmanager/latest/userguide/"
        "auth-and-access_iam-policies.html",
    ),
)
def secrets_policy_wildcards(inv: Inventory) -> Iterator[Outcome]:
    """A wildcard grant turns any compromised principal into a reader of every production
    secret."""
    index = terraform(inv)
    for kind, key in POLICY_KINDS.items():
        for item in index.kinds(kind):
            value = item.get(key)
            if value is None:
                continue
            statements = policy_statements(value, index, item)
            if not statements:
                if unknown_reason(value) and not isinstance(value, Reference):
                    yield unknown(
                        item, "its policy is not known before apply", setting=item.setting(key)
                    )
                continue
            yield _policy_outcome(item, key, statements)


def _policy_outcome(item: TfResource, key: str, statements: list[dict[str, Any]]) -> Outcome:
    for statement in statements:
        if str(statement.get("Effect", "Allow")) != "Allow":
            continue
        actions = [a.lower() for a in statement_list(statement, "Action")]
        reads = [
            a
            for a in actions
            if a == "*" or a in SECRET_READ_ACTIONS or a in ("secretsmanager:*", "kms:*", "ssm:*")
        ]
        if not reads:
            continue
        anyone = principal_is_anyone(statement) and not statement.get("Condition")
        everything = "*" in statement_list(statement, "Resource") and item.kind.startswith(
            "aws_iam"
        )
        if anyone or everything:
            whom = "to any principal" if anyone else "on every resource"
            return failed(
                item,
                f"grants {', '.join(reads)} {whom}",
                setting=item.setting(key),
                evidence={"actions": reads},
            )
    return passed(item, "grants no wildcard access to secrets or keys", setting=item.setting(key))


# ---------------------------------------------------------------------------- 4.4.5


SECRET_VALUE_ATTRIBUTES = {
    "aws_secretsmanager_secret_version": "secret_string",
    "google_secret_manager_secret_version": "secret_data",
    "azurerm_key_vault_secret": "value",
    "aws_db_instance": "password",
    "aws_rds_cluster": "master_password",
    "google_sql_user": "password",
    "azurerm_mssql_server": "administrator_login_password",
    "kubernetes_secret": "data",
}


@check(
    "TF-SECRET-LITERAL",
    requirement="4.4.5",
    severity="critical",
    title="Secret values are not written in Terraform code or .tfvars files",
    remediation="Generate the value (`random_password`, `manage_master_user_password`), or "
    "pass it at run time (TF_VAR_..., a secrets manager data source).",
    references=(
        "https://developer.hashicorp.com/terraform/language/values/variables"
        "#suppressing-values-in-cli-output",
    ),
)
def secret_literals(inv: Inventory) -> Iterator[Outcome]:
    """A value c4guard can read without running Terraform was written in the code or a
    .tfvars file, where everyone with repository access can read it too."""
    index = terraform(inv)
    for kind, key in SECRET_VALUE_ATTRIBUTES.items():
        for item in index.kinds(kind):
            setting = item.setting(key)
            if not setting.present or setting.value in (None, ""):
                continue
            if isinstance(setting.value, Unknown | Reference) or unknown_reason(setting.value):
                yield passed(
                    item,
                    f"takes {key} from outside the code (a variable without "
                    "a value, or another resource)",
                    setting=setting,
                )
            elif item.from_plan:
                continue  # a plan shows the value it will set, not where it was written
            elif isinstance(setting.value, str) and is_placeholder(setting.value):
                yield passed(
                    item, f"holds a placeholder as its {key}, not a secret", setting=setting
                )
            else:
                yield failed(
                    item, f"has its {key} written in the code or a .tfvars file", setting=setting
                )
