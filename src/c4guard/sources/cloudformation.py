"""AWS CloudFormation templates (YAML with short-form intrinsics, JSON, AWS CDK output in
`cdk.out/*.template.json`): each resource with its properties evaluated as far as the
template allows (`c4guard.sources.cfn_intrinsics`).

A resource whose condition is known to be false is not created, so it is not read; one
whose condition depends on deployment values is read, with a note saying so."""

from __future__ import annotations

from typing import Any

from c4guard.model import Domain, Location, Origin, Resource
from c4guard.sources.cfn_intrinsics import NO_VALUE, Template
from c4guard.sources.structured import Interpreter
from c4guard.sources.terraform.values import is_known
from c4guard.sources.yamlload import Document, Mapping

ORIGIN, DOMAIN = Origin.CLOUDFORMATION, Domain.CLOUDFORMATION
_TYPE_PREFIXES = ("AWS::", "Alexa::", "Custom::")
CDK_PATH = "aws:cdk:path"


class Properties(Mapping):
    """A resource's evaluated properties, with what a reader should know of them: its
    condition and AWS CDK construct path (`notes`), and per property the parameters it
    took at their default (`defaults`)."""

    __slots__ = ("defaults", "notes")

    def __init__(self, path: str | None = None, line: int | None = None) -> None:
        super().__init__(path, line)
        self.notes: tuple[str, ...] = ()
        self.defaults: dict[str, tuple[str, ...]] = {}


def is_template(value: Any) -> bool:
    """A CloudFormation (or SAM) template: the format version, or resources typed AWS::."""
    if not isinstance(value, dict):
        return False
    if "AWSTemplateFormatVersion" in value:
        return True
    resources = value.get("Resources")
    return isinstance(resources, dict) and any(
        isinstance(r, dict) and str(r.get("Type", "")).startswith(_TYPE_PREFIXES)
        for r in resources.values()
    )


def interpret(document: Document, display: str, _namespace: str | None) -> list[Resource] | None:
    """The resources a template creates, or None for what is not a template."""
    if not is_template(document.value):
        return None
    template = Template(document.value)
    declared = [
        (name, body)
        for name, body in template.resources.items()
        if isinstance(body, dict) and isinstance(body.get("Type"), str)
    ]
    lines = [_line(template.resources, name, document.start_line) for name, _ in declared]
    ends = sorted(lines)
    resources = []
    for (name, body), line in zip(declared, lines, strict=True):
        resource = _resource(template, str(name), body, display, line)
        if resource is not None:
            later = [e for e in ends if e > line]
            resource.end_line = (later[0] - 1) if later else document.end_line
            resources.append(resource)
    return resources


def _resource(
    template: Template, name: str, body: dict[str, Any], display: str, line: int
) -> Resource | None:
    condition = body.get("Condition")
    notes: list[str] = []
    if condition is not None:
        holds = template.condition(condition)
        if holds is False:
            return None
        if holds is None:
            notes.append(f"created only when condition {condition} holds at deployment")
    properties = body.get("Properties")
    out = Properties(display, line)  # what is not written is reported at the resource
    if isinstance(properties, dict):
        _resolve_properties(template, properties, out)
    metadata = body.get("Metadata")
    cdk_path = metadata.get(CDK_PATH) if isinstance(metadata, dict) else None
    if isinstance(cdk_path, str):
        notes.append(f"AWS CDK construct {cdk_path}")
    out.notes = tuple(notes)
    return Resource(
        ORIGIN,
        str(body["Type"]),
        name,
        None,
        out,
        Location(display, line),
        start_line=line,
    )


def _resolve_properties(template: Template, properties: dict[str, Any], out: Properties) -> None:
    """Each property evaluated, with the parameter defaults it took."""
    for key, value in properties.items():
        template.defaults_used = {}
        resolved = template.resolve(value)
        if resolved is NO_VALUE:
            continue
        out[key] = resolved
        if isinstance(properties, Mapping):
            out.key_lines[key] = properties.line_of(key) or 0
        if template.defaults_used:
            out.defaults[str(key)] = tuple(
                f"parameter {p} taken at its default ({_shown(template, p, v)})"
                for p, v in template.defaults_used.items()
            )


def _line(resources: dict[str, Any], name: Any, fallback: int) -> int:
    if isinstance(resources, Mapping):
        return resources.line_of(name) or fallback
    return fallback


def _shown(template: Template, parameter: str, value: Any) -> str:
    """A default as a note shows it: never a NoEcho parameter's (it may be a secret)."""
    if str(template.parameters.get(parameter, {}).get("NoEcho", "")).lower() == "true":
        return "NoEcho, not shown"
    text = str(value) if is_known(value) else "unknown"
    return text if len(text) <= 60 else text[:57] + "..."


INTERPRETER = Interpreter(DOMAIN, interpret)
