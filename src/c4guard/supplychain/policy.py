"""The trust policy: which signers, attestations and limits an artifact must satisfy.

The policy is YAML (see docs/verify.md). It is read with LibYAML's safe loader and validated
with pydantic; every error names the file, the line and the key at fault.
"""

from __future__ import annotations

import fnmatch
from pathlib import Path
from typing import Annotated, Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from c4guard.errors import ConfigError

MAX_POLICY_BYTES = 1 << 20
MAX_POLICY_DEPTH = 32

SEVERITIES = ("negligible", "low", "medium", "high", "critical")
Severity = Literal["negligible", "low", "medium", "high", "critical"]
SEVERITY_RANK = {name: rank for rank, name in enumerate(SEVERITIES)}


class PolicyError(ConfigError):
    """A trust policy that cannot be used, located at file and line."""

    def __init__(self, path: Path | str, line: int | None, message: str) -> None:
        super().__init__(message, file=str(path), line=line)
        self.path = str(path)
        self.message = message


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Keyless(_Strict):
    """A Sigstore keyless identity, verified offline against a trusted root."""

    identity: str
    issuer: str
    trusted_root: Path


class Signer(_Strict):
    """A trusted signer: a PEM public key file, or a Sigstore keyless identity."""

    key: Path | None = None
    keyless: Keyless | None = None

    @model_validator(mode="after")
    def _exactly_one(self) -> Signer:
        if (self.key is None) == (self.keyless is None):
            raise ValueError("a signer has exactly one of `key` or `keyless`")
        return self


class Rule(_Strict):
    """A required piece of evidence; `signers` defaults to the artifact's `signers`."""

    signers: list[str] | None = None


class ProvenanceRule(Rule):
    builder_id: str
    source_repository: str | None = None
    source_ref: str | None = None


class SbomRule(Rule):
    min_components: int = Field(default=1, ge=0)


class VulnerabilityRule(Rule):
    max_severity: Severity | None = None
    max_cvss: float | None = Field(default=None, ge=0, le=10)
    ignore: list[str] = []

    @model_validator(mode="after")
    def _has_ceiling(self) -> VulnerabilityRule:
        if self.max_severity is None and self.max_cvss is None:
            raise ValueError("set `max_severity`, `max_cvss` or both")
        return self


class AssessmentRule(Rule):
    min_level: Annotated[int, Field(ge=1, le=3)]


class ModelRule(Rule):
    signature: str = "model.sig"


class ArtifactPolicy(_Strict):
    """What an artifact whose name matches `match` must satisfy."""

    match: str
    require_digest: bool = False
    signers: list[str] = []
    signature: Rule | None = None
    provenance: ProvenanceRule | None = None
    sbom: SbomRule | None = None
    vulnerabilities: VulnerabilityRule | None = None
    assessment: AssessmentRule | None = None
    model: ModelRule | None = None

    def rules(self) -> dict[str, Rule]:
        """The rules this entry sets, by name, in evaluation order."""
        names = ("signature", "provenance", "sbom", "vulnerabilities", "assessment", "model")
        return {n: getattr(self, n) for n in names if getattr(self, n) is not None}

    def signers_for(self, rule: Rule) -> list[str]:
        return self.signers if rule.signers is None else rule.signers


class TrustPolicy(_Strict):
    """The whole policy: named signers and artifact entries (first match wins)."""

    version: Literal[1]
    signers: dict[str, Signer] = {}
    artifacts: list[ArtifactPolicy]

    def entry_for(self, name: str) -> ArtifactPolicy | None:
        """The first artifact entry whose `match` glob matches `name`."""
        return next((a for a in self.artifacts if fnmatch.fnmatchcase(name, a.match)), None)


def load_policy(path: Path | str) -> TrustPolicy:
    """Read and validate a trust policy; relative key and root paths resolve beside it."""
    path = Path(path)
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise PolicyError(path, None, f"cannot read trust policy: {exc.strerror}") from exc
    if len(raw) > MAX_POLICY_BYTES:
        raise PolicyError(path, None, f"trust policy larger than {MAX_POLICY_BYTES} bytes")
    data, lines = _load_yaml_with_lines(path, raw)
    try:
        policy = TrustPolicy.model_validate(data)
    except ValidationError as exc:
        err = exc.errors()[0]
        loc = tuple(err["loc"])
        line = _nearest_line(lines, loc)
        key = ".".join(str(p) for p in loc) or "(top level)"
        raise PolicyError(path, line, f"{key}: {err['msg']}") from exc
    _check_signer_names(policy, path, lines)
    return _resolve_paths(policy, path.parent)


def _check_signer_names(policy: TrustPolicy, path: Path, lines: dict[tuple, int]) -> None:
    """Every rule names at least one signer, and only signers the policy defines."""
    for i, entry in enumerate(policy.artifacts):
        for rule_name, rule in entry.rules().items():
            names = entry.signers_for(rule)
            at = ("artifacts", i, rule_name)
            if not names:
                raise PolicyError(
                    path,
                    _nearest_line(lines, at),
                    f"artifacts.{i}.{rule_name}: "
                    "no signers; evidence must be signed, so set `signers` on "
                    "the rule or on the artifact",
                )
            unknown = sorted(set(names) - set(policy.signers))
            if unknown:
                line = (
                    _nearest_line(lines, (*at, "signers"))
                    if rule.signers is not None
                    else _nearest_line(lines, ("artifacts", i, "signers"))
                )
                raise PolicyError(
                    path,
                    line,
                    f"artifacts.{i}.{rule_name}: unknown signer(s) "
                    f"{', '.join(unknown)}; define them under `signers:`",
                )


def _resolve_paths(policy: TrustPolicy, base: Path) -> TrustPolicy:
    signers = {}
    for name, s in policy.signers.items():
        if s.key is not None:
            signers[name] = s.model_copy(update={"key": base / s.key})
        else:
            assert s.keyless is not None
            root = base / s.keyless.trusted_root
            signers[name] = s.model_copy(
                update={"keyless": s.keyless.model_copy(update={"trusted_root": root})}
            )
    return policy.model_copy(update={"signers": signers})


def _load_yaml_with_lines(path: Path, raw: bytes) -> tuple[Any, dict[tuple, int]]:
    loader = yaml.CSafeLoader(raw)
    try:
        node = loader.get_single_node()
        if node is None:
            raise PolicyError(path, None, "trust policy is empty")
        lines: dict[tuple, int] = {}
        _index_lines(node, (), lines, 0)
        return loader.construct_document(node), lines
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        raise PolicyError(
            path, mark.line + 1 if mark else None, f"invalid YAML: {exc.problem or exc}"
        ) from exc
    except yaml.YAMLError as exc:
        raise PolicyError(path, None, f"invalid YAML: {exc}") from exc
    finally:
        loader.dispose()


def _index_lines(node: yaml.Node, at: tuple, lines: dict[tuple, int], depth: int) -> None:
    if depth > MAX_POLICY_DEPTH:
        raise yaml.MarkedYAMLError(problem="nesting too deep", problem_mark=node.start_mark)
    lines[at] = node.start_mark.line + 1
    if isinstance(node, yaml.MappingNode):
        for key, value in node.value:
            _index_lines(value, (*at, key.value), lines, depth + 1)
            lines[(*at, key.value)] = key.start_mark.line + 1
    elif isinstance(node, yaml.SequenceNode):
        for i, item in enumerate(node.value):
            _index_lines(item, (*at, i), lines, depth + 1)


def _nearest_line(lines: dict[tuple, int], loc: tuple) -> int | None:
    """The line of `loc`, or of its closest enclosing node that exists in the file."""
    for end in range(len(loc), -1, -1):
        if loc[:end] in lines:
            return lines[loc[:end]]
    return None
