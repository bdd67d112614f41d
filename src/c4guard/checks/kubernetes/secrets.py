"""C4.4 Secrets and cryptographic keys: Kubernetes evidence for 4.4.1, 4.4.3, 4.4.4 and
4.4.5 (Secret objects and secret managers, refresh, RBAC and Vault authentication, secrets
in environment variables). Full-text secret detection in every file is `c4guard.secrets`'s
work; this module reads Kubernetes objects and a name/value heuristic for env values."""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from typing import TYPE_CHECKING, Any

from c4guard.checks.registry import Outcome, check, failed, passed
from c4guard.kube.environments import namespace_environments
from c4guard.kube.objects import ObjectView, annotation_setting, container_setting
from c4guard.kube.rbac import broad_subject, rbac, reads_secrets
from c4guard.secrets.placeholders import is_placeholder
from c4guard.workloads.views import mapping_at

if TYPE_CHECKING:
    from c4guard.inventory import Inventory
    from c4guard.workloads import ContainerView

SECRETS_DOC = "https://kubernetes.io/docs/concepts/security/secrets-good-practices/"
ESO = "https://external-secrets.io/latest/"
MANAGED_KINDS = {
    ("external-secrets.io", "ExternalSecret"): "External Secrets Operator",
    ("external-secrets.io", "ClusterExternalSecret"): "External Secrets Operator",
    ("external-secrets.io", "SecretStore"): "External Secrets Operator",
    ("external-secrets.io", "ClusterSecretStore"): "External Secrets Operator",
    ("secrets-store.csi.x-k8s.io", "SecretProviderClass"): "the Secrets Store CSI driver",
    ("bitnami.com", "SealedSecret"): "Sealed Secrets (encrypted in the manifest)",
    ("secrets.hashicorp.com", "VaultStaticSecret"): "the Vault Secrets Operator",
    ("secrets.hashicorp.com", "VaultDynamicSecret"): "the Vault Secrets Operator",
    ("secrets.hashicorp.com", "VaultPKISecret"): "the Vault Secrets Operator",
}
VAULT_INJECT = "vault.hashicorp.com/agent-inject"
CSI_DRIVER = "secrets-store.csi.k8s.io"
WEAK_VAULT_AUTH = {
    "tokenSecretRef": "a static token",
    "userPass": "username and password",
    "ldap": "LDAP username and password",
}
STRONG_ENCRYPTION = ("kms", "aesgcm", "aescbc", "secretbox")
# Secret keys that say who or where, not a credential: a Secret whose only values are under
# these keys (e.g. `username: root` with an empty password) holds no secret of its own.
IDENTIFIER_KEYS = frozenset(
    {"user", "username", "host", "hostname", "port", "database", "dbname", "region", "namespace"}
)


# ---------------------------------------------------------------------------- 4.4.1


@check(
    "K8S-SECRET-LITERAL",
    requirement="4.4.1",
    severity="high",
    title="No Secret objects with literal data in the inputs",
    remediation="Deliver the secret from a secrets manager (ExternalSecret, Secrets Store "
    "CSI, Vault) or encrypt it (SealedSecret); remove `data`/`stringData` from "
    "manifests.",
    references=(SECRETS_DOC, ESO),
)
def no_literal_secrets(inv: Inventory) -> Iterator[Outcome]:
    """A Secret manifest with data puts the secret (base64 is not encryption) in the
    repository and everywhere the manifest is copied."""
    for resource in inv.kind("Secret"):
        view = ObjectView(resource)
        keys = _valued_keys(resource)
        if _has_data(resource):
            first = "data" if view.get("data") else "stringData"
            yield failed(
                view,
                f"holds literal secret data in the manifest ({', '.join(keys[:5])}"
                f"{', ...' if len(keys) > 5 else ''}; values not shown)",
                setting=view.setting(first),
                evidence={"keys": keys},
            )
        else:
            yield passed(view, _no_data_message(keys))


@check(
    "K8S-SECRETS-MANAGER",
    requirement="4.4.1",
    severity="medium",
    title="Secrets come from a dedicated secrets manager",
    remediation="Deliver the Secrets workloads read with the External Secrets Operator, the "
    "Secrets Store CSI driver, Vault agent injection or the Vault Secrets "
    "Operator, not from Secret manifests.",
    references=(ESO, "https://secrets-store-csi-driver.sigs.k8s.io/"),
)
def secrets_manager(inv: Inventory) -> Iterator[Outcome]:
    """Evidence that secrets are delivered by a secrets manager, and the workloads that read
    a Secret written by hand into the manifests instead."""
    for resource in inv.resources:
        product = MANAGED_KINDS.get((resource.api_group, resource.kind))
        if product:
            yield passed(ObjectView(resource), f"delivers secrets through {product}")
    managed = _managed_secrets(inv)
    for pod in inv.pods():
        if str(pod.annotations.get(VAULT_INJECT, "")).lower() == "true":
            yield passed(
                pod,
                "receives secrets from the Vault agent injector",
                setting=annotation_setting(pod, VAULT_INJECT, True),
            )
        for container in pod.containers:
            for keys, name in _secret_refs(container):
                key = (pod.workload.namespace, name)
                literal = inv.find("Secret", pod.workload.namespace, name)
                setting = container_setting(container, *keys)
                if key in managed:
                    yield passed(
                        container,
                        f"reads Secret {name}, delivered by {managed[key]}",
                        setting=setting,
                    )
                elif literal is not None and _valued_keys(literal):
                    yield failed(
                        container,
                        f"reads Secret {name}, which no secrets manager "
                        f"delivers: it is written with literal data at "
                        f"{literal.location}",
                        setting=setting,
                    )


def _managed_secrets(inv: Inventory) -> dict[tuple[str | None, str], str]:
    """(namespace, Secret name) -> the manager that writes it."""
    found: dict[tuple[str | None, str], str] = {}
    for resource in inv.resources:
        product = MANAGED_KINDS.get((resource.api_group, resource.kind))
        if not product:
            continue
        view = ObjectView(resource)
        names = [view.get("spec", "target", "name"), view.get("spec", "destination", "name")]
        names += [
            o.get("secretName")
            for o in view.get("spec", "secretObjects") or []
            if isinstance(o, Mapping)
        ]
        if resource.kind in ("ExternalSecret", "SealedSecret"):
            names.append(resource.name)
        for name in names:
            if isinstance(name, str) and name:
                found[(resource.namespace, name)] = f"{resource.kind} {resource.name}"
    return found


@check(
    "K8S-SECRETS-ENCRYPTION",
    requirement="4.4.1",
    severity="high",
    title="The API server encrypts Secrets at rest",
    remediation="List a `kms` (v2) provider first for `secrets` in the EncryptionConfiguration; "
    "`identity` first stores them in plain text in etcd.",
    references=("https://kubernetes.io/docs/tasks/administer-cluster/encrypt-data/",),
)
def secrets_encrypted_at_rest(inv: Inventory) -> Iterator[Outcome]:
    """The first provider of an EncryptionConfiguration writes new data; `identity` first
    means no encryption."""
    for resource in inv.kind("EncryptionConfiguration"):
        view = ObjectView(resource)
        for index, entry in enumerate(view.get("resources") or []):
            if not isinstance(entry, Mapping) or "secrets" not in (entry.get("resources") or []):
                continue
            providers = [p for p in entry.get("providers") or [] if isinstance(p, Mapping)]
            first = next(iter(providers[0]), "") if providers else ""
            setting = view.setting("resources", index, "providers", 0)
            if first in STRONG_ENCRYPTION:
                note = "" if first == "kms" else " (its key is in the file on the control plane)"
                yield passed(view, f"encrypts Secrets with {first}{note}", setting=setting)
            else:
                yield failed(
                    view,
                    f"writes Secrets with the {first or 'no'} provider: they are "
                    "stored unencrypted in etcd",
                    setting=setting,
                )


# ---------------------------------------------------------------------------- 4.4.3


@check(
    "K8S-SECRET-REFRESH",
    requirement="4.4.3",
    severity="medium",
    title="Synchronised secrets are refreshed from the manager",
    remediation="Keep `refreshInterval` above zero (the default is 1h) and do not use "
    "`refreshPolicy: CreatedOnce`, so rotated secrets reach the cluster.",
    references=("https://external-secrets.io/latest/api/externalsecret/",),
)
def secret_refresh(inv: Inventory) -> Iterator[Outcome]:
    """An ExternalSecret that never refreshes keeps serving a secret after it is rotated."""
    for resource in inv.kind("ExternalSecret", group="external-secrets.io"):
        view = ObjectView(resource)
        interval = view.get("spec", "refreshInterval")
        policy = view.get("spec", "refreshPolicy")
        if policy == "CreatedOnce":
            yield failed(
                view,
                "is synchronised once and never refreshed (refreshPolicy: CreatedOnce)",
                setting=view.setting("spec", "refreshPolicy"),
            )
        elif str(interval).strip() in ("0", "0s", "0m", "0h"):
            yield failed(
                view,
                f"never refreshes (refreshInterval: {interval})",
                setting=view.setting("spec", "refreshInterval"),
            )
        else:
            yield passed(
                view,
                f"refreshes every {interval or '1h (default)'}",
                setting=view.setting("spec", "refreshInterval"),
            )


# ---------------------------------------------------------------------------- 4.4.4


@check(
    "K8S-RBAC-SECRETS-BROAD",
    requirement="4.4.4",
    severity="high",
    title="RBAC does not grant read access on Secrets to broad subjects",
    remediation="Bind roles that read Secrets only to the specific service accounts that "
    "need them; never to system:authenticated, system:serviceaccounts or a "
    "namespace's default service account.",
    references=("https://kubernetes.io/docs/concepts/security/rbac-good-practices/",),
)
def secrets_rbac(inv: Inventory) -> Iterator[Outcome]:
    """Reading Secrets is reading every credential of the namespace (or cluster)."""
    judged: dict[int, list[str]] = {}
    for grant, subject in rbac(inv).grants():
        if not any(reads_secrets(rule) for rule in grant.rules):
            continue
        broad = broad_subject(subject)
        if broad:
            yield failed(
                grant.view,
                f"lets {broad} read Secrets {grant.scope} ({grant.role})",
                setting=grant.view.setting(),
            )
        judged.setdefault(id(grant.binding), []).append(broad or "")
    for binding in rbac(inv).bindings:
        verdicts = judged.get(id(binding))
        if verdicts and not any(verdicts):
            yield passed(ObjectView(binding), "grants read on Secrets only to specific subjects")


@check(
    "K8S-VAULT-AUTH",
    requirement="4.4.4",
    severity="high",
    title="Secret stores authenticate to Vault with workload identity",
    remediation="Use Vault's kubernetes, jwt, cert or cloud IAM auth methods instead of a "
    "static token or username/password for production secrets.",
    references=("https://external-secrets.io/latest/provider/hashicorp-vault/",),
)
def vault_auth(inv: Inventory) -> Iterator[Outcome]:
    """A static Vault token in a Secret is a long-lived credential to every secret it can
    read."""
    environments = namespace_environments(inv)
    production = "prod" in environments.values()
    for resource in inv.kind("SecretStore", group="external-secrets.io") + inv.kind(
        "ClusterSecretStore", group="external-secrets.io"
    ):
        view = ObjectView(resource)
        auth = view.get("spec", "provider", "vault", "auth")
        if not isinstance(auth, Mapping):
            continue
        method = next(iter(auth), "")
        setting = view.setting("spec", "provider", "vault", "auth", method)
        environment = (
            environments.get(resource.namespace or "")
            if resource.namespace
            else ("prod" if production else None)
        )
        if method not in WEAK_VAULT_AUTH:
            yield passed(view, f"authenticates to Vault with {method}", setting=setting)
        elif environment not in (None, "prod"):
            yield passed(
                view,
                f"uses {WEAK_VAULT_AUTH[method]} for Vault, outside production "
                f"(environment {environment})",
                setting=setting,
            )
        else:
            where = (
                "production"
                if environment == "prod"
                else "an environment c4guard cannot tell (declare it with c4guard.dev/environment)"
            )
            yield failed(
                view,
                f"authenticates to Vault with {WEAK_VAULT_AUTH[method]} for {where}",
                setting=setting,
            )


# ---------------------------------------------------------------------------- 4.4.5


@check(
    "K8S-SECRET-ENV",
    requirement="4.4.5",
    severity="medium",
    title="Secrets are not passed in environment variables",
    remediation="Mount the Secret as a file (a `secret` or CSI volume) instead of "
    "`env.valueFrom.secretKeyRef` / `envFrom.secretRef`; environment variables "
    "leak into child processes, crash dumps and `/proc`. An exception in "
    "c4guard.yaml records an accepted case.",
    references=(SECRETS_DOC,),
)
def no_secrets_in_env(inv: Inventory) -> Iterator[Outcome]:
    """The standard forbids secrets in environment variables."""
    for pod in inv.pods():
        secret_volumes = _secret_volumes(pod.spec)
        for container in pod.containers:
            refs = list(_secret_env_refs(container))
            for keys, secret in refs:
                yield failed(
                    container,
                    f"takes Secret {secret} through an environment variable",
                    setting=container_setting(container, *keys),
                )
            if refs:
                continue
            mounted = [
                m.get("name")
                for m in container.spec.get("volumeMounts") or []
                if isinstance(m, Mapping) and m.get("name") in secret_volumes
            ]
            if mounted:
                names = ", ".join(map(str, mounted))
                yield passed(
                    container,
                    f"receives secrets as files ({names})",
                    setting=container_setting(container, "volumeMounts"),
                )
            else:
                yield passed(
                    container,
                    "takes no Secret through environment variables",
                    setting=container_setting(container, "env"),
                )


SECRET_NAME = re.compile(
    r"(?:^|_)(?:PASS(?:WORD|WD)?|SECRET|TOKEN|API_?KEY|ACCESS_?KEY|PRIVATE_?KEY|CREDENTIALS?|"
    r"AUTH)(?:_|$)",
    re.I,
)
NOT_SECRET_NAME = re.compile(
    r"_(?:FILE|PATH|DIR|URL|URI|NAME|ID|ENABLED|TTL|LENGTH|LIMIT|MAX|MIN|SIZE|COUNT|TIMEOUT|"
    r"EXPIRY|HEADER|TYPE|MODE|REF|ENDPOINT|ISSUER|AUDIENCE|HOST|PORT|METHOD|PROVIDER|"
    r"PARALLELISM|LEN|TOKENS|IMAGE|VERSION|LEVEL|POLICY|SCOPES?|STRATEGY|KIND|PREFIX|FORMAT|"
    r"CONFIG|KEYS?_ID)$|^(?:MAX|NUM)_",
    re.I,
)
TOKEN_SHAPES = (
    ("a Hugging Face token", re.compile(r"^hf_[A-Za-z0-9]{30,}$")),
    ("an Anthropic key", re.compile(r"^sk-ant-[A-Za-z0-9_-]{20,}$")),
    ("an OpenAI-style key", re.compile(r"^sk-(?:proj-)?[A-Za-z0-9_-]{20,}$")),
    ("a GitHub token", re.compile(r"^(?:gh[pousr]_[A-Za-z0-9]{30,}|github_pat_\w{30,})$")),
    ("a GitLab token", re.compile(r"^glpat-[A-Za-z0-9_-]{20,}$")),
    ("an AWS access key id", re.compile(r"^(?:AKIA|ASIA)[0-9A-Z]{16}$")),
    ("a Replicate token", re.compile(r"^r8_[A-Za-z0-9]{30,}$")),
    ("a Slack token", re.compile(r"^xox[abposr]-[A-Za-z0-9-]{10,}$")),
    ("a private key", re.compile(r"-----BEGIN [A-Z ]*PRIVATE KEY-----")),
    ("a URL with a password", re.compile(r"^[a-z][a-z0-9+.-]*://[^/\s:@]+:[^/\s@]+@")),
)
NOT_A_VALUE = re.compile(
    r"^(?:true|false|yes|no|on|off|none|null|\d{1,6}|\$\(.+\)|\{\{.*\}\})$", re.I
)


@check(
    "K8S-ENV-LITERAL-SECRET",
    requirement="4.4.5",
    severity="high",
    title="No literal secrets in environment variables",
    remediation="Move the value into a secrets manager and mount it as a file; rotate the "
    "exposed value.",
    references=(SECRETS_DOC,),
)
def no_literal_env_secrets(inv: Inventory) -> Iterator[Outcome]:
    """A token written into a manifest's `env` is in the repository, the API server and
    every copy of the manifest. Values are never shown."""
    for container in inv.containers():
        env = container.spec.get("env")
        if not isinstance(env, list) or not env:
            continue
        found = False
        for index, item in enumerate(env):
            if not isinstance(item, Mapping) or not isinstance(item.get("value"), str):
                continue
            why = literal_secret(str(item.get("name", "")), item["value"])
            if why:
                found = True
                yield failed(
                    container,
                    f"sets {item.get('name')} to a literal value that {why} (value not shown)",
                    setting=container_setting(container, "env", index, "value"),
                )
        if not found:
            yield passed(
                container,
                "sets no secret-looking literal environment values",
                setting=container_setting(container, "env"),
            )


def literal_secret(name: str, value: str) -> str | None:
    """Why an env value looks like a secret, or None."""
    text = value.strip()
    if not text or NOT_A_VALUE.match(text) or is_placeholder(text):
        return None
    for label, shape in TOKEN_SHAPES:
        if shape.search(text):
            return f"looks like {label} ({len(text)} characters)"
    if (
        SECRET_NAME.search(name)
        and not NOT_SECRET_NAME.search(name)
        and not text.startswith(("/", "./"))
    ):
        return f"is written in the manifest under a secret-like name ({len(text)} characters)"
    return None


# ---------------------------------------------------------------------------- helpers


def _secret_env_refs(container: ContainerView) -> Iterator[tuple[tuple[Any, ...], str]]:
    for index, item in enumerate(container.spec.get("env") or []):
        ref = (
            item.get("valueFrom", {}).get("secretKeyRef")
            if isinstance(item, Mapping) and isinstance(item.get("valueFrom"), Mapping)
            else None
        )
        if isinstance(ref, Mapping):
            yield ("env", index, "valueFrom", "secretKeyRef"), str(ref.get("name", "?"))
    for index, item in enumerate(container.spec.get("envFrom") or []):
        ref = item.get("secretRef") if isinstance(item, Mapping) else None
        if isinstance(ref, Mapping):
            yield ("envFrom", index, "secretRef"), str(ref.get("name", "?"))


def _secret_refs(container: ContainerView) -> Iterator[tuple[tuple[Any, ...], str]]:
    """Every Secret a container reads: environment references and mounted secret volumes."""
    yield from _secret_env_refs(container)
    volumes = {
        v.get("name"): v["secret"].get("secretName")
        for v in container.pod.spec.get("volumes") or []
        if isinstance(v, Mapping) and isinstance(v.get("secret"), Mapping)
    }
    for index, mount in enumerate(container.spec.get("volumeMounts") or []):
        if isinstance(mount, Mapping) and volumes.get(mount.get("name")):
            yield ("volumeMounts", index), str(volumes[mount.get("name")])


def _valued_keys(resource: Any) -> list[str]:
    """`data.<key>`/`stringData.<key>` of a Secret's non-empty values."""
    view = ObjectView(resource)
    return [
        f"{field}.{k}"
        for field in ("data", "stringData")
        for k, v in (view.get(field) or {}).items()
        if v not in (None, "")
    ]


def _has_data(resource: Any) -> bool:
    """Whether a Secret holds a value under a key that is not an identifier (IDENTIFIER_KEYS)."""
    return any(
        key.split(".", 1)[1].lower() not in IDENTIFIER_KEYS for key in _valued_keys(resource)
    )


def _no_data_message(keys: list[str]) -> str:
    if not keys:
        return "holds no literal data"
    return f"holds only identifiers ({', '.join(keys[:5])}), no secret value"


def _secret_volumes(pod_spec: Mapping[str, Any]) -> set[object]:
    """The names of the volumes that hold secrets (as written: a name may be missing)."""
    names: set[object] = set()
    for volume in pod_spec.get("volumes") or []:
        if not isinstance(volume, Mapping):
            continue
        csi = mapping_at(volume, "csi")
        projected = mapping_at(volume, "projected")
        if (
            "secret" in volume
            or csi.get("driver") == CSI_DRIVER
            or any(isinstance(s, Mapping) and "secret" in s for s in projected.get("sources") or [])
        ):
            names.add(volume.get("name"))
    return names
