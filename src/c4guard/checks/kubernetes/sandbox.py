"""C4.5 AI workload sandboxing and validation: Kubernetes evidence for 4.5.1-4.5.6
(untrusted models in sandboxes without egress; confidential and high-risk workloads in
attesting TEEs with keys released by a Key Broker Service)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

from c4guard.checks.registry import Outcome, check, failed, not_applicable, passed, unknown
from c4guard.kube.accelerators import accelerator_requests, gpu_operator_policies
from c4guard.kube.netpol import EGRESS, network_model
from c4guard.kube.objects import ObjectView, pod_labels
from c4guard.kube.tee import tee_posture
from c4guard.model import NotApplicable
from c4guard.views.kubernetes import is_sandboxed

if TYPE_CHECKING:
    from c4guard.inventory import Inventory
    from c4guard.workloads import PodView, Workload

GVISOR = "https://gvisor.dev/docs/user_guide/quick_start/kubernetes/"
COCO = "https://confidentialcontainers.org/docs/"
UNTRUSTED = "untrusted-model"
TEE_CLASSES = ("confidential", "high-risk")


def _with_class(inv: Inventory, *names: str) -> list[Workload]:
    return [w for w in inv.workloads if any(n in w.classes for n in names)]


def _why(workload: Workload, *names: str) -> str:
    return "; ".join(workload.why(n) for n in names if n in workload.classes)


# ---------------------------------------------------------------------------- 4.5.1


@check(
    "K8S-UNTRUSTED-SANDBOX",
    requirement="4.5.1",
    severity="critical",
    title="Untrusted models run in a sandboxing runtime",
    remediation="Run the workload with `runtimeClassName` of a sandbox (gVisor/runsc, Kata, "
    "GKE Sandbox) or a confidential Kata runtime; configure names in "
    "c4guard.yaml `runtime_classes`.",
    references=(GVISOR, "https://katacontainers.io/"),
)
def untrusted_in_sandbox(inv: Inventory) -> Iterator[Outcome | NotApplicable]:
    """A model from a public hub, or one that runs its repository's code, can execute
    arbitrary code; a plain runc container shares the node's kernel with it."""
    workloads = _with_class(inv, UNTRUSTED)
    if not workloads:
        yield not_applicable(
            "4.5.1",
            "workloads were scanned and none runs an untrusted model "
            "(none pulls a model from a public hub by name or trusts "
            "remote code, and none is declared untrusted-model)",
        )
        return
    for workload in workloads:
        for pod in workload.pods:
            sandbox = is_sandboxed(inv, pod)
            why = _why(workload, UNTRUSTED)
            setting = pod.setting("runtimeClassName")
            if sandbox:
                yield passed(
                    pod,
                    f"runs an untrusted model in the sandbox runtime class {sandbox} ({why})",
                    setting=setting,
                )
            else:
                runtime = setting.value or "the default runtime (runc)"
                yield failed(
                    pod,
                    f"runs an untrusted model in {runtime}, not in a sandbox ({why})",
                    setting=setting,
                )


# ---------------------------------------------------------------------------- 4.5.2


@check(
    "K8S-SANDBOX-EGRESS",
    requirement="4.5.2",
    severity="high",
    title="Sandboxed and untrusted workloads have no outbound network by default",
    remediation="Select the pods with a NetworkPolicy that denies egress, and allow only "
    "the specific destinations they need (no 0.0.0.0/0, no rule without `to`).",
    references=(
        "https://kubernetes.io/docs/concepts/services-networking/"
        "network-policies/#default-deny-all-egress-traffic",
    ),
)
def sandbox_egress(inv: Inventory) -> Iterator[Outcome | NotApplicable]:
    """A sandboxed model that can open connections can still exfiltrate what it reads."""
    model = network_model(inv)
    pods = [
        (w, p)
        for w in inv.workloads
        for p in w.pods
        if UNTRUSTED in w.classes or is_sandboxed(inv, p)
    ]
    if not pods:
        yield not_applicable(
            "4.5.2", "workloads were scanned and none is sandboxed or runs an untrusted model"
        )
        return
    for workload, pod in pods:
        namespace, labels = workload.namespace or "", pod_labels(pod)
        why = _why(workload, UNTRUSTED) or f"runtime class {pod.spec.get('runtimeClassName')}"
        isolating = model.isolating(namespace, labels, EGRESS)
        if pod.spec.get("hostNetwork") is True:
            yield failed(
                pod,
                f"uses the node's network (hostNetwork), where NetworkPolicies "
                f"do not apply ({why})",
                setting=pod.setting("hostNetwork"),
            )
            continue
        if not isolating:
            yield failed(
                pod,
                f"may open any outbound connection: no NetworkPolicy in namespace "
                f"{namespace} selects it for egress ({why})",
            )
            continue
        broad = [r for r in model.allowed(namespace, labels, EGRESS) if r.internet_peers]
        for rule in broad:
            yield failed(
                pod,
                f"may reach {', '.join(p.description for p in rule.internet_peers)}"
                f" through {rule.view.subject} ({why})",
                setting=rule.view.setting(),
            )
        if not broad:
            names = ", ".join(sorted({p.resource.name for p in isolating}))
            yield passed(
                pod, f"has egress denied by default ({names}) and only named destinations allowed"
            )


# ---------------------------------------------------------------------------- 4.5.3-4.5.6


def _tee_pods(
    inv: Inventory,
    requirement: str,
    names: tuple[str, ...],
    scope: str,
) -> Iterator[tuple[Workload, PodView] | NotApplicable]:
    workloads = _with_class(inv, *names)
    if not workloads:
        yield not_applicable(
            requirement,
            f"workloads were scanned and none is declared {scope} "
            "(c4guard.dev/class or config classes)",
        )
    for workload in workloads:
        for pod in workload.pods:
            yield workload, pod


@check(
    "K8S-TEE-ATTESTATION",
    requirement="4.5.3",
    severity="high",
    title="Confidential and high-risk workloads attest before loading models",
    remediation="Run them with a Confidential Containers runtime class backed by SEV-SNP or "
    "TDX (not `-coco-dev`) and give the pod `io.katacontainers.config.runtime."
    "cc_init_data` that points at your Key Broker Service, so model keys are "
    "released only after attestation.",
    references=(COCO,),
)
def attestation_before_loading(inv: Inventory) -> Iterator[Outcome | NotApplicable]:
    """Only an attested TEE should receive the keys that decrypt a model."""
    for item in _tee_pods(inv, "4.5.3", TEE_CLASSES, "confidential or high-risk"):
        if isinstance(item, NotApplicable):
            yield item
            continue
        workload, pod = item
        tee = tee_posture(inv, pod)
        why = _why(workload, *TEE_CLASSES)
        if not tee.confidential or not tee.attests:
            yield failed(pod, f"cannot attest: {tee.how} ({why})", setting=tee.runtime)
        elif tee.kbs:
            yield passed(
                pod,
                f"runs in a {tee.how} and obtains keys from the KBS at {tee.kbs} "
                f"after attestation ({why})",
                setting=tee.init_data,
            )
        else:
            yield unknown(
                pod,
                f"runs in a {tee.how}, but no attestation configuration (CoCo "
                f"init data naming a Key Broker Service) is visible ({why})",
                setting=tee.runtime,
            )


@check(
    "K8S-CONFIDENTIAL-TEE",
    requirement="4.5.4",
    severity="high",
    title="Confidential workloads run in a hardware TEE",
    remediation="Use a confidential runtime class (kata-qemu-snp, kata-qemu-tdx, "
    "kata-qemu-nvidia-gpu-snp/-tdx, peer pods) or confidential node pools; for "
    "GPUs enable the gpu-operator `ccManager`.",
    references=(
        COCO,
        "https://docs.nvidia.com/datacenter/cloud-native/gpu-operator/latest/"
        "gpu-operator-confidential-containers.html",
    ),
)
def confidential_in_tee(inv: Inventory) -> Iterator[Outcome | NotApplicable]:
    """Data and models in use are exposed to the host unless the workload runs in a TEE."""
    policies = gpu_operator_policies(inv)
    for item in _tee_pods(inv, "4.5.4", ("confidential",), "confidential"):
        if isinstance(item, NotApplicable):
            yield item
            continue
        workload, pod = item
        tee = tee_posture(inv, pod)
        why = _why(workload, "confidential")
        if not tee.confidential or not tee.attests:
            yield failed(
                pod,
                f"is confidential but not in a hardware TEE: {tee.how} ({why})",
                setting=tee.runtime,
            )
            continue
        gpus = any(
            r.resource.startswith("nvidia.com/")
            for c in pod.containers
            for r in accelerator_requests(c)
        )
        off = [p for p in policies if ObjectView(p).get("spec", "ccManager", "enabled") is not True]
        if gpus and off:
            view = ObjectView(off[0])
            yield failed(
                pod,
                f"runs in a {tee.how}, but the gpu-operator ClusterPolicy "
                f"{off[0].name} does not enable GPU confidential computing "
                f"(ccManager) ({why})",
                setting=view.setting("spec", "ccManager", "enabled"),
            )
        else:
            yield passed(pod, f"runs in a {tee.how} ({why})", setting=tee.runtime)


@check(
    "K8S-CONFIDENTIAL-MODEL-KEYS",
    requirement="4.5.5",
    severity="medium",
    title="Confidential inference receives model keys only after attestation",
    remediation="Encrypt the model and have the Key Broker Service release its key only to "
    "an attested TEE (CoCo init data naming the KBS).",
    references=(COCO,),
)
def model_keys_after_attestation(inv: Inventory) -> Iterator[Outcome | NotApplicable]:
    """A model in a TEE can still be extracted if its key reaches the host in clear."""
    for item in _tee_pods(inv, "4.5.5", ("confidential",), "confidential"):
        if isinstance(item, NotApplicable):
            yield item
            continue
        workload, pod = item
        tee = tee_posture(inv, pod)
        why = _why(workload, "confidential")
        if not tee.confidential or not tee.attests:
            yield failed(
                pod,
                f"serves a confidential model outside an attesting TEE: {tee.how} ({why})",
                setting=tee.runtime,
            )
        elif tee.kbs:
            yield passed(
                pod,
                f"gets keys from the KBS at {tee.kbs} only after attestation ({why})",
                setting=tee.init_data,
            )
        else:
            yield unknown(
                pod,
                f"runs in a {tee.how}, but how model keys are released is not "
                f"visible (no KBS in CoCo init data) ({why})",
                setting=tee.runtime,
            )


@check(
    "K8S-TEE-ORCHESTRATION",
    requirement="4.5.6",
    severity="medium",
    title="TEE orchestration attests remotely over encrypted channels",
    remediation="Deploy the Confidential Containers operator and Trustee (KBS) with HTTPS "
    "(KbsConfig `kbsHttpsKeySecretName`/`kbsHttpsCertSecretName`), and point "
    "init data at an https:// KBS.",
    references=("https://github.com/confidential-containers/trustee",),
)
def tee_orchestration(inv: Inventory) -> Iterator[Outcome | NotApplicable]:
    """Attestation evidence and released keys must travel over authenticated, encrypted
    channels."""
    workloads = _with_class(inv, *TEE_CLASSES)
    if not workloads:
        yield not_applicable(
            "4.5.6", "workloads were scanned and none is declared confidential or high-risk"
        )
        return
    for resource in inv.kind("CcRuntime", group="confidentialcontainers.org"):
        yield passed(ObjectView(resource), "installs the Confidential Containers runtime")
    for resource in inv.kind("KbsConfig", group="confidentialcontainers.org"):
        view = ObjectView(resource)
        if view.get("spec", "kbsHttpsKeySecretName") and view.get("spec", "kbsHttpsCertSecretName"):
            yield passed(
                view,
                "serves the Key Broker Service over HTTPS",
                setting=view.setting("spec", "kbsHttpsKeySecretName"),
            )
        else:
            yield failed(
                view,
                "serves the Key Broker Service without HTTPS (no "
                "kbsHttpsKeySecretName/kbsHttpsCertSecretName)",
                setting=view.setting("spec"),
            )
    for workload in workloads:
        for pod in workload.pods:
            tee = tee_posture(inv, pod)
            if tee.kbs and tee.kbs.startswith("http://"):
                yield failed(
                    pod,
                    f"reaches its KBS over plain HTTP ({tee.kbs}; {_why(workload, *TEE_CLASSES)})",
                    setting=tee.init_data,
                )
