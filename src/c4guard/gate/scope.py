"""What one object can prove: the inventory of a single admitted object, which notices when
a check looks for evidence beyond it.

The gate sees one object at a time. A check that asks the inventory for other kinds
(NetworkPolicies, ServiceAccounts, Namespaces) or for namespace views gets an empty answer
that says nothing about the cluster, so its outcomes cannot be judged at admission; the
scan, which sees whole namespaces, judges them. The gate learns this by watching, so checks
added to the registry later are classified without being listed anywhere.
"""

from __future__ import annotations

from c4guard.config import Config
from c4guard.inventory import Inventory, NamespaceView
from c4guard.model import Resource
from c4guard.sources.kubernetes import ORIGIN as K8S


class ObjectInventory(Inventory):
    """The inventory of one object; `looked_beyond` is set when a check asks for more."""

    def __init__(self, resource: Resource, config: Config) -> None:
        self.admitted = resource
        self.looked_beyond = False
        super().__init__([resource], config)
        self.looked_beyond = False  # indexing namespaces while building is not a check's doing

    @property
    def namespaces(self) -> dict[str, NamespaceView]:
        self.looked_beyond = True
        return self._namespaces

    @namespaces.setter
    def namespaces(self, value: dict[str, NamespaceView]) -> None:
        self._namespaces = value

    def kind(self, kind: str, origin: str = K8S, group: str | None = None) -> list[Resource]:
        if (origin, kind) != (self.admitted.origin, self.admitted.kind):
            self.looked_beyond = True
        return super().kind(kind, origin, group)

    def find(self, kind: str, namespace: str | None, name: str) -> Resource | None:
        found = super().find(kind, namespace, name)
        if found is not self.admitted:
            self.looked_beyond = True
        return found
