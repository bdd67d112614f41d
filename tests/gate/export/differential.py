"""The differential harness: the gate's Python verdict and the exported CEL's verdict for
the same object, check by check."""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

from c4guard.config import Config
from c4guard.config.gate import CheckSelection, GatePolicy, ImageVerification, Rule
from c4guard.gate.admission import to_mapping
from c4guard.gate.decision import Gate
from c4guard.gate.export.cel import template_variables
from c4guard.gate.export.declarations import DECLARATIONS, Declaration
from c4guard.gate.export.engine import Policy, admission_bindings, engine
from c4guard.gate.export.kinds import NATIVE_KINDS
from c4guard.sources.kubernetes import resources_from_document
from c4guard.sources.yamlload import Document

EXPORTED = tuple(sorted(DECLARATIONS))
NATIVE = {(k.group, k.kind) for k in NATIVE_KINDS}
ROOT = Path(__file__).resolve().parents[3]


def judging_policy() -> GatePolicy:
    """Every exported check, every failing finding denies, no image verification."""
    return GatePolicy(
        checks=CheckSelection(include=list(EXPORTED)),
        rules=[Rule(action="deny")],
        images=ImageVerification(verify=False),
    )


def params_for(config: Config) -> dict[str, str]:
    return {p.name: p.value(config) for d in DECLARATIONS.values() for p in d.params}


class PythonJudge:
    """The gate's own decision: which exported checks deny the object."""

    def __init__(self, config: Config) -> None:
        self.gate = Gate(config, judging_policy(), None)

    def failing(self, body: Any, namespace: str | None) -> set[str]:
        document = Document(to_mapping(body), 1, 1)
        [resource] = resources_from_document(document, "<differential>", namespace)
        decision, _ = self.gate.judge_object(resource)
        failing = set()
        for reason in decision.denials:
            if reason.code == "check-error":  # the gate fails closed on a check that raises
                failing.add(reason.message.split()[1])
            else:
                failing.add(reason.code)
        return failing


class CelJudge:
    """The exported expressions in a CEL engine: which of them deny the object. An
    evaluation error denies too (the policies' failurePolicy is Fail)."""

    def __init__(
        self,
        config: Config,
        engine_name: str = "cel-rust",
        declarations: dict[str, Declaration] | None = None,
    ) -> None:
        self.engine = engine(engine_name)
        self.params = params_for(config)
        chosen = declarations or DECLARATIONS
        variables = template_variables()
        self.policies = {c: Policy(self.engine, d.allowed(), variables) for c, d in chosen.items()}

    def failing(self, body: Any, namespace: str | None) -> set[str]:
        context = self.engine.bind(admission_bindings(body, namespace, self.params))
        try:  # every policy has the same variables: evaluate them once
            context = next(iter(self.policies.values())).bind_variables(context)
        except Exception:
            return set(self.policies)
        failing = set()
        for check_id, policy in self.policies.items():
            try:
                allowed = policy.allowed(context)
            except Exception:
                allowed = None
            if allowed is not True:
                failing.add(check_id)
        return failing


@dataclass
class Tally:
    """Objects judged per check, and every disagreement (check, object, both verdicts)."""

    objects: dict[str, int] = field(default_factory=dict)
    disagreements: list[tuple[str, Any, bool, bool]] = field(default_factory=list)

    def compare(self, body: Any, python: set[str], cel: set[str], checks: tuple[str, ...]):
        for check_id in checks:
            self.objects[check_id] = self.objects.get(check_id, 0) + 1
            if (check_id in python) != (check_id in cel):
                self.disagreements.append((check_id, body, check_id in python, check_id in cel))


def plain(value: Any) -> Any:
    """Plain JSON values of a parsed manifest (no line-tracking types)."""
    if isinstance(value, dict):
        return {str(k): plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [plain(v) for v in value]
    return value


def _manifest_files(root: Path) -> Iterator[str]:
    for folder, dirs, files in os.walk(root):
        dirs[:] = [d for d in dirs if not d.startswith(".")]
        for name in files:
            if name.endswith((".yaml", ".yml", ".json")):
                yield os.path.join(folder, name)


@cache
def workloads_in(*roots: Path) -> tuple[tuple[Any, str | None], ...]:
    """(body, namespace) of every workload of a native kind in the manifests under roots."""
    from c4guard.sources import read_inputs

    files = [f for root in roots for f in _manifest_files(root)]
    inputs = read_inputs(files)
    return tuple(
        (plain(r.body), r.namespace)
        for r in inputs.resources
        if r.origin == "k8s" and (r.api_group, r.kind) in NATIVE
    )


def judge_chunk(args: tuple[list[tuple[Any, str | None]], Config, str]) -> Tally:
    """Compare both verdicts for every object of a chunk (run in a worker process)."""
    objects, config, engine_name = args
    python, cel = PythonJudge(config), CelJudge(config, engine_name)
    tally = Tally()
    for body, namespace in objects:
        tally.compare(body, python.failing(body, namespace), cel.failing(body, namespace), EXPORTED)
    return tally


def differential(
    objects: list[tuple[Any, str | None]], config: Config, engine_name: str = "cel-rust"
) -> Tally:
    """Both verdicts for every object, on every core (2 here)."""
    from concurrent.futures import ProcessPoolExecutor

    workers = min(4, os.cpu_count() or 1)
    chunks = [objects[i::workers] for i in range(workers)]
    total = Tally()
    with ProcessPoolExecutor(workers) as pool:
        for tally in pool.map(judge_chunk, [(c, config, engine_name) for c in chunks]):
            for check_id, count in tally.objects.items():
                total.objects[check_id] = total.objects.get(check_id, 0) + count
            total.disagreements += tally.disagreements
    return total
