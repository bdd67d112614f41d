"""`c4guard.yaml`: the project configuration, validated with errors at file, line and key."""

from __future__ import annotations

import fnmatch
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Annotated, Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from c4guard.config.gate import GatePolicy
from c4guard.errors import ConfigError
from c4guard.model import Severity
from c4guard.sources.yamlload import Mapping, Sequence, YAMLLimitError, load_documents

CONFIG_NAMES = ("c4guard.yaml", "c4guard.yml", ".c4guard.yaml", ".c4guard.yml")
CLASS_NAMES = ("ai", "untrusted-model", "high-risk", "confidential")
MAX_CONFIG_BYTES = 2 * 1024 * 1024


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


RequirementId = Annotated[str, Field(pattern=r"^4\.[1-8]\.[1-9]$")]


class Selector(_Strict):
    """Which resources a rule applies to; every given field must match (globs allowed)."""

    kinds: list[str] = []
    namespaces: list[str] = []
    names: list[str] = []
    labels: dict[str, str] = {}
    tags: dict[str, str] = {}
    paths: list[str] = []

    def matches(
        self,
        *,
        kind: str = "",
        namespace: str | None = None,
        name: str = "",
        labels: dict[str, Any] | None = None,
        path: str = "",
    ) -> bool:
        tagged = {**(labels or {})}
        checks = (
            _any_glob(self.kinds, kind),
            _any_glob(self.namespaces, namespace or ""),
            _any_glob(self.names, name),
            _any_glob(self.paths, path),
            all(str(tagged.get(k)) == v for k, v in {**self.labels, **self.tags}.items()),
        )
        return all(checks)


def _any_glob(patterns: list[str], value: str) -> bool:
    return not patterns or any(fnmatch.fnmatchcase(value, p) for p in patterns)


class ClassRule(Selector):
    classes: list[str]

    @field_validator("classes")
    @classmethod
    def _known(cls, value: list[str]) -> list[str]:
        unknown = [c for c in value if c not in CLASS_NAMES]
        if unknown:
            raise ValueError(f"unknown class {unknown[0]!r}; expected one of {list(CLASS_NAMES)}")
        return value


class EnvironmentRule(Selector):
    environment: str


class RuntimeClasses(_Strict):
    """RuntimeClass name globs that count as sandboxes or confidential TEEs, and the
    confidential-looking ones that run without hardware attestation (development)."""

    sandbox: list[str] = [
        "gvisor",
        "gvisor-*",
        "runsc",
        "runsc-*",
        "kata",
        "kata-*",
        "kata*",
        "sandbox",
        "gke-sandbox",
    ]
    confidential: list[str] = [
        "kata-qemu-snp",
        "kata-qemu-tdx",
        "kata-qemu-nvidia-gpu-snp",
        "kata-qemu-nvidia-gpu-tdx",
        "kata-qemu-se",
        "kata-remote",
        "kata-cc*",
        "kata-cc-isolation",
        "kata-qemu-coco-dev",
    ]
    unattested: list[str] = ["*-coco-dev"]


class ResourceSelector(_Strict):
    kind: str | None = None
    namespace: str | None = None
    name: str | None = None
    path: str | None = None

    def matches(self, kind: str, namespace: str | None, name: str, path: str) -> bool:
        pairs = (
            (self.kind, kind),
            (self.namespace, namespace or ""),
            (self.name, name),
            (self.path, path),
        )
        return all(p is None or fnmatch.fnmatchcase(v, p) for p, v in pairs)


class ExceptionRule(_Strict):
    """A governed exception: suppresses failing findings of a check or requirement."""

    check: str | None = None
    requirement: RequirementId | None = None
    resource: ResourceSelector = ResourceSelector()
    reason: str = Field(min_length=1)
    expires: date
    approver: str | None = None

    @model_validator(mode="after")
    def _target(self) -> ExceptionRule:
        if not (self.check or self.requirement):
            raise ValueError("an exception needs `check` or `requirement`")
        return self

    def expired(self, today: date) -> bool:
        return today > self.expires


class Attestation(_Strict):
    """A person's statement that a requirement is met, with evidence and an expiry."""

    requirement: RequirementId
    statement: str = Field(min_length=1)
    evidence: list[str] = []
    owner: str = Field(min_length=1)
    reviewed: date
    expires: date

    def expired(self, today: date) -> bool:
        return today > self.expires


class NotApplicableRule(_Strict):
    requirement: RequirementId
    reason: str = Field(min_length=1)


class AuditSection(_Strict):
    """Where `scan` (and the other faces) record their outcomes."""

    db: str | None = Field(default=None, description="SQLite path or postgresql:// URL")
    actor: str | None = None


class CheckRules(_Strict):
    """Which checks run and at what severity; selectors name a check, a requirement or a
    section (see `c4guard.checks.selection`)."""

    select: list[str] = []
    skip: list[str] = []
    severity: dict[str, Severity] = {}


class Config(_Strict):
    version: Literal[1] = 1
    level: int | None = Field(default=None, ge=1, le=3)
    classes: list[ClassRule] = []
    environments: list[EnvironmentRule] = []
    runtime_classes: RuntimeClasses = RuntimeClasses()
    exceptions: list[ExceptionRule] = []
    attestations: list[Attestation] = []
    not_applicable: list[NotApplicableRule] = []
    checks: CheckRules = CheckRules()
    # Reserved for the verify face, which validates its own section.
    verify: dict[str, Any] | None = None
    gate: GatePolicy | None = None
    audit: AuditSection | None = None
    source: str | None = Field(default=None, exclude=True)


def today_utc() -> date:
    """Dates in the config are valid through the end of that day, UTC."""
    return datetime.now(UTC).date()


def find_config(explicit: str | None, targets: list[str]) -> Path | None:
    """The config file to use: `--config`, else one at the scan root (or the current
    directory when there are several targets or stdin)."""
    if explicit:
        return Path(explicit)
    roots = [Path(t) for t in targets if t != "-"]
    base = roots[0] if len(roots) == 1 and roots[0].is_dir() else Path.cwd()
    return next((base / n for n in CONFIG_NAMES if (base / n).is_file()), None)


def load_config(path: Path | None) -> Config:
    """Load and validate a config file (or the defaults when `path` is None)."""
    if path is None:
        return Config()
    name = str(path)
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise ConfigError([f"{name}: cannot read the config: {exc.strerror or exc}"]) from exc
    if len(raw) > MAX_CONFIG_BYTES:
        raise ConfigError([f"{name}: config is larger than {MAX_CONFIG_BYTES} bytes"])
    data = _parse_yaml(raw, name)
    if not isinstance(data, Mapping):
        raise ConfigError([f"{name}:1: the config must be a mapping that starts with `version: 1`"])
    if "version" not in data:
        raise ConfigError([f"{name}:{data.line or 1}: missing `version: 1` (the first key)"])
    try:
        return Config.model_validate({**data, "source": name})
    except ValidationError as exc:
        raise ConfigError([_describe(err, data, name) for err in exc.errors()]) from exc


def _parse_yaml(raw: bytes, name: str) -> Any:
    try:
        text = raw.decode("utf-8")
        documents = list(load_documents(text, name))
    except UnicodeDecodeError as exc:
        raise ConfigError([f"{name}: not valid UTF-8 (byte {exc.start})"]) from exc
    except YAMLLimitError as exc:
        raise ConfigError([f"{name}:{exc.line}: {exc}"]) from exc
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = mark.line + 1 if mark else 1
        problem = getattr(exc, "problem", None) or str(exc)
        raise ConfigError([f"{name}:{line}: invalid YAML: {problem}"]) from exc
    if len(documents) != 1:
        raise ConfigError([f"{name}:1: the config must be exactly one YAML document"])
    return documents[0].value


def _describe(error: Any, data: Mapping, name: str) -> str:
    loc = tuple(error["loc"])
    line = _line_at(data, loc)
    key = "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in loc).lstrip(".")
    message = error["msg"]
    if error["type"] == "extra_forbidden":
        message = "unknown key"
    elif error["type"] == "missing":
        message = "required key is missing"
    return f"{name}:{line}: {key or '(top level)'}: {message}"


def _line_at(data: Any, loc: tuple[Any, ...]) -> int:
    """The line of the deepest part of `loc` that exists in the YAML."""
    node, line = data, getattr(data, "line", None) or 1
    for part in loc:
        if isinstance(node, Mapping) and part in node:
            line = node.line_of(part) or line
            node = node[part]
        elif isinstance(node, Sequence) and isinstance(part, int) and part < len(node):
            line = node.item_lines[part] if part < len(node.item_lines) else line
            node = node[part]
        else:
            break
    return line
