"""The Terraform built-in functions c4guard evaluates. Any other function, and any function
given an unknown argument it cannot see through, gives an unknown value."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from typing import Any

from c4guard.sources.terraform.values import Reference, Unknown, is_known, unknown_from

Function = Callable[..., Any]


def _to_list(value: Any) -> list[Any]:
    if isinstance(value, dict):
        return list(value.values())
    if isinstance(value, list | tuple | set):
        return list(value)
    raise TypeError(f"not a list: {value!r}")


def _flatten(value: Any) -> list[Any]:
    out: list[Any] = []
    for item in _to_list(value):
        out.extend(_flatten(item) if isinstance(item, list | tuple) else [item])
        if len(out) > MAX_RESULT_ITEMS:
            raise ValueError(f"more than {MAX_RESULT_ITEMS} items")
    return out


def _merge(*maps: Any) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for item in maps:
        if item is None:
            continue
        if not isinstance(item, dict):
            raise TypeError("merge takes maps")
        out.update(item)
    return out


def _lookup(mapping: Any, key: Any, *default: Any) -> Any:
    if not isinstance(mapping, dict):
        raise TypeError("lookup takes a map")
    if key in mapping:
        return mapping[key]
    if default:
        return default[0]
    return Unknown(f"lookup of a missing key {key!r}")


def _element(items: Any, index: Any) -> Any:
    items = _to_list(items)
    return items[int(index) % len(items)] if items else Unknown("element of an empty list")


def _coalesce(*values: Any) -> Any:
    for value in values:
        if isinstance(value, Unknown | Reference):
            return unknown_from("coalesce of an unknown value", value)
        if value not in (None, ""):
            return value
    return None


def _tostring(value: Any) -> Any:
    if isinstance(value, bool):
        return "true" if value else "false"
    return None if value is None else str(value)


def _tobool(value: Any) -> Any:
    if isinstance(value, str):
        return {"true": True, "false": False}[value]
    return value


def _tonumber(value: Any) -> Any:
    if isinstance(value, str):
        return float(value) if "." in value else int(value)
    return value


_WIDE = re.compile(r"%[-+ #0]*(\d{4,}|\*)")


def _format(spec: str, *args: Any) -> str:
    if _WIDE.search(str(spec)):
        raise ValueError("field width too large")  # format("%099999999d") would exhaust memory
    return str(spec).replace("%v", "%s").replace("%q", '"%s"') % tuple(args)


def _distinct(items: Any) -> list[Any]:
    out: list[Any] = []
    for item in _to_list(items):
        if item not in out:
            out.append(item)
    return out


def _jsondecode(text: Any) -> Any:
    return json.loads(str(text))


def _identity(value: Any) -> Any:
    """jsonencode/yamlencode keep the structure: checks read policies as data either way."""
    return value


def _keys(mapping: Any) -> list[Any]:
    return sorted(mapping) if isinstance(mapping, dict) else _to_list(mapping)


def _values(mapping: Any) -> list[Any]:
    return [mapping[k] for k in sorted(mapping)] if isinstance(mapping, dict) else []


def _zipmap(keys: Any, values: Any) -> dict[str, Any]:
    return dict(zip(_to_list(keys), _to_list(values), strict=False))


def _replace(text: Any, old: Any, new: Any) -> str:
    return str(text).replace(str(old), str(new))


def _substr(text: Any, offset: Any, length: Any) -> str:
    text, offset, length = str(text), int(offset), int(length)
    return text[offset:] if length < 0 else text[offset : offset + length]


# Functions that can look inside containers holding unknown values.
STRUCTURAL: dict[str, Function] = {
    "merge": _merge,
    "concat": lambda *lists: [item for items in lists for item in _to_list(items)],
    "lookup": _lookup,
    "element": _element,
    "flatten": _flatten,
    "tolist": _to_list,
    "toset": _distinct,
    "tomap": lambda value: dict(value),
    "length": lambda value: len(value),
    "keys": _keys,
    "values": _values,
    "jsonencode": _identity,
    "yamlencode": _identity,
    "compact": lambda items: [i for i in _to_list(items) if i not in (None, "")],
    "zipmap": _zipmap,
    "one": lambda items: (_to_list(items) or [None])[0],
    "coalesce": _coalesce,
    "coalescelist": lambda *lists: next((items for items in lists if items), []),
}

# Functions that need every argument known.
SCALAR: dict[str, Function] = {
    "lower": lambda s: str(s).lower(),
    "upper": lambda s: str(s).upper(),
    "title": lambda s: str(s).title(),
    "trimspace": lambda s: str(s).strip(),
    "trim": lambda s, chars: str(s).strip(str(chars)),
    "trimprefix": lambda s, p: str(s).removeprefix(str(p)),
    "trimsuffix": lambda s, p: str(s).removesuffix(str(p)),
    "join": lambda sep, items: str(sep).join(str(_tostring(i)) for i in _to_list(items)),
    "split": lambda sep, s: str(s).split(str(sep)),
    "format": _format,
    "replace": _replace,
    "substr": _substr,
    "tostring": _tostring,
    "tobool": _tobool,
    "tonumber": _tonumber,
    "contains": lambda items, value: value in _to_list(items),
    "distinct": _distinct,
    "sort": lambda items: sorted(_to_list(items), key=str),
    "reverse": lambda items: list(reversed(_to_list(items))),
    "min": min,
    "max": max,
    "abs": abs,
    "jsondecode": _jsondecode,
    "startswith": lambda s, p: str(s).startswith(str(p)),
    "endswith": lambda s, p: str(s).endswith(str(p)),
    "strcontains": lambda s, p: str(p) in str(s),
    "can": lambda value: True,
}


MAX_ARGUMENT_ITEMS = 10_000
MAX_RESULT_ITEMS = 100_000


def call_function(name: str, args: list[Any]) -> Any:
    """Evaluate a built-in on evaluated arguments; unknown when it cannot be done here."""
    name = name.removeprefix("provider::terraform::")
    if any(isinstance(a, list | dict) and len(a) > MAX_ARGUMENT_ITEMS for a in args):
        return Unknown(f"{name}() of more than {MAX_ARGUMENT_ITEMS} items is not evaluated")
    if name in STRUCTURAL:
        if any(isinstance(a, Unknown | Reference) for a in args):
            return unknown_from(f"{name}() of an unknown value", *args)
        return _apply(STRUCTURAL[name], name, args)
    if name in SCALAR:
        if not all(is_known(a) for a in args):
            return unknown_from(f"{name}() of an unknown value", *args)
        return _apply(SCALAR[name], name, args)
    return unknown_from(f"{name}() is evaluated only by Terraform", *args)


def _apply(function: Function, name: str, args: list[Any]) -> Any:
    try:
        return function(*args)
    except (
        TypeError,
        ValueError,
        KeyError,
        IndexError,
        ZeroDivisionError,
        json.JSONDecodeError,
    ) as exc:
        return Unknown(f"{name}() could not be evaluated here ({exc})")
