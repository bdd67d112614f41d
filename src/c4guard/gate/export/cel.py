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

from c4guard.gate.export.kinds import EACH_ITEM, EACH_VALUE, NATIVE_KINDS, NativeKind
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


def over_templates(quantifier: str, predicate: Predicate) -> str:
    """`exists` or `all` over every pod template of the admitted object, whatever its kind."""
    by_paths: dict[tuple, list[NativeKind]] = {}
    for kind in NATIVE_KINDS:
        by_paths.setdefault(kind.paths, []).append(kind)
    branches = []
    for paths, kinds in by_paths.items():
        test = " || ".join(kind_test(k) for k in kinds)
        joiner = " || " if quantifier == "exists" else " && "
        body = joiner.join(
            _walk(quantifier, "object", p.steps, p.shape, predicate, 0) for p in paths
        )
        branches.append(f"(({test}) && ({body}))")
    return "(" + " || ".join(branches) + ")"


def _walk(quantifier: str, var: str, steps: tuple, shape: str, pred: Predicate, depth: int) -> str:
    for index, step in enumerate(steps):
        if step in (EACH_ITEM, EACH_VALUE):
            head = ".".join(steps[:index])
            items = f"{var}.{head}"
            item = f"x{depth}" if step == EACH_ITEM else f"k{depth}"
            node = item if step == EACH_ITEM else f"{items}[{item}]"
            inner = _walk(quantifier, node, steps[index + 1 :], shape, pred, depth + 1)
            return _quantify(
                quantifier, present(var, head), f"{items}.{quantifier}({item}, {inner})"
            )
    node = f"{var}.{'.'.join(steps)}" if steps else var
    if shape == "podspec":
        guard, template = present(var, ".".join(steps)), f"{{'spec': {node}}}"
    elif shape == "container":
        guard = present(var, ".".join(steps))
        template = f"{{'spec': {{'containers': [{node}]}}}}"
    else:
        guard = present(var, ".".join((*steps, "spec")))
        template = node
    return _quantify(quantifier, guard, pred(template))


def _quantify(quantifier: str, guard: str, body: str) -> str:
    if quantifier == "exists":
        return f"({guard} && {body})"
    return f"(!({guard}) || {body})"


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
