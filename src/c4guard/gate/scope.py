"""What one object can prove: the inventory of a single admitted object, and whether a check
looked for evidence beyond it.

The gate sees one object at a time. A check that asks the inventory for other kinds
(NetworkPolicies, ServiceAccounts, Namespaces) or for namespace views gets an empty answer
that says nothing about the cluster, so its outcomes cannot be judged at admission; the
scan, which sees whole namespaces, judges them. The gate learns this from what the check
read (`Inventory.reads`, the same record the engine keeps, derived views included), so
checks added to the registry later are classified without being listed anywhere.
"""

from __future__ import annotations

from collections.abc import Set

from c4guard.config import Config
from c4guard.inventory import WORKLOAD_READS, Inventory
from c4guard.model import ANY_KIND, KindKey, Resource


class ObjectInventory(Inventory):
    """The inventory of one admitted object."""

    def __init__(self, resource: Resource, config: Config) -> None:
        self.admitted = resource
        super().__init__([resource], config)


def looked_beyond(reads: Set[KindKey], admitted: Resource) -> bool:
    """Whether a check read more than the admitted object: in a one-object inventory, every
    resource and every workload is that object; any other kind (a namespace included) is
    evidence the object does not carry."""
    own = WORKLOAD_READS | {ANY_KIND, (admitted.origin, admitted.kind)}
    return not reads <= own
