"""Write evaluated Terraform configurations as `terraform show -json` plans, the way
Terraform does: known values under planned_values, values known only after apply marked in
`after_unknown`, and the resources they come from under `configuration` as references.
Tests use it to check that a plan and its configuration get the same verdicts."""

from __future__ import annotations

import re
from typing import Any

from c4guard.model import Resource
from c4guard.sources.terraform.values import Reference, Unknown

_MODULE = re.compile(r"module\.([\w-]+)(\[[^\]]*\])?\.")
_NO_VALUE = object()


def plan_of(resources: list[Resource]) -> dict[str, Any]:
    planned: dict[str, Any] = {"resources": [], "child_modules": []}
    configuration: dict[str, Any] = {"resources": [], "module_calls": {}}
    changes = []
    for resource in resources:
        modules = _MODULE.findall(resource.name)
        local = _MODULE.sub("", resource.name)
        mode = "data" if local.startswith("data.") else "managed"
        kind = resource.kind.removeprefix("data.")
        name = re.sub(r"\[.*\]$", "", local.split(".")[-1])
        values, unknown, expressions = _split(resource.body, block=True)
        item = {
            "address": resource.name,
            "mode": mode,
            "type": kind,
            "name": name,
            "values": values,
        }
        _planned_module(planned, modules)["resources"].append(item)
        changes.append(
            {
                "address": resource.name,
                "mode": mode,
                "type": kind,
                "name": name,
                "change": {"actions": ["create"], "after_unknown": unknown or {}},
            }
        )
        config_address = re.sub(r"\[[^\]]*\]$", "", local)
        _config_module(configuration, modules)["resources"].append(
            {
                "address": config_address,
                "mode": mode,
                "type": kind,
                "name": name,
                "expressions": expressions,
            }
        )
    return {
        "format_version": "1.2",
        "terraform_version": "1.9.5",
        "planned_values": {"root_module": planned},
        "resource_changes": changes,
        "configuration": {"root_module": configuration},
    }


def _planned_module(root: dict[str, Any], modules: list[tuple[str, str]]) -> dict[str, Any]:
    module, address = root, ""
    for name, key in modules:
        address = f"{address}.module.{name}{key}".lstrip(".")
        child = next((c for c in module["child_modules"] if c["address"] == address), None)
        if child is None:
            child = {"address": address, "resources": [], "child_modules": []}
            module["child_modules"].append(child)
        module = child
    return module


def _config_module(root: dict[str, Any], modules: list[tuple[str, str]]) -> dict[str, Any]:
    module = root
    for name, _key in modules:
        call = module["module_calls"].setdefault(
            name, {"source": f"./{name}", "module": {"resources": [], "module_calls": {}}}
        )
        module = call["module"]
    return module


def _split(value: Any, block: bool = False) -> tuple[Any, Any, Any]:
    """(planned value, after_unknown, configuration expression) of one value."""
    if isinstance(value, Reference | Unknown):
        refs = [value] if isinstance(value, Reference) else list(value.refs)
        texts = [t for ref in refs for t in (str(ref), ref.address)]
        return _NO_VALUE, True, {"references": texts}
    if isinstance(value, dict):
        values, unknown, expressions = {}, {}, {}
        for key, item in value.items():
            nested_block = (
                isinstance(item, list)
                and item
                and all(isinstance(i, dict) and hasattr(i, "key_lines") for i in item)
            )
            item_value, item_unknown, item_expression = _split(item, block=nested_block)
            if item_value is not _NO_VALUE:
                values[key] = item_value
            if item_unknown:
                unknown[key] = item_unknown
            expressions[key] = item_expression
        if block:
            return values, unknown, expressions
        return values, unknown, _attribute_expression(expressions.values(), values)
    if isinstance(value, list):
        parts = [_split(item, block=block) for item in value]
        values = [None if v is _NO_VALUE else v for v, _u, _e in parts]
        unknown = [u or False for _v, u, _e in parts]
        if block:
            return values, unknown if any(unknown) else None, [e for _v, _u, e in parts]
        expression = _attribute_expression([e for _v, _u, e in parts], values)
        return values, unknown if any(unknown) else None, expression
    return value, None, {"constant_value": value}


def _attribute_expression(parts: Any, values: Any) -> dict[str, Any]:
    """One attribute's expression, as Terraform writes it: its references, or its value."""
    references = [t for e in parts for t in _references(e)]
    return {"references": references} if references else {"constant_value": values}


def _references(expression: Any) -> list[str]:
    if isinstance(expression, dict) and "references" in expression:
        return list(expression["references"])
    if isinstance(expression, dict):
        return [t for e in expression.values() for t in _references(e)]
    if isinstance(expression, list):
        return [t for e in expression for t in _references(e)]
    return []
