"""Where a line of a rendered Helm template came from.

Rendered lines are aligned, in order, with the template's literal lines (lines without
`{{`): a rendered line equal to the next unmatched literal was written there. A line the
template does not hold literally came from the values: the `key: value` line of the values
files in force (the last one given first, the chart's `values.yaml` last). Failing both, it
points at the template action (`{{ ... }}`) that produced it.
"""

from __future__ import annotations

from dataclasses import dataclass

from c4guard.sources.render.trace import Place

ACTION = "{{"


@dataclass(frozen=True, slots=True)
class Text:
    """A file's display path and its lines."""

    path: str
    lines: tuple[str, ...]


def line_places(rendered: list[str], template: Text | None, values: list[Text]) -> dict[int, Place]:
    """rendered line number (1-based) -> where it was written."""
    placed: dict[int, Place] = {}
    literals = _literals(template)
    values_index = _values_index(values)
    cursor = 0
    last: Place = (template.path, None) if template else (None, None)
    for number, line in enumerate(rendered, start=1):
        text = line.strip()
        if not text or text.startswith("#") or text == "---":
            continue
        found = _next_literal(literals, text, cursor)
        if found is not None:
            cursor = found + 1
            last = (template.path if template else None, literals[found][0])
            placed[number] = last
        elif _bare(text) in values_index:
            placed[number] = values_index[_bare(text)]
        else:
            placed[number] = _action_after(template, literals, cursor) or last
    return placed


def _literals(template: Text | None) -> list[tuple[int, str]]:
    if template is None:
        return []
    return [
        (number, line.strip())
        for number, line in enumerate(template.lines, start=1)
        if line.strip() and ACTION not in line
    ]


def _next_literal(literals: list[tuple[int, str]], text: str, cursor: int) -> int | None:
    for index in range(cursor, len(literals)):
        if literals[index][1] == text:
            return index
    return None


def _action_after(
    template: Text | None, literals: list[tuple[int, str]], cursor: int
) -> Place | None:
    """The first template action below the last literal matched."""
    if template is None:
        return None
    start = literals[cursor - 1][0] if cursor else 0
    for number in range(start + 1, len(template.lines) + 1):
        if ACTION in template.lines[number - 1]:
            return template.path, number
    return None


def _values_index(values: list[Text]) -> dict[str, Place]:
    """`key: value` lines of the values files; the first file given wins."""
    index: dict[str, Place] = {}
    for source in values:
        for number, line in enumerate(source.lines, start=1):
            text = _bare(line.strip())
            if ":" in text and not text.startswith("#") and not text.endswith(":"):
                index.setdefault(text, (source.path, number))
    return index


def _bare(text: str) -> str:
    """A line without its list dash and trailing comment."""
    if text.startswith("- "):
        text = text[2:].strip()
    return text.split(" #", 1)[0].rstrip()
