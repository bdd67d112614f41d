"""C4.1 Runtime environment isolation: Kubernetes evidence for 4.1.1-4.1.5 (container and
pod security settings, RBAC of workload service accounts, seccomp profiles, volume mount
options, runtime monitors that terminate, hardware isolation of high-risk workloads)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from c4guard.checks.registry import Outcome, check, failed, not_applicable, passed, unknown
from c4guard.kube.objects import ObjectView, annotation_setting
from c4guard.kube.rbac import rbac, wildcard
from c4guard.kube.runtime_response import response_for
from c4guard.kube.seccomp import judge_profile
from c4guard.kube.seccomp import resolve as resolve_profile
from c4guard.kube.tee import tee_posture
from c4guard.model import Location, NotApplicable, Resource
from c4guard.views.kubernetes import is_sandboxed
from c4guard.workloads.views import Setting

if TYPE_CHECKING:
    from c4guard.inventory import Inventory
    from c4guard.workloads import ContainerView, PodView


PSS = "https://kubernetes.io/docs/concepts/security/pod-security-standards/"


SECURITY_CONTEXT = "https://kubernetes.io/docs/tasks/configure-pod-container/security-context/"


ALLOWED_ADDED_CAPABILITIES = frozenset({"NET_BIND_SERVICE"})


ALLOWED_SELINUX_TYPES = frozenset(
    {
        "",
        "container_t",
        "container_init_t",
        "container_kvm_t",
        "container_engine_t",
    }
)


CONFINED_SECCOMP = frozenset({"RuntimeDefault", "Localhost"})


SECCOMP_POD_ANNOTATION = "seccomp.security.alpha.kubernetes.io/pod"


SECCOMP_CONTAINER_ANNOTATION = "container.seccomp.security.alpha.kubernetes.io/"


APPARMOR_CONTAINER_ANNOTATION = "container.apparmor.security.beta.kubernetes.io/"


HOST_NAMESPACES = ("hostPID", "hostIPC", "hostNetwork")


PSA_ENFORCE = "pod-security.kubernetes.io/enforce"


def linux_pods(inv: Inventory) -> Iterator[PodView]:
    """Pods that run Linux (Linux-only settings do not apply to Windows pods)."""
    for pod in inv.pods():
        os_spec = pod.spec.get("os")
        if not (isinstance(os_spec, dict) and os_spec.get("name") == "windows"):
            yield pod


def linux_containers(inv: Inventory) -> Iterator[ContainerView]:
    for pod in linux_pods(inv):
        yield from pod.containers


def capability_names(value: Any) -> set[str]:
    """Capability names as the kernel spells them, without a CAP_ prefix."""
    if not isinstance(value, list):
        return set()
    return {str(v).upper().removeprefix("CAP_") for v in value}


@check(
    "K8S-PRIVILEGED",
    requirement="4.1.1",
    severity="critical",
    title="Containers do not run privileged",
    remediation="Remove `securityContext.privileged: true`; grant only the specific "
    "capability or device the workload needs.",
    references=(PSS,),
)
def no_privileged_containers(inv: Inventory) -> Iterator[Outcome]:
    """A privileged container has every capability and the host's devices."""
    for c in inv.containers():
        setting = c.security("privileged")
        if setting.value is True:
            yield failed(
                c, "runs privileged: full access to the host's devices and kernel", setting=setting
            )
        else:
            yield passed(c, "is not privileged", setting=setting)


@check(
    "K8S-PRIV-ESCALATION",
    requirement="4.1.1",
    severity="high",
    title="Containers set allowPrivilegeEscalation: false",
    remediation="Set `securityContext.allowPrivilegeEscalation: false` on every container.",
    references=(PSS, SECURITY_CONTEXT),
)
def no_privilege_escalation(inv: Inventory) -> Iterator[Outcome]:
    """Without `allowPrivilegeEscalation: false`, setuid binaries can gain privileges."""
    for c in linux_containers(inv):
        setting = c.security("allowPrivilegeEscalation")
        if setting.value is False:
            yield passed(c, "sets allowPrivilegeEscalation: false", setting=setting)
        elif setting.present:
            yield failed(c, "sets allowPrivilegeEscalation: true", setting=setting)
        else:
            yield failed(
                c,
                "does not set allowPrivilegeEscalation: false (it defaults to true)",
                setting=setting,
            )


@check(
    "K8S-CAPS-DROP-ALL",
    requirement="4.1.1",
    severity="high",
    title="Containers drop all Linux capabilities",
    remediation="Add `securityContext.capabilities.drop: [ALL]` and add back only what is "
    "needed (NET_BIND_SERVICE).",
    references=(PSS,),
)
def drop_all_capabilities(inv: Inventory) -> Iterator[Outcome]:
    """Containers keep the runtime's default capability set unless they drop ALL."""
    for c in linux_containers(inv):
        setting = c.security("capabilities", "drop")
        if "ALL" in capability_names(setting.value):
            yield passed(c, "drops ALL capabilities", setting=setting)
        else:
            yield failed(
                c,
                "does not drop ALL capabilities: the runtime's defaults remain",
                setting=setting,
                fix="add `capabilities.drop: [ALL]`",
            )


@check(
    "K8S-CAPS-ADDED",
    requirement="4.1.1",
    severity="high",
    title="Containers add no capabilities beyond NET_BIND_SERVICE",
    remediation="Remove added capabilities other than NET_BIND_SERVICE from "
    "`securityContext.capabilities.add`.",
    references=(PSS,),
)
def only_allowed_capabilities(inv: Inventory) -> Iterator[Outcome]:
    """Added capabilities (SYS_ADMIN, NET_ADMIN, SYS_PTRACE...) widen the kernel surface."""
    for c in linux_containers(inv):
        setting = c.security("capabilities", "add")
        extra = sorted(capability_names(setting.value) - ALLOWED_ADDED_CAPABILITIES)
        if extra:
            yield failed(
                c,
                f"adds capabilities {', '.join(extra)}",
                setting=setting,
                evidence={"added": extra},
            )
        else:
            yield passed(c, "adds no capability beyond NET_BIND_SERVICE", setting=setting)


@check(
    "K8S-RUN-AS-NON-ROOT",
    requirement="4.1.1",
    severity="high",
    title="Containers run as a non-root user",
    remediation="Set `runAsNonRoot: true` and a non-zero `runAsUser` (pod or container "
    "securityContext), or run the pod in a user namespace (`hostUsers: false`).",
    references=(PSS,),
)
def run_as_non_root(inv: Inventory) -> Iterator[Outcome]:
    """runAsUser 0 runs as root; without runAsNonRoot or a non-zero runAsUser the image's
    USER decides, which is root for most images."""
    for c in linux_containers(inv):
        yield _run_as_non_root(c)


def _run_as_non_root(c: ContainerView) -> Outcome:
    user = c.security("runAsUser")
    non_root = c.security("runAsNonRoot")
    host_users = c.pod.setting("hostUsers")
    if isinstance(user.value, int) and user.value == 0:
        if host_users.value is False:
            return passed(
                c,
                "runs as uid 0 inside a user namespace (hostUsers: false), an "
                "unprivileged user on the node",
                setting=host_users,
            )
        return failed(c, "runs as root (runAsUser: 0)", setting=user)
    if isinstance(user.value, int) and user.value > 0:
        return passed(c, f"runs as uid {user.value}", setting=user)
    if non_root.value is True:
        return passed(c, "requires a non-root user (runAsNonRoot: true)", setting=non_root)
    if host_users.value is False:
        return passed(
            c,
            "runs in a user namespace (hostUsers: false): root in the container "
            "is unprivileged on the node",
            setting=host_users,
        )
    if non_root.value is False:
        return failed(c, "allows running as root (runAsNonRoot: false)", setting=non_root)
    return failed(
        c,
        "may run as root: neither runAsNonRoot: true nor a non-zero runAsUser is "
        "set, so the image's USER decides",
        setting=non_root,
    )


@check(
    "K8S-HOST-NAMESPACES",
    requirement="4.1.1",
    severity="high",
    title="Pods do not share the host's PID, IPC or network namespaces",
    remediation="Remove `hostPID`, `hostIPC` and `hostNetwork` from the pod spec.",
    references=(PSS,),
)
def no_host_namespaces(inv: Inventory) -> Iterator[Outcome]:
    """Host namespaces expose the node's processes, IPC and network stack to the pod."""
    for pod in inv.pods():
        shared = [name for name in HOST_NAMESPACES if pod.spec.get(name) is True]
        if shared:
            yield failed(
                pod,
                f"shares the host's namespaces: {', '.join(shared)}",
                setting=pod.setting(shared[0]),
                evidence={"shared": shared},
            )
        else:
            yield passed(pod, "uses its own PID, IPC and network namespaces")


@check(
    "K8S-PROC-MOUNT",
    requirement="4.1.1",
    severity="high",
    title="Containers keep the default masked /proc",
    remediation="Remove `securityContext.procMount: Unmasked`.",
    references=(PSS,),
)
def masked_proc(inv: Inventory) -> Iterator[Outcome]:
    """An unmasked /proc exposes kernel interfaces the runtime normally hides."""
    for c in linux_containers(inv):
        setting = c.security("procMount")
        if setting.value == "Unmasked":
            yield failed(c, "mounts /proc unmasked (procMount: Unmasked)", setting=setting)
        else:
            yield passed(c, "keeps the default masked /proc", setting=setting)


@check(
    "K8S-SA-TOKEN-AUTOMOUNT",
    requirement="4.1.1",
    severity="medium",
    title="Pods do not mount a service-account token they do not need",
    remediation="Set `automountServiceAccountToken: false` on the pod (or its "
    "ServiceAccount) and mount a projected token only where the API is used.",
    references=(
        "https://kubernetes.io/docs/tasks/configure-pod-container/"
        "configure-service-account/#opt-out-of-api-credential-automounting",
    ),
)
def service_account_token(inv: Inventory) -> Iterator[Outcome]:
    """A mounted token lets anyone who compromises the pod call the Kubernetes API."""
    for pod in inv.pods():
        yield _token_outcome(inv, pod)


def _token_outcome(inv: Inventory, pod: PodView) -> Outcome:
    own = pod.setting("automountServiceAccountToken")
    if own.value is False:
        return passed(pod, "does not mount a service-account token", setting=own)
    if own.value is True:
        return failed(
            pod, "mounts a service-account token (automountServiceAccountToken: true)", setting=own
        )
    name = pod.spec.get("serviceAccountName") or pod.spec.get("serviceAccount") or "default"
    account = inv.find("ServiceAccount", pod.workload.namespace, str(name))
    if account is not None and account.body.get("automountServiceAccountToken") is False:
        return passed(
            pod,
            f"its ServiceAccount {name} disables token automounting",
            setting=pod.setting("serviceAccountName"),
            evidence={"serviceAccount": str(name), "at": str(account.location)},
        )
    return failed(
        pod,
        f"mounts the token of ServiceAccount {name} by default "
        "(automountServiceAccountToken is not false)",
        setting=own,
    )


@check(
    "K8S-PSA-RESTRICTED",
    requirement="4.1.1",
    severity="medium",
    title="Namespaces that run workloads enforce the restricted Pod Security Standard",
    remediation="Label the namespace `pod-security.kubernetes.io/enforce: restricted`.",
    references=("https://kubernetes.io/docs/concepts/security/pod-security-admission/",),
)
def namespace_enforces_restricted(inv: Inventory) -> Iterator[Outcome]:
    """Pod Security Admission rejects pods that break the restricted profile. Judged for
    Namespace objects among the inputs."""
    for ns in inv.namespaces_with_workloads():
        if not ns.declared:
            continue
        level = ns.labels.get(PSA_ENFORCE)
        setting = Setting(
            level,
            ns.locate("metadata", "labels", PSA_ENFORCE),
            f"metadata.labels.{PSA_ENFORCE}",
            "namespace" if level else None,
        )
        if level == "restricted":
            yield passed(ns, "enforces the restricted Pod Security Standard", setting=setting)
        elif level:
            yield failed(ns, f"enforces only the {level} Pod Security Standard", setting=setting)
        else:
            yield failed(ns, "has no pod-security.kubernetes.io/enforce label", setting=setting)


def _legacy_annotation(
    pod: PodView, container_prefix: str, container: str, pod_key: str | None
) -> tuple[str, str] | None:
    """(annotation key, value) of a legacy per-container or per-pod annotation."""
    annotations = pod.annotations
    key = container_prefix + container
    if key in annotations:
        return key, str(annotations[key])
    if pod_key and pod_key in annotations:
        return pod_key, str(annotations[pod_key])
    return None


@check(
    "K8S-SECCOMP",
    requirement="4.1.2",
    severity="high",
    title="Containers run under a RuntimeDefault or Localhost seccomp profile",
    remediation="Set `securityContext.seccompProfile.type: RuntimeDefault` (or Localhost "
    "with a reviewed profile) at pod or container level.",
    references=(PSS, "https://kubernetes.io/docs/tutorials/security/seccomp/"),
)
def seccomp_profile(inv: Inventory) -> Iterator[Outcome]:
    """Without a seccomp profile a container may call every syscall (Unconfined is the
    default). A sandboxing runtime class (gVisor, Kata) also confines syscalls."""
    for c in linux_containers(inv):
        yield _seccomp_outcome(inv, c)


def _seccomp_outcome(inv: Inventory, c: ContainerView) -> Outcome:
    setting = c.security("seccompProfile", "type")
    profile = setting.value
    if profile in CONFINED_SECCOMP:
        where = "pod" if setting.source == "pod" else "container"
        return passed(
            c, f"runs under the {profile} seccomp profile (set on the {where})", setting=setting
        )
    if profile == "Unconfined":
        return failed(c, "runs with seccomp Unconfined: every syscall is allowed", setting=setting)
    sandbox = is_sandboxed(inv, c.pod)
    if sandbox:
        return passed(
            c,
            f"runs in the sandboxing runtime class {sandbox}",
            setting=c.pod.setting("runtimeClassName"),
        )
    legacy = _legacy_annotation(c.pod, SECCOMP_CONTAINER_ANNOTATION, c.name, SECCOMP_POD_ANNOTATION)
    if legacy:
        key, value = legacy
        return failed(
            c,
            f"sets seccomp only through the legacy annotation {key}: {value}, "
            "which Kubernetes ignores since v1.27",
            setting=annotation_setting(c.pod, key, value),
            fix="replace the annotation with `securityContext.seccompProfile`",
        )
    return failed(
        c,
        "has no seccomp profile: it runs Unconfined unless the kubelet's seccompDefault is on",
        setting=setting,
    )


@check(
    "K8S-APPARMOR",
    requirement="4.1.2",
    severity="medium",
    title="Containers are not AppArmor-unconfined",
    remediation="Remove `appArmorProfile.type: Unconfined` (or the legacy `unconfined` "
    "annotation); use RuntimeDefault or a Localhost profile.",
    references=(PSS, "https://kubernetes.io/docs/tutorials/security/apparmor/"),
)
def apparmor_profile(inv: Inventory) -> Iterator[Outcome]:
    """The runtime's default AppArmor profile applies unless a container is made
    unconfined; a stated RuntimeDefault or Localhost profile is evidence of confinement."""
    for c in linux_containers(inv):
        setting = c.security("appArmorProfile", "type")
        value = setting.value
        if value is None:
            legacy = _legacy_annotation(c.pod, APPARMOR_CONTAINER_ANNOTATION, c.name, None)
            if legacy is None:
                continue
            key, value = legacy
            setting = annotation_setting(c.pod, key, value)
        if str(value).lower() == "unconfined":
            yield failed(c, f"runs AppArmor-unconfined ({value})", setting=setting)
        else:
            yield passed(c, f"runs under the AppArmor profile {value}", setting=setting)


@check(
    "K8S-SELINUX",
    requirement="4.1.2",
    severity="high",
    title="Containers use no privileged SELinux type, user or role",
    remediation="Remove custom `seLinuxOptions.type` (spc_t, unconfined_t...), `user` and "
    "`role`; keep the runtime's container_t.",
    references=(PSS,),
)
def selinux_options(inv: Inventory) -> Iterator[Outcome]:
    """SELinux types such as spc_t run a container unconfined by SELinux."""
    for c in linux_containers(inv):
        setting = c.security("seLinuxOptions")
        options = setting.value
        if not isinstance(options, dict):
            continue
        selinux_type = str(options.get("type") or "")
        custom = [k for k in ("user", "role") if options.get(k)]
        if selinux_type not in ALLOWED_SELINUX_TYPES:
            yield failed(
                c,
                f"uses the SELinux type {selinux_type}, which is not confined like container_t",
                setting=c.security("seLinuxOptions", "type"),
            )
        elif custom:
            yield failed(
                c,
                f"sets a custom SELinux {' and '.join(custom)}",
                setting=c.security("seLinuxOptions", custom[0]),
            )
        else:
            yield passed(
                c, f"uses the SELinux type {selinux_type or 'of the runtime'}", setting=setting
            )


@check(
    "K8S-READONLY-ROOTFS",
    requirement="4.1.3",
    severity="medium",
    title="Containers run with a read-only root filesystem",
    remediation="Set `securityContext.readOnlyRootFilesystem: true` and mount an emptyDir "
    "where the process must write.",
    references=(SECURITY_CONTEXT,),
)
def read_only_root(inv: Inventory) -> Iterator[Outcome]:
    """A writable root filesystem lets an attacker drop and modify binaries."""
    for c in linux_containers(inv):
        setting = c.security("readOnlyRootFilesystem")
        if setting.value is True:
            yield passed(c, "has a read-only root filesystem", setting=setting)
        else:
            yield failed(c, "has a writable root filesystem", setting=setting)


@check(
    "K8S-HOSTPATH-WRITABLE",
    requirement="4.1.3",
    severity="high",
    title="hostPath volumes are mounted read-only",
    remediation="Mount hostPath volumes with `readOnly: true`, or use an emptyDir or a "
    "PersistentVolumeClaim instead.",
    references=("https://kubernetes.io/docs/concepts/storage/volumes/#hostpath",),
)
def read_only_host_paths(inv: Inventory) -> Iterator[Outcome]:
    """A writable hostPath mount lets a container change the node's files."""
    for pod in inv.pods():
        host_paths = _host_path_volumes(pod)
        for c in pod.containers:
            for mount in c.spec.get("volumeMounts") or []:
                if isinstance(mount, dict) and mount.get("name") in host_paths:
                    yield _host_path_outcome(c, mount, host_paths[mount["name"]])


def _host_path_volumes(pod: PodView) -> dict[object, str]:
    """hostPath volumes by name (as written: a name may be missing)."""
    volumes: dict[object, str] = {}
    for volume in pod.spec.get("volumes") or []:
        if isinstance(volume, dict) and isinstance(volume.get("hostPath"), dict):
            volumes[volume.get("name")] = str(volume["hostPath"].get("path", ""))
    return volumes


def _host_path_outcome(c: ContainerView, mount: dict[str, Any], host: str) -> Outcome:
    target = mount.get("mountPath", "?")
    fallback = c.locate("volumeMounts")
    line = mount.line_of("readOnly") if hasattr(mount, "line_of") else fallback.line
    location = Location(getattr(mount, "path", None) or fallback.path, line)
    setting = Setting(
        mount.get("readOnly"),
        location,
        f"{c.path}.volumeMounts[{mount.get('name')}].readOnly",
        "container" if "readOnly" in mount else None,
    )
    evidence = {"hostPath": host, "mountPath": target}
    if mount.get("readOnly") is True:
        return passed(
            c, f"mounts host path {host} read-only at {target}", setting=setting, evidence=evidence
        )
    return failed(
        c,
        f"mounts host path {host} writable at {target}",
        setting=setting,
        evidence=evidence,
        fix=_node_agent_fix(host),
    )


# Host directories where the kubelet expects a node agent to create its socket: a device
# plugin or a CSI/DRA driver cannot work with them mounted read-only.
KUBELET_PLUGIN_DIRS = (
    "/var/lib/kubelet/device-plugins",
    "/var/lib/kubelet/plugins_registry",
    "/var/lib/kubelet/plugins",
)


def _node_agent_fix(host: str) -> str | None:
    """The remediation for a host path a node agent must write (None: the check's own)."""
    path = host.rstrip("/")
    if not any(path == d or path.startswith(d + "/") for d in KUBELET_PLUGIN_DIRS):
        return None
    return (
        f"{host} is where the kubelet expects this plugin to create its socket, so it must "
        "stay writable: mount only that directory (not its parents), keep every other "
        "hostPath read-only, and run the plugin in a namespace of its own where admission "
        "lets only the platform team create pods."
    )


@check(
    "K8S-RBAC-WORKLOAD",
    requirement="4.1.1",
    severity="critical",
    title="Workload service accounts are not bound to cluster-admin or wildcard roles",
    remediation="Bind the workload's ServiceAccount only to a Role listing the verbs and "
    "resources it uses; remove cluster-admin and `*` grants.",
    references=("https://kubernetes.io/docs/concepts/security/rbac-good-practices/",),
)
def workload_rbac(inv: Inventory) -> Iterator[Outcome]:
    """A compromised pod acts with its service account's permissions; cluster-admin or
    wildcards make a container escape unnecessary. Groups that include every service
    account (system:serviceaccounts, system:authenticated) count."""
    graph = rbac(inv)
    for pod in inv.pods():
        name = str(
            pod.spec.get("serviceAccountName") or pod.spec.get("serviceAccount") or "default"
        )
        setting = pod.setting("serviceAccountName")
        broad = []
        for grant in graph.service_account_grants(pod.workload.namespace or "", name):
            what = next((w for w in map(wildcard, grant.rules) if w), None)
            if what or grant.role == "ClusterRole cluster-admin":
                broad.append(
                    f"{grant.binding.kind} {grant.binding.name} grants "
                    f"{what or 'cluster-admin'} {grant.scope} ({grant.role}, "
                    f"{grant.binding.location})"
                )
        if broad:
            yield failed(
                pod,
                f"runs as ServiceAccount {name}, which holds broad permissions: {broad[0]}",
                setting=setting,
                evidence={"grants": broad},
            )
        else:
            yield passed(
                pod,
                f"runs as ServiceAccount {name}, which has no cluster-admin or "
                "wildcard grant among the inputs",
                setting=setting,
            )


@check(
    "K8S-SECCOMP-LOCALHOST",
    requirement="4.1.2",
    severity="high",
    title="Localhost seccomp profiles are appropriate",
    remediation="Deny by default (SCMP_ACT_ERRNO) and do not allow ptrace, mount, unshare, "
    "bpf, kexec_load or module loading; keep the profile (or its Security "
    "Profiles Operator object) with the manifests so it can be reviewed.",
    references=(
        "https://kubernetes.io/docs/tutorials/security/seccomp/",
        "https://github.com/kubernetes-sigs/security-profiles-operator",
    ),
)
def localhost_seccomp(inv: Inventory) -> Iterator[Outcome]:
    """A Localhost profile is only as good as its contents: an allow-by-default profile is
    Unconfined under another name."""
    for c in linux_containers(inv):
        setting = c.security("seccompProfile", "type")
        if setting.value != "Localhost":
            continue
        profile = c.security("seccompProfile", "localhostProfile")
        name = str(profile.value or "")
        found = resolve_profile(inv, c.pod.workload.namespace, name)
        if found is None:
            yield unknown(
                c,
                f"uses the Localhost seccomp profile {name or '(unnamed)'}, which "
                "is not among the inputs",
                setting=profile,
            )
            continue
        body, resource, keys = found
        verdict = judge_profile(body)
        where = ObjectView(resource).locate(*keys, *verdict.keys)
        message = f"uses the Localhost seccomp profile {name}, which {verdict.message} ({where})"
        yield (passed if verdict.appropriate else failed)(c, message, setting=profile)


SAFE_MOUNT_OPTIONS = ("noexec", "nosuid", "nodev")


@check(
    "K8S-MOUNT-OPTIONS",
    requirement="4.1.3",
    severity="medium",
    title="PersistentVolumes and StorageClasses mount with noexec, nosuid and nodev",
    remediation="Add `mountOptions: [noexec, nosuid, nodev]` (where the volume plugin "
    "supports mount options).",
    references=("https://kubernetes.io/docs/concepts/storage/persistent-volumes/#mount-options",),
)
def volume_mount_options(inv: Inventory) -> Iterator[Outcome]:
    """Writable volumes without noexec/nosuid/nodev let a process run dropped binaries,
    setuid files and device nodes."""
    sources: list[tuple[Resource, tuple[str, ...]]] = [
        (r, ("spec", "mountOptions"))
        for r in inv.kind("PersistentVolume")
        if ObjectView(r).get("spec", "volumeMode") != "Block"
    ]
    sources += [(r, ("mountOptions",)) for r in inv.kind("StorageClass", group="storage.k8s.io")]
    for resource, keys in sources:
        view = ObjectView(resource)
        options = {str(o).strip().lower() for o in view.get(*keys) or []}
        missing = [o for o in SAFE_MOUNT_OPTIONS if o not in options]
        if missing:
            yield failed(view, f"mounts without {', '.join(missing)}", setting=view.setting(*keys))
        else:
            yield passed(view, "mounts with noexec, nosuid and nodev", setting=view.setting(*keys))


@check(
    "K8S-RUNTIME-RESPONSE",
    requirement="4.1.4",
    severity="high",
    title="Runtime monitoring detects escalation and terminates the workload",
    remediation="Pair detection with enforcement: Tetragon TracingPolicies with Sigkill or "
    "Override on escape hooks (not `policy-mode: monitor`), KubeArmor `Block` "
    "policies (or allow-lists under a `block` posture), or Falco with Falco "
    "Talon's `kubernetes:terminate`.",
    references=(
        "https://tetragon.io/docs/concepts/enforcement/",
        "https://docs.kubearmor.io/kubearmor/documentation/default_posture",
        "https://docs.falco-talon.org/docs/actionners/list/",
    ),
)
def runtime_response(inv: Inventory) -> Iterator[Outcome]:
    """Detection alone lets an escape finish; the requirement asks for termination.
    Namespaces with only detection are `review` with what is missing."""
    for ns in inv.namespaces_with_workloads():
        found = response_for(inv, ns.name)
        if found.terminating:
            text, view = found.terminating[0]
            yield passed(
                ns,
                f"is protected: {text}",
                setting=view.setting(),
                evidence={"terminating": [t for t, _ in found.terminating]},
            )
        elif found.detecting:
            text, view = found.detecting[0]
            yield unknown(
                ns,
                f"is monitored but nothing terminates: {text}",
                setting=view.setting(),
                evidence={"detecting": [t for t, _ in found.detecting]},
            )


@check(
    "K8S-HIGH-RISK-TEE",
    requirement="4.1.5",
    severity="high",
    title="High-risk workloads run in hardware-isolated, attested environments",
    remediation="Run high-risk workloads with a confidential runtime class backed by SEV-SNP "
    "or TDX (not `-coco-dev`) or on confidential node pools, with init data "
    "pointing at a Key Broker Service.",
    references=("https://confidentialcontainers.org/docs/",),
)
def high_risk_isolation(inv: Inventory) -> Iterator[Outcome | NotApplicable]:
    """A kernel or container escape from a high-risk workload must not reach the host."""
    workloads = [w for w in inv.workloads if "high-risk" in w.classes]
    if not workloads:
        yield not_applicable(
            "4.1.5",
            "workloads were scanned and none is declared high-risk "
            "(c4guard.dev/class or config classes)",
        )
        return
    for workload in workloads:
        why = workload.why("high-risk")
        for pod in workload.pods:
            tee = tee_posture(inv, pod)
            if tee.confidential and tee.attests:
                yield passed(pod, f"runs in a {tee.how} ({why})", setting=tee.runtime)
            else:
                yield failed(
                    pod, f"is not hardware-isolated: {tee.how} ({why})", setting=tee.runtime
                )
