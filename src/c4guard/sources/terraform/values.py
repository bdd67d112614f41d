"""Values that Terraform knows only at plan or apply time."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any


class Unknown:
    """A value c4guard cannot know without running Terraform, and why.

    `refs` keeps the resources the value was computed from (a template that interpolates
    `aws_kms_key.k.arn` is unknown, but still names the key)."""

    __slots__ = ("reason", "refs")

    def __init__(self, reason: str, refs: Iterable[Reference] = ()) -> None:
        self.reason = reason
        self.refs = tuple(refs)

    def __repr__(self) -> str:
        return f"Unknown({self.reason!r})"

    def __str__(self) -> str:
        return f"(unknown: {self.reason})"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Unknown) and other.reason == self.reason

    def __hash__(self) -> int:
        return hash(("unknown", self.reason))


@dataclass(frozen=True, slots=True)
class Reference:
    """An attribute of another resource (`aws_kms_key.k.arn`): its full address and the
    attribute path (empty for the whole resource)."""

    address: str
    attribute: str = ""

    def __str__(self) -> str:
        return f"{self.address}.{self.attribute}" if self.attribute else self.address


class Outputs(dict):
    """A module's outputs; reading one it lacks is unknown, for `missing`'s reason."""

    __slots__ = ("missing",)

    def __init__(self, values: dict[str, Any], missing: str) -> None:
        super().__init__(values)
        self.missing = missing


def is_known(value: Any) -> bool:
    """True when `value` (and everything inside it) is known."""
    return not any(isinstance(v, Unknown | Reference) for v in walk(value))


def walk(value: Any, limit: int = 100_000) -> Iterator[Any]:
    """Every value nested in `value`, itself included (iterative, bounded)."""
    stack = [value]
    seen = 0
    while stack and seen < limit:
        item = stack.pop()
        seen += 1
        yield item
        if isinstance(item, dict):
            stack.extend(item.values())
        elif isinstance(item, list | tuple):
            stack.extend(item)


def references_in(value: Any) -> list[Reference]:
    """Every resource reference inside `value`, unknown parts included."""
    found: list[Reference] = []
    for item in walk(value):
        if isinstance(item, Reference):
            found.append(item)
        elif isinstance(item, Unknown):
            found.extend(item.refs)
    return found


def unknown_from(reason: str, *values: Any) -> Unknown:
    """An unknown value that keeps the references of the values it came from."""
    refs = [ref for value in values for ref in references_in(value)]
    reasons = [v.reason for value in values for v in walk(value) if isinstance(v, Unknown)]
    return Unknown(reasons[0] if reasons else reason, dict.fromkeys(refs))
