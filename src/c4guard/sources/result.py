"""What reading produced: one input file (`FileResult`), all of them (`InputSet`)."""

from __future__ import annotations

from dataclasses import dataclass, field

from c4guard.model import InputSummary, Resource


@dataclass(slots=True)
class FileResult:
    """Resources read from one file, the problems met, or why it was skipped."""

    resources: list[Resource] = field(default_factory=list)
    errors: list[tuple[int | None, str]] = field(default_factory=list)
    skipped: str | None = None
    domains: set[str] = field(default_factory=set)
    claimed: bool = False
    template: bool = False

    def merge(self, other: FileResult) -> None:
        """Add another reader's results for the same file (a text scanner's, say)."""
        self.resources.extend(other.resources)
        self.errors.extend(other.errors)
        self.domains |= other.domains
        if other.claimed:
            self.claimed = True
            self.skipped = None


@dataclass(slots=True)
class InputSet:
    """All resources read from the targets, and what happened on the way."""

    resources: list[Resource] = field(default_factory=list)
    summary: InputSummary = field(default_factory=InputSummary)
    domains: set[str] = field(default_factory=set)
