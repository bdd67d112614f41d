"""Host evidence (`c4guard host`): what a process, its mounts and cgroup, its node and GPUs
actually are, for the Host entries of the verification matrix."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from c4guard.checks.registry import Outcome, check, failed, not_applicable, passed, unknown
from c4guard.linux import CAPABILITIES, capability_names
from c4guard.model import Location, NotApplicable, Resource, ResourceRef, Result
from c4guard.workloads.views import Setting, locate

if TYPE_CHECKING:
    from c4guard.inventory import Inventory

ORIGIN = "host"
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
SECRET_NAME = re.compile(
    r"(?:^|_)(?:PASSWORD|PASSWD|PASS|PWD|SECRET|TOKEN|API_?KEY|ACCESS_?KEY|PRIVATE_?KEY|"
    r"SECRET_?KEY|CREDENTIALS?|KEY)$|(?:^|_)(?:PASSWORD|SECRET|TOKEN|API_?KEY)_",
    re.IGNORECASE,
)
NOT_SECRET_SUFFIX = re.compile(
    r"_(?:FILE|PATH|DIR|URL|URI|ENDPOINT|HOST|PORT|ID|TYPE|NAME|ENABLED|HEADER|LENGTH)$",
    re.IGNORECASE,
)
NOT_SECRET_NAMES = frozenset({"PWD", "OLDPWD"})


@dataclass(frozen=True, slots=True)
class HostSubject:
    """A host resource as the subject of findings; settings are its facts."""

    resource: Resource
    subject: str

    @property
    def ref(self) -> ResourceRef:
        return self.resource.ref

    @property
    def path(self) -> str:
        return ""

    @property
    def body(self) -> Any:
        return self.resource.body

    def locate(self, *keys: str) -> Location:
        return locate(self.resource.body, keys, self.resource.location)

    def fact(self, key: str) -> Setting:
        """The fact `key` and the file and line it was read from."""
        return Setting(
            self.body.get(key), self.locate(key), key, "host" if key in self.body else None
        )


def _subjects(inv: Inventory, kind: str, label: str) -> list[HostSubject]:
    return [HostSubject(r, label) for r in inv.kind(kind, origin=ORIGIN)]


def _names(names: list[str], shown: int = 6) -> str:
    """A list of names, shortened after `shown`."""
    more = f" and {len(names) - shown} more" if len(names) > shown else ""
    return ", ".join(names[:shown]) + more


def processes(inv: Inventory) -> list[HostSubject]:
    return _subjects(inv, "Process", "process")


def nodes(inv: Inventory) -> list[HostSubject]:
    return _subjects(inv, "Node", "node")


def gpus(inv: Inventory) -> list[HostSubject]:
    return [HostSubject(r, _gpu_label(r)) for r in inv.kind("GPU", origin=ORIGIN)]


def _gpu_label(resource: Resource) -> str:
    body = resource.body
    return f"GPU {body['index']}" if "index" in body else "GPU"


def declared(inv: Inventory, workload_class: str) -> bool:
    """Whether the host was told it runs workloads of this class (`--class`)."""
    return any(workload_class in (n.body.get("declared_classes") or []) for n in nodes(inv))


# ---------------------------------------------------------------------------- 4.1.1


@check(
    "HOST-CAPABILITIES",
    requirement="4.1.1",
    severity="high",
    domain="host",
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
    domain="host",
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
    domain="host",
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
    domain="host",
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
    domain="host",
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


# ---------------------------------------------------------------------------- 4.1.2


@check(
    "HOST-SECCOMP",
    requirement="4.1.2",
    severity="high",
    domain="host",
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
    domain="host",
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


# ---------------------------------------------------------------------------- 4.1.3


def _mounts(inv: Inventory) -> list[HostSubject]:
    return _subjects(inv, "Mount", "mount")


@check(
    "HOST-ROOT-READONLY",
    requirement="4.1.3",
    severity="medium",
    domain="host",
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
    domain="host",
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


# ---------------------------------------------------------------------------- 4.1.4


@check(
    "HOST-RUNTIME-MONITOR",
    requirement="4.1.4",
    severity="medium",
    domain="host",
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


# ---------------------------------------------------------------------------- TEEs


def _tee_outcomes(
    inv: Inventory,
    requirement: str,
    workload_class: str,
) -> Iterator[Outcome | NotApplicable]:
    for n in nodes(inv):
        setting = n.fact("tee")
        found = setting.value or []
        if found:
            yield passed(
                n,
                "runs in a TEE guest: "
                + ", ".join(f"{t['interface']} ({t['path']})" for t in found),
                setting=setting,
                evidence={"tee": found},
            )
        elif not declared(inv, workload_class):
            yield not_applicable(
                requirement,
                f"no {workload_class} workload is declared for "
                f"this host (c4guard host --class "
                f"{workload_class})",
            )
        elif n.body.get("container"):
            yield unknown(
                n,
                f"is declared {workload_class} but shows no TEE guest interface; "
                "in a container ("
                f"{n.body.get('container_evidence')}) the runtime may not pass "
                "/dev/sev-guest or /dev/tdx_guest in",
                setting=setting,
            )
        else:
            yield failed(
                n,
                f"is declared {workload_class} but is not a TEE guest (no "
                "/dev/sev-guest, /dev/tdx_guest or configfs-tsm)",
                setting=setting,
            )


@check(
    "HOST-TEE-ISOLATION",
    requirement="4.1.5",
    severity="high",
    domain="host",
    title="High-risk workloads run in a hardware-isolated TEE guest",
    remediation="Run high-risk workloads in confidential VMs or confidential containers "
    "(SEV-SNP, TDX) and release their secrets only after remote attestation.",
    references=("https://confidentialcontainers.org/",),
)
def tee_isolation(inv: Inventory) -> Iterator[Outcome | NotApplicable]:
    """A TEE guest is hardware isolation; whether attestation gated it needs review."""
    yield from _tee_outcomes(inv, "4.1.5", "high-risk")


@check(
    "HOST-TEE-GUEST",
    requirement="4.5.4",
    severity="high",
    domain="host",
    title="Confidential workloads run inside a TEE guest (SEV-SNP, TDX)",
    remediation="Run confidential workloads in SEV-SNP or TDX confidential VMs or "
    "confidential containers.",
    references=(
        "https://docs.kernel.org/virt/coco/sev-guest.html",
        "https://docs.kernel.org/arch/x86/tdx.html",
    ),
)
def tee_guest(inv: Inventory) -> Iterator[Outcome | NotApplicable]:
    """Memory encryption and integrity protection come from the TEE the guest runs in."""
    yield from _tee_outcomes(inv, "4.5.4", "confidential")


def _gpu_state(g: HostSubject) -> tuple[str, dict[str, Any]]:
    """("on" | "off" | "devtools", cc facts) of a GPU's confidential-computing mode."""
    cc = g.body.get("confidential_computing") or {}
    if cc.get("feature") and cc.get("devtools"):
        return "devtools", cc
    return ("on" if cc.get("feature") else "off"), cc


def no_gpu(inv: Inventory, requirement: str) -> NotApplicable:
    probe = next((n.body.get("gpu_probe") for n in nodes(inv)), None)
    return not_applicable(
        requirement,
        f"no NVIDIA GPU on this host ({probe or 'not probed'}); other accelerators are not probed",
    )


def each_gpu(
    inv: Inventory,
    requirement: str,
    judge: Callable[[HostSubject], Outcome | NotApplicable],
) -> Iterator[Outcome | NotApplicable]:
    """`judge` on every GPU NVML could be asked about; unknown for the others; not
    applicable when the host has no GPU."""
    listed = gpus(inv)
    if not listed:
        yield no_gpu(inv, requirement)
    for g in listed:
        if g.body.get("nvml_unavailable"):
            yield unknown(
                g,
                f"could not be asked about its state: {g.body['nvml_unavailable']}",
                setting=g.fact("nvml_unavailable"),
            )
        else:
            yield judge(g)


@check(
    "HOST-GPU-CC-MODE",
    requirement="4.5.4",
    severity="high",
    domain="host",
    title="GPUs of confidential workloads run in confidential-computing mode",
    remediation="Enable GPU confidential computing (`nvidia-smi conf-compute`, gpu-operator "
    "ccManager with `cc-mode: on`) with devtools mode off.",
    references=("https://docs.nvidia.com/confidential-computing/",),
)
def gpu_cc_mode(inv: Inventory) -> Iterator[Outcome | NotApplicable]:
    """Without CC mode, GPU memory and the CPU-GPU channel are outside the TEE."""
    confidential = declared(inv, "confidential")

    def judge(g: HostSubject) -> Outcome | NotApplicable:
        state, cc = _gpu_state(g)
        setting = g.fact("confidential_computing")
        if state == "on":
            return passed(
                g,
                f"runs in confidential-computing mode ({cc.get('environment')})",
                setting=setting,
                evidence=cc,
            )
        if not confidential:
            return not_applicable(
                "4.5.4",
                "no confidential workload is declared for this "
                "host (c4guard host --class confidential)",
            )
        why = "devtools mode, which does not protect memory" if state == "devtools" else "off"
        return failed(
            g,
            f"serves confidential workloads with confidential computing {why}",
            setting=setting,
            evidence=cc,
        )

    yield from each_gpu(inv, "4.5.4", judge)


# ---------------------------------------------------------------------------- 4.3.2


@check(
    "HOST-SSHD",
    requirement="4.3.2",
    severity="high",
    domain="host",
    title="No SSH daemon runs or listens in the workload's environment",
    remediation="Remove the SSH server from the image or node; use `kubectl exec`, SSM or "
    "OS Login with strong authentication for administration.",
    references=("https://kubernetes.io/docs/concepts/security/",),
)
def no_sshd(inv: Inventory) -> Iterator[Outcome]:
    """An SSH daemon is an administrative entry point that bypasses the platform's access
    control."""
    for n in nodes(inv):
        daemons = n.fact("ssh_daemons")
        listeners = n.fact("ssh_listeners")
        if listeners.value:
            yield failed(
                n, f"listens on the SSH port: {', '.join(listeners.value)}", setting=listeners
            )
        elif daemons.value:
            names = ", ".join(f"{d['name']} (pid {d['pid']})" for d in daemons.value)
            yield failed(n, f"runs an SSH daemon: {names}", setting=daemons)
        else:
            yield passed(
                n, "runs no SSH daemon and nothing listens on port 22 here", setting=listeners
            )


@check(
    "HOST-CLOUD-METADATA",
    requirement="4.3.2",
    severity="high",
    domain="host",
    title="The cloud metadata service is not reachable from the workload",
    remediation="Block 169.254.169.254 for workloads (NetworkPolicy egress except, IMDSv2 "
    "with hop limit 1, GKE Workload Identity metadata server).",
    references=(
        "https://docs.aws.amazon.com/AWSEC2/latest/UserGuide/"
        "configuring-instance-metadata-service.html",
    ),
)
def cloud_metadata(inv: Inventory) -> Iterator[Outcome]:
    """The metadata service hands the node's cloud credentials to whoever can reach it.
    Probed only with `c4guard host --probe-metadata`."""
    for r in inv.kind("MetadataEndpoint", origin=ORIGIN):
        m = HostSubject(r, "metadata endpoint")
        body = r.body
        if body.get("reachable"):
            yield failed(
                m,
                "answers from here: " + "; ".join(body.get("answered") or []),
                setting=m.fact("answered"),
            )
        elif body.get("refused"):
            yield passed(
                m,
                "refuses unauthenticated requests: " + "; ".join(body["refused"]),
                setting=m.fact("refused"),
            )
        else:
            yield passed(
                m, f"is not reachable ({body.get('unreachable')})", setting=m.fact("unreachable")
            )


# ---------------------------------------------------------------------------- 4.4.5


def secret_like(name: str) -> bool:
    """A variable name that usually holds a secret value (HF_TOKEN, DB_PASSWORD...)."""
    return (
        name.upper() not in NOT_SECRET_NAMES
        and not NOT_SECRET_SUFFIX.search(name)
        and SECRET_NAME.search(name) is not None
    )


@check(
    "HOST-SECRET-ENV",
    requirement="4.4.5",
    severity="high",
    domain="host",
    title="No secret-like environment variables in the process",
    remediation="Deliver secrets as files from a secrets manager (CSI driver, Vault agent) "
    "and point the workload at them (`*_FILE` variables).",
    references=("https://kubernetes.io/docs/concepts/security/secrets-good-practices/",),
)
def secret_environment(inv: Inventory) -> Iterator[Outcome]:
    """Environment variables leak into crash dumps, child processes and `/proc`; only their
    names are read, never their values."""
    for p in processes(inv):
        setting = p.fact("environment")
        if setting.value is None:
            yield unknown(p, "environment is not readable", setting=setting)
            continue
        names = sorted(n for n in setting.value if secret_like(n))
        for name in names:
            yield failed(
                p,
                f"has the secret-like environment variable {name}",
                setting=Setting(name, setting.location, f"environment.{name}", "host"),
            )
        if not names:
            yield passed(p, "has no secret-like environment variable", setting=setting)


# ---------------------------------------------------------------------------- 4.6.1


@check(
    "HOST-CGROUP-LIMITS",
    requirement="4.6.1",
    severity="medium",
    domain="host",
    title="The process's cgroup limits memory, CPU and process count",
    remediation="Set memory and CPU limits and a pids limit on the container "
    "(`resources.limits`, `--memory --cpus --pids-limit`).",
    references=("https://docs.kernel.org/admin-guide/cgroup-v2.html",),
)
def cgroup_limits(inv: Inventory) -> Iterator[Outcome]:
    """Without cgroup limits one workload can exhaust the node's memory, CPU or PIDs."""
    for c in _subjects(inv, "Cgroup", "cgroup"):
        for controller in ("memory", "cpu", "pids"):
            setting = c.fact(controller)
            if setting.value is None:
                yield failed(c, f"sets no {controller} limit", setting=setting)
            else:
                yield passed(
                    c,
                    f"limits {controller} to {_limit_text(controller, setting.value)}",
                    setting=setting,
                )


def _limit_text(controller: str, value: str) -> str:
    if controller == "memory" and value.isdigit():
        return f"{int(value) / 2**20:g} MiB"
    if controller == "cpu":
        quota, _, period = value.partition(" ")
        if quota.isdigit() and period.isdigit() and int(period):
            return f"{int(quota) / int(period):g} CPUs"
    return value


# ---------------------------------------------------------------------------- 4.7.1


@check(
    "HOST-GPU-ATTESTATION",
    requirement="4.7.1",
    severity="medium",
    domain="host",
    title="GPUs can be attested (confidential-computing mode)",
    remediation="Enable GPU confidential computing and verify the GPU attestation report "
    "(NVIDIA nvTrust / NRAS) before marking GPUs ready.",
    references=("https://docs.nvidia.com/attestation/",),
)
def gpu_attestation(inv: Inventory) -> Iterator[Outcome | NotApplicable]:
    """In confidential-computing mode a GPU accepts work only once marked ready, which the
    attestation step does; outside it its firmware and state cannot be attested."""
    yield from each_gpu(inv, "4.7.1", _attestable)


def _attestable(g: HostSubject) -> Outcome:
    state, cc = _gpu_state(g)
    setting = g.fact("confidential_computing")
    if state == "on":
        ready = "ready" if cc.get("ready") else "not yet marked ready"
        return passed(
            g,
            f"is in confidential-computing mode and can be attested ({ready})",
            setting=setting,
            evidence=cc,
        )
    return failed(
        g,
        "is not in confidential-computing mode: its firmware and state cannot be attested",
        setting=setting,
        evidence=cc,
    )


@check(
    "HOST-TPM",
    requirement="4.7.1",
    severity="medium",
    domain="host",
    title="Accelerator nodes have a TPM with a measured-boot log",
    remediation="Use nodes with a TPM 2.0 (or vTPM) and measured boot, and attest them "
    "(e.g. Keylime) before scheduling accelerator workloads.",
    references=("https://keylime.dev/",),
)
def tpm_measured_boot(inv: Inventory) -> Iterator[Outcome | NotApplicable]:
    """A TPM's measured-boot log is the root for attesting the platform the GPUs sit in."""
    if not gpus(inv):
        yield no_gpu(inv, "4.7.1")
        return
    for n in nodes(inv):
        tpm = n.fact("tpm")
        log = n.fact("tpm_event_log")
        version = n.body.get("tpm_version")
        label = f"TPM {version}.0" if version else "TPM"
        if tpm.value and log.value:
            yield passed(
                n, f"has a {label} ({', '.join(tpm.value)}) and a measured-boot log", setting=log
            )
        elif tpm.value:
            why = (
                "not readable here"
                if n.body.get("securityfs_visible")
                else "securityfs is not mounted here"
            )
            yield unknown(
                n, f"has a {label} but its measured-boot log is not visible ({why})", setting=log
            )
        else:
            yield failed(n, "has no TPM: its boot cannot be measured or attested", setting=tpm)


# ---------------------------------------------------------------------------- 4.7.2


@check(
    "HOST-GPU-PARTITION",
    requirement="4.7.2",
    severity="high",
    domain="host",
    title="GPU memory is partitioned (MIG) or the GPU serves one process at a time",
    remediation="Enable MIG and give each workload its own instance, or set the GPU's "
    "compute mode to EXCLUSIVE_PROCESS; do not share whole GPUs by time-slicing.",
    references=("https://docs.nvidia.com/datacenter/tesla/mig-user-guide/",),
)
def gpu_partition(inv: Inventory) -> Iterator[Outcome | NotApplicable]:
    """Processes sharing a GPU without MIG share its memory system; MIG isolates memory in
    hardware."""
    yield from each_gpu(inv, "4.7.2", _partitioned)


def _partitioned(g: HostSubject) -> Outcome:
    mig = g.body.get("mig_mode")
    mode = g.body.get("compute_mode")
    if mig and mig.get("current"):
        return passed(
            g,
            "has MIG enabled: memory is partitioned in hardware",
            setting=g.fact("mig_mode"),
            evidence={"mig_mode": mig},
        )
    if mode in ("EXCLUSIVE_PROCESS", "PROHIBITED"):
        return passed(
            g,
            f"serves one process at a time (compute mode {mode}); memory is not "
            "partitioned, so sanitisation between jobs relies on the driver",
            setting=g.fact("compute_mode"),
        )
    support = "MIG is off" if mig else "it has no MIG support"
    pending = (
        " (MIG is pending: it takes effect after a GPU reset)"
        if (mig and mig.get("pending"))
        else ""
    )
    return failed(
        g,
        f"can be shared without memory partitioning: {support} and compute mode "
        f"is {mode or 'unknown'}{pending}",
        setting=g.fact("mig_mode"),
        evidence={"mig_mode": mig, "compute_mode": mode},
    )


@check(
    "HOST-GPU-ECC",
    requirement="4.7.2",
    severity="medium",
    domain="host",
    title="GPU memory has ECC enabled",
    remediation="Enable ECC (`nvidia-smi -e 1`, then reset the GPU); NVIDIA recommends it "
    "against GPU rowhammer (GPUHammer).",
    references=("https://nvidia.custhelp.com/app/answers/detail/a_id/5671",),
)
def gpu_ecc(inv: Inventory) -> Iterator[Outcome | NotApplicable]:
    """Without ECC, rowhammer-style bit flips let one workload corrupt another's GPU
    memory."""
    yield from each_gpu(inv, "4.7.2", _ecc)


def _ecc(g: HostSubject) -> Outcome:
    setting = g.fact("ecc_mode")
    ecc = setting.value
    if ecc and ecc.get("current"):
        return passed(g, "has ECC enabled", setting=setting)
    if ecc:
        later = " (enabled after the next reset)" if ecc.get("pending") else ""
        return failed(g, f"has ECC disabled{later}", setting=setting)
    error = (g.body.get("nvml_errors") or {}).get("GetEccMode", "unknown")
    return failed(g, f"has no ECC (NVML: {error})", setting=setting)


# ---------------------------------------------------------------------------- 4.8.2


@check(
    "HOST-SECURE-BOOT",
    requirement="4.8.2",
    severity="medium",
    domain="host",
    title="The machine booted with UEFI Secure Boot",
    remediation="Enable UEFI Secure Boot (shielded VMs / trusted launch in the cloud).",
    references=("https://docs.kernel.org/admin-guide/efi-stub.html",),
)
def secure_boot(inv: Inventory) -> Iterator[Outcome]:
    """Secure Boot verifies the signatures of the boot chain."""
    for n in nodes(inv):
        setting = n.fact("secure_boot")
        if setting.value is True:
            yield passed(n, "booted with UEFI Secure Boot enabled", setting=setting)
        elif setting.value is False:
            yield failed(n, "booted with UEFI Secure Boot disabled", setting=setting)
        elif (
            not n.body.get("efi")
            and not n.body.get("firmware_masked")
            and not n.body.get("container")
        ):
            yield failed(n, "did not boot through UEFI: no Secure Boot", setting=n.fact("efi"))
        else:
            yield unknown(
                n,
                "does not show its Secure Boot state (/sys/firmware masked or not readable here)",
                setting=setting,
            )


@check(
    "HOST-KERNEL-LOCKDOWN",
    requirement="4.8.2",
    severity="medium",
    domain="host",
    title="The kernel runs in lockdown mode (integrity or confidentiality)",
    remediation="Boot with `lockdown=integrity` (automatic with Secure Boot on many "
    "distributions).",
    references=("https://man7.org/linux/man-pages/man7/kernel_lockdown.7.html",),
)
def kernel_lockdown(inv: Inventory) -> Iterator[Outcome]:
    """Lockdown keeps root from modifying the running, verified kernel."""
    for n in nodes(inv):
        setting = n.fact("lockdown")
        if setting.value in ("integrity", "confidentiality"):
            yield passed(n, f"runs the kernel in lockdown mode {setting.value}", setting=setting)
        elif setting.value == "none":
            yield failed(n, "runs the kernel without lockdown (lockdown: none)", setting=setting)
        else:
            yield unknown(
                n,
                "does not show its kernel lockdown mode (securityfs not visible)",
                setting=setting,
            )
