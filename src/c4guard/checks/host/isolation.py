"""C4.1 Runtime environment isolation: checks of the host c4guard runs on."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from c4guard.checks.host.common import tee_outcomes
from c4guard.checks.registry import Outcome, check, failed, passed, unknown
from c4guard.linux import CAPABILITIES, capability_names
from c4guard.model import NotApplicable, Result
from c4guard.views.host import HostSubject, nodes, processes, subjects
from c4guard.workloads.views import Setting

if TYPE_CHECKING:
    from c4guard.inventory import Inventory


PROC_STATUS = "https://man7.org/linux/man-pages/man5/proc_pid_status.5.html"


CAPABILITIES_MAN = "https://man7.org/linux/man-pages/man7/capabilities.7.html"


ALLOWED_CAPABILITIES = frozenset({"NET_BIND_SERVICE"})


ALL_CAPABILITIES = frozenset(CAPABILITIES)


UNCONFINED_SELINUX_TYPES = frozenset(
    {
        "unconfined_t",
        "spc_t",
        "kernel_t",
        "init_t",
        "initrc_t",
        "unconfined_service_t",
    }
)


APPARMOR_LABEL = re.compile(r"^(?P<profile>.+?) \((?P<mode>[a-z]+)\)$")


ENFORCING_APPARMOR_MODES = frozenset({"enforce", "kill"})


# Kernel and runtime filesystems whose options no workload setting controls.
KERNEL_FILESYSTEMS = frozenset(
    {
        "proc",
        "sysfs",
        "cgroup",
        "cgroup2",
        "devpts",
        "mqueue",
        "securityfs",
        "debugfs",
        "tracefs",
        "bpf",
        "pstore",
        "efivarfs",
        "configfs",
        "fusectl",
        "hugetlbfs",
        "binfmt_misc",
        "autofs",
        "nsfs",
        "rpc_pipefs",
        "selinuxfs",
        "devtmpfs",
    }
)


# Single files the container runtime mounts into every container.
RUNTIME_FILES = frozenset(
    {
        "/etc/hosts",
        "/etc/hostname",
        "/etc/resolv.conf",
        "/dev/termination-log",
        "/run/.containerenv",
        "/.dockerenv",
    }
)


HARDENING_OPTIONS = ("nosuid", "nodev", "noexec")


def _names(names: list[str], shown: int = 6) -> str:
    """A list of names, shortened after `shown`."""
    more = f" and {len(names) - shown} more" if len(names) > shown else ""
    return ", ".join(names[:shown]) + more


@check(
    "HOST-CAPABILITIES",
    requirement="4.1.1",
    severity="high",
    title="The process has no effective capability beyond NET_BIND_SERVICE",
    remediation="Drop all capabilities (`--cap-drop ALL`, `capabilities.drop: [ALL]`) and "
    "run as a non-root user; add back only NET_BIND_SERVICE if needed.",
    references=(CAPABILITIES_MAN, PROC_STATUS),
)
def effective_capabilities(inv: Inventory) -> Iterator[Outcome]:
    """Effective capabilities are what the process can do to the kernel right now."""
    for p in processes(inv):
        setting = p.fact("CapEff")
        evidence = _capability_evidence(p)
        if setting.value is None:
            yield unknown(
                p, "does not show its capabilities (no CapEff in its status)", setting=setting
            )
            continue
        effective = set(capability_names(setting.value))
        extra = sorted(effective - ALLOWED_CAPABILITIES)
        if effective >= ALL_CAPABILITIES:
            yield failed(
                p,
                "has every capability: a privileged container or root on the host",
                setting=setting,
                evidence=evidence,
            )
        elif extra:
            yield failed(
                p, f"has effective capabilities {_names(extra)}", setting=setting, evidence=evidence
            )
        else:
            yield passed(
                p,
                "has no effective capability beyond NET_BIND_SERVICE",
                setting=setting,
                evidence=evidence,
            )


def _capability_evidence(p: HostSubject) -> dict[str, Any]:
    evidence: dict[str, Any] = {}
    for key, label in (
        ("CapEff", "effective"),
        ("CapPrm", "permitted"),
        ("CapBnd", "bounding"),
        ("CapAmb", "ambient"),
        ("CapInh", "inheritable"),
    ):
        mask = p.body.get(key)
        if isinstance(mask, int):
            evidence[label] = capability_names(mask)
            evidence[f"{label}_mask"] = f"{mask:016x}"
    return evidence


@check(
    "HOST-CAP-BOUNDING",
    requirement="4.1.1",
    severity="medium",
    title="The process's capability bounding set is empty (all capabilities dropped)",
    remediation="Drop all capabilities from the container (`--cap-drop ALL`, "
    "`capabilities.drop: [ALL]`) so that no program can regain them.",
    references=(CAPABILITIES_MAN,),
)
def bounding_set(inv: Inventory) -> Iterator[Outcome]:
    """The bounding set limits what setuid and file-capability programs can regain."""
    for p in processes(inv):
        setting = p.fact("CapBnd")
        if setting.value is None:
            yield unknown(p, "does not show its bounding set", setting=setting)
            continue
        extra = sorted(set(capability_names(setting.value)) - ALLOWED_CAPABILITIES)
        if extra:
            yield failed(
                p,
                f"keeps capabilities in its bounding set ({_names(extra)}): they were not dropped",
                setting=setting,
                evidence={"bounding": extra},
            )
        else:
            yield passed(p, "has dropped all capabilities from its bounding set", setting=setting)


@check(
    "HOST-NO-NEW-PRIVS",
    requirement="4.1.1",
    severity="high",
    title="The process cannot gain privileges (no_new_privs)",
    remediation="Run the container with `--security-opt no-new-privileges` "
    "(`allowPrivilegeEscalation: false` in Kubernetes).",
    references=("https://docs.kernel.org/userspace-api/no_new_privs.html",),
)
def no_new_privileges(inv: Inventory) -> Iterator[Outcome]:
    """Without no_new_privs a setuid program run by the workload gains its owner's rights."""
    for p in processes(inv):
        setting = p.fact("NoNewPrivs")
        if setting.value == 1:
            yield passed(p, "has no_new_privs set", setting=setting)
        else:
            yield failed(
                p,
                "can gain privileges through setuid programs (NoNewPrivs: "
                f"{setting.value if setting.value is not None else 'absent'})",
                setting=setting,
            )


@check(
    "HOST-ROOT-USER",
    requirement="4.1.1",
    severity="high",
    title="The process does not run as root on the host",
    remediation="Run as a non-root user (`USER 10001`, `runAsNonRoot: true`), or in a "
    "user namespace that maps root to an unprivileged host user.",
    references=(PROC_STATUS,),
)
def non_root(inv: Inventory) -> Iterator[Outcome]:
    """uid 0 outside a user namespace is root on the node."""
    for p in processes(inv):
        setting = p.fact("Uid")
        ids = setting.value
        if not isinstance(ids, list) or len(ids) < 2:
            yield unknown(p, "does not show its user ids", setting=setting)
        elif ids[1] != 0:
            yield passed(p, f"runs as uid {ids[1]}", setting=setting)
        elif isinstance(host_uid := p.body.get("host_uid"), int) and host_uid != 0:
            yield passed(
                p,
                f"runs as uid 0 in a user namespace (uid {host_uid} on the host)",
                setting=p.fact("host_uid"),
            )
        else:
            yield failed(p, "runs as root (uid 0) on the host", setting=setting)


@check(
    "HOST-SA-TOKEN",
    requirement="4.1.1",
    severity="medium",
    title="No Kubernetes service-account token is mounted into the process",
    remediation="Set `automountServiceAccountToken: false` on the pod or its "
    "ServiceAccount unless the workload calls the Kubernetes API.",
    references=(
        "https://kubernetes.io/docs/tasks/configure-pod-container/configure-service-account/",
    ),
)
def service_account_token(inv: Inventory) -> Iterator[Outcome]:
    """A mounted token lets whoever compromises the workload call the Kubernetes API."""
    for p in processes(inv):
        setting = p.fact("service_account_token")
        if setting.value:
            yield failed(
                p, f"has a Kubernetes service-account token at {setting.value}", setting=setting
            )
        else:
            yield passed(p, "has no Kubernetes service-account token mounted", setting=setting)


@check(
    "HOST-SECCOMP",
    requirement="4.1.2",
    severity="high",
    title="The process runs under a seccomp filter",
    remediation="Run with the runtime's default seccomp profile (Kubernetes "
    "`seccompProfile.type: RuntimeDefault`; never `seccomp=unconfined`).",
    references=(PROC_STATUS, "https://kubernetes.io/docs/tutorials/security/seccomp/"),
)
def seccomp(inv: Inventory) -> Iterator[Outcome]:
    """Without seccomp every system call of the kernel is reachable from the workload."""
    for p in processes(inv):
        setting = p.fact("Seccomp")
        evidence = {"mode": setting.value, "filters": p.body.get("Seccomp_filters")}
        if setting.value == 2:
            yield passed(
                p,
                f"runs under a seccomp filter (mode 2, "
                f"{p.body.get('Seccomp_filters', '?')} filters)",
                setting=setting,
                evidence=evidence,
            )
        elif setting.value == 1:
            yield passed(
                p, "runs in strict seccomp mode (mode 1)", setting=setting, evidence=evidence
            )
        elif setting.value == 0:
            yield failed(p, "runs without seccomp (Seccomp: 0)", setting=setting, evidence=evidence)
        else:
            yield failed(
                p,
                "has no seccomp state: the kernel lacks seccomp",
                setting=setting,
                evidence=evidence,
            )


@check(
    "HOST-LSM-CONFINEMENT",
    requirement="4.1.2",
    severity="high",
    title="The process is confined by an enforcing AppArmor profile or SELinux domain",
    remediation="Run under the runtime's AppArmor profile (`appArmorProfile: "
    "RuntimeDefault`) or a confined SELinux type (container_t) with SELinux "
    "enforcing; never `unconfined`, `spc_t` or complain/permissive mode.",
    references=("https://kubernetes.io/docs/tutorials/security/apparmor/",),
)
def lsm_confinement(inv: Inventory) -> Iterator[Outcome]:
    """An AppArmor profile or SELinux domain limits what even a compromised process can
    touch; unconfined, complain mode or permissive SELinux limit nothing."""
    node = next(iter(nodes(inv)), None)
    enforcing = node.fact("selinux_enforcing") if node else None
    kernel = {
        k: node.body[k]
        for k in ("lsm", "apparmor_enabled", "selinux_enforcing")
        if node and k in node.body
    }
    for p in processes(inv):
        result, message, setting = _confinement(p.fact("lsm_label"), enforcing)
        yield Outcome(p, result, message, setting, evidence=kernel)


def _confinement(label: Setting, enforcing: Setting | None) -> tuple[Result, str, Setting]:
    """(result, message, the setting that decides) for an LSM label."""
    text = label.value
    if not text:
        return Result.FAIL, "is not confined by AppArmor or SELinux (no LSM label)", label
    if text == "unconfined":
        return Result.FAIL, "is unconfined (AppArmor label `unconfined`)", label
    if (match := APPARMOR_LABEL.match(text)) is not None:
        profile, mode = match["profile"], match["mode"]
        if mode in ENFORCING_APPARMOR_MODES:
            return Result.PASS, f"is confined by AppArmor profile {profile} ({mode})", label
        return (
            Result.FAIL,
            f"runs AppArmor profile {profile} in {mode} mode, which does not enforce",
            label,
        )
    parts = text.split(":")
    if len(parts) < 3:
        return Result.UNKNOWN, f"has an LSM label c4guard does not recognise: {text!r}", label
    selinux_type = parts[2]
    if selinux_type in UNCONFINED_SELINUX_TYPES:
        return Result.FAIL, f"runs in the unconfined SELinux type {selinux_type}", label
    if enforcing is None or enforcing.value is None:
        return (
            Result.UNKNOWN,
            f"has SELinux type {selinux_type} but SELinux enforcement is "
            "not visible (/sys/fs/selinux/enforce)",
            label,
        )
    if enforcing.value is False:
        return (
            Result.FAIL,
            f"has SELinux type {selinux_type} but SELinux is permissive",
            enforcing,
        )
    return Result.PASS, f"is confined by SELinux type {selinux_type} (enforcing)", label


def _mounts(inv: Inventory) -> list[HostSubject]:
    return subjects(inv, "Mount", "mount")


@check(
    "HOST-ROOT-READONLY",
    requirement="4.1.3",
    severity="medium",
    title="The root filesystem is mounted read-only",
    remediation="Run the container with a read-only root filesystem (`--read-only`, "
    "`readOnlyRootFilesystem: true`) and mount writable scratch explicitly.",
    references=("https://kubernetes.io/docs/tasks/configure-pod-container/security-context/",),
)
def root_readonly(inv: Inventory) -> Iterator[Outcome]:
    """A writable root lets an intruder change the workload's own programs."""
    roots = [m for m in _mounts(inv) if m.body.get("mount_point") == "/"]
    if roots:
        root = roots[-1]  # the last mount on / is the one in effect
        setting = root.fact("options")
        if root.body.get("writable"):
            yield failed(root, "is writable: the root filesystem is not read-only", setting=setting)
        else:
            yield passed(root, "is read-only", setting=setting)


@check(
    "HOST-WRITABLE-MOUNTS",
    requirement="4.1.3",
    severity="medium",
    title="Writable mounts are nosuid, nodev and noexec",
    remediation="Mount writable volumes with `nosuid,nodev,noexec` (e.g. "
    "`--tmpfs /tmp:rw,nosuid,nodev,noexec`).",
    references=("https://man7.org/linux/man-pages/man8/mount.8.html",),
)
def writable_mounts(inv: Inventory) -> Iterator[Outcome]:
    """A writable mount without noexec runs what an intruder writes; without nosuid or nodev
    it can hold setuid programs or device nodes. Kernel filesystems and the runtime's own
    single-file mounts (/etc/hosts...) are not judged: no workload setting controls them."""
    for m in _mounts(inv):
        if not _judged(m.body):
            continue
        setting = m.fact("options")
        missing = [o for o in HARDENING_OPTIONS if o not in (setting.value or [])]
        if missing:
            yield failed(
                m,
                f"is writable without {', '.join(missing)}",
                setting=setting,
                evidence={"fs_type": m.body.get("fs_type"), "missing": missing},
            )
        else:
            yield passed(m, "is writable with nosuid, nodev and noexec", setting=setting)


def _judged(mount: Any) -> bool:
    point = str(mount.get("mount_point"))
    return bool(
        mount.get("writable")
        and point not in ("/", "/dev")
        and point not in RUNTIME_FILES
        and mount.get("fs_type") not in KERNEL_FILESYSTEMS
        and not point.startswith(("/proc/", "/sys/"))
        and point not in ("/proc", "/sys")
    )


@check(
    "HOST-RUNTIME-MONITOR",
    requirement="4.1.4",
    severity="medium",
    title="A runtime security monitor runs on the node (Falco, Tetragon, KubeArmor)",
    remediation="Run Falco (with Falco Talon to terminate), Tetragon with Sigkill "
    "policies, or KubeArmor with blocking policies on every node.",
    references=("https://falco.org/", "https://tetragon.io/"),
)
def runtime_monitor(inv: Inventory) -> Iterator[Outcome]:
    """Detection and termination of escalation needs a monitor on the node; whether it
    kills offending processes is configuration that needs review."""
    for n in nodes(inv):
        setting = n.fact("monitors")
        monitors = setting.value or []
        if monitors:
            names = ", ".join(f"{m['name']} (pid {m['pid']})" for m in monitors)
            yield passed(n, f"runs {names}", setting=setting, evidence={"monitors": monitors})
        elif n.body.get("sees_host_processes"):
            yield failed(
                n, "runs no runtime monitor (Falco, Tetragon or KubeArmor)", setting=setting
            )
        else:
            yield unknown(
                n,
                "shows no runtime monitor, but this PID namespace does not show "
                "the node's processes (run with the host's PID namespace)",
                setting=setting,
            )


@check(
    "HOST-TEE-ISOLATION",
    requirement="4.1.5",
    severity="high",
    title="High-risk workloads run in a hardware-isolated TEE guest",
    remediation="Run high-risk workloads in confidential VMs or confidential containers "
    "(SEV-SNP, TDX) and release their secrets only after remote attestation.",
    references=("https://confidentialcontainers.org/",),
)
def tee_isolation(inv: Inventory) -> Iterator[Outcome | NotApplicable]:
    """A TEE guest is hardware isolation; whether attestation gated it needs review."""
    yield from tee_outcomes(inv, "4.1.5", "high-risk")
