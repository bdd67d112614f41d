"""One object in, one decision out: the registered Kubernetes checks that one object can
settle, judged by the gate policy, and `c4guard verify` for every image.

The gate runs each check with `engine.run_check`, as the scan does (a check that raises is
recorded, here as a denial), because it needs the outcomes, not only the findings: whether
a failing setting is written in the object or left to a runtime it refers to, and what the
check read. Findings are made with `engine.to_finding`.

The gate reads `Finding.result` only, never `Finding.suppression`, and never calls the
engine's governance: config exceptions, inline `c4guard:ignore` comments and
`c4guard.dev/ignore` annotations cannot let an object in. The only thing that turns a
failing finding into a warning is the gate policy's own rules.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from c4guard.catalog import Catalog, load_catalog
from c4guard.checks import all_checks
from c4guard.checks.registry import Check, Outcome
from c4guard.config import Config
from c4guard.config.gate import GatePolicy
from c4guard.engine import run_check, to_finding
from c4guard.gate.admission import object_digest
from c4guard.gate.images import IMAGE_REQUIREMENT, ImageCheck, ImageVerifier
from c4guard.gate.scope import ObjectInventory, looked_beyond
from c4guard.model import Finding, Resource, Result
from c4guard.sources.kubernetes import DOMAIN

MAX_MESSAGE_CHARS = 3000
MAX_WARNINGS = 12  # the API server keeps about 4 KiB of warnings
MAX_WARNING_CHARS = 256
MAX_RECORDED_REASONS = 200
BEYOND_THE_OBJECT = "needs evidence beyond the object (other objects, the namespace)"


@dataclass(frozen=True, slots=True)
class Reason:
    """Why an object is denied or warned about: a check, an image, or the gate itself."""

    source: str  # "check", "image" or "gate"
    code: str  # check id, verify failure code, or gate code (internal-error, time-budget)
    requirement: str | None
    message: str
    location: str | None = None  # file:line, when the object came from a file

    def text(self) -> str:
        requirement = f", AISVS C4 {self.requirement}" if self.requirement else ""
        return f"{self.message} ({self.code}{requirement})"

    def to_dict(self) -> dict[str, Any]:
        found = {
            "source": self.source,
            "code": self.code,
            "requirement": self.requirement,
            "message": self.message,
        }
        return {**found, "location": self.location} if self.location else found


@dataclass(frozen=True, slots=True)
class NotJudged:
    """A check (or one of its outcomes) the object alone cannot settle; the scan judges it."""

    check: str
    why: str

    def to_dict(self) -> dict[str, str]:
        return {"check": self.check, "why": self.why}


@dataclass(slots=True)
class Decision:
    """The gate's answer for one object, with everything the audit trail keeps."""

    denials: list[Reason] = field(default_factory=list)
    warnings: list[Reason] = field(default_factory=list)
    images: list[ImageCheck] = field(default_factory=list)
    not_judged: list[NotJudged] = field(default_factory=list)
    checks_run: int = 0
    subject: dict[str, Any] = field(default_factory=dict)

    @property
    def allowed(self) -> bool:
        return not self.denials

    @property
    def failed_closed(self) -> bool:
        """Denied because the gate could not decide (internal error, time budget, audit)."""
        return any(reason.source == "gate" for reason in self.denials)

    @classmethod
    def fail_closed(
        cls, code: str, message: str, subject: dict[str, Any] | None = None
    ) -> Decision:
        return cls(denials=[Reason("gate", code, None, message)], subject=subject or {})

    def message(self) -> str:
        """The denial message the API server shows the user."""
        if self.allowed:
            return ""
        count = len(self.denials)
        head = f"c4guard denied this object ({count} problem{'s' if count > 1 else ''}): "
        return _bounded_join(head, [reason.text() for reason in self.denials], MAX_MESSAGE_CHARS)

    def warning_texts(self) -> list[str]:
        """Admission warnings (kubectl prints them), short as the API server wants them."""
        texts = [
            _clip(f"c4guard: {reason.text()}", MAX_WARNING_CHARS)
            for reason in self.warnings[:MAX_WARNINGS]
        ]
        if len(self.warnings) > MAX_WARNINGS:
            texts.append(f"c4guard: and {len(self.warnings) - MAX_WARNINGS} more warnings")
        return texts

    def payload(self) -> dict[str, Any]:
        """The `gate.decision` audit payload (the caller adds where the request came from)."""
        return {
            "allowed": self.allowed,
            "object": self.subject,
            "denied": [r.to_dict() for r in self.denials[:MAX_RECORDED_REASONS]],
            "warnings": [r.to_dict() for r in self.warnings[:MAX_RECORDED_REASONS]],
            "images": [image.summary() for image in self.images],
            "not_judged": [n.to_dict() for n in self.not_judged[:MAX_RECORDED_REASONS]],
            "checks_run": self.checks_run,
        }


class Gate:
    """Decides admission for one object at a time. Holds no state that decides anything:
    the policy, the checks (of `checks`, default every registered one, the Kubernetes ones
    the policy selects) and a cache of verify verdicts."""

    def __init__(
        self,
        config: Config,
        policy: GatePolicy,
        images: ImageVerifier | None,
        catalog: Catalog | None = None,
        checks: list[Check] | None = None,
    ) -> None:
        self.config = config
        self.policy = policy
        self.images = images
        self.checks = gated_checks(policy, all_checks() if checks is None else checks)
        self.levels = {r.id: r.level for r in (catalog or load_catalog()).requirements}
        self._digests = {
            "gate": policy.digest,
            "trust": images.policy_digest if images is not None else None,
        }

    def policy_digests(self) -> dict[str, str | None]:
        """The gate policy and trust policy a decision is made under."""
        return self._digests

    def decide(self, resource: Resource) -> Decision:
        """The whole decision, verifying images in their registries as needed."""
        decision, references = self.judge_object(resource)
        for reference in references:
            self.add_image(decision, self.images.check(reference))  # type: ignore[union-attr]
        return decision

    def judge_object(self, resource: Resource) -> tuple[Decision, list[str]]:
        """The checks' part of the decision (CPU only), and the images still to judge."""
        inventory = ObjectInventory(resource, self.config)
        decision = Decision(subject=describe_object(resource))
        for check in self.checks:
            self._judge_check(check, inventory, decision)
        return decision, list(images_of(inventory)) if self.images is not None else []

    def add_image(self, decision: Decision, image: ImageCheck) -> None:
        """Add an image's verdict; one that is not an allow denies (or warns)."""
        decision.images.append(image)
        if image.allowed:
            return
        target = decision.denials if self.policy.images.action == "deny" else decision.warnings
        for code, message in image.failures():
            target.append(
                Reason("image", code, IMAGE_REQUIREMENT, f"image {image.reference}: {message}")
            )

    def _judge_check(self, check: Check, inventory: ObjectInventory, decision: Decision) -> None:
        decision.checks_run += 1
        result = run_check(check, inventory)
        if result.error is not None:
            decision.denials.append(
                Reason(
                    "gate",
                    "check-error",
                    check.requirement,
                    f"check {check.id} could not run ({result.error!r}); the gate fails closed",
                )
            )
            return
        if looked_beyond(result.reads, inventory.admitted):
            decision.not_judged.append(NotJudged(check.id, BEYOND_THE_OBJECT))
            return
        for outcome in result.outcomes():
            if outcome.result is Result.PASS:
                continue
            finding = to_finding(check, outcome)
            unsettled = _unsettled(outcome, finding, inventory)
            if unsettled:
                decision.not_judged.append(NotJudged(check.id, unsettled))
            else:
                self._apply_rule(check, finding, inventory.admitted.namespace, decision)

    def _apply_rule(
        self, check: Check, finding: Finding, namespace: str | None, decision: Decision
    ) -> None:
        level = self.levels.get(check.requirement, 3)
        action = self.policy.action_for(
            check.id, check.requirement, level, check.severity, namespace
        )
        message = finding.message
        if finding.result is Result.UNKNOWN:
            message += " (cannot be determined, so it counts as failing)"
        where = str(finding.location) if finding.location.line else None
        reason = Reason("check", check.id, check.requirement, message, where)
        (decision.denials if action == "deny" else decision.warnings).append(reason)


def _unsettled(outcome: Outcome, finding: Finding, inventory: ObjectInventory) -> str | None:
    """Why a failing outcome cannot be judged from the object alone, if it cannot: it is
    about another object (a namespace), or about a setting that a runtime the object
    refers to (a KServe ServingRuntime, a Trainer runtime) would supply."""
    if finding.resource != inventory.admitted.ref:
        return f"about {finding.resource}, not the admitted object"
    pod = getattr(outcome.subject, "pod", outcome.subject)
    notes = getattr(pod, "notes", ())
    written = outcome.setting is not None and outcome.setting.present
    if notes and not written:
        return "; ".join(notes)
    return None


def gated_checks(policy: GatePolicy, checks: list[Check]) -> list[Check]:
    """The Kubernetes checks among `checks` that the policy selects, in their order."""
    return [c for c in checks if c.domain == DOMAIN and policy.checks.selects(c.id)]


def images_of(inventory: ObjectInventory) -> Iterator[str]:
    """Each distinct image of every container (init and ephemeral included)."""
    seen: set[str] = set()
    for container in inventory.containers():
        image = container.image
        if image and image not in seen:
            seen.add(image)
            yield image


def describe_object(resource: Resource) -> dict[str, Any]:
    """The object's identity and content digest, for the audit trail."""
    return {
        "kind": resource.kind,
        "api_version": resource.api_version,
        "namespace": resource.namespace,
        "name": resource.name,
        "sha256": object_digest(resource.body),
    }


def _clip(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _bounded_join(head: str, parts: list[str], limit: int) -> str:
    text = head
    for index, part in enumerate(parts):
        piece = ("; " if index else "") + part
        if len(text) + len(piece) > limit:
            return text + f"; and {len(parts) - index} more (see the audit trail)"
        text += piece
    return text
