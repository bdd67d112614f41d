"""C4.6 Resource management, backup and recovery: checks of the host c4guard runs on."""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

from c4guard.checks.registry import Outcome, check, failed, passed
from c4guard.views.host import subjects

if TYPE_CHECKING:
    from c4guard.inventory import Inventory


@check(
    "HOST-CGROUP-LIMITS",
    requirement="4.6.1",
    severity="medium",
    title="The process's cgroup limits memory, CPU and process count",
    remediation="Set memory and CPU limits and a pids limit on the container "
    "(`resources.limits`, `--memory --cpus --pids-limit`).",
    references=("https://docs.kernel.org/admin-guide/cgroup-v2.html",),
)
def cgroup_limits(inv: Inventory) -> Iterator[Outcome]:
    """Without cgroup limits one workload can exhaust the node's memory, CPU or PIDs."""
    for c in subjects(inv, "Cgroup", "cgroup"):
        for controller in ("memory", "cpu", "pids"):
            setting = c.fact(controller)
            if setting.value is None:
                yield failed(c, f"sets no {controller} limit", setting=setting)
            else:
                yield passed(
                    c,
                    f"limits {controller} to {_limit_text(controller, setting.value)}",
                    setting=setting,
                )


def _limit_text(controller: str, value: str) -> str:
    if controller == "memory" and value.isdigit():
        return f"{int(value) / 2**20:g} MiB"
    if controller == "cpu":
        quota, _, period = value.partition(" ")
        if quota.isdigit() and period.isdigit() and int(period):
            return f"{int(quota) / int(period):g} CPUs"
    return value
