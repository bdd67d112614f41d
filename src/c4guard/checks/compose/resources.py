"""C4.6 Resource management, backup and recovery: checks of Docker Compose services."""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from c4guard.checks.registry import Outcome, check, failed, passed
from c4guard.views.blocks import key_line
from c4guard.views.compose import SPEC, ServiceView, services, strings
from c4guard.workloads.views import dig

if TYPE_CHECKING:
    from c4guard.inventory import Inventory


@check(
    "COMPOSE-LIMITS",
    requirement="4.6.1",
    severity="medium",
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
        and ("gpu" in strings(d.get("capabilities")) or d.get("driver") == "nvidia")
    ]


def _all_gpus(device: dict[str, Any]) -> bool:
    """`count: all`, or neither count nor device_ids (Compose then reserves every GPU)."""
    return device.get("count") == "all" or ("count" not in device and "device_ids" not in device)
