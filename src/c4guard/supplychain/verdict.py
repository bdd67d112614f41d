"""The verdict on one artifact: one check per policy rule, with its evidence, and the
decision (allow, deny, or error when the verifier could not decide)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any, Literal

from pydantic import BaseModel, Field

from c4guard.errors import EXIT_FINDINGS, EXIT_OK, EXIT_USAGE

Decision = Literal["allow", "deny", "error"]
EXIT_CODES = {"allow": EXIT_OK, "deny": EXIT_FINDINGS, "error": EXIT_USAGE}


class Check(BaseModel):
    """The outcome of one rule. `code` is a stable name for why it failed, e.g.
    `untrusted-key`, `digest-mismatch`, `wrong-builder-id`, `vulnerability-over-ceiling`."""

    rule: str
    passed: bool
    code: str | None = None
    message: str
    evidence: dict[str, Any] = {}


class Verdict(BaseModel):
    """JSON-serialisable (`model_dump(mode="json")`), so the audit trail can keep it."""

    reference: str
    digest: str | None = None
    policy_entry: str | None = None
    policy_digest: str | None = None
    decision: Decision
    checks: list[Check] = []
    errors: list[str] = []
    verified_at: datetime = Field(default_factory=lambda: datetime.now(UTC))

    @property
    def exit_code(self) -> int:
        return EXIT_CODES[self.decision]

    @property
    def reasons(self) -> list[str]:
        """Why the artifact is not allowed: failed checks, then errors."""
        return [c.message for c in self.checks if not c.passed] + self.errors


def decide(reference: str, checks: list[Check], **fields: Any) -> Verdict:
    """Allow when every check passed, else deny."""
    decision: Decision = "allow" if checks and all(c.passed for c in checks) else "deny"
    return Verdict(reference=reference, decision=decision, checks=checks, **fields)


def error(reference: str, message: str, **fields: Any) -> Verdict:
    """A verdict for an artifact the verifier could not judge (exit 2; never an allow)."""
    return Verdict(reference=reference, decision="error", errors=[message], **fields)
