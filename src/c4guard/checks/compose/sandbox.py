"""C4.5 AI workload sandboxing and validation: checks of Docker Compose services."""

from __future__ import annotations

from collections.abc import Iterator
from fnmatch import fnmatchcase
from typing import TYPE_CHECKING

from c4guard.checks.registry import Outcome, check, failed, not_applicable, passed
from c4guard.model import NotApplicable
from c4guard.views.blocks import BlockSubject
from c4guard.views.compose import SPEC, ServiceView, services

if TYPE_CHECKING:
    from c4guard.inventory import Inventory


UNTRUSTED = "untrusted-model"


CLASS_LABEL = "c4guard.dev/class"


@check(
    "COMPOSE-SANDBOX-NO-NETWORK",
    requirement="4.5.2",
    severity="high",
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
