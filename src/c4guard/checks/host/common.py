"""What the host checks of several sections share: outcomes for TEEs and for every GPU.
Not a check module: it registers no check."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING

from c4guard.checks.registry import Outcome, failed, not_applicable, passed, unknown
from c4guard.model import NotApplicable
from c4guard.views.host import HostSubject, declared, gpus, nodes

if TYPE_CHECKING:
    from c4guard.inventory import Inventory


def tee_outcomes(
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
