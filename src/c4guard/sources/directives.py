"""The suppression syntax of DESIGN.md, read into `Directive`s.

- Comment, anywhere inside (or directly above) a resource's text::

      # c4guard:ignore K8S-PRIVILEGED,4.1.2 reason="GPU driver installer" expires=2027-01-31

  `//` works as the comment marker too (HCL); `approver="..."` is optional.
- Annotation on a Kubernetes object or its pod template, one entry per line::

      c4guard.dev/ignore: "K8S-PRIVILEGED: GPU driver installer; expires=2027-01-31"

A directive without a reason or an expiry, or with a date that is not `YYYY-MM-DD`, is
kept with its `problem`: it never suppresses, and the report lists it.
"""

from __future__ import annotations

import re
from datetime import date

from c4guard.model import Directive, Location

MARKER = "c4guard:ignore"
ANNOTATION = "c4guard.dev/ignore"
INLINE, FROM_ANNOTATION = "inline", "annotation"
MAX_DIRECTIVE_CHARS = 2000

IGNORE_COMMENT = re.compile(r"(?:^|\s)(?:#|//)\s*c4guard:ignore(?=\s|$)(?P<body>.*)$")
_FIELD = re.compile(r'\s*(?P<key>[A-Za-z_]+)=(?:"(?P<quoted>(?:[^"\\]|\\.)*)"|(?P<bare>[^\s;]+))')
_TARGET = re.compile(r"^(?:4\.[1-8]\.[1-9]|[A-Z0-9][A-Z0-9-]*)$")
_DATE = re.compile(r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$")
_KEYS = ("reason", "expires", "approver")


def parse_comment(body: str, location: Location) -> Directive:
    """A directive from the text after `c4guard:ignore` in a comment."""
    body = body.strip()[:MAX_DIRECTIVE_CHARS]
    head, _, rest = body.partition(" ")
    if "=" in head:  # no targets: the first word is already a field
        head, rest = "", body
    fields, problems = _fields(rest)
    return _directive(INLINE, head, fields, problems, location)


def parse_annotation(value: str, location: Location) -> list[Directive]:
    """The directives of a `c4guard.dev/ignore` annotation value (one per line)."""
    directives = []
    for entry in str(value)[:MAX_DIRECTIVE_CHARS].splitlines():
        if not entry.strip():
            continue
        head, colon, rest = entry.partition(":")
        reason, _, options = rest.partition(";")
        fields, problems = _fields(options.replace(";", " "))
        if reason.strip():
            fields["reason"] = reason.strip()
        if not colon:
            problems.append("has no `:` between the ids and the reason")
        directives.append(_directive(FROM_ANNOTATION, head, fields, problems, location))
    return directives


def _fields(text: str) -> tuple[dict[str, str], list[str]]:
    fields: dict[str, str] = {}
    problems: list[str] = []
    position = 0
    while position < len(text):
        match = _FIELD.match(text, position)
        if match is None:
            leftover = text[position:].strip()
            if leftover:
                problems.append(f"cannot read {leftover[:40]!r} (expected key=value)")
            break
        key = match["key"].lower()
        value = match["quoted"] if match["quoted"] is not None else match["bare"]
        if key not in _KEYS:
            problems.append(f"unknown field {key!r} (expected {', '.join(_KEYS)})")
        else:
            fields[key] = re.sub(r"\\(.)", r"\1", value).strip()
        position = match.end()
    return fields, problems


def _directive(
    source: str, head: str, fields: dict[str, str], problems: list[str], location: Location
) -> Directive:
    targets = tuple(t.strip().upper() for t in head.split(",") if t.strip())
    if not targets:
        problems.insert(0, "names no check or requirement id")
    problems += [f"{t!r} is not a check or requirement id" for t in targets if not _TARGET.match(t)]
    expires = _date(fields.get("expires"), problems)
    if not fields.get("reason"):
        problems.append("has no reason")
    if "expires" not in fields:
        problems.append("has no expiry (expires=YYYY-MM-DD)")
    return Directive(
        source=source,
        targets=targets,
        reason=fields.get("reason", ""),
        expires=expires,
        location=location,
        approver=fields.get("approver") or None,
        problem="; ".join(problems) or None,
    )


def _date(text: str | None, problems: list[str]) -> date | None:
    if text is None:
        return None
    try:
        if not _DATE.match(text):
            raise ValueError(text)
        return date.fromisoformat(text)
    except ValueError:
        problems.append(f"expires={text!r} is not a date (YYYY-MM-DD)")
        return None
