"""Facts about the machine under the process: kernel security modules, lockdown, UEFI
Secure Boot, TEE guest interfaces, TPM, and whether we run in a container."""

from __future__ import annotations

from c4guard.live.facts import Facts
from c4guard.live.procfs import MountEntry
from c4guard.live.rootfs import HostRoot, Unreadable

SECURE_BOOT_VAR = "/sys/firmware/efi/efivars/SecureBoot-8be4df61-93ca-11d2-aa0d-e98c0330e4c3"
TEE_INTERFACES = (
    ("/dev/sev-guest", "AMD SEV-SNP guest"),
    ("/dev/tdx_guest", "Intel TDX guest"),
    ("/dev/tdx-guest", "Intel TDX guest"),
    ("/sys/kernel/config/tsm/report", "configfs-tsm attestation reports"),
)
TPM_DEVICES = ("/dev/tpmrm0", "/dev/tpm0", "/sys/class/tpm/tpm0")
TPM_EVENT_LOG = "/sys/kernel/security/tpm0/binary_bios_measurements"
CONTAINER_FILES = ("/.dockerenv", "/run/.containerenv")
CONTAINER_CGROUP_WORDS = ("kubepods", "docker", "containerd", "crio", "libpod", "lxc")
INIT_NAMES = frozenset({"systemd", "init"})


def read_security_modules(root: HostRoot, facts: Facts) -> None:
    """Active LSMs, AppArmor enabled, SELinux enforcing: each only when visible."""
    lsm = root.read_optional("/sys/kernel/security/lsm")
    if lsm is not None:
        facts.put(
            "lsm",
            [m for m in lsm.strip().split(",") if m],
            root.display("/sys/kernel/security/lsm"),
            1,
        )
    apparmor = root.read_optional("/sys/module/apparmor/parameters/enabled")
    if apparmor is not None:
        facts.put(
            "apparmor_enabled",
            apparmor.strip() == "Y",
            root.display("/sys/module/apparmor/parameters/enabled"),
            1,
        )
    enforce = root.read_optional("/sys/fs/selinux/enforce")
    if enforce is not None:
        facts.put(
            "selinux_enforcing", enforce.strip() == "1", root.display("/sys/fs/selinux/enforce"), 1
        )


def read_lockdown(root: HostRoot, facts: Facts) -> None:
    """Kernel lockdown: the bracketed word of `[none] integrity confidentiality`."""
    path = "/sys/kernel/security/lockdown"
    text = root.read_optional(path)
    mode = None
    if text is not None:
        mode = next((w.strip("[]") for w in text.split() if w.startswith("[")), None)
    facts.put("lockdown", mode, root.display(path), 1 if text is not None else None)


def read_secure_boot(root: HostRoot, facts: Facts, mounts: list[MountEntry]) -> None:
    """UEFI Secure Boot from its EFI variable (4 attribute bytes, then the value)."""
    masked = any(m.mount_point in ("/sys/firmware", "/sys/firmware/efi") for m in mounts)
    facts.put("firmware_masked", masked, root.display("/proc/self/mountinfo"))
    facts.put("efi", root.exists("/sys/firmware/efi"), root.display("/sys/firmware/efi"))
    try:
        raw = root.read_bytes(SECURE_BOOT_VAR, limit=64)
    except Unreadable:
        raw = None
    value = raw[4] if raw is not None and len(raw) >= 5 else None
    facts.put(
        "secure_boot",
        None if value is None else value == 1,
        root.display(SECURE_BOOT_VAR),
        1 if value is not None else None,
    )


def read_tee(root: HostRoot, facts: Facts) -> None:
    """TEE guest interfaces present (SEV-SNP, TDX, configfs-tsm)."""
    found = [
        {"interface": label, "path": root.display(path)}
        for path, label in TEE_INTERFACES
        if root.exists(path)
    ]
    cpuinfo = root.read_optional("/proc/cpuinfo") or ""
    if " tdx_guest" in cpuinfo and not any("TDX" in f["interface"] for f in found):
        found.append({"interface": "Intel TDX guest", "path": root.display("/proc/cpuinfo")})
    facts.put("tee", found, found[0]["path"] if found else root.display("/dev"))


def read_tpm(root: HostRoot, facts: Facts) -> None:
    """TPM devices and the firmware's measured-boot event log."""
    devices = [root.display(p) for p in TPM_DEVICES if root.exists(p)]
    version = root.read_optional("/sys/class/tpm/tpm0/tpm_version_major")
    facts.put("tpm", devices, devices[0] if devices else root.display("/dev"))
    facts.put(
        "tpm_version",
        version.strip() if version else None,
        root.display("/sys/class/tpm/tpm0/tpm_version_major"),
    )
    log_visible = root.exists(TPM_EVENT_LOG)
    facts.put(
        "tpm_event_log",
        root.display(TPM_EVENT_LOG) if log_visible else None,
        root.display(TPM_EVENT_LOG),
    )
    facts.put(
        "securityfs_visible",
        root.exists("/sys/kernel/security/lsm") or root.exists("/sys/kernel/security/lockdown"),
        root.display("/sys/kernel/security"),
    )


def container_context(
    root: HostRoot, environment: list[str], mounts: list[MountEntry]
) -> tuple[bool, str]:
    """(runs in a container, why we think so)."""
    for path in CONTAINER_FILES:
        if root.exists(path):
            return True, f"{path} exists"
    init_cgroup = root.read_optional("/proc/1/cgroup") or ""
    word = next((w for w in CONTAINER_CGROUP_WORDS if w in init_cgroup), None)
    if word:
        return True, f"/proc/1/cgroup names {word}"
    if "KUBERNETES_SERVICE_HOST" in environment:
        return True, "KUBERNETES_SERVICE_HOST is set"
    rootfs = next((m for m in reversed(mounts) if m.mount_point == "/"), None)
    if rootfs is not None and rootfs.fs_type == "overlay":
        return True, "/ is an overlay filesystem"
    return False, "no container runtime markers"


def sees_host_processes(root: HostRoot) -> bool:
    """Whether /proc shows the host's processes (PID 1 is the init system)."""
    comm = root.read_optional("/proc/1/comm")
    return comm is not None and comm.strip() in INIT_NAMES
