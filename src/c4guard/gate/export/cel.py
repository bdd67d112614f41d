"""CEL text builders: field presence chains, quantifiers over a kind's pod templates and
their containers, globs as RE2 patterns, string literals.

Only standard CEL is emitted (`has`, `all`, `exists`, `filter`, `map`, `in`, `matches`,
`startsWith`, `size`, `string`, `type`): no Kubernetes extension library, so the policies
mean the same in every CEL engine, the differential tests' included.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterable

from c4guard.gate.export.kinds import (
    EACH_ITEM,
    EACH_VALUE,
    NATIVE_KINDS,
    NativeKind,
    TemplatePath,
)
from c4guard.workloads.views import POD_LEVEL_SECURITY

Predicate = Callable[[str], str]  # CEL text about the template (or container) named by its arg
CONTAINER_GROUPS = ("initContainers", "containers", "ephemeralContainers")


def literal(text: str) -> str:
    """A CEL string literal (JSON escapes are valid CEL escapes)."""
    return json.dumps(text)


def present(var: str, path: str) -> str:
    """Every field along the dotted `path` exists under `var`."""
    steps = path.split(".")
    return " && ".join(f"has({var}.{'.'.join(steps[: i + 1])})" for i in range(len(steps)))


def equals(var: str, path: str, value: str) -> str:
    """The field at `path` exists and equals the CEL `value`."""
    return f"({present(var, path)} && {var}.{path} == {value})"


def glob_regex(globs: Iterable[str]) -> str:
    """An anchored RE2 pattern matching what any of the fnmatch globs matches ('' for none)."""
    parts = [_glob(g) for g in globs]
    return f"^(?:{'|'.join(parts)})$" if parts else ""


def _glob(glob: str) -> str:
    out, i = [], 0
    while i < len(glob):
        ch = glob[i]
        if ch == "*":
            out.append(".*")
        elif ch == "?":
            out.append(".")
        elif ch == "[" and "]" in glob[i + 2 :] + glob[i + 1 : i + 2]:
            end = glob.index("]", i + 2) if glob[i + 1 : i + 2] == "]" else glob.index("]", i + 1)
            body = glob[i + 1 : end]
            negate = body.startswith("!")
            body = body[1:] if negate else body
            chars = "".join(re.escape(c) if c != "-" else "-" for c in body)
            out.append(f"[{'^' if negate else ''}{chars}]")
            i = end
        else:
            out.append(re.escape(ch))
        i += 1
    return "".join(out)


def kind_test(kind: NativeKind) -> str:
    """The admitted object is of this kind (API group and kind)."""
    version = (
        "object.apiVersion == 'v1'"
        if not kind.group
        else f"object.apiVersion.startsWith({literal(kind.group + '/')})"
    )
    return f"(object.kind == {literal(kind.kind)} && {version})"


TEMPLATES, TEMPLATE_GROUPS = "templates", "templateGroups"


def template_variables() -> list[dict[str, str]]:
    """The policy variables holding the admitted object's pod templates, whatever its kind:
    `templates` (a list) and `templateGroups` (lists of templates, for kinds that nest
    two lists deep; standard CEL has no flatten)."""
    return [
        {"name": TEMPLATES, "expression": _dispatch(lambda p: _flat("object", p.steps, p.shape))},
        {"name": TEMPLATE_GROUPS, "expression": _dispatch(_groups)},
    ]


def over_templates(quantifier: str, predicate: Predicate) -> str:
    """`exists` or `all` over every pod template of the admitted object."""
    flat = f"variables.{TEMPLATES}.{quantifier}(t, {predicate('t')})"
    nested = f"variables.{TEMPLATE_GROUPS}.{quantifier}(g, g.{quantifier}(t, {predicate('t')}))"
    joiner = " || " if quantifier == "exists" else " && "
    return f"({flat}{joiner}{nested})"


def _dispatch(build: Callable[[TemplatePath], str | None]) -> str:
    """A CEL list chosen by the object's kind: nested conditionals, `[]` for none."""
    by_paths: dict[tuple[TemplatePath, ...], list[NativeKind]] = {}
    for kind in NATIVE_KINDS:
        by_paths.setdefault(kind.paths, []).append(kind)
    expression = "[]"
    for paths, kinds in reversed(list(by_paths.items())):
        lists = [found for found in map(build, paths) if found is not None]
        if lists:
            test = " || ".join(kind_test(k) for k in kinds)
            expression = f"(({test}) ? {' + '.join(lists)} : {expression})"
    return expression


def _each_steps(steps: tuple[str, ...]) -> list[int]:
    return [i for i, step in enumerate(steps) if step in (EACH_ITEM, EACH_VALUE)]


def _shape(node: str, shape: str) -> str:
    if shape == "podspec":
        return f"{{'spec': {node}}}"
    if shape == "container":
        return f"{{'spec': {{'containers': [{node}]}}}}"
    return node


def _guard(var: str, steps: tuple[str, ...], shape: str) -> str:
    """The template at `steps` under `var` exists (a template needs its spec)."""
    path = (*steps, "spec") if shape == "template" else steps
    return present(var, ".".join(path)) if path else "true"


def _node(var: str, steps: tuple[str, ...]) -> str:
    return f"{var}.{'.'.join(steps)}" if steps else var


def _flat(var: str, steps: tuple[str, ...], shape: str, depth: int = 0) -> str | None:
    """The CEL list of templates at `steps` (at most one list or map on the way)."""
    each = _each_steps(steps)
    if not each:
        guard = _guard(var, steps, shape)
        single = f"[{_shape(_node(var, steps), shape)}]"
        return single if guard == "true" else f"({guard} ? {single} : [])"
    if len(each) > 1:
        return None
    index = each[0]
    head, rest = steps[:index], steps[index + 1 :]
    items = _node(var, head)
    if steps[index] == EACH_ITEM:
        item = node = f"x{depth}"
    else:
        item, node = f"k{depth}", f"{items}[k{depth}]"
    mapped = (
        f"{items}.filter({item}, {_guard(node, rest, shape)})"
        f".map({item}, {_shape(_node(node, rest), shape)})"
    )
    return f"({present(var, '.'.join(head))} ? {mapped} : [])" if head else mapped


def _groups(path: TemplatePath) -> str | None:
    """The CEL list of template lists for a path two lists deep, else None."""
    each = _each_steps(path.steps)
    if len(each) != 2:
        return None
    if path.steps[each[0]] != EACH_ITEM:
        raise ValueError(f"unsupported template path {path.steps}")
    head, rest = path.steps[: each[0]], path.steps[each[0] + 1 :]
    inner = _flat("g0", rest, path.shape, depth=1)
    outer = f"{_node('object', head)}.map(g0, {inner})"
    return f"({present('object', '.'.join(head))} ? {outer} : [])"


def containers(template: str, groups: tuple[str, ...] = CONTAINER_GROUPS) -> str:
    """The containers of a template's pod spec, group by group, as one CEL list."""
    parts = [f"(has({template}.spec.{g}) ? {template}.spec.{g} : [])" for g in groups]
    return " + ".join(parts) if len(parts) > 1 else parts[0]


def is_linux(template: str) -> str:
    """The pod does not declare `os.name: windows`."""
    return f"!{equals(template, 'spec.os.name', literal('windows'))}"


def effective(container: str, template: str, key: str, predicate: Predicate, absent: str) -> str:
    """A predicate on the effective `securityContext.<key>` (`ContainerView.security`):
    the container's, else the pod's for pod-level fields, else `absent`."""
    own = f"{container}.securityContext.{key}"
    fallback = absent
    if key.split(".")[0] in POD_LEVEL_SECURITY:
        pod = f"{template}.spec.securityContext.{key}"
        fallback = (
            f"({present(template, 'spec.securityContext.' + key)} ? {predicate(pod)} : {absent})"
        )
    return f"({present(container, 'securityContext.' + key)} ? {predicate(own)} : {fallback})"
