#!/usr/bin/env python3
"""Count the if-pass-else-fail bodies in check code (issue 14's "setting must be X" count).

A body counts when one `if` (or conditional expression) with a simple test (one comparison,
name, attribute or `not`; no `and`/`or`, no call) chooses between returning or yielding
`passed(...)` and `failed(...)`. It is a *setting* body when the test reads a setting's
`.value`: what `checks.registry.expect`/`expect_not` replace; the others are judgements
`checks.registry.verdict` can replace. Usage: count_pass_fail_ifs.py [DIR ...] (default
src/c4guard/checks); the registry's own `verdict` is not counted."""

from __future__ import annotations

import ast
import sys
from pathlib import Path

DEFAULT = Path(__file__).resolve().parents[1] / "src" / "c4guard" / "checks"
OUTCOMES = ("passed", "failed")


def _outcome(node: ast.stmt) -> str | None:
    value = None
    if isinstance(node, ast.Return):
        value = node.value
    elif isinstance(node, ast.Expr) and isinstance(node.value, ast.Yield):
        value = node.value.value
    if isinstance(value, ast.Call) and isinstance(value.func, ast.Name):
        return value.func.id if value.func.id in OUTCOMES else None
    return None


def _simple(test: ast.expr) -> bool:
    if isinstance(test, ast.UnaryOp):
        return _simple(test.operand)
    if isinstance(test, ast.Compare):
        parts = [test.left, *test.comparators]
        return len(test.ops) == 1 and not any(isinstance(p, ast.Call) for p in parts)
    return isinstance(test, ast.Name | ast.Attribute | ast.Subscript)


def _reads_setting(test: ast.expr) -> bool:
    return any(isinstance(n, ast.Attribute) and n.attr == "value" for n in ast.walk(test))


def _following(stmts: list[ast.stmt], i: int) -> str | None:
    node = stmts[i]
    assert isinstance(node, ast.If)
    if len(node.orelse) == 1:
        return _outcome(node.orelse[0])
    if not node.orelse and isinstance(node.body[0], ast.Return) and i + 1 < len(stmts):
        return _outcome(stmts[i + 1])
    return None


def bodies(tree: ast.Module) -> list[tuple[int, bool]]:
    """(line, reads a setting) of every if-pass-else-fail body."""
    found = []
    for parent in ast.walk(tree):
        for field in ("body", "orelse"):
            stmts = getattr(parent, field, None)
            if not isinstance(stmts, list):
                continue
            for i, node in enumerate(stmts):
                if isinstance(node, ast.If) and len(node.body) == 1 and _simple(node.test):
                    pair = {_outcome(node.body[0]), _following(stmts, i)}
                    if pair == set(OUTCOMES):
                        found.append((node.lineno, _reads_setting(node.test)))
    for node in ast.walk(tree):
        if isinstance(node, ast.IfExp) and _simple(node.test):
            names = {getattr(node.body, "id", None), getattr(node.orelse, "id", None)}
            if names == set(OUTCOMES):
                found.append((node.lineno, _reads_setting(node.test)))
    return sorted(found)


def main(argv: list[str]) -> int:
    total = settings = 0
    for directory in [Path(a) for a in argv] or [DEFAULT]:
        for path in sorted(directory.rglob("*.py")):
            if path.name == "registry.py":
                continue
            found = bodies(ast.parse(path.read_text(encoding="utf-8")))
            for line, setting in found:
                print(f"{path}:{line}: {'setting' if setting else 'judgement'}")
            total += len(found)
            settings += sum(1 for _, s in found if s)
    print(f"if-pass-else-fail bodies: {total} ({settings} on a setting's value)")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
