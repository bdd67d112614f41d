"""C4.3 Network security and access control: checks of Docker Compose services."""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from c4guard.checks.registry import Outcome, check, failed, passed
from c4guard.views.compose import SPEC, services

if TYPE_CHECKING:
    from c4guard.inventory import Inventory


SSH_PORT = 22


@check(
    "COMPOSE-SSH-PORT",
    requirement="4.3.2",
    severity="high",
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
