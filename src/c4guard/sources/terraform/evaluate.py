"""Evaluation of HCL expressions without running Terraform.

What a module defines (variables, locals, module outputs, resources) comes from a `Scope`;
what cannot be known here (a variable without a value, a computed attribute, an unknown
function) becomes an `Unknown`, and a reference to another resource becomes a `Reference`.
"""

from __future__ import annotations

import json
import operator
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Protocol

from c4guard.sources.terraform.functions import call_function
from c4guard.sources.terraform.hcl import Expr
from c4guard.sources.terraform.values import (
    Outputs,
    Reference,
    Unknown,
    is_known,
    unknown_from,
)

MAX_EVAL_DEPTH = 120
MAX_ITEMS = 10_000


class ModuleScope(Protocol):
    """What a module offers its expressions."""

    def variable(self, name: str) -> Any: ...
    def local(self, name: str) -> Any: ...
    def module_output(self, name: str) -> Any: ...
    def resource_address(self, root: str, name: str) -> str | None: ...
    def path_value(self, name: str) -> Any: ...
    def workspace(self) -> Any: ...


@dataclass(slots=True)
class Scope:
    """A module scope plus the names bound where the expression stands (`each`,
    `count`, a dynamic block's iterator, a for expression's variables)."""

    module: ModuleScope
    bound: dict[str, Any] = field(default_factory=dict)

    def bind(self, **names: Any) -> Scope:
        return Scope(self.module, {**self.bound, **names})


class _Pending:
    """`aws_s3_bucket.b` while its attribute is still to come."""

    __slots__ = ("address",)

    def __init__(self, address: str) -> None:
        self.address = address


class _ResourceType:
    """`aws_s3_bucket` (or `data.aws_iam_policy_document`) while its name is to come."""

    __slots__ = ("kind",)

    def __init__(self, kind: str) -> None:
        self.kind = kind


def evaluate(expr: Expr, scope: Scope, depth: int = 0) -> Any:
    """The value of `expr` in `scope`."""
    value = _sub(expr, scope, depth)
    if isinstance(value, _Pending):
        return Reference(value.address)
    if isinstance(value, _ResourceType | _Root):
        name = value.kind if isinstance(value, _ResourceType) else value.name
        return Unknown(f"{name} alone is not a value")
    return value


def _sub(expr: Expr, scope: Scope, depth: int) -> Any:
    """Evaluate a sub-expression, keeping partial references (`aws_s3_bucket.b` before its
    attribute) for the caller."""
    if depth > MAX_EVAL_DEPTH:
        return Unknown("expression too deeply nested to evaluate")
    form = expr[0]
    if form == "lit":
        return expr[1]
    handler = _FORMS.get(form)
    if handler is None:
        return Unknown(f"{expr[1] if len(expr) > 1 else form} is not evaluated by c4guard")
    return handler(expr, scope, depth + 1)


def _template(expr: Expr, scope: Scope, depth: int) -> Any:
    parts = [p if isinstance(p, str) else evaluate(p, scope, depth) for p in expr[1]]
    if len(parts) == 1 and not isinstance(expr[1][0], str):
        return parts[0]  # "${x}" is x itself, not its string form
    if not all(is_known(p) for p in parts):
        return unknown_from("a string built from unknown values", *parts)
    return "".join(_as_text(p) for p in parts)


def _as_text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if value is None:
        return ""
    if isinstance(value, dict | list):
        return json.dumps(value, separators=(",", ":"))
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


_SPECIAL_ROOTS = {
    "var",
    "local",
    "module",
    "path",
    "terraform",
    "each",
    "count",
    "self",
    "data",
    "resource",
}


def _var(expr: Expr, scope: Scope, depth: int) -> Any:
    name = expr[1]
    if name in scope.bound:
        return scope.bound[name]
    if name in _SPECIAL_ROOTS:
        return _Root(name)
    if name in {"true", "false", "null"}:
        return {"true": True, "false": False, "null": None}[name]
    return _ResourceType(name)


class _Root:
    """`var`, `local`, `module`... waiting for the attribute that names the value."""

    __slots__ = ("name",)

    def __init__(self, name: str) -> None:
        self.name = name


def _attr(expr: Expr, scope: Scope, depth: int) -> Any:
    base = _sub(expr[1], scope, depth)
    return get_attribute(base, expr[2], scope)


def get_attribute(base: Any, name: str, scope: Scope) -> Any:
    if isinstance(base, _Root):
        return _root_attribute(base.name, name, scope)
    if isinstance(base, _ResourceType):
        address = scope.module.resource_address(base.kind, name)
        return (
            _Pending(address)
            if address
            else Unknown(f"{base.kind}.{name} is not declared in the scanned module")
        )
    if isinstance(base, _Pending):
        return Reference(base.address, name)
    if isinstance(base, Reference):
        return Reference(base.address, f"{base.attribute}.{name}" if base.attribute else name)
    if isinstance(base, Unknown):
        return base
    if isinstance(base, dict):
        if name in base:
            return base[name]
        return Unknown(base.missing if isinstance(base, Outputs) else f"no attribute {name!r}")
    return Unknown(f"cannot read .{name} here")


def _root_attribute(root: str, name: str, scope: Scope) -> Any:
    module = scope.module
    if root == "var":
        return module.variable(name)
    if root == "local":
        return module.local(name)
    if root == "module":
        return module.module_output(name)
    if root == "path":
        return module.path_value(name)
    if root == "data":
        return _ResourceType(f"data.{name}")
    if root == "resource":  # `resource.aws_s3_bucket.b` is `aws_s3_bucket.b`
        return _ResourceType(name)
    if root == "terraform":
        return module.workspace() if name == "workspace" else Unknown(f"terraform.{name}")
    return Unknown(f"{root}.{name} is known only when Terraform runs")


def _index(expr: Expr, scope: Scope, depth: int) -> Any:
    base = _sub(expr[1], scope, depth)
    key = evaluate(expr[2], scope, depth)
    return get_index(base, key)


def get_index(base: Any, key: Any) -> Any:
    if isinstance(base, _Pending):
        return (
            _Pending(f"{base.address}[{json.dumps(key) if isinstance(key, str) else key}]")
            if is_known(key)
            else Unknown("a resource instance chosen by an unknown key")
        )
    if not is_known(key):
        return unknown_from("an element chosen by an unknown key", base, key)
    if isinstance(base, Reference):
        return Reference(base.address, f"{base.attribute}[{key}]")
    if isinstance(base, Unknown):
        return base
    try:
        if isinstance(base, list | tuple):
            return base[int(key)]
        if isinstance(base, dict):
            return base[key] if key in base else base[str(key)]
    except (KeyError, IndexError, ValueError, TypeError):
        return Unknown(f"no element {key!r}")
    return Unknown(f"cannot index {type(base).__name__}")


def _splat(expr: Expr, scope: Scope, depth: int) -> Any:
    base = evaluate(expr[1], scope, depth)
    if isinstance(base, Unknown | Reference):
        return unknown_from("a splat of an unknown value", base)
    items = [] if base is None else base if isinstance(base, list) else [base]
    out = []
    for item in items:
        value = item
        for op in expr[2]:
            value = (
                get_attribute(value, op[1], scope)
                if op[0] == "attr"
                else get_index(value, evaluate(op[1], scope, depth))
            )
        out.append(value)
    return out


def _call(expr: Expr, scope: Scope, depth: int) -> Any:
    name, arg_exprs, expand = expr[1], expr[2], expr[3]
    args = [evaluate(a, scope, depth) for a in arg_exprs]
    if expand and args:
        last = args.pop()
        if not isinstance(last, list):
            return unknown_from(f"{name}(...) of an unknown list", last)
        args.extend(last)
    if name == "try":
        return next((a for a in args if is_known(a)), args[0] if args else None)
    return call_function(name, args)


def _cond(expr: Expr, scope: Scope, depth: int) -> Any:
    test = evaluate(expr[1], scope, depth)
    if isinstance(test, bool):
        return evaluate(expr[2] if test else expr[3], scope, depth)
    then, other = evaluate(expr[2], scope, depth), evaluate(expr[3], scope, depth)
    if then == other and is_known(then):
        return then
    return unknown_from("a condition on an unknown value", test, then, other)


_BINARY: dict[str, Callable[[Any, Any], Any]] = {
    "+": operator.add,
    "-": operator.sub,
    "*": operator.mul,
    "/": operator.truediv,
    "%": operator.mod,
    "<": operator.lt,
    ">": operator.gt,
    "<=": operator.le,
    ">=": operator.ge,
}


def _binop(expr: Expr, scope: Scope, depth: int) -> Any:
    """A binary operation; a left-nested chain (`a + b + c`) is folded iteratively, so
    its length costs no depth."""
    chain = []
    while expr[0] == "binop":
        chain.append(expr)
        expr = expr[2]
    value = evaluate(expr, scope, depth)
    for link in reversed(chain):
        value = _apply(link[1], value, link[3], scope, depth)
    return value


def _apply(op: str, left: Any, right_expr: Expr, scope: Scope, depth: int) -> Any:
    if op in ("&&", "||") and isinstance(left, bool) and left is (op == "||"):
        return left  # short circuit
    right = evaluate(right_expr, scope, depth)
    if op == "==" or op == "!=":
        if not (is_known(left) and is_known(right)):
            return unknown_from("a comparison with an unknown value", left, right)
        return (left == right) is (op == "==")
    if not (is_known(left) and is_known(right)):
        return unknown_from("arithmetic on an unknown value", left, right)
    if op in ("&&", "||"):
        return (left and right) if op == "&&" else (left or right)
    if not (_is_number(left) and _is_number(right)):
        return Unknown(f"{op} takes numbers")  # HCL has no string or list arithmetic
    try:
        return _BINARY[op](left, right)
    except (TypeError, ZeroDivisionError, KeyError):
        return Unknown(f"cannot evaluate {op} here")


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _unop(expr: Expr, scope: Scope, depth: int) -> Any:
    value = evaluate(expr[2], scope, depth)
    if not is_known(value):
        return unknown_from("an operation on an unknown value", value)
    if expr[1] == "!":
        return not value if isinstance(value, bool) else Unknown("! of a non-boolean")
    return -value if isinstance(value, int | float) else Unknown("- of a non-number")


def _tuple(expr: Expr, scope: Scope, depth: int) -> Any:
    return [evaluate(item, scope, depth) for item in expr[1]]


def _object(expr: Expr, scope: Scope, depth: int) -> Any:
    out: dict[Any, Any] = {}
    for key_expr, value_expr in expr[1]:
        key = evaluate(key_expr, scope, depth)
        value = evaluate(value_expr, scope, depth)
        if not is_known(key):
            return unknown_from("an object with an unknown key", key, value)
        out[_as_text(key) if not isinstance(key, str) else key] = value
    return out


def _for(expr: Expr, scope: Scope, depth: int) -> Any:
    _form, key_var, value_var, coll_expr, key_expr, value_expr, cond, grouping = expr
    collection = evaluate(coll_expr, scope, depth)
    if isinstance(collection, Unknown | Reference):
        return unknown_from("a for expression over an unknown collection", collection)
    pairs = (
        collection.items()
        if isinstance(collection, dict)
        else enumerate(collection if isinstance(collection, list) else [])
    )
    items: list[tuple[Any, Any]] = []
    for index, (key, value) in enumerate(pairs):
        if index >= MAX_ITEMS:
            return Unknown(f"a for expression over more than {MAX_ITEMS} items")
        names = {value_var: value} | ({key_var: key} if key_var else {})
        inner = scope.bind(**names)
        if cond is not None:
            keep = evaluate(cond, inner, depth)
            if not isinstance(keep, bool):
                return unknown_from("a for expression filtered by an unknown condition", keep)
            if not keep:
                continue
        produced_key = evaluate(key_expr, inner, depth) if key_expr else None
        items.append((produced_key, evaluate(value_expr, inner, depth)))
    if key_expr is None:
        return [value for _key, value in items]
    return _object_from_pairs(items, grouping)


def _object_from_pairs(items: list[tuple[Any, Any]], grouping: bool) -> Any:
    out: dict[str, Any] = {}
    for key, value in items:
        if not is_known(key):
            return unknown_from("a for expression with unknown keys", key)
        text = _as_text(key)
        if grouping:
            out.setdefault(text, []).append(value)
        else:
            out[text] = value
    return out


_FORMS: dict[str, Callable[[Expr, Scope, int], Any]] = {
    "tmpl": _template,
    "var": _var,
    "attr": _attr,
    "index": _index,
    "splat": _splat,
    "call": _call,
    "cond": _cond,
    "binop": _binop,
    "unop": _unop,
    "tuple": _tuple,
    "object": _object,
    "for": _for,
}
