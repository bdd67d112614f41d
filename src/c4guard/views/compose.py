"""Docker Compose services as subjects: a service with its settings and lines, and its
mounts."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from c4guard.model import Location, Resource
from c4guard.sources.compose import KIND, ORIGIN, ComposeService
from c4guard.views.blocks import BlockSubject

if TYPE_CHECKING:
    from c4guard.inventory import Inventory


SPEC = "https://docs.docker.com/reference/compose-file/services/"


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


def strings(value: Any) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, list):
        return [str(v) for v in value if isinstance(v, str | int | float)]
    return []


@dataclass(frozen=True, slots=True)
class Mount:
    kind: str  # bind, volume, tmpfs
    source: str | None
    target: str
    read_only: bool
    options: tuple[str, ...]
    line: int | None
