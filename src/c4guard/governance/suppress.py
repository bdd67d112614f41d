"""Inline and annotation suppressions applied to findings, and reported.

A directive suppresses a failing (or unknown) finding of the resource that holds it when
it names the finding's check or requirement, has a reason and an expiry, has not expired,
and inline ignores are honoured (`--no-inline-ignores` and the gate turn them off).
Every directive is reported, one entry per id it names, with its status: `active`,
`unused`, `expired`, `invalid` (with the problem) or `disabled`.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Callable, Iterator
from datetime import date
from typing import TYPE_CHECKING, Any

from c4guard.model import (
    Directive,
    Finding,
    Location,
    Resource,
    ResourceRef,
    Result,
    Suppression,
)
from c4guard.sources.directives import ANNOTATION, parse_annotation
from c4guard.sources.kubernetes import ORIGIN as K8S

if TYPE_CHECKING:
    from c4guard.inventory import Inventory

REQUIREMENT_ID = re.compile(r"^4\.[1-8]\.[1-9]$")
Owned = tuple[Resource, Directive]
KnownId = Callable[[str], bool]


def apply_directives(
    findings: list[Finding], inventory: Inventory, today: date, *, honour: bool, known: KnownId
) -> list[dict[str, Any]]:
    """Suppress findings with the directives of their resources; report every directive.
    `known(id)` tells whether an id names a registered check or a requirement."""
    owned = list(_directives(inventory))
    by_resource: dict[int, list[int]] = defaultdict(list)
    for index, (resource, _) in enumerate(owned):
        by_resource[id(resource)].append(index)
    by_ref: dict[ResourceRef, list[Resource]] = defaultdict(list)
    for resource in inventory.resources:
        by_ref[resource.ref].append(resource)
    matched: dict[tuple[int, str], int] = defaultdict(int)
    for finding in findings:
        if finding.result is Result.PASS or finding.suppression is not None:
            continue
        for index in (
            i for r in _resources_of(finding, by_ref) for i in by_resource.get(id(r), ())
        ):
            directive = owned[index][1]
            for target in directive.targets:
                if target not in (finding.check_id, finding.requirement):
                    continue
                matched[(index, target)] += 1
                if (
                    finding.suppression is None
                    and _state(directive, target, today, honour, known)[0] == "usable"
                ):
                    finding.suppression = Suppression(
                        directive.source, directive.reason, directive.expires, directive.approver
                    )
    return [
        _entry(
            resource,
            directive,
            target,
            matched[(index, target)],
            _state(directive, target, today, honour, known),
        )
        for index, (resource, directive) in enumerate(owned)
        for target in directive.targets or ("",)
    ]


def _directives(inventory: Inventory) -> Iterator[Owned]:
    """Inline directives of every resource, then the annotations of Kubernetes objects
    and of their pod templates (a pod template's annotation covers its whole object)."""
    workloads = {id(w.resource): w for w in inventory.workloads}
    for resource in inventory.resources:
        found = list(resource.directives)
        if resource.origin == K8S:
            found += _annotated(resource.body.get("metadata"), resource.location.path)
            workload = workloads.get(id(resource))
            for pod in workload.pods if workload else ():
                found += _annotated(pod.metadata, resource.location.path)
        for directive in dict.fromkeys(found):
            yield resource, directive


def _annotated(metadata: Any, path: str) -> list[Directive]:
    annotations = metadata.get("annotations") if isinstance(metadata, dict) else None
    if not isinstance(annotations, dict) or ANNOTATION not in annotations:
        return []
    where = getattr(annotations, "where", None)
    file, line = where(ANNOTATION) if where else (path, None)
    return parse_annotation(annotations[ANNOTATION], Location(file or path, line))


def _resources_of(finding: Finding, by_ref: dict[ResourceRef, list[Resource]]) -> list[Resource]:
    """The finding's resource; when several resources share its identity (the same object
    in two files), the one in the finding's file."""
    resources = by_ref.get(finding.resource, [])
    if len(resources) > 1:
        return [r for r in resources if r.location.path == finding.location.path] or resources
    return resources


def _state(
    directive: Directive, target: str, today: date, honour: bool, known: KnownId
) -> tuple[str, str | None]:
    """("usable" | "invalid" | "expired" | "disabled", why)."""
    if directive.problem:
        return "invalid", directive.problem
    if not known(target):
        return "invalid", f"{target} is not a known check or requirement"
    if directive.expires is not None and today > directive.expires:
        return "expired", f"expired on {directive.expires.isoformat()}"
    if not honour:
        return (
            "disabled",
            "inline and annotation suppressions are disregarded (--no-inline-ignores)",
        )
    return "usable", None


def _entry(
    resource: Resource,
    directive: Directive,
    target: str,
    matched: int,
    state: tuple[str, str | None],
) -> dict[str, Any]:
    status, problem = state
    if status == "usable":
        status = "active" if matched else "unused"
    is_requirement = bool(REQUIREMENT_ID.match(target))
    return {
        "source": directive.source,
        "check": None if is_requirement or not target else target,
        "requirement": target if is_requirement else None,
        "resource": {"kind": resource.kind, "namespace": resource.namespace, "name": resource.name},
        "path": directive.location.path,
        "line": directive.location.line,
        "reason": directive.reason,
        "expires": directive.expires.isoformat() if directive.expires else None,
        "approver": directive.approver,
        "status": status,
        "matched": matched,
        "problem": problem,
    }
