"""Compose checks (the Compose Specification): privileges and users (4.1.1), confinement
(4.1.2), read-only root and mounts (4.1.3), SSH (4.3.2), environment secrets (4.4.5), no
network for sandboxed services (4.5.2), resource limits (4.6.1)."""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass
from fnmatch import fnmatchcase
from typing import TYPE_CHECKING, Any

from c4guard.checks.docker import ROOT_USERS, final_stages
from c4guard.checks.registry import Outcome, check, failed, not_applicable, passed
from c4guard.checks.subjects import BlockSubject, key_line
from c4guard.model import Location, NotApplicable, Resource
from c4guard.secretnames import is_secret_name
from c4guard.sources.compose import KIND, ORIGIN, ComposeService
from c4guard.workloads.views import dig

if TYPE_CHECKING:
    from c4guard.inventory import Inventory

SPEC = "https://docs.docker.com/reference/compose-file/services/"
RUN_SECURITY = "https://docs.docker.com/engine/security/"
ALLOWED_ADDED_CAPABILITIES = frozenset({"NET_BIND_SERVICE"})
HOST_MODES = ("network_mode", "pid", "ipc", "userns_mode", "uts", "cgroup")
RUNTIME_SOCKETS = ("docker.sock", "containerd.sock", "crio.sock", "podman.sock", "cri-dockerd.sock")
UNCONFINED = (
    "seccomp:unconfined",
    "seccomp=unconfined",
    "apparmor:unconfined",
    "apparmor=unconfined",
    "label:disable",
    "label=disable",
    "systempaths=unconfined",
)
WEAKENING_TMPFS_OPTIONS = frozenset({"exec", "suid", "dev"})
SSH_PORT = 22
UNTRUSTED = "untrusted-model"
CLASS_LABEL = "c4guard.dev/class"


@dataclass(frozen=True, slots=True)
class ServiceView:
    resource: Resource
    service: ComposeService

    @property
    def spec(self) -> Any:
        return self.service.spec

    def subject(self) -> BlockSubject:
        location = self.resource.location
        return BlockSubject(
            self.resource.ref,
            f"service {self.service.name}",
            f"services.{self.service.name}",
            self.spec,
            Location(location.path, self.service.line),
            "compose",
        )


def services(inv: Inventory) -> Iterator[ServiceView]:
    for resource in inv.kind(KIND, origin=ORIGIN):
        yield ServiceView(resource, resource.body)


def _strings(value: Any) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, list):
        return [str(v) for v in value if isinstance(v, str | int | float)]
    return []


def _capabilities(value: Any) -> set[str]:
    return {c.upper().removeprefix("CAP_") for c in _strings(value)}


# ---------------------------------------------------------------------------- 4.1.1


@check(
    "COMPOSE-PRIVILEGED",
    requirement="4.1.1",
    severity="critical",
    domain="compose",
    title="Compose services do not run privileged",
    remediation="Remove `privileged: true`; add only the capability or device needed.",
    references=(SPEC + "#privileged",),
)
def compose_privileged(inv: Inventory) -> Iterator[Outcome]:
    """A privileged container has every capability and all host devices."""
    for view in services(inv):
        subject = view.subject()
        setting = subject.setting("privileged")
        if setting.value is True:
            yield failed(subject, "runs privileged", setting=setting)
        else:
            yield passed(subject, "is not privileged", setting=setting)


@check(
    "COMPOSE-CAPS-DROP-ALL",
    requirement="4.1.1",
    severity="high",
    domain="compose",
    title="Compose services drop all capabilities",
    remediation="Add `cap_drop: [ALL]` and add back only NET_BIND_SERVICE if needed.",
    references=(SPEC + "#cap_drop",),
)
def compose_drop_all(inv: Inventory) -> Iterator[Outcome]:
    """Docker's default capability set (CHOWN, DAC_OVERRIDE, SETUID, NET_RAW...) stays unless
    dropped."""
    for view in services(inv):
        subject = view.subject()
        setting = subject.setting("cap_drop")
        if "ALL" in _capabilities(setting.value):
            yield passed(subject, "drops ALL capabilities", setting=setting)
        else:
            yield failed(
                subject, "does not drop ALL capabilities: Docker's defaults remain", setting=setting
            )


@check(
    "COMPOSE-CAPS-ADDED",
    requirement="4.1.1",
    severity="high",
    domain="compose",
    title="Compose services add no capabilities beyond NET_BIND_SERVICE",
    remediation="Remove capabilities other than NET_BIND_SERVICE from `cap_add`.",
    references=(SPEC + "#cap_add",),
)
def compose_caps_added(inv: Inventory) -> Iterator[Outcome]:
    """Added capabilities (SYS_ADMIN, NET_ADMIN, SYS_PTRACE...) widen the kernel surface."""
    for view in services(inv):
        subject = view.subject()
        setting = subject.setting("cap_add")
        extra = sorted(_capabilities(setting.value) - ALLOWED_ADDED_CAPABILITIES)
        if extra:
            yield failed(
                subject,
                f"adds capabilities {', '.join(extra)}",
                setting=setting,
                evidence={"added": extra},
            )
        else:
            yield passed(subject, "adds no capability beyond NET_BIND_SERVICE", setting=setting)


@check(
    "COMPOSE-USER",
    requirement="4.1.1",
    severity="high",
    domain="compose",
    title="Compose services run as a non-root user",
    remediation='Set `user: "<uid>:<gid>"` (non-zero), or build the image with a non-root '
    "final USER.",
    references=(SPEC + "#user",),
)
def compose_user(inv: Inventory) -> Iterator[Outcome]:
    """Without `user:`, the image's USER decides, which is root for most images; a service
    built from a Dockerfile among the inputs is judged by that Dockerfile's final USER."""
    dockerfile_users = _dockerfile_users(inv)
    for view in services(inv):
        yield _user_outcome(view, dockerfile_users)


def _user_outcome(view: ServiceView, dockerfile_users: dict[str, str | None]) -> Outcome:
    subject = view.subject()
    setting = subject.setting("user")
    if setting.value is not None:
        user = str(setting.value).partition(":")[0].strip()
        if user in ROOT_USERS:
            return failed(subject, f"runs as root (user: {setting.value})", setting=setting)
        return passed(subject, f"runs as user {setting.value}", setting=setting)
    dockerfile = _built_from(view)
    if dockerfile is not None and dockerfile in dockerfile_users:
        user = dockerfile_users[dockerfile]
        if user is not None and user.partition(":")[0] not in ROOT_USERS:
            return passed(
                subject,
                f"runs as USER {user} of its Dockerfile {dockerfile}",
                setting=subject.setting("build"),
            )
        return failed(
            subject,
            f"sets no user: and its Dockerfile {dockerfile} does not end with a non-root USER",
            setting=subject.setting("build"),
        )
    image = view.spec.get("image")
    if isinstance(image, str) and "nonroot" in image.rsplit("/", 1)[-1].lower():
        return passed(
            subject, f"runs as the non-root user of image {image}", setting=subject.setting("image")
        )
    return failed(
        subject, "sets no user: the image's USER decides, root for most images", setting=setting
    )


def _built_from(view: ServiceView) -> str | None:
    """The normalised path of the Dockerfile a service is built from, if it is built."""
    build = view.spec.get("build")
    if isinstance(build, str):
        context, dockerfile = build, "Dockerfile"
    elif isinstance(build, dict) and isinstance(build.get("context", "."), str):
        context = build.get("context", ".")
        dockerfile = build.get("dockerfile") or "Dockerfile"
    else:
        return None
    if "://" in context or not isinstance(dockerfile, str):
        return None
    base = os.path.dirname(view.resource.location.path)
    return os.path.normpath(os.path.join(base, context, dockerfile))


def _dockerfile_users(inv: Inventory) -> dict[str, str | None]:
    """Final USER (None when root or unknown) per Dockerfile path among the inputs."""
    users: dict[str, str | None] = {}
    for view in final_stages(inv):
        value, instruction, _origin = view.dockerfile.effective_user(view.stage)
        users[os.path.normpath(view.resource.name)] = value if instruction is not None else None
    return users


@check(
    "COMPOSE-NO-NEW-PRIVILEGES",
    requirement="4.1.1",
    severity="high",
    domain="compose",
    title="Compose services set no-new-privileges",
    remediation='Add `security_opt: ["no-new-privileges:true"]`.',
    references=(RUN_SECURITY,),
)
def compose_no_new_privileges(inv: Inventory) -> Iterator[Outcome]:
    """Without no-new-privileges, setuid binaries in the image can gain privileges."""
    for view in services(inv):
        subject = view.subject()
        setting = subject.setting("security_opt")
        options = [o.replace("=", ":").lower() for o in _strings(setting.value)]
        if "no-new-privileges" in options or "no-new-privileges:true" in options:
            yield passed(subject, "sets no-new-privileges", setting=setting)
        else:
            yield failed(subject, "does not set no-new-privileges", setting=setting)


@check(
    "COMPOSE-HOST-NAMESPACES",
    requirement="4.1.1",
    severity="high",
    domain="compose",
    title="Compose services do not share the host's namespaces",
    remediation="Remove `network_mode: host`, `pid: host`, `ipc: host`, `userns_mode: host`, "
    "`uts: host` and `cgroup: host`.",
    references=(SPEC + "#network_mode",),
)
def compose_host_namespaces(inv: Inventory) -> Iterator[Outcome]:
    """Host namespaces expose the host's processes, IPC and network stack to the service."""
    for view in services(inv):
        subject = view.subject()
        shared = [key for key in HOST_MODES if view.spec.get(key) == "host"]
        if shared:
            yield failed(
                subject,
                "shares the host's namespaces: " + ", ".join(f"{key}: host" for key in shared),
                setting=subject.setting(shared[0]),
                evidence={"shared": shared},
            )
        else:
            yield passed(subject, "uses its own namespaces")


@check(
    "COMPOSE-RUNTIME-SOCKET",
    requirement="4.1.1",
    severity="critical",
    domain="compose",
    title="Compose services do not mount the container runtime's socket",
    remediation="Remove the docker.sock/containerd.sock mount; use a rootless, scoped API "
    "(or a socket proxy allowing only the calls needed).",
    references=(RUN_SECURITY + "#docker-daemon-attack-surface",),
)
def compose_runtime_socket(inv: Inventory) -> Iterator[Outcome]:
    """Access to the runtime's socket is root on the host."""
    for view in services(inv):
        subject = view.subject()
        sockets = [
            m for m in _mounts(view) if m.source and m.source.rstrip("/").endswith(RUNTIME_SOCKETS)
        ]
        for mount in sockets:
            yield failed(
                subject,
                f"mounts the runtime socket {mount.source}",
                setting=subject.at(mount.line, mount.source, "volumes"),
            )
        if not sockets:
            yield passed(subject, "mounts no container runtime socket")


# ---------------------------------------------------------------------------- mounts


@dataclass(frozen=True, slots=True)
class Mount:
    kind: str  # bind, volume, tmpfs
    source: str | None
    target: str
    read_only: bool
    options: tuple[str, ...]
    line: int | None


def _mounts(view: ServiceView) -> list[Mount]:
    volumes = view.spec.get("volumes")
    if not isinstance(volumes, list):
        return []
    lines = getattr(volumes, "item_lines", [])
    mounts = []
    for index, item in enumerate(volumes):
        line = lines[index] if index < len(lines) else None
        mount = _mount(item, line)
        if mount is not None:
            mounts.append(mount)
    return mounts


def _mount(item: Any, line: int | None) -> Mount | None:
    if isinstance(item, str):
        parts = item.split(":")
        if len(parts) == 1:
            return Mount("volume", None, parts[0], False, (), line)
        source, target = parts[0], parts[1]
        options = tuple(parts[2].split(",")) if len(parts) > 2 else ()
        kind = "bind" if source.startswith(("/", ".", "~", "$")) else "volume"
        return Mount(kind, source, target, "ro" in options, options, line)
    if isinstance(item, dict):
        kind = str(item.get("type", "volume"))
        source = item.get("source")
        return Mount(
            kind,
            str(source) if source is not None else None,
            str(item.get("target", "")),
            item.get("read_only") is True,
            (),
            getattr(item, "line", line),
        )
    return None


# ---------------------------------------------------------------------------- 4.1.2


@check(
    "COMPOSE-CONFINEMENT",
    requirement="4.1.2",
    severity="high",
    domain="compose",
    title="Compose services keep seccomp, AppArmor and SELinux confinement",
    remediation="Remove `seccomp:unconfined`, `apparmor:unconfined` and `label:disable` "
    "from `security_opt` (and `privileged: true`, which disables them all).",
    references=(RUN_SECURITY + "seccomp/", RUN_SECURITY + "apparmor/"),
)
def compose_confinement(inv: Inventory) -> Iterator[Outcome]:
    """Docker applies its default seccomp profile and AppArmor/SELinux confinement unless a
    service opts out; opting out removes the kernel's exploit mitigations."""
    for view in services(inv):
        subject = view.subject()
        setting = subject.setting("security_opt")
        options = [o.lower().replace(" ", "") for o in _strings(setting.value)]
        disabled = [o for o in options if o in UNCONFINED]
        if disabled:
            yield failed(subject, f"disables confinement ({', '.join(disabled)})", setting=setting)
        elif view.spec.get("privileged") is True:
            yield failed(
                subject,
                "runs privileged, which disables seccomp and AppArmor",
                setting=subject.setting("privileged"),
            )
        else:
            custom = [o for o in options if o.startswith(("seccomp", "apparmor", "label"))]
            how = (
                f"uses {', '.join(custom)}"
                if custom
                else ("keeps Docker's default seccomp profile and AppArmor/SELinux confinement")
            )
            yield passed(subject, how, setting=setting)


# ---------------------------------------------------------------------------- 4.1.3


@check(
    "COMPOSE-READ-ONLY",
    requirement="4.1.3",
    severity="medium",
    domain="compose",
    title="Compose services run with a read-only root filesystem",
    remediation="Set `read_only: true` and mount `tmpfs:` where the service must write.",
    references=(SPEC + "#read_only",),
)
def compose_read_only(inv: Inventory) -> Iterator[Outcome]:
    """A writable root filesystem lets an attacker modify binaries and drop tools."""
    for view in services(inv):
        subject = view.subject()
        setting = subject.setting("read_only")
        if setting.value is True:
            yield passed(subject, "has a read-only root filesystem", setting=setting)
        else:
            yield failed(
                subject, "has a writable root filesystem (read_only is not true)", setting=setting
            )


@check(
    "COMPOSE-WRITABLE-MOUNTS",
    requirement="4.1.3",
    severity="medium",
    domain="compose",
    title="Compose writable mounts are hardened (tmpfs noexec/nosuid/nodev, bind mounts ro)",
    remediation="Mount host paths read-only (`:ro` or `read_only: true`); keep tmpfs mounts "
    "at Docker's defaults (noexec,nosuid,nodev) without `exec`, `suid` or `dev`.",
    references=(SPEC + "#tmpfs", SPEC + "#volumes"),
)
def compose_writable_mounts(inv: Inventory) -> Iterator[Outcome]:
    """Writable host paths reach outside the container; tmpfs mounts with exec or suid let an
    attacker run dropped binaries."""
    for view in services(inv):
        subject = view.subject()
        problems = [*_weak_tmpfs(view, subject), *_writable_binds(view, subject)]
        yield from problems
        if not problems:
            yield passed(
                subject,
                "has no writable host mount and no weakened tmpfs",
                setting=subject.setting("volumes"),
            )


def _weak_tmpfs(view: ServiceView, subject: BlockSubject) -> list[Outcome]:
    tmpfs = view.spec.get("tmpfs")
    entries = _strings(tmpfs)
    lines = getattr(tmpfs, "item_lines", None) or [key_line(view.spec, "tmpfs")] * len(entries)
    found = []
    for entry, line in zip(entries, lines, strict=False):
        path, _, options = entry.partition(":")
        weak = sorted(WEAKENING_TMPFS_OPTIONS.intersection(o.strip() for o in options.split(",")))
        if weak:
            found.append(
                failed(
                    subject,
                    f"mounts tmpfs {path} with {', '.join(weak)}",
                    setting=subject.at(line, entry, "tmpfs"),
                )
            )
    return found


def _writable_binds(view: ServiceView, subject: BlockSubject) -> list[Outcome]:
    return [
        failed(
            subject,
            f"mounts host path {m.source} at {m.target} writable",
            setting=subject.at(m.line, m.source, "volumes"),
        )
        for m in _mounts(view)
        if m.kind == "bind" and not m.read_only
    ]


# ---------------------------------------------------------------------------- 4.3.2


@check(
    "COMPOSE-SSH-PORT",
    requirement="4.3.2",
    severity="high",
    domain="compose",
    title="Compose services do not publish SSH",
    remediation="Remove the published port 22; use `docker exec` or an audited bastion.",
    references=(SPEC + "#ports",),
)
def compose_ssh_port(inv: Inventory) -> Iterator[Outcome]:
    """A published SSH port is an administrative entry point beside the platform's own."""
    for view in services(inv):
        subject = view.subject()
        ports = view.spec.get("ports")
        items = ports if isinstance(ports, list) else []
        lines = getattr(ports, "item_lines", [])
        ssh = [
            (item, lines[i] if i < len(lines) else None)
            for i, item in enumerate(items)
            if _publishes_ssh(item)
        ]
        for item, line in ssh:
            yield failed(
                subject,
                f"publishes the SSH port ({item})",
                setting=subject.at(line, str(item), "ports"),
            )
        if not ssh:
            yield passed(subject, "publishes no SSH port")


def _publishes_ssh(item: Any) -> bool:
    if isinstance(item, dict):
        candidates = [item.get("target"), item.get("published")]
    else:
        text = str(item).rsplit("/", 1)[0]
        parts = text.split(":")
        candidates = parts[-2:] if len(parts) > 1 else parts
    return any(_in_port_range(str(c), SSH_PORT) for c in candidates if c is not None)


def _in_port_range(text: str, port: int) -> bool:
    low, _, high = text.partition("-")
    if not low.strip().isdigit():
        return False
    high = high if high.strip().isdigit() else low
    return int(low) <= port <= int(high)


# ---------------------------------------------------------------------------- 4.4.5


@check(
    "COMPOSE-ENV-SECRETS",
    requirement="4.4.5",
    severity="high",
    domain="compose",
    title="Compose services get secrets from `secrets:`, not the environment",
    remediation="Declare the secret under top-level `secrets:` and grant it with the "
    "service's `secrets:` (mounted at /run/secrets/<name>); point the app at "
    "the file (`*_FILE` variables).",
    references=("https://docs.docker.com/compose/how-tos/use-secrets/",),
)
def compose_environment_secrets(inv: Inventory) -> Iterator[Outcome]:
    """Environment variables leak through `docker inspect`, /proc, crash dumps and child
    processes; the standard forbids secrets in them."""
    for view in services(inv):
        subject = view.subject()
        found = _secret_environment(view)
        for name, line in found:
            yield failed(
                subject,
                f"passes {name} through the environment",
                setting=subject.at(line, name, f"environment.{name}"),
            )
        if not found:
            how = (
                "gets secrets from `secrets:` files"
                if view.spec.get("secrets")
                else "has no secret-named environment variable"
            )
            yield passed(subject, how, setting=subject.setting("environment"))


def _secret_environment(view: ServiceView) -> list[tuple[str, int | None]]:
    environment = view.spec.get("environment")
    if isinstance(environment, dict):
        pairs = [(str(k), key_line(environment, k)) for k in environment]
    elif isinstance(environment, list):
        lines = getattr(environment, "item_lines", [])
        pairs = [
            (str(item).partition("=")[0], lines[i] if i < len(lines) else None)
            for i, item in enumerate(environment)
        ]
    else:
        return []
    return [(name, line) for name, line in pairs if is_secret_name(name)]


# ---------------------------------------------------------------------------- 4.5.2


@check(
    "COMPOSE-SANDBOX-NO-NETWORK",
    requirement="4.5.2",
    severity="high",
    domain="compose",
    title="Sandboxed compose services have no network by default",
    remediation="Give sandboxed or untrusted-model services `network_mode: none`, or only "
    "networks declared `internal: true`.",
    references=(SPEC + "#network_mode",),
)
def compose_sandbox_network(inv: Inventory) -> Iterator[Outcome | NotApplicable]:
    """A service that runs untrusted models in a sandbox runtime should reach nothing."""
    sandboxed = [(view, why) for view in services(inv) if (why := _sandboxed(view, inv))]
    for view, why in sandboxed:
        yield _network_outcome(view, view.subject(), why)
    if not sandboxed:
        yield not_applicable(
            "4.5.2",
            "no compose service runs in a sandbox runtime or is "
            f"labelled {CLASS_LABEL}: {UNTRUSTED}",
        )


def _sandboxed(view: ServiceView, inv: Inventory) -> str | None:
    runtime = view.spec.get("runtime")
    if isinstance(runtime, str) and any(
        fnmatchcase(runtime, glob) for glob in inv.config.runtime_classes.sandbox
    ):
        return f"runtime {runtime}"
    labels = view.spec.get("labels")
    value = labels.get(CLASS_LABEL) if isinstance(labels, dict) else None
    if value is None and isinstance(labels, list):
        value = next(
            (
                str(item).partition("=")[2]
                for item in labels
                if str(item).startswith(CLASS_LABEL + "=")
            ),
            None,
        )
    if isinstance(value, str) and UNTRUSTED in (v.strip() for v in value.split(",")):
        return f"label {CLASS_LABEL}: {UNTRUSTED}"
    return None


def _network_outcome(view: ServiceView, subject: BlockSubject, why: str) -> Outcome:
    mode = subject.setting("network_mode")
    if mode.value == "none":
        return passed(subject, f"({why}) has no network (network_mode: none)", setting=mode)
    joined = subject.setting("networks")
    names = (
        [n for n in joined.value if isinstance(n, str)]
        if isinstance(joined.value, dict | list)
        else []
    )
    declared = view.service.project.get("networks")
    declared = declared if isinstance(declared, dict) else {}
    internal = [
        n
        for n in names
        if isinstance(declared.get(n), dict) and declared[n].get("internal") is True
    ]
    if names and len(internal) == len(names):
        return passed(subject, f"({why}) joins only internal networks", setting=joined)
    return failed(
        subject,
        f"({why}) can reach the network: set network_mode: none or use internal networks only",
        setting=mode if mode.present else joined,
    )


# ---------------------------------------------------------------------------- 4.6.1


@check(
    "COMPOSE-LIMITS",
    requirement="4.6.1",
    severity="medium",
    domain="compose",
    title="Compose services have CPU and memory limits",
    remediation="Set `deploy.resources.limits.cpus` and `.memory` (or `cpus`/`mem_limit`).",
    references=(SPEC + "#deploy", "https://docs.docker.com/reference/compose-file/deploy/"),
)
def compose_limits(inv: Inventory) -> Iterator[Outcome]:
    """A service without limits can take the host's CPU and memory from its neighbours."""
    for view in services(inv):
        subject = view.subject()
        limits = subject.setting("deploy", "resources", "limits")
        limit_map = limits.value if isinstance(limits.value, dict) else {}
        cpu = limit_map.get("cpus") or view.spec.get("cpus") or view.spec.get("cpu_quota")
        memory = limit_map.get("memory") or view.spec.get("mem_limit")
        missing = [name for name, value in (("cpu", cpu), ("memory", memory)) if not value]
        if missing:
            yield failed(subject, f"has no {' or '.join(missing)} limit", setting=limits)
        else:
            yield passed(subject, f"limits cpu to {cpu} and memory to {memory}", setting=limits)


@check(
    "COMPOSE-PIDS-LIMIT",
    requirement="4.6.1",
    severity="medium",
    domain="compose",
    title="Compose services limit the number of processes",
    remediation="Set `pids_limit` (or `deploy.resources.limits.pids`).",
    references=(SPEC + "#pids_limit",),
)
def compose_pids_limit(inv: Inventory) -> Iterator[Outcome]:
    """Without a pids limit, a fork bomb in one service exhausts the host's process table."""
    for view in services(inv):
        subject = view.subject()
        for setting in (
            subject.setting("pids_limit"),
            subject.setting("deploy", "resources", "limits", "pids"),
        ):
            if isinstance(setting.value, int) and setting.value > 0:
                yield passed(subject, f"limits processes to {setting.value}", setting=setting)
                break
        else:
            yield failed(subject, "has no pids_limit", setting=subject.setting("pids_limit"))


@check(
    "COMPOSE-GPU-SCOPE",
    requirement="4.6.1",
    severity="medium",
    domain="compose",
    title="Compose GPU reservations name a count or devices, not all GPUs",
    remediation="Reserve GPUs with `count: <n>` or `device_ids: [...]` under "
    "`deploy.resources.reservations.devices`, not `count: all`.",
    references=("https://docs.docker.com/compose/how-tos/gpu-support/",),
)
def compose_gpu_scope(inv: Inventory) -> Iterator[Outcome]:
    """A service given every GPU of the host can starve the others and sees their memory."""
    for view in services(inv):
        subject = view.subject()
        reservations = _gpu_reservations(view)
        whole = [(device, line) for device, line in reservations if _all_gpus(device)]
        if view.spec.get("gpus") == "all":
            whole.append(("gpus: all", key_line(view.spec, "gpus")))
        for device, line in whole:
            yield failed(
                subject,
                "is given every GPU of the host",
                setting=subject.at(line, str(device), "deploy.resources.reservations"),
            )
        if reservations and not whole:
            device, line = reservations[0]
            yield passed(
                subject,
                "reserves a bounded set of GPUs",
                setting=subject.at(line, str(device), "deploy.resources.reservations"),
            )


def _gpu_reservations(view: ServiceView) -> list[tuple[Any, int | None]]:
    devices = dig(view.spec, ("deploy", "resources", "reservations", "devices"))
    if not isinstance(devices, list):
        return []
    return [
        (d, getattr(d, "line", None))
        for d in devices
        if isinstance(d, dict)
        and ("gpu" in _strings(d.get("capabilities")) or d.get("driver") == "nvidia")
    ]


def _all_gpus(device: dict[str, Any]) -> bool:
    """`count: all`, or neither count nor device_ids (Compose then reserves every GPU)."""
    return device.get("count") == "all" or ("count" not in device and "device_ids" not in device)
