"""`scan_text`: run the rules over one text and return redacted matches with locations."""

from __future__ import annotations

import bisect
import string
from dataclasses import dataclass, field, replace

from c4guard.secrets.redaction import fingerprint, redact
from c4guard.secrets.rule import Context, Rule
from c4guard.secrets.rules import RULES, passes_common_filters


@dataclass(frozen=True, slots=True)
class SecretMatch:
    """One secret found in a text. `secret` stays in memory only: it is left out of
    `repr` and `to_dict`, and every output uses `redacted` and `fingerprint`."""

    rule_id: str
    title: str
    path: str
    line: int
    column: int
    redacted: str
    fingerprint: str
    also_key_material: bool
    secret: str = field(repr=False, compare=False)

    def to_dict(self) -> dict[str, object]:
        """Everything but the secret, for reports."""
        return {
            "rule_id": self.rule_id,
            "title": self.title,
            "path": self.path,
            "line": self.line,
            "column": self.column,
            "redacted": self.redacted,
            "fingerprint": self.fingerprint,
            "also_key_material": self.also_key_material,
        }


@dataclass(frozen=True, slots=True)
class _Candidate:
    rule: Rule
    start: int  # where the finding is reported: the start of the whole match
    secret_start: int
    secret_end: int
    secret: str


_TRIM = " \t\r\n\"'"


def _trimmed_span(text: str, start: int, end: int) -> tuple[int, int]:
    """Drop surrounding blanks, quotes and JSON `\\n` escapes from a multi-line secret."""
    while start < end and (text[start] in _TRIM or text.startswith("\\n", start)):
        start += 2 if text.startswith("\\n", start) else 1
    while end > start and (text[end - 1] in _TRIM or text.endswith("\\n", start, end)):
        end -= 2 if text.endswith("\\n", start, end) else 1
    return start, end


def _candidates(rule: Rule, ctx: Context) -> list[_Candidate]:
    found = []
    for match in rule.pattern.finditer(ctx.lowered if rule.on_lowered else ctx.text):
        if match.start() > 0 and ctx.text[match.start() - 1] in rule.not_after:
            continue
        span = rule.secret_span(match)
        if span is None:
            continue
        start, end = _trimmed_span(ctx.text, *span)
        raw = ctx.text[start:end]
        # The rule's own confirmation first: it is where cheap structural rejections are
        # (an AWS secret key is exactly 40 characters), before filters that read the value.
        if not raw or not rule.confirm(match, raw, ctx) or not passes_common_filters(rule, raw):
            continue
        secret = rule.normalize(raw) if rule.normalize else raw
        # Key blocks are reported at their BEGIN line, everything else where the secret starts.
        reported = match.start() if rule.key_material else start
        found.append(_Candidate(rule, reported, start, end, secret))
    return found


def _without_overlaps(candidates: list[_Candidate]) -> list[_Candidate]:
    """Where secrets overlap, the higher-priority rule (the more specific one) wins."""
    kept: list[_Candidate] = []
    for cand in sorted(candidates, key=lambda c: (-c.rule.priority, c.secret_start)):
        if not any(
            cand.secret_start < other.secret_end and other.secret_start < cand.secret_end
            for other in kept
        ):
            kept.append(cand)
    return sorted(kept, key=lambda c: (c.start, c.rule.id))


class _LineIndex:
    """1-based line and column of an offset, built only when a text has matches."""

    def __init__(self, text: str) -> None:
        self._starts = [0]
        position = text.find("\n")
        while position >= 0:
            self._starts.append(position + 1)
            position = text.find("\n", position + 1)

    def locate(self, offset: int) -> tuple[int, int]:
        line = bisect.bisect_right(self._starts, offset)
        return line, offset - self._starts[line - 1] + 1


# The prefilter: each distinct keyword is looked for once per text.
_KEYWORDS = frozenset(keyword for rule in RULES for keyword in rule.keywords)
_ASCII_LOWER = str.maketrans(string.ascii_uppercase, string.ascii_lowercase)


def _lower_same_offsets(text: str) -> str:
    """Lower case with unchanged offsets: `str.lower` (fast) unless some character lowers
    to several (`İ`), then ASCII-only lowering."""
    lowered = text.lower()
    return lowered if len(lowered) == len(text) else text.translate(_ASCII_LOWER)


def scan_text(text: str, path: str) -> list[SecretMatch]:
    """All secrets in `text`; `path` is reported as given and its suffix tells source code
    (where only quoted literals count for the generic rule) from configuration."""
    ctx = Context(text, path, _lower_same_offsets(text))
    present = {keyword for keyword in _KEYWORDS if keyword in ctx.lowered}
    candidates = [
        cand
        for rule in RULES
        if not present.isdisjoint(rule.keywords)
        for cand in _candidates(rule, ctx)
    ]
    if not candidates:
        return []
    index = _LineIndex(text)
    matches = []
    for cand in _without_overlaps(candidates):
        line, column = index.locate(cand.start)
        matches.append(
            SecretMatch(
                rule_id=cand.rule.id,
                title=cand.rule.title,
                path=path,
                line=line,
                column=column,
                redacted=redact(cand.secret),
                fingerprint=fingerprint(cand.secret),
                also_key_material=cand.rule.key_material,
                secret=cand.secret,
            )
        )
    return matches


def scan_value(name: str, value: str, path: str, line: int) -> list[SecretMatch]:
    """Secrets in one setting that another parser already located (an environment
    variable of a container, a Docker `ENV`, a compose `environment` entry): the value is
    judged as `name=value` and the matches are placed at `line`."""
    return [
        replace(match, line=line + match.line - 1, column=match.column if match.line > 1 else 1)
        for match in scan_text(f"{name}={value}", path)
    ]
