"""Evaluate exported CEL from Python, as the API server would: `object`, `oldObject`,
`request` and `params` bound, the object as the API server hands it over (JSON, nulls of
typed fields dropped).

Two engines: `common-expression-language` (cel-rust; the default, see docs/gate.md for
why) and `cel-python` (celpy). Neither is a runtime dependency of c4guard: the
differential tests and the benchmark install them (`pip install c4guard[test]`).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Protocol

ENGINES = ("cel-rust", "cel-python")


class Engine(Protocol):
    """Compile once; bind an object's variables once; evaluate every program on them."""

    def compile(self, source: str) -> Any: ...

    def bind(self, bindings: dict[str, Any]) -> Any: ...

    def evaluate(self, program: Any, context: Any) -> Any: ...

    def extend(self, context: Any, name: str, value: Any) -> Any: ...


def admitted(value: Any) -> Any:
    """The object as plain JSON data, without null values (the API server decodes a typed
    object's nulls as absent fields)."""
    if isinstance(value, Mapping):
        return {str(k): admitted(v) for k, v in value.items() if v is not None}
    if isinstance(value, list):
        return [admitted(v) for v in value]
    return value


def engine(name: str = "cel-rust") -> Engine:
    """An engine by name (ENGINES); raises ImportError when its package is missing."""
    if name == "cel-rust":
        return RustEngine()
    if name == "cel-python":
        return CelPythonEngine()
    raise ValueError(f"unknown CEL engine {name!r} (one of {', '.join(ENGINES)})")


class RustEngine:
    """`common-expression-language`: Python bindings of the cel-rust interpreter."""

    def __init__(self) -> None:
        import cel

        self._cel = cel

    def compile(self, source: str) -> Any:
        return self._cel.compile(source)

    def bind(self, bindings: dict[str, Any]) -> Any:
        context = self._cel.Context()
        for name, value in bindings.items():
            context.add_variable(name, value)
        return context

    def evaluate(self, program: Any, context: Any) -> Any:
        return program.execute(context)

    def extend(self, context: Any, name: str, value: Any) -> Any:
        context.add_variable(name, value)
        return context


class CelPythonEngine:
    """`cel-python` (celpy): a pure-Python interpreter; `matches` uses RE2."""

    def __init__(self) -> None:
        import celpy

        self._celpy = celpy
        self._environment = celpy.Environment()

    def compile(self, source: str) -> Any:
        return self._environment.program(self._environment.compile(source))

    def bind(self, bindings: dict[str, Any]) -> Any:
        return {k: self._celpy.json_to_cel(v) for k, v in bindings.items()}

    def extend(self, context: Any, name: str, value: Any) -> Any:
        """Bind `name`; values celpy computed stay as they are (converting them again as
        JSON would turn its booleans, a subclass of int, into integers)."""
        return {**context, name: self._value(value)}

    def _value(self, value: Any) -> Any:
        types = self._celpy.celtypes
        if type(value).__module__ == types.__name__:
            return value
        if isinstance(value, dict):
            return types.MapType({types.StringType(k): self._value(v) for k, v in value.items()})
        return self._celpy.json_to_cel(value)

    def evaluate(self, program: Any, context: Any) -> Any:
        result = program.evaluate(context)
        if isinstance(result, Exception):
            raise result
        return bool(result) if type(result).__name__ == "BoolType" else result


class Policy:
    """An exported validation with the variables it reads, evaluated as the API server
    does: each variable in order (later ones may read earlier ones), then the expression."""

    def __init__(self, cel: Engine, expression: str, variables: list[dict[str, str]]) -> None:
        self.cel = cel
        self.variables = [(v["name"], cel.compile(v["expression"])) for v in variables]
        self.program = cel.compile(expression)

    def bind_variables(self, context: Any) -> Any:
        """`variables` in the context (shared by every policy with the same variables)."""
        values: dict[str, Any] = {}
        for name, program in self.variables:
            values[name] = self.cel.evaluate(program, self.cel.extend(context, "variables", values))
        return self.cel.extend(context, "variables", values)

    def allowed(self, context: Any) -> Any:
        return self.cel.evaluate(self.program, context)


def admission_bindings(
    body: Any, namespace: str | None, params: dict[str, str], operation: str = "CREATE"
) -> dict[str, Any]:
    """What a ValidatingAdmissionPolicy sees for a CREATE of `body` in `namespace`."""
    return {
        "object": admitted(body),
        "oldObject": None,
        "request": {"operation": operation, "namespace": namespace or ""},
        "params": {"data": dict(params)},
    }
