"""Inline suppression comments: found in a file's text and given to the resources whose
text holds them.

The mechanism is generic: a source that sets a resource's text span (`Resource.start_line`
and `end_line`, in the file `location.path`) gets the `# c4guard:ignore` comments inside
that span, or in the lines directly above it that belong to no other resource (a comment
above a YAML document's first key, above an HCL block or a Dockerfile `FROM`). It runs on
every parsed file (`c4guard.sources.parse_file`), so new sources need nothing more than
the span. A source whose resources span files can call `directives_in` itself.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from c4guard.model import Directive, Location, Resource
from c4guard.sources.directives import IGNORE_COMMENT, MARKER, parse_comment

# Line breaks as LibYAML counts them, so lines agree with the parsers'.
_LINES = re.compile(r"\r\n|[\r\n\x85\u2028\u2029]")


def attach_inline_directives(text: str, resources: list[Resource], path: str) -> None:
    """Give each resource of `path` the suppression comments of its text."""
    if MARKER in text:
        attach_directives(list(directives_in(text, path)), resources, path)


def attach_directives(directives: list[Directive], resources: list[Resource], path: str) -> None:
    """Give each directive to the resources of `path` whose text holds it (or the next one
    below it): sources whose resources are made after parsing (Terraform) use this."""
    spanned = [(r, span) for r in resources if r.location.path == path and (span := r.span)]
    if not spanned:
        return
    for directive in directives:
        for resource in _owners(directive.location.line or 0, spanned):
            if directive not in resource.directives:
                resource.directives += (directive,)


def directives_in(text: str, path: str) -> Iterator[Directive]:
    """Every `c4guard:ignore` comment of a text, with its line."""
    for number, line in enumerate(_LINES.split(text), start=1):
        if MARKER in line and (match := IGNORE_COMMENT.search(line)):
            yield parse_comment(match["body"], Location(path, number))


def _owners(line: int, spanned: list[tuple[Resource, tuple[int, int]]]) -> list[Resource]:
    """The resources whose text holds `line`, else the next resource below it."""
    holding = [r for r, (first, last) in spanned if first <= line <= last]
    if holding:
        return holding
    below = [(first, r) for r, (first, _) in spanned if first > line]
    if not below:
        return []
    nearest = min(first for first, _ in below)
    return [r for first, r in below if first == nearest]
