"""Reading one Terraform file (`.tf`, `.tf.json`, `.tfvars`, `.tfvars.json`) into blocks.

This runs in the worker processes; what spans files (variables, locals, modules) is
evaluated afterwards by `c4guard.sources.terraform.modules`. A file's blocks travel to
that step as a `TerraformFile` inside a placeholder resource of origin `SOURCE_ORIGIN`.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Any

import yaml

from c4guard.model import Domain, Location, Origin, Resource
from c4guard.sources.handlers import FileContext
from c4guard.sources.result import FileResult
from c4guard.sources.terraform.hcl import Attribute, Block, Expr, HclError, parse_hcl
from c4guard.sources.yamlload import Mapping, YAMLLimitError, load_documents

DOMAIN = Domain.TERRAFORM
SOURCE_ORIGIN = Origin.TERRAFORM_FILE
CONFIG_SUFFIXES = (".tf", ".tf.json")
VARS_SUFFIXES = (".tfvars", ".tfvars.json")
# JSON syntax: which top-level keys hold labelled blocks, and how many labels they have.
_JSON_LABELS = {
    "resource": 2,
    "data": 2,
    "module": 1,
    "variable": 1,
    "output": 1,
    "provider": 1,
    "locals": 0,
    "terraform": 0,
}


@dataclass(frozen=True, slots=True)
class TerraformFile:
    """One parsed file: where it is, whether it sets variables, and its blocks."""

    display: str
    directory: str
    is_vars: bool
    body: Block

    @property
    def auto_vars(self) -> bool:
        name = os.path.basename(self.display)
        return name in ("terraform.tfvars", "terraform.tfvars.json") or name.endswith(
            (".auto.tfvars", ".auto.tfvars.json")
        )


def claims(name: str) -> bool:
    return name.lower().endswith(CONFIG_SUFFIXES + VARS_SUFFIXES)


def parse(text: str, context: FileContext) -> FileResult:
    """Parse one file; syntax errors become input errors at their line."""
    result = FileResult()
    name = context.path.name.lower()
    try:
        body = _json_body(text, context.display) if name.endswith(".json") else parse_hcl(text)
    except HclError as exc:
        result.errors.append((exc.line, str(exc)))
        return result
    except (yaml.YAMLError, YAMLLimitError, ValueError) as exc:
        line = getattr(getattr(exc, "problem_mark", None), "line", None)
        result.errors.append(
            (
                line + 1 if line is not None else getattr(exc, "line", None),
                f"invalid Terraform JSON: {exc}".splitlines()[0],
            )
        )
        return result
    directory = os.path.normpath(os.path.abspath(context.path.parent))
    file = TerraformFile(context.display, directory, name.endswith(VARS_SUFFIXES), body)
    result.resources.append(
        Resource(
            SOURCE_ORIGIN,
            "file",
            context.display,
            None,
            file,
            Location(context.display, 1),
            end_line=body.end_line,
        )
    )
    result.claimed = True
    result.domains.add(DOMAIN)
    return result


# ---------------------------------------------------------------- JSON syntax


def _json_body(text: str, display: str) -> Block:
    documents = list(load_documents(text, display))
    value = documents[0].value if documents else None
    if not isinstance(value, Mapping):
        raise ValueError("a Terraform JSON file holds one object")
    top = Block("", (), 1, text.count("\n") + 1)
    for key, item in value.items():
        labels = _JSON_LABELS.get(key)
        line = value.line_of(key) or 1
        if labels is None:
            top.attributes[key] = Attribute(key, _json_expr(item), line)
        else:
            top.blocks.extend(_json_blocks(key, item, labels, (), line))
    return top


def _json_blocks(
    block_type: str, value: Any, labels: int, found: tuple[str, ...], line: int
) -> list[Block]:
    if isinstance(value, list):
        return [b for item in value for b in _json_blocks(block_type, item, labels, found, line)]
    if not isinstance(value, dict):
        return []
    if len(found) < labels:
        return [
            b
            for key, item in value.items()
            for b in _json_blocks(
                block_type, item, labels, (*found, str(key)), _line(value, key, line)
            )
        ]
    block = Block(block_type, found, getattr(value, "line", None) or line, line)
    for key, item in value.items():
        block.attributes[key] = Attribute(key, _json_expr(item), _line(value, key, line))
    return [block]


def _line(mapping: Any, key: Any, default: int) -> int:
    return mapping.line_of(key) or default if isinstance(mapping, Mapping) else default


def _json_expr(value: Any) -> Expr:
    """JSON values as expressions; strings may interpolate (`"${var.x}"`)."""
    if isinstance(value, str):
        if "${" not in value:
            return ("lit", value)
        try:
            return parse_hcl(f"x = {_quoted(value)}\n").attributes["x"].expr
        except (HclError, KeyError):
            return ("lit", value)
    if isinstance(value, list):
        return ("tuple", tuple(_json_expr(v) for v in value))
    if isinstance(value, dict):
        return ("object", tuple((("lit", str(k)), _json_expr(v)) for k, v in value.items()))
    return ("lit", value)


def _quoted(text: str) -> str:
    escaped = text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")
    return f'"{escaped}"'
