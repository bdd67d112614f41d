"""Generated workloads over the fields the exported checks read, in every native kind at
its pod-template paths.

One generator, two sources of choices: Hypothesis (`workloads()`, which shrinks a
disagreement to a minimal object) and a seeded `random.Random` (`sample_workloads`, which
makes the tens of thousands of objects the differential test needs in seconds; Hypothesis
takes tens of milliseconds per object this large).
"""

from __future__ import annotations

import random
from collections.abc import Callable, Iterator, Sequence
from typing import Any, Protocol, TypeVar

from hypothesis import strategies as st

from c4guard.gate.export.kinds import EACH_ITEM, EACH_VALUE, NATIVE_KINDS, NativeKind

T = TypeVar("T")
NAMES = ["app", "sidecar", "init", "debug"]
VOLUMES = ["host", "data", "creds", "cache"]
CAPS = [
    "ALL",
    "all",
    "cap_all",
    "CAP_ALL",
    "NET_BIND_SERVICE",
    "net_bind_service",
    "CAP_NET_BIND_SERVICE",
    "SYS_ADMIN",
    "NET_ADMIN",
    "cap_sys_ptrace",
    "CHOWN",
    "ALLX",
]
SECCOMP = ["RuntimeDefault", "Localhost", "Unconfined", "runtimedefault", "unconfined", ""]
APPARMOR = ["RuntimeDefault", "Localhost", "Unconfined", "unconfined", "UNCONFINED", "x"]
SELINUX_TYPES = [
    "",
    "container_t",
    "container_init_t",
    "spc_t",
    "unconfined_t",
    "container_kvm_t",
    "Container_t",
]
QUANTITIES = ["1", "500m", "2Gi", "", "0", "1.5", 1, 2]
RESOURCE_NAMES = [
    "cpu",
    "memory",
    "nvidia.com/gpu",
    "nvidia.com/mig-1g.5gb",
    "amd.com/gpu",
    "google.com/tpu",
    "gpu.intel.com/i915",
    "example.com/foo",
    "nvidia.com/gpu.shared",
]
RUNTIME_CLASSES = ["gvisor", "kata", "kata-qemu", "runc", "nvidia", "sandbox", "kata-cc-tdx"]
IMAGES = [
    "nginx",
    "nginx:1.27",
    "registry.example/ml/llm@sha256:" + "a" * 64,
    "registry.example/ml/llm:1@sha256:" + "b" * 64,
    "x@sha256:abc",
    "",
    " nginx ",
    "localhost:5000/m@sha512:" + "c" * 128,
    "a@b@sha256:" + "d" * 64,
    "r/m@SHA256:" + "e" * 64,
    "r/m@sha256:" + "F" * 40,
]
ENV_NAMES = ["MODEL_TOKEN", "PATH", "API_KEY", "LOG_LEVEL"]
ENV_SOURCES = [
    {"secretKeyRef": {"name": "s", "key": "k"}},
    {"configMapKeyRef": {"name": "c", "key": "k"}},
    {"fieldRef": {"fieldPath": "metadata.name"}},
]
ENV_FROM = [{"secretRef": {"name": "s"}}, {"configMapRef": {"name": "c"}}]
VOLUME_SOURCES = [{"hostPath": {"path": "/var"}}, {"emptyDir": {}}, {"secret": {"secretName": "s"}}]
ANNOTATION_KEYS = [
    *(f"container.apparmor.security.beta.kubernetes.io/{n}" for n in NAMES),
    "container.seccomp.security.alpha.kubernetes.io/app",
    "seccomp.security.alpha.kubernetes.io/pod",
    "example.com/other",
]
ANNOTATION_VALUES = ["unconfined", "Unconfined", "runtime/default", "localhost/p"]
MAP_KEYS = ["Master", "Worker", "Launcher"]
NAMESPACES = ["ml", "sandbox-a", "prod", "kube-system"]


class Choices(Protocol):
    def pick(self, options: Sequence[T]) -> T: ...

    def chance(self) -> bool: ...

    def count(self, low: int, high: int) -> int: ...


class RandomChoices:
    def __init__(self, rng: random.Random) -> None:
        self.rng = rng

    def pick(self, options: Sequence[T]) -> T:
        return options[self.rng.randrange(len(options))]

    def chance(self) -> bool:
        return self.rng.random() < 0.5

    def count(self, low: int, high: int) -> int:
        return self.rng.randint(low, high)


class HypothesisChoices:
    def __init__(self, draw: Callable[[st.SearchStrategy[Any]], Any]) -> None:
        self.draw = draw

    def pick(self, options: Sequence[T]) -> T:
        return self.draw(st.sampled_from(options))

    def chance(self) -> bool:
        return self.draw(st.booleans())

    def count(self, low: int, high: int) -> int:
        return self.draw(st.integers(low, high))


def _some(c: Choices, fields: dict[str, Callable[[], Any]]) -> dict[str, Any]:
    """A mapping with a chosen subset of `fields`."""
    return {name: make() for name, make in fields.items() if c.chance()}


def _list(c: Choices, make: Callable[[], T], high: int, low: int = 0) -> list[T]:
    return [make() for _ in range(c.count(low, high))]


def _security(c: Choices, pod_level: bool) -> dict[str, Any]:
    fields: dict[str, Callable[[], Any]] = {
        "runAsUser": lambda: c.pick([0, 1, 1000, -1]),
        "runAsNonRoot": c.chance,
        "seccompProfile": lambda: _some(c, {"type": lambda: c.pick(SECCOMP)}),
        "appArmorProfile": lambda: _some(c, {"type": lambda: c.pick(APPARMOR)}),
        "seLinuxOptions": lambda: _some(
            c,
            {
                "type": lambda: c.pick(SELINUX_TYPES),
                "user": lambda: c.pick(["", "system_u"]),
                "role": lambda: c.pick(["", "system_r"]),
                "level": lambda: "s0",
            },
        ),
    }
    if not pod_level:
        fields |= {
            "privileged": c.chance,
            "allowPrivilegeEscalation": c.chance,
            "readOnlyRootFilesystem": c.chance,
            "procMount": lambda: c.pick(["Default", "Unmasked", "unmasked"]),
            "capabilities": lambda: _some(
                c,
                {
                    "add": lambda: _list(c, lambda: c.pick(CAPS), 3),
                    "drop": lambda: _list(c, lambda: c.pick(CAPS), 3),
                },
            ),
        }
    return _some(c, fields)


def _amounts(c: Choices) -> dict[str, Any]:
    return {c.pick(RESOURCE_NAMES): c.pick(QUANTITIES) for _ in range(c.count(0, 4))}


def _env(c: Choices) -> dict[str, Any]:
    if c.chance():
        return {"name": c.pick(ENV_NAMES), "value": c.pick(["x", "hf_" + "a" * 34])}
    return {"name": c.pick(ENV_NAMES), "valueFrom": c.pick(ENV_SOURCES)}


def _mount(c: Choices) -> dict[str, Any]:
    mount = {"name": c.pick(VOLUMES), "mountPath": "/m"}
    return mount | ({"readOnly": c.chance()} if c.chance() else {})


def _container(c: Choices, name: str) -> dict[str, Any]:
    return {"name": name} | _some(
        c,
        {
            "image": lambda: c.pick(IMAGES),
            "securityContext": lambda: _security(c, pod_level=False),
            "resources": lambda: _some(
                c, {"limits": lambda: _amounts(c), "requests": lambda: _amounts(c)}
            ),
            "env": lambda: _list(c, lambda: _env(c), 3),
            "envFrom": lambda: _list(c, lambda: c.pick(ENV_FROM), 2),
            "volumeMounts": lambda: _list(c, lambda: _mount(c), 3),
        },
    )


def _containers(c: Choices, high: int, prefix: str = "") -> list[dict[str, Any]]:
    names = dict.fromkeys(prefix + c.pick(NAMES) for _ in range(c.count(1, high)))
    return [_container(c, name) for name in names]


def pod_spec(c: Choices) -> dict[str, Any]:
    return {"containers": _containers(c, 3)} | _some(
        c,
        {
            "initContainers": lambda: _containers(c, 2, "init-"),
            "ephemeralContainers": lambda: _containers(c, 1, "eph-"),
            "securityContext": lambda: _security(c, pod_level=True),
            "hostPID": c.chance,
            "hostIPC": c.chance,
            "hostNetwork": c.chance,
            "hostUsers": c.chance,
            "automountServiceAccountToken": c.chance,
            "os": lambda: {"name": c.pick(["linux", "windows"])},
            "runtimeClassName": lambda: c.pick(RUNTIME_CLASSES),
            "volumes": lambda: _list(
                c, lambda: {"name": c.pick(VOLUMES)} | c.pick(VOLUME_SOURCES), 3
            ),
        },
    )


def template(c: Choices) -> dict[str, Any]:
    """A pod template: {metadata, spec}."""
    metadata = _some(
        c,
        {
            "annotations": lambda: {
                c.pick(ANNOTATION_KEYS): c.pick(ANNOTATION_VALUES) for _ in range(c.count(0, 3))
            },
            "labels": lambda: {"a": "b"},
        },
    )
    return {"spec": pod_spec(c)} | ({"metadata": metadata} if c.chance() else {})


def _place(c: Choices, steps: tuple[str, ...], shape: str) -> Any:
    """A value holding generated templates at `steps` (lists and maps of up to two)."""
    if not steps:
        found = template(c)
        if shape == "podspec":
            return found["spec"]
        if shape == "container":
            return found["spec"]["containers"][0]
        return found
    step, rest = steps[0], steps[1:]
    if step == EACH_ITEM:
        return [_named(_place(c, rest, shape), i) for i in range(c.count(0, 2))]
    if step == EACH_VALUE:
        keys = dict.fromkeys(c.pick(MAP_KEYS) for _ in range(c.count(0, 2)))
        return {k: _place(c, rest, shape) for k in keys}
    return {step: _place(c, rest, shape)}


def _named(value: Any, index: int) -> Any:
    return {"name": f"item{index}", **value} if isinstance(value, dict) else value


def _merge(into: dict[str, Any], value: dict[str, Any]) -> None:
    for key, item in value.items():
        if isinstance(item, dict) and isinstance(into.get(key), dict):
            _merge(into[key], item)
        else:
            into[key] = item


def workload(c: Choices, kinds: Sequence[NativeKind] = NATIVE_KINDS) -> tuple[dict, str]:
    """(object, namespace): a workload of a native kind with generated pod templates."""
    kind = c.pick(kinds)
    api = f"{kind.group}/v1" if kind.group else "v1"
    namespace = c.pick(NAMESPACES)
    body: dict[str, Any] = {
        "apiVersion": api,
        "kind": kind.kind,
        "metadata": {"name": "w", "namespace": namespace},
    }
    for path in kind.paths:
        _merge(body, _place(c, path.steps, path.shape))
    return body, namespace


@st.composite
def workloads(draw: Any) -> tuple[dict, str]:
    """Hypothesis strategy: generated workloads (shrinks to a minimal object)."""
    return workload(HypothesisChoices(draw))


def sample_workloads(count: int, seed: int) -> Iterator[tuple[dict, str]]:
    """`count` generated workloads from a seeded generator (reproducible)."""
    choices = RandomChoices(random.Random(seed))
    for _ in range(count):
        yield workload(choices)
