"""Odd but parseable build files never crash a check: each check either judges them or
passes over them, and the scan reports no check that could not run."""

from __future__ import annotations

from collections.abc import Callable

from tests.conftest import status_of

ODD_FILES = {
    ".github/workflows/odd.yml": """
        on: 42
        permissions: [read]
        jobs:
          a: {needs: 7, steps: "not a list", env: "${{ fromJSON(x) }}", uses: 3}
          b: {runs-on: x, steps: [7, {uses: [1]}, {run: 5, with: "x"}, {run: "docker push x"}]}
          c: {runs-on: x, needs: {b: 1}, steps: [{run: "echo $TOKEN"}], env: {TOKEN: [1]}}
          d: "just a string"
    """,
    ".github/workflows/called.yml": """
        on: {workflow_run: {workflows: 5}, workflow_call: null}
        jobs:
          loop: {uses: ./.github/workflows/called.yml}
    """,
    "action.yml": "runs: {using: composite, steps: {not: a list}}\n",
    ".gitlab-ci.yml": """
        stages: build
        default: [1]
        include: [{local: 5}, 7, {file: x}]
        variables: [a]
        job: {extends: 9, needs: {a: b}, script: [[["docker push x"]], 3, {a: b}], inherit: 4}
        other: {extends: [job, missing, 4], script: "helm upgrade x ./c",
                allow_failure: {exit_codes: 1}}
    """,
    "compose.yaml": """
        services:
          a: {image: x, ports: [{target: "22-25"}, 8000, "x:y:z"], volumes: [1, {type: bind}],
              environment: 5, security_opt: seccomp=unconfined, tmpfs: {a: b}, user: 0,
              deploy: {resources: {limits: 3, reservations: {devices: [5, {capabilities: gpu}]}}},
              networks: [{x: 1}, 3], labels: [c4guard.dev/class=untrusted-model], cap_add: ALL}
          b: {extends: {service: a, file: null}, build: {context: 5}}
          c: {build: "https://github.com/x/y.git", extends: c}
    """,
    "Dockerfile": "FROM ${A:-}\nUSER\nEXPOSE x-y 22/udp abc\nADD\nCOPY\nENV\nARG =\nRUN\n",
}


def test_odd_files_are_judged_without_a_crash(write: Callable, scan: Callable) -> None:
    for name, text in ODD_FILES.items():
        write(name, text)
    result = scan()
    broken = [r.reason for r in result.requirements if "could not run" in r.reason]
    assert broken == []
    assert status_of(result, "4.3.2") == "fail"  # EXPOSE 22/udp and a published 22-25
    assert not result.inputs.input_errors
    assert {"docker", "compose", "workflows"} <= set(result.scanned_domains)
