"""The layout of the checks: check modules hold checks, views hold what they judge.

- a check module (`c4guard.checks.<domain>.<section>`) defines no class and imports from
  `c4guard.checks` only the registration API (`registry`) and its own domain's `common`;
- a `common` module registers no check and defines no class;
- a view module (`c4guard.views`) imports nothing from `c4guard.checks`.
"""

from __future__ import annotations

import ast
import importlib.util
from pathlib import Path

import pytest

from c4guard.catalog import load_catalog
from c4guard.checks import REGISTRY, SHARED_MODULES, check_modules

SRC = Path(__file__).resolve().parents[2] / "src"
VIEWS = sorted((SRC / "c4guard" / "views").glob("*.py"))
SECTIONS = {
    "4.1": "isolation",
    "4.2": "pipeline",
    "4.3": "network",
    "4.4": "secrets",
    "4.5": "sandbox",
    "4.6": "resources",
    "4.7": "hardware",
    "4.8": "edge",
}


def tree_of(module: str) -> ast.Module:
    spec = importlib.util.find_spec(module)
    assert spec and spec.origin
    return ast.parse(Path(spec.origin).read_text(encoding="utf-8"))


def imported(tree: ast.Module) -> set[str]:
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module:
            found |= {node.module} | {f"{node.module}.{a.name}" for a in node.names}
        elif isinstance(node, ast.Import):
            found |= {a.name for a in node.names}
    return found


def shared_modules() -> list[str]:
    domains = sorted({m.rsplit(".", 1)[0] for m in check_modules()})
    return [
        f"{d}.{name}"
        for d in domains
        for name in SHARED_MODULES
        if importlib.util.find_spec(f"{d}.{name}")
    ]


@pytest.mark.parametrize("module", check_modules())
def test_a_check_module_defines_no_class_and_imports_no_other_check_module(module: str) -> None:
    tree = tree_of(module)
    classes = [n.name for n in ast.walk(tree) if isinstance(n, ast.ClassDef)]
    assert not classes, f"{module} defines {classes}: views belong in c4guard.views"
    domain = module.rsplit(".", 1)[0]
    allowed = {"c4guard.checks.registry", *(f"{domain}.{name}" for name in SHARED_MODULES)}
    wrong = {
        name
        for name in imported(tree)
        if name.startswith("c4guard.checks")
        and not any(name == a or name.startswith(a + ".") for a in allowed)
    }
    assert not wrong, f"{module} imports {sorted(wrong)}"


@pytest.mark.parametrize("module", check_modules())
def test_a_check_module_holds_the_checks_of_its_section(module: str) -> None:
    section = module.rsplit(".", 1)[1]
    mine = [c for c in REGISTRY.values() if c.function.__module__ == module]
    assert mine
    for c in mine:
        assert SECTIONS[c.requirement.rsplit(".", 1)[0]] == section, c.id
        assert load_catalog().get(c.requirement) is not None, c.id


@pytest.mark.parametrize("module", shared_modules())
def test_a_common_module_registers_nothing_and_defines_no_class(module: str) -> None:
    tree = tree_of(module)
    assert not [n for n in ast.walk(tree) if isinstance(n, ast.ClassDef)]
    assert not [c for c in REGISTRY.values() if c.function.__module__ == module]


@pytest.mark.parametrize("path", VIEWS, ids=lambda p: p.name)
def test_a_view_module_imports_no_check(path: Path) -> None:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    wrong = {n for n in imported(tree) if n.startswith("c4guard.checks")}
    assert not wrong, f"{path.name} imports {sorted(wrong)}"
