"""The host as subjects: processes, nodes, GPUs and mounts read from the live host, and
what a process's environment name says about it holding a secret."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from c4guard.model import Location, Origin, Resource, ResourceRef
from c4guard.workloads.views import Setting, locate

if TYPE_CHECKING:
    from c4guard.inventory import Inventory


ORIGIN = Origin.HOST


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


def subjects(inv: Inventory, kind: str, label: str) -> list[HostSubject]:
    return [HostSubject(r, label) for r in inv.kind(kind, origin=ORIGIN)]


def processes(inv: Inventory) -> list[HostSubject]:
    return subjects(inv, "Process", "process")


def nodes(inv: Inventory) -> list[HostSubject]:
    return subjects(inv, "Node", "node")


def gpus(inv: Inventory) -> list[HostSubject]:
    return [HostSubject(r, gpu_label(r)) for r in inv.kind("GPU", origin=ORIGIN)]


def gpu_label(resource: Resource) -> str:
    body = resource.body
    return f"GPU {body['index']}" if "index" in body else "GPU"


def declared(inv: Inventory, workload_class: str) -> bool:
    """Whether the host was told it runs workloads of this class (`--class`)."""
    return any(workload_class in (n.body.get("declared_classes") or []) for n in nodes(inv))


def gpu_state(g: HostSubject) -> tuple[str, dict[str, Any]]:
    """("on" | "off" | "devtools", cc facts) of a GPU's confidential-computing mode."""
    cc = g.body.get("confidential_computing") or {}
    if cc.get("feature") and cc.get("devtools"):
        return "devtools", cc
    return ("on" if cc.get("feature") else "off"), cc


def secret_like(name: str) -> bool:
    """A variable name that usually holds a secret value (HF_TOKEN, DB_PASSWORD...)."""
    return (
        name.upper() not in NOT_SECRET_NAMES
        and not NOT_SECRET_SUFFIX.search(name)
        and SECRET_NAME.search(name) is not None
    )
