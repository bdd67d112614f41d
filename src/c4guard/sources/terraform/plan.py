"""`terraform show -json` output (plans and states) as Terraform resources.

Planned values are what Terraform will create, with provider defaults filled in; values
known only after apply (`after_unknown`) become `Unknown`, and keep the resources the
configuration says they come from (`configuration...expressions...references`), so a
bucket's `kms_master_key_id` still points at its key.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

from c4guard.model import Location, Resource
from c4guard.sources.terraform.modules import FROM_PLAN, ORIGIN
from c4guard.sources.terraform.values import Reference, Unknown
from c4guard.sources.yamlload import Document, Mapping

AFTER_APPLY = "known only after apply"
_REFERENCE = re.compile(
    r"^(?P<address>(?:module\.[\w-]+(?:\[[^\]]*\])?\.)*(?:data\.)?[\w-]+\.[\w-]+(?:\[[^\]]*\])?)"
    r"(?:\.(?P<attribute>.+))?$"
)
_NOT_RESOURCES = ("var.", "local.", "each.", "count.", "path.", "terraform.", "self.")


def is_plan(value: Any) -> bool:
    return (
        isinstance(value, dict)
        and "format_version" in value
        and any(k in value for k in ("planned_values", "values", "resource_changes"))
    )


def resources_from_plan(
    document: Document, display: str, _namespace: str | None
) -> list[Resource] | None:
    """The resources of a plan or state document, or None when it is not one."""
    value = document.value
    if not is_plan(value):
        return None
    root = _get(value, "planned_values", "root_module") or _get(value, "values", "root_module")
    changes = {
        c.get("address"): c for c in value.get("resource_changes") or [] if isinstance(c, dict)
    }
    configuration = _get(value, "configuration", "root_module") or {}
    resources = []
    for module_address, item in _planned(root or {}, ""):
        address = item.get("address")
        body = item.get("values")
        if not isinstance(address, str) or not isinstance(body, Mapping):
            continue
        change = changes.get(address) or {}
        unknown = _get(change, "change", "after_unknown")
        expressions = _expressions(configuration, module_address, item)
        _fill_unknowns(body, unknown, expressions, module_address)
        kind = str(item.get("type", "?"))
        if item.get("mode") == "data":
            kind = f"data.{kind}"
        line = item.line if isinstance(item, Mapping) else None
        resources.append(
            Resource(ORIGIN, kind, address, display, body, Location(display, line), FROM_PLAN)
        )
    return resources


def _get(value: Any, *keys: str) -> Any:
    for key in keys:
        if not isinstance(value, dict):
            return None
        value = value.get(key)
    return value


def _planned(module: dict[str, Any], address: str) -> Iterator[tuple[str, dict[str, Any]]]:
    for item in module.get("resources") or []:
        if isinstance(item, dict):
            yield address, item
    for child in module.get("child_modules") or []:
        if isinstance(child, dict):
            yield from _planned(child, str(child.get("address", "")))


def _expressions(
    configuration: dict[str, Any], module_address: str, item: dict[str, Any]
) -> dict[str, Any] | None:
    """The configuration's expressions for a planned resource (module calls followed), or
    None when the plan carries no configuration for it."""
    module = configuration
    for name in re.findall(r"module\.([\w-]+)", module_address):
        module = _get(module, "module_calls", name, "module") or {}
    config_address = re.sub(r"\[[^\]]*\]$", "", str(item.get("address", ""))).rsplit(
        ".", 2 if item.get("mode") != "data" else 3
    )
    wanted = ".".join(config_address[-2:] if item.get("mode") != "data" else config_address[-3:])
    for resource in module.get("resources") or []:
        if isinstance(resource, dict) and resource.get("address") == wanted:
            expressions = resource.get("expressions")
            return expressions if isinstance(expressions, dict) else {}
    return None


def _fill_unknowns(values: Any, unknown: Any, expressions: Any, prefix: str) -> None:
    """Put `Unknown`s where the plan says a value is known only after apply.

    `expressions` mirrors the configuration: a block's expressions are a mapping (or a
    list of them), an attribute's one expression (`references`/`constant_value`) covers
    every value inside it. An attribute the configuration does not set is the provider's
    to compute: it is left absent, so checks apply the provider's default (an EKS
    cluster's public_access_cidrs)."""
    attribute = expressions if _is_expression(expressions) else None
    if isinstance(unknown, dict) and isinstance(values, dict):
        for key, flag in unknown.items():
            block = isinstance(expressions, dict) and attribute is None
            expression = (
                attribute if attribute is not None else (expressions.get(key) if block else None)
            )
            if flag is True and block and key not in expressions:
                values.pop(key, None)
            elif flag is True:
                values[key] = _unknown(expression, prefix)
            elif key in values:
                _fill_unknowns(values[key], flag, expression, prefix)
    elif isinstance(unknown, list) and isinstance(values, list):
        # A list written as one expression (`[aws_security_group.a.id, ...]`) has one set
        # of references: element by element when they match the unknown elements in number.
        own = _by_address(attribute, prefix)
        if len(own) != sum(1 for flag in unknown if flag is True):
            own = []
        for index, (item, flag) in enumerate(zip(values, unknown, strict=False)):
            expression = (
                attribute
                if attribute is not None
                else (
                    expressions[index]
                    if isinstance(expressions, list) and index < len(expressions)
                    else None
                )
            )
            if flag is True:
                values[index] = own.pop(0) if own else _unknown(expression, prefix)
            else:
                _fill_unknowns(item, flag, expression, prefix)


def _is_expression(value: Any) -> bool:
    return isinstance(value, dict) and ("references" in value or "constant_value" in value)


def _by_address(expression: Any, prefix: str) -> list[Reference]:
    """The expression's references, one per resource (its most specific attribute)."""
    references = expression.get("references") if isinstance(expression, dict) else None
    best: dict[str, Reference] = {}
    for text in references or []:
        ref = _reference(str(text), prefix)
        if ref and len(ref.attribute) >= len(best.get(ref.address, ref).attribute):
            best[ref.address] = ref
    return list(best.values())


def _unknown(expression: Any, prefix: str) -> Any:
    refs = _by_address(expression, prefix)
    if len(refs) == 1:
        return refs[0]
    return Unknown(AFTER_APPLY, refs)


def _reference(text: str, prefix: str) -> Reference | None:
    if text.startswith(_NOT_RESOURCES):
        return None
    match = _REFERENCE.match(text)
    if match is None:
        return None
    address = f"{prefix}.{match['address']}" if prefix else match["address"]
    return Reference(address, match["attribute"] or "")
