"""CEL evaluation throughput of the exported checks, and the time `gate export` takes.

    python bench/cel_bench.py [--objects 2000] [--engine cel-rust|cel-python] [--seed 1]

Objects are the differential tests' generated workloads (every native kind). For each
exported check it prints objects per second (CPU time: the machine is shared): the pod
templates collected as the policy's variables do, then the check; then the Python gate's
time per object over the same checks, and the export time for both formats. Nothing is
asserted.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests.gate.export.differential import PythonJudge, params_for
from tests.gate.export.strategies import sample_workloads

from c4guard.config import Config
from c4guard.config.gate import GatePolicy
from c4guard.gate.export.cel import template_variables
from c4guard.gate.export.declarations import DECLARATIONS
from c4guard.gate.export.document import render
from c4guard.gate.export.engine import Policy, admission_bindings, engine
from c4guard.gate.export.plan import build_export


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--objects", type=int, default=2000)
    parser.add_argument("--engine", default="cel-rust")
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    config = Config()
    objects = list(sample_workloads(args.objects, args.seed))
    cel = engine(args.engine)
    params = params_for(config)
    start = time.process_time()
    contexts = [cel.bind(admission_bindings(b, ns, params)) for b, ns in objects]
    bind = time.process_time() - start
    print(
        f"{args.engine}: {len(objects)} generated workloads; binding variables "
        f"{bind / len(objects) * 1e3:.3f} ms CPU per object"
    )
    print(f"{'check':28} {'expr chars':>10} {'objects/s':>10}")
    total = 0.0
    variables, errors = template_variables(), 0
    sizes = [cel.compile(f"size({v['expression']})") for v in variables]
    start = time.process_time()
    for context in contexts:  # the variables' own cost, without carrying lists to Python
        for program in sizes:
            cel.evaluate(program, context)
    collect = (time.process_time() - start) / len(contexts)
    print(f"collecting pod templates (variables): {collect * 1e3:.3f} ms CPU per object")
    first = Policy(cel, "true", variables)
    contexts = [first.bind_variables(context) for context in contexts]
    for check_id, declaration in sorted(DECLARATIONS.items()):
        source = declaration.allowed()
        policy = Policy(cel, source, variables)
        start = time.process_time()
        for context in contexts:
            try:
                policy.allowed(context)
            except Exception:  # an error denies; it still counts
                errors += 1
        spent = time.process_time() - start
        total += spent
        per_object = spent / len(contexts) + collect  # a policy collects its templates
        print(f"{check_id:28} {len(source):>10} {1 / per_object:>10.0f}")
    print(f"evaluation errors: {errors}")
    print(
        f"all {len(DECLARATIONS)} checks, templates collected once: "
        f"{1 / (total / len(contexts) + collect):.0f} objects/s "
        f"({(total / len(contexts) + collect) * 1e3:.2f} ms CPU per object)"
    )
    python = PythonJudge(config)
    start = time.process_time()
    for body, namespace in objects:
        python.failing(body, namespace)
    spent = time.process_time() - start
    print(
        f"Python gate, same checks: {len(objects) / spent:.0f} objects/s "
        f"({spent / len(objects) * 1e3:.2f} ms CPU per object)"
    )
    for fmt in ("vap", "kyverno"):
        start = time.perf_counter()
        text = render(build_export(config, GatePolicy()), GatePolicy(), fmt)
        print(
            f"export --format {fmt}: {time.perf_counter() - start:.3f} s, "
            f"{len(text) / 1024:.0f} KiB"
        )


if __name__ == "__main__":
    main()
