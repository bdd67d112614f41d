"""The CEL of every check the gate judges on one object, beside the reason for each one
that CEL cannot express.

A declaration says, in CEL over one pod template `t` (and its containers `c`), when the
template breaks the check; the exported policy allows an object when no template of it
does. The differential tests evaluate each declaration with a CEL engine against the
Python check's verdict, object by object, so the two cannot drift.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from c4guard.checks.kubernetes.isolation import (
    ALLOWED_ADDED_CAPABILITIES,
    ALLOWED_SELINUX_TYPES,
    APPARMOR_CONTAINER_ANNOTATION,
    CONFINED_SECCOMP,
    HOST_NAMESPACES,
)
from c4guard.checks.kubernetes.pipeline import BUILD_REFERENCES
from c4guard.config import Config
from c4guard.gate.export.cel import (
    CONTAINER_GROUPS,
    Predicate,
    containers,
    effective,
    equals,
    glob_regex,
    is_linux,
    literal,
    over_templates,
    present,
)
from c4guard.workloads.accelerators import ACCELERATOR_RESOURCES

ParamValue = Callable[[Config], str]


@dataclass(frozen=True, slots=True)
class Param:
    """A setting of a check, exported in the params ConfigMap (VAP) or as a variable."""

    name: str
    description: str
    value: ParamValue


@dataclass(frozen=True, slots=True)
class Declaration:
    """A check as CEL: `violation` about one template, or `expression` (true = allowed)
    about the whole object."""

    check: str
    violation: Predicate | None = None
    expression: str | None = None
    params: tuple[Param, ...] = field(default_factory=tuple)

    def allowed(self) -> str:
        """The validation expression: true when the object passes the check."""
        if self.expression is not None:
            return self.expression
        assert self.violation is not None
        return f"!{over_templates('exists', self.violation)}"


def param(name: str) -> str:
    """A parameter's value in an exported expression (VAP: the params ConfigMap)."""
    return f"params.data.{name}"


def _each_container(
    test: Callable[[str, str], str],
    *,
    linux: bool = False,
    groups: tuple[str, ...] = CONTAINER_GROUPS,
) -> Predicate:
    def violation(t: str) -> str:
        found = f"({containers(t, groups)}).exists(c, {test('c', t)})"
        return f"({is_linux(t)} && {found})" if linux else found

    return violation


def _caps(names: frozenset[str] | set[str]) -> str:
    """RE2 for capability names as `capability_names` reads them (case, CAP_ prefix)."""
    return "^(?i)(?:cap_)?(?:" + "|".join(sorted(n.lower() for n in names)) + ")$"


# ---------------------------------------------------------------------------- 4.1.1

_PRIVILEGED = _each_container(lambda c, t: equals(c, "securityContext.privileged", "true"))
_ESCALATION = _each_container(
    lambda c, t: f"!{equals(c, 'securityContext.allowPrivilegeEscalation', 'false')}", linux=True
)
_DROP_ALL = _each_container(
    lambda c, t: (
        f"!({present(c, 'securityContext.capabilities.drop')} && "
        f"{c}.securityContext.capabilities.drop.exists(d, d.matches({literal(_caps({'ALL'}))})))"
    ),
    linux=True,
)
_ADDED = _each_container(
    lambda c, t: (
        f"({present(c, 'securityContext.capabilities.add')} && "
        f"{c}.securityContext.capabilities.add.exists(a, "
        f"!a.matches({param('allowedAddedCapabilities')})))"
    ),
    linux=True,
)


def _non_root(c: str, t: str) -> str:
    user_zero = effective(c, t, "runAsUser", lambda v: f"{v} == 0", "false")
    user_positive = effective(c, t, "runAsUser", lambda v: f"{v} > 0", "false")
    non_root = effective(c, t, "runAsNonRoot", lambda v: f"{v} == true", "false")
    user_ns = equals(t, "spec.hostUsers", "false")
    return f"({user_zero} ? !{user_ns} : !({user_positive} || {non_root} || {user_ns}))"


def _host_namespaces(t: str) -> str:
    return "(" + " || ".join(equals(t, f"spec.{n}", "true") for n in HOST_NAMESPACES) + ")"


_PROC_MOUNT = _each_container(
    lambda c, t: equals(c, "securityContext.procMount", literal("Unmasked")), linux=True
)


def _token_expression() -> str:
    """Judged only when every pod sets automountServiceAccountToken itself: otherwise the
    ServiceAccount decides, which the object alone cannot show (the gate leaves it to the
    scan)."""
    own = "spec.automountServiceAccountToken"

    def sets(t: str) -> str:
        return f"({present(t, own)} && type({t}.{own}) == bool)"

    every = over_templates("all", sets)
    mounts = over_templates("exists", lambda t: equals(t, own, "true"))
    return f"!({every} && {mounts})"


# ---------------------------------------------------------------------------- 4.1.2


def _seccomp(c: str, t: str) -> str:
    confined = effective(
        c,
        t,
        "seccompProfile.type",
        lambda v: f"{v} in [{', '.join(literal(p) for p in sorted(CONFINED_SECCOMP))}]",
        "false",
    )
    unconfined = effective(
        c, t, "seccompProfile.type", lambda v: f"{v} == {literal('Unconfined')}", "false"
    )
    sandboxed = (
        f"({present(t, 'spec.runtimeClassName')} && {param('sandboxRuntimeClasses')} != '' && "
        f"type({t}.spec.runtimeClassName) == string && "
        f"{t}.spec.runtimeClassName.matches({param('sandboxRuntimeClasses')}))"
    )
    return f"!{confined} && ({unconfined} || !{sandboxed})"


def _apparmor(c: str, t: str) -> str:
    unconfined = "'^(?i)unconfined$'"
    key = f"{literal(APPARMOR_CONTAINER_ANNOTATION)} + {c}.name"
    annotations = f"{t}.metadata.annotations"
    legacy = (
        f"({present(t, 'metadata.annotations')} && has({c}.name) && {key} in {annotations} && "
        f"string({annotations}[{key}]).matches({unconfined}))"
    )
    return effective(
        c, t, "appArmorProfile.type", lambda v: f"string({v}).matches({unconfined})", legacy
    )


def _selinux(c: str, t: str) -> str:
    allowed = "[" + ", ".join(literal(x) for x in sorted(ALLOWED_SELINUX_TYPES)) + "]"

    def bad(options: str) -> str:
        custom = " || ".join(
            f"({present(options, k)} && {options}.{k} != '')" for k in ("user", "role")
        )
        return f"(({present(options, 'type')} && !({options}.type in {allowed})) || {custom})"

    return effective(c, t, "seLinuxOptions", bad, "false")


# ---------------------------------------------------------------------------- 4.1.3

_READONLY_ROOT = _each_container(
    lambda c, t: f"!{equals(c, 'securityContext.readOnlyRootFilesystem', 'true')}", linux=True
)


def _hostpath(c: str, t: str) -> str:
    host_volume = (
        f"({present(t, 'spec.volumes')} && {t}.spec.volumes.exists(v, has(v.hostPath) && "
        f"has(v.name) && has(m.name) && v.name == m.name))"
    )
    return (
        f"({present(c, 'volumeMounts')} && {c}.volumeMounts.exists(m, {host_volume} && "
        f"!{equals('m', 'readOnly', 'true')}))"
    )


# ---------------------------------------------------------------------------- 4.4.5


def _secret_env(c: str, t: str) -> str:
    env = f"({present(c, 'env')} && {c}.env.exists(e, {present('e', 'valueFrom.secretKeyRef')}))"
    env_from = f"({present(c, 'envFrom')} && {c}.envFrom.exists(e, has(e.secretRef)))"
    return f"({env} || {env_from})"


# ---------------------------------------------------------------------------- 4.6.1


def _limits(c: str, t: str) -> str:
    def has_limit(name: str) -> str:
        return (
            f"({present(c, 'resources.limits')} && {literal(name)} in {c}.resources.limits && "
            f"string({c}.resources.limits[{literal(name)}]) != '')"
        )

    return f"!({has_limit('cpu')} && {has_limit('memory')})"


def _accelerators(c: str, t: str) -> str:
    requests, limits = f"{c}.resources.requests", f"{c}.resources.limits"
    unequal = (
        f"!({present(c, 'resources.limits')} && r in {limits}) || "
        f"string({requests}[r]) != string({limits}[r])"
    )
    return (
        f"({present(c, 'resources.requests')} && {requests}.exists(r, "
        f"r.matches({param('acceleratorResources')}) && ({unequal})))"
    )


# ---------------------------------------------------------------------------- 4.2.3

# `kube.images.parse_image(...).pinned`: the text after the first @ of the stripped
# reference is an OCI digest.
DIGEST_REFERENCE = r"^\s*[^@]*@[a-z0-9]+(?:[+._-][a-z0-9]+)*:[a-fA-F0-9]{32,}\s*$"


def _image_digest(c: str, t: str) -> str:
    """Fails a tag reference; a reference the build tool replaces (`ko://`) passes, as in the
    scan. (A placeholder image, unknown in the scan, is denied at admission like any unknown.)"""
    build = " || ".join(f"{c}.image.startsWith({literal(p)})" for p in BUILD_REFERENCES)
    return (
        f"({present(c, 'image')} && {c}.image != '' && "
        f"!{c}.image.matches({literal(DIGEST_REFERENCE)}) && !({build}))"
    )


def _sandbox_classes(config: Config) -> str:
    return glob_regex(config.runtime_classes.sandbox + config.runtime_classes.confidential)


DECLARATIONS: dict[str, Declaration] = {
    d.check: d
    for d in (
        Declaration("K8S-PRIVILEGED", _PRIVILEGED),
        Declaration("K8S-PRIV-ESCALATION", _ESCALATION),
        Declaration("K8S-CAPS-DROP-ALL", _DROP_ALL),
        Declaration(
            "K8S-CAPS-ADDED",
            _ADDED,
            params=(
                Param(
                    "allowedAddedCapabilities",
                    "RE2: capabilities a container may add",
                    lambda config: _caps(ALLOWED_ADDED_CAPABILITIES),
                ),
            ),
        ),
        Declaration("K8S-RUN-AS-NON-ROOT", _each_container(_non_root, linux=True)),
        Declaration("K8S-HOST-NAMESPACES", _host_namespaces),
        Declaration("K8S-PROC-MOUNT", _PROC_MOUNT),
        Declaration("K8S-SA-TOKEN-AUTOMOUNT", expression=_token_expression()),
        Declaration(
            "K8S-SECCOMP",
            _each_container(_seccomp, linux=True),
            params=(
                Param(
                    "sandboxRuntimeClasses",
                    "RE2: runtime classes that sandbox (config runtime_classes)",
                    _sandbox_classes,
                ),
            ),
        ),
        Declaration("K8S-IMAGE-DIGEST", _each_container(_image_digest)),
        Declaration("K8S-APPARMOR", _each_container(_apparmor, linux=True)),
        Declaration("K8S-SELINUX", _each_container(_selinux, linux=True)),
        Declaration("K8S-READONLY-ROOTFS", _READONLY_ROOT),
        Declaration("K8S-HOSTPATH-WRITABLE", _each_container(_hostpath)),
        Declaration("K8S-SECRET-ENV", _each_container(_secret_env)),
        Declaration(
            "K8S-RESOURCE-LIMITS",
            _each_container(_limits, groups=("initContainers", "containers")),
        ),
        Declaration(
            "K8S-ACCELERATOR-LIMITS",
            _each_container(_accelerators),
            params=(
                Param(
                    "acceleratorResources",
                    "RE2: extended resources that are accelerators",
                    lambda config: glob_regex(ACCELERATOR_RESOURCES),
                ),
            ),
        ),
    )
}

# Checks the gate can judge on one object whose logic CEL cannot carry faithfully.
NOT_EXPRESSIBLE: dict[str, str] = {
    "K8S-ENV-LITERAL-SECRET": "token shapes and secret-like names are Python regular "
    "expressions over str.strip()ped values with Unicode \\w, \\d and case folding; RE2 "
    "(CEL `matches`) has ASCII classes and standard CEL no trim",
    "K8S-UNTRUSTED-SANDBOX": "whether a workload runs an untrusted model is inferred from "
    "its images, arguments and environment by c4guard's classifier",
    "K8S-HIGH-RISK-TEE": "the high-risk class comes from c4guard.yaml `classes` and "
    "annotations, and the TEE posture from runtime classes and node selectors together",
    "K8S-TEE-ATTESTATION": "the confidential and high-risk classes come from c4guard.yaml "
    "`classes`, and the attestation posture from runtime classes, node selectors and "
    "decoded CoCo init data",
    "K8S-CONFIDENTIAL-MODEL-KEYS": "the confidential class comes from c4guard.yaml `classes`, "
    "and the Key Broker Service from decoded CoCo init data",
}


def native_status(check_id: str, domain: str) -> str | None:
    """What `c4guard gate export` does with a check, for `c4guard explain`."""
    if check_id in DECLARATIONS:
        return (
            "exported as CEL by `c4guard gate export` (ValidatingAdmissionPolicy, Kyverno "
            "ValidatingPolicy); the differential tests prove it says what this check says"
        )
    if check_id in NOT_EXPRESSIBLE:
        return (
            f"not expressible in CEL ({NOT_EXPRESSIBLE[check_id]}); only the webhook "
            "(`c4guard gate serve`) enforces it at admission"
        )
    if domain == "kubernetes":
        return "not exported: it needs evidence beyond the object; `c4guard scan` judges it"
    return None
