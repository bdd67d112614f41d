"""CloudFormation intrinsic functions, evaluated as far as the template alone allows.

A template's values become what a stack would hold where that is written in the template:
a parameter's `Default`, a mapping entry, a condition over known values. A reference to
another resource becomes a `Reference`; anything known only when the stack is deployed
(a parameter without a default, an import, a pseudo parameter, `{{resolve:...}}`) becomes
an `Unknown` that says why, so no check judges it by guess. Nothing is executed.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from c4guard.sources.terraform.values import Reference, Unknown, is_known, unknown_from
from c4guard.sources.yamlload import Mapping, Sequence

NO_VALUE = Unknown("AWS::NoValue")  # a property removed by `!Ref AWS::NoValue`
_SUB = re.compile(r"\$\{(!?)([^}]*)\}")
MAX_DEPTH = 64


class Template:
    """A template's parameters, mappings, conditions and resource names, and the values
    of its expressions. `defaults_used` collects the parameters taken at their default."""

    def __init__(self, template: dict[str, Any]) -> None:
        self.parameters = _section(template, "Parameters")
        self.mappings = _section(template, "Mappings")
        self.conditions = _section(template, "Conditions")
        self.resources = _section(template, "Resources")
        self._condition_values: dict[str, bool | None] = {}
        self.defaults_used: dict[str, Any] = {}

    # ------------------------------------------------------------------ values

    def resolve(self, value: Any, depth: int = 0) -> Any:
        """`value` with every intrinsic evaluated (or made a Reference/Unknown)."""
        if depth > MAX_DEPTH:
            return Unknown(f"nested deeper than the {MAX_DEPTH} levels c4guard evaluates")
        if isinstance(value, dict):
            function = _function(value)
            if function is not None:
                return self._call(function, value[function], depth + 1)
            return self._mapping(value, depth)
        if isinstance(value, list):
            return self._sequence(value, depth)
        if isinstance(value, str) and value.startswith("{{resolve:"):
            return Unknown("a dynamic reference, resolved when the stack is deployed")
        return value

    def _mapping(self, value: dict[str, Any], depth: int) -> Mapping:
        out = Mapping(getattr(value, "path", None), getattr(value, "line", None))
        for key, item in value.items():
            resolved = self.resolve(item, depth + 1)
            if resolved is NO_VALUE:
                continue
            out[key] = resolved
            if isinstance(value, Mapping) and key in value.key_lines:
                out.key_lines[key] = value.key_lines[key]
        return out

    def _sequence(self, value: list[Any], depth: int) -> Sequence:
        out = Sequence(getattr(value, "path", None), getattr(value, "line", None))
        lines = getattr(value, "item_lines", [])
        for position, item in enumerate(value):
            resolved = self.resolve(item, depth + 1)
            if resolved is NO_VALUE:
                continue
            out.append(resolved)
            out.item_lines.append(lines[position] if position < len(lines) else 0)
        return out

    def _call(self, function: str, argument: Any, depth: int) -> Any:
        handler = _HANDLERS.get(function)
        if handler is not None:
            return handler(self, argument, depth)
        if function in ("Fn::Equals", "Fn::And", "Fn::Or", "Fn::Not", "Condition"):
            result = self.truth({function: argument}, depth)
            return result if result is not None else Unknown(f"{function} over unknown values")
        return unknown_from(
            f"{function} is evaluated when the stack is deployed", self.resolve(argument, depth)
        )

    def ref(self, name: Any, _depth: int = 0) -> Any:
        name = str(name)
        if name == "AWS::NoValue":
            return NO_VALUE
        parameter = self.parameters.get(name)
        if isinstance(parameter, dict):
            if "Default" not in parameter:
                return Unknown(f"parameter {name} has no default: it is given at deployment")
            self.defaults_used[name] = parameter["Default"]
            default = parameter["Default"]
            if (
                str(parameter.get("Type", "")).startswith("List<")
                or parameter.get("Type") == "CommaDelimitedList"
            ):
                return [item.strip() for item in str(default).split(",")]
            return default
        if name in self.resources:
            return Reference(name, "Ref")
        if name.startswith("AWS::"):
            return Unknown(f"{name} is known only when the stack is deployed")
        return Unknown(f"Ref to {name}, which the template does not declare")

    def _get_att(self, argument: Any, depth: int) -> Any:
        argument = self.resolve(argument, depth)
        if isinstance(argument, str) and "." in argument:
            argument = argument.split(".", 1)
        if isinstance(argument, list) and len(argument) == 2 and is_known(argument[0]):
            name, attribute = str(argument[0]), argument[1]
            if name in self.resources:
                return Reference(name, str(attribute) if is_known(attribute) else "")
        return Unknown(f"Fn::GetAtt {argument}: no resource of this template")

    def _sub(self, argument: Any, depth: int) -> Any:
        if isinstance(argument, list) and argument:
            text, variables = argument[0], argument[1] if len(argument) > 1 else {}
        else:
            text, variables = argument, {}
        variables = self.resolve(variables, depth) if isinstance(variables, dict) else {}
        if not isinstance(text, str):
            return Unknown("Fn::Sub without a text")
        parts: list[Any] = []

        def replace(match: re.Match[str]) -> str:
            if match.group(1):
                return "${" + match.group(2) + "}"
            name = match.group(2)
            if name in variables:
                value = variables[name]
            elif "." in name and name.split(".", 1)[0] in self.resources:
                value = self._get_att(name, depth)
            else:
                value = self.ref(name)
            parts.append(value)
            return str(value) if is_known(value) else ""

        result = _SUB.sub(replace, text)
        if all(is_known(p) for p in parts):
            return result
        return unknown_from(f"Fn::Sub {text!r} uses values known only at deployment", parts)

    def _join(self, argument: Any, depth: int) -> Any:
        argument = self.resolve(argument, depth)
        if (
            isinstance(argument, list)
            and len(argument) == 2
            and isinstance(argument[1], list)
            and is_known(argument)
        ):
            return str(argument[0]).join(str(v) for v in argument[1])
        return unknown_from("Fn::Join of values known only at deployment", argument)

    def _select(self, argument: Any, depth: int) -> Any:
        argument = self.resolve(argument, depth)
        if isinstance(argument, list) and len(argument) == 2 and isinstance(argument[1], list):
            try:
                return argument[1][int(argument[0])]
            except (TypeError, ValueError, IndexError):
                pass
        return unknown_from("Fn::Select of values known only at deployment", argument)

    def _find_in_map(self, argument: Any, depth: int) -> Any:
        argument = self.resolve(argument, depth)
        if isinstance(argument, list) and len(argument) >= 3 and is_known(argument[:3]):
            node: Any = self.mappings
            for key in argument[:3]:
                node = node.get(str(key)) if isinstance(node, dict) else None
            if node is not None:
                return self.resolve(node, depth)
        return unknown_from("Fn::FindInMap with keys known only at deployment", argument)

    def _if(self, argument: Any, depth: int) -> Any:
        if not (isinstance(argument, list) and len(argument) == 3):
            return Unknown("Fn::If needs a condition and two values")
        holds = self.condition(argument[0])
        if holds is None:
            return unknown_from(
                f"it depends on condition {argument[0]}, known only at deployment",
                self.resolve(argument[1:], depth),
            )
        return self.resolve(argument[1] if holds else argument[2], depth)

    # ------------------------------------------------------------------ conditions

    def condition(self, name: Any) -> bool | None:
        """Whether a named condition holds; None when it depends on deployment values."""
        name = str(name)
        if name not in self._condition_values:
            self._condition_values[name] = None  # a cycle stays unknown
            self._condition_values[name] = self.truth(self.conditions.get(name))
        return self._condition_values[name]

    def truth(self, expression: Any, depth: int = 0) -> bool | None:
        if depth > MAX_DEPTH or not isinstance(expression, dict):
            return None
        function = _function(expression)
        argument = expression.get(function) if function else None
        if function == "Condition":
            return self.condition(argument)
        if not isinstance(argument, list):
            return None
        if function == "Fn::Equals" and len(argument) == 2:
            left, right = (self.resolve(a, depth + 1) for a in argument)
            return str(left) == str(right) if is_known([left, right]) else None
        values = [self.truth(a, depth + 1) for a in argument]
        if function == "Fn::Not" and len(values) == 1:
            return None if values[0] is None else not values[0]
        if function == "Fn::And":
            return False if False in values else (None if None in values else True)
        if function == "Fn::Or":
            return True if True in values else (None if None in values else False)
        return None


def _function(value: dict[str, Any]) -> str | None:
    """The intrinsic a one-key mapping calls (`Ref`, `Fn::...`, `Condition`), or None."""
    if len(value) != 1:
        return None
    key = next(iter(value))
    if isinstance(key, str) and (key in ("Ref", "Condition") or key.startswith("Fn::")):
        return key
    return None


def _section(template: dict[str, Any], name: str) -> dict[str, Any]:
    value = template.get(name)
    return value if isinstance(value, dict) else {}


_HANDLERS: dict[str, Callable[[Template, Any, int], Any]] = {
    "Ref": Template.ref,
    "Fn::GetAtt": Template._get_att,
    "Fn::Sub": Template._sub,
    "Fn::Join": Template._join,
    "Fn::Select": Template._select,
    "Fn::FindInMap": Template._find_in_map,
    "Fn::If": Template._if,
}
