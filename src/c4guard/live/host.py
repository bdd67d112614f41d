"""`c4guard host`: the facts of a process, its mounts and cgroup, the node under it and its
GPUs, as `Resource`s of origin "host" that the host checks judge like any other input.

Resources (kind: name):
- Process: the probed process (`/proc/<pid>`): ids, capabilities, no_new_privs, seccomp,
  LSM label, environment variable names (never values), service-account token.
- Mount: one per mountinfo line.
- Cgroup: the process's memory, cpu and pids limits.
- Node: the machine: container or host, LSMs, lockdown, Secure Boot, TEE, TPM, runtime
  monitors and sshd seen in /proc, listening port 22, the workload classes declared.
- GPU: one per NVIDIA GPU that NVML reports (or one placeholder per /dev/nvidiaN when NVML
  cannot be asked).
- MetadataEndpoint: the cloud metadata probe's answers (only with `--probe-metadata`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from c4guard.live import metadata, platform
from c4guard.live.cgroups import read_limits
from c4guard.live.facts import Facts
from c4guard.live.nvml import (
    DriverNvml,
    GpuReport,
    NvmlSource,
    NvmlUnavailable,
    read_gpus,
)
from c4guard.live.procfs import (
    MountEntry,
    ProcFormatError,
    environment_names,
    host_id,
    parse_cgroup,
    parse_ids,
    parse_mask,
    parse_mountinfo,
    status_fields,
    tcp_listeners,
)
from c4guard.live.rootfs import HostRoot, Unreadable
from c4guard.model import Domain, InputError, Location, Origin, Resource
from c4guard.sources import InputSet

ORIGIN = Origin.HOST
DOMAIN = Domain.HOST
CAPABILITY_FIELDS = ("CapInh", "CapPrm", "CapEff", "CapBnd", "CapAmb")
SERVICE_ACCOUNT_TOKENS = (
    "/var/run/secrets/kubernetes.io/serviceaccount/token",
    "/run/secrets/kubernetes.io/serviceaccount/token",
)
MONITORS = {"falco": "Falco", "tetragon": "Tetragon", "kubearmor": "KubeArmor"}
SSH_DAEMONS = frozenset({"sshd", "dropbear"})
SSH_PORT = 22
MAX_PROCESSES = 100_000
NVIDIA_DEVICE = re.compile(r"nvidia[0-9]+$")


@dataclass(frozen=True, slots=True)
class HostOptions:
    """What to probe. `nvml`: "auto" (the driver when probing this machine's own root),
    "off", or a source of NVML answers (a `RecordedNvml`)."""

    root: Path = Path("/")
    pid: str = "self"
    classes: frozenset[str] = frozenset()
    nvml: str | NvmlSource = "auto"
    metadata_endpoint: str | None = None


class HostProbe:
    """Reads one root into an InputSet."""

    def __init__(self, options: HostOptions) -> None:
        self.options = options
        self.root = HostRoot(options.root)
        self.proc = f"/proc/{options.pid}"
        self.inputs = InputSet()

    def read(self) -> InputSet:
        try:
            status = self.root.read(f"{self.proc}/status")
        except Unreadable as exc:
            self._error(exc.path, None, f"cannot read the process status: {exc.reason}")
            return self.inputs
        mounts = self._mounts()
        process = self._process(status)
        self._add(process)
        self._add(self._cgroup(mounts))
        gpus, gpu_probe = self._gpus()
        node = self._node(mounts, process.body.get("environment") or [])
        node.body.put("gpu_probe", gpu_probe, gpu_probe)
        self._add(node)
        for gpu in gpus:
            self._add(gpu)
        if self.options.metadata_endpoint:
            self._add(self._metadata(self.options.metadata_endpoint))
        self.inputs.summary.files_read = len(self.root.files_read)
        self.inputs.domains.add(DOMAIN)
        return self.inputs

    # ------------------------------------------------------------------ the process

    def _process(self, status: str) -> Resource:
        path = self.root.display(f"{self.proc}/status")
        fields = status_fields(status)
        name = fields.get("Name", ("process", 1))[0]
        facts = Facts(path, None)
        try:
            self._ids_and_capabilities(fields, facts, path)
        except ProcFormatError as exc:
            self._error(path, exc.line, str(exc))
        for key in ("NoNewPrivs", "Seccomp", "Seccomp_filters"):
            if key in fields and fields[key][0].isdigit():
                facts.put(key, int(fields[key][0]), path, fields[key][1])
        self._label(facts)
        self._environment(facts)
        token = next((t for t in SERVICE_ACCOUNT_TOKENS if self.root.exists(t)), None)
        facts.put(
            "service_account_token", token, self.root.display(token or SERVICE_ACCOUNT_TOKENS[0])
        )
        return Resource(ORIGIN, "Process", name, None, facts, Location(path, 1))

    def _ids_and_capabilities(
        self, fields: dict[str, tuple[str, int]], facts: Facts, path: str
    ) -> None:
        for key in ("Uid", "Gid"):
            if key in fields:
                facts.put(key, parse_ids(*fields[key]), path, fields[key][1])
        for key in CAPABILITY_FIELDS:
            if key in fields:
                facts.put(key, parse_mask(*fields[key]), path, fields[key][1])
        uid_map = self.root.read_optional(f"{self.proc}/uid_map")
        if uid_map is not None and "Uid" in facts:
            facts.put(
                "host_uid",
                host_id(uid_map, facts["Uid"][1]),
                self.root.display(f"{self.proc}/uid_map"),
                1,
            )

    def _label(self, facts: Facts) -> None:
        """The LSM label (AppArmor's own attribute file first, as newer kernels have it)."""
        for attr in ("attr/apparmor/current", "attr/current"):
            text = self.root.read_optional(f"{self.proc}/{attr}")
            if text is not None and text.strip("\0\n "):
                facts.put(
                    "lsm_label", text.strip("\0\n "), self.root.display(f"{self.proc}/{attr}"), 1
                )
                return
        facts.put("lsm_label", None, self.root.display(f"{self.proc}/attr/current"))

    def _environment(self, facts: Facts) -> None:
        path = f"{self.proc}/environ"
        try:
            names = environment_names(self.root.read_bytes(path))
        except Unreadable:
            names = None
        facts.put("environment", names, self.root.display(path), 1)

    # ------------------------------------------------------------------ mounts, cgroup

    def _mounts(self) -> list[MountEntry]:
        path = f"{self.proc}/mountinfo"
        try:
            entries, errors = parse_mountinfo(self.root.read(path))
        except Unreadable as exc:
            self._error(exc.path, None, f"cannot read the mounts: {exc.reason}")
            return []
        for error in errors:
            self._error(self.root.display(path), error.line, str(error))
        display = self.root.display(path)
        visible = {entry.mount_point: entry for entry in entries}  # the last mount on a point
        for entry in visible.values():
            facts = Facts(display, entry.line)
            for key in ("mount_point", "root", "fs_type", "source"):
                facts.put(key, getattr(entry, key), display, entry.line)
            facts.put("options", list(entry.options), display, entry.line)
            facts.put("super_options", list(entry.super_options), display, entry.line)
            facts.put("writable", entry.writable, display, entry.line)
            self._add(
                Resource(
                    ORIGIN, "Mount", entry.mount_point, None, facts, Location(display, entry.line)
                )
            )
        return entries

    def _cgroup(self, mounts: list[MountEntry]) -> Resource:
        path = self.root.display(f"{self.proc}/cgroup")
        memberships = parse_cgroup(self.root.read_optional(f"{self.proc}/cgroup") or "")
        facts = Facts(path, None)
        for limit in read_limits(self.root, memberships, mounts):
            facts.put(limit.controller, limit.value, limit.file or path, 1)
            facts.put(f"{limit.controller}_cgroup_version", limit.version, limit.file or path, 1)
        name = next(
            (m.path for m in memberships if m.hierarchy == "0"),
            memberships[0].path if memberships else "/",
        )
        return Resource(ORIGIN, "Cgroup", name, None, facts, Location(path, 1))

    # ------------------------------------------------------------------ the node

    def _node(self, mounts: list[MountEntry], environment: list[str]) -> Resource:
        root = self.root
        facts = Facts(root.display("/"), None)
        in_container, why = platform.container_context(root, environment, mounts)
        facts.put("container", in_container, root.display("/"))
        facts.put("container_evidence", why, root.display("/"))
        facts.put(
            "sees_host_processes",
            platform.sees_host_processes(root),
            root.display("/proc/1/comm"),
            1,
        )
        platform.read_security_modules(root, facts)
        platform.read_lockdown(root, facts)
        platform.read_secure_boot(root, facts, mounts)
        platform.read_tee(root, facts)
        platform.read_tpm(root, facts)
        processes = self._processes()
        facts.put(
            "monitors",
            [{"name": MONITORS[comm], "pid": pid} for pid, comm in processes if comm in MONITORS],
            root.display("/proc"),
        )
        facts.put(
            "ssh_daemons",
            [{"name": comm, "pid": pid} for pid, comm in processes if comm in SSH_DAEMONS],
            root.display("/proc"),
        )
        self._ssh_listeners(facts)
        facts.put("declared_classes", sorted(self.options.classes), "--class")
        hostname = (
            root.read_optional("/proc/sys/kernel/hostname")
            or root.read_optional("/etc/hostname")
            or "host"
        ).strip() or "host"
        return Resource(ORIGIN, "Node", hostname, None, facts, Location(root.display("/")))

    def _processes(self) -> list[tuple[int, str]]:
        found = []
        for entry in self.root.listdir("/proc")[:MAX_PROCESSES]:
            if entry.isdigit():
                comm = self.root.read_optional(f"/proc/{entry}/comm")
                if comm is not None:
                    found.append((int(entry), comm.strip()))
        return sorted(found)

    def _ssh_listeners(self, facts: Facts) -> None:
        listeners = []
        where = self.root.display(f"{self.proc}/net/tcp")
        line = None
        for table in ("tcp", "tcp6"):
            path = f"{self.proc}/net/{table}"
            for listener in tcp_listeners(self.root.read_optional(path) or ""):
                if listener.port == SSH_PORT:
                    listeners.append(f"{listener.address}:{listener.port}")
                    where, line = self.root.display(path), listener.line
        facts.put("ssh_listeners", listeners, where, line)

    # ------------------------------------------------------------------ GPUs

    def _gpus(self) -> tuple[list[Resource], str]:
        """The GPU resources, and how GPUs were probed (or why they could not be)."""
        try:
            source = self._nvml_source()
        except NvmlUnavailable as exc:
            return self._gpu_placeholders(str(exc)), str(exc)
        if source is None:
            reason = (
                "NVML not asked"
                if self.options.nvml == "off"
                else "NVML not asked: --root reads another filesystem root (see --nvml-answers)"
            )
            return self._gpu_placeholders(reason), reason
        try:
            report = read_gpus(source)
        except NvmlUnavailable as exc:
            return self._gpu_placeholders(str(exc)), str(exc)
        finally:
            if isinstance(source, DriverNvml):
                source.close()
        driver = f", driver {report.driver}" if report.driver else ""
        return gpu_resources(report), f"{report.source}{driver}: {len(report.gpus)} GPUs"

    def _nvml_source(self) -> NvmlSource | None:
        choice = self.options.nvml
        if not isinstance(choice, str):
            return choice
        if choice == "off" or not self.root.is_live:
            return None
        return DriverNvml()

    def _gpu_placeholders(self, reason: str) -> list[Resource]:
        """One GPU per /dev/nvidiaN when NVML could not say more (so checks say unknown)."""
        devices = [d for d in self.root.listdir("/dev") if NVIDIA_DEVICE.match(d)]
        resources = []
        for device in devices:
            path = self.root.display(f"/dev/{device}")
            facts = Facts(path, None)
            facts.put("nvml_unavailable", reason, path)
            resources.append(Resource(ORIGIN, "GPU", device, None, facts, Location(path)))
        return resources

    # ------------------------------------------------------------------ metadata

    def _metadata(self, endpoint: str) -> Resource:
        result = metadata.probe(endpoint)
        facts = Facts(endpoint, None)
        facts.put("reachable", result.reachable, endpoint)
        facts.put("answered", result.answered, endpoint)
        facts.put("refused", result.refused, endpoint)
        facts.put("unreachable", result.unreachable, endpoint)
        return Resource(ORIGIN, "MetadataEndpoint", endpoint, None, facts, Location(endpoint))

    # ------------------------------------------------------------------ helpers

    def _add(self, resource: Resource) -> None:
        self.inputs.resources.append(resource)
        self.inputs.summary.resources += 1

    def _error(self, path: str, line: int | None, reason: str) -> None:
        self.inputs.summary.input_errors.append(InputError(path, line, reason))


def gpu_resources(report: GpuReport) -> list[Resource]:
    """One GPU resource per device NVML reported, with the node's confidential-computing
    state beside each (NVML reports it system-wide)."""
    cc = report.confidential
    resources = []
    for gpu in report.gpus:
        path = f"{report.source}: GPU {gpu.index}"
        facts = Facts(path, None)
        facts.put("index", gpu.index, path)
        facts.put("product", gpu.name, path)
        facts.put("driver", report.driver, path)
        facts.put("mig_mode", _modes(gpu.mig_mode), path)
        facts.put("ecc_mode", _modes(gpu.ecc_mode), path)
        facts.put("compute_mode", gpu.compute_mode, path)
        facts.put(
            "confidential_computing",
            {
                "feature": cc.feature,
                "environment": cc.environment,
                "devtools": cc.devtools,
                "ready": cc.ready,
                "cpu_tee": cc.cpu_tee,
            },
            path,
        )
        facts.put("nvml_errors", {**gpu.errors, **cc.errors}, path)
        resources.append(Resource(ORIGIN, "GPU", gpu.uuid, None, facts, Location(path)))
    return resources


def _modes(pair: tuple[int, int] | None) -> dict[str, bool] | None:
    return None if pair is None else {"current": pair[0] == 1, "pending": pair[1] == 1}


def read_host(options: HostOptions) -> InputSet:
    """Probe the process and node described by `options`."""
    return HostProbe(options).read()
