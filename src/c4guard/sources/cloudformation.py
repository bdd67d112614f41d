"""AWS CloudFormation templates: recognised, and reported as not yet supported.

A template is skipped with its own reason, so a report never calls it "not
infrastructure" and never counts it as an input error."""

from __future__ import annotations

from typing import Any

from c4guard.sources.structured import Interpreter, Unsupported
from c4guard.sources.yamlload import Document

NOT_YET_SUPPORTED = Unsupported("CloudFormation template (not yet supported by c4guard)")
_TYPE_PREFIXES = ("AWS::", "Alexa::", "Custom::")


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


def recognise(document: Document, _display: str, _namespace: str | None) -> Unsupported | None:
    return NOT_YET_SUPPORTED if is_template(document.value) else None


# Recognises templates only: they are skipped, so no domain is scanned.
INTERPRETER = Interpreter(None, recognise)
