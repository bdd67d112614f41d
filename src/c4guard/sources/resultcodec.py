"""`FileResult`s to JSON-ready values and back, exactly, for the parse cache.

What a parse produces is plain values (str, int, float, bool, None), containers (list,
tuple, set, frozenset, dict, and the line-marked `Mapping`/`Sequence` of `yamlload`), dates,
and c4guard's own dataclasses and enums. Each non-plain value becomes a JSON array whose
first item is a tag; an object met twice becomes a back reference, so shared values stay
shared. Anything else (another class, a cycle, a dataclass with state outside its fields)
is `Uncacheable`: that file is parsed every time rather than cached approximately.

Decoding never imports or builds anything but those types, and only classes defined in
c4guard's parsing packages; a value that does not decode is `InvalidEntry`.
"""

from __future__ import annotations

import dataclasses
import enum
import importlib
from collections.abc import Callable
from datetime import date
from typing import Any

from c4guard.errors import C4GuardError
from c4guard.sources.result import FileResult
from c4guard.sources.yamlload import Mapping, Sequence

# Where the classes of a parse result are defined; decoding refuses any other module.
CLASS_MODULES = (
    "c4guard.model",
    "c4guard.sources.",
    "c4guard.secrets.",
    "c4guard.pipelines.",
    "c4guard.workloads.",
)
PLAIN = (str, int, float, bool, type(None))
# Tags of the values that are remembered for back references, in both directions.
TRACKED = frozenset("lsdMSD")


class Uncacheable(C4GuardError):
    """The result holds something the codec cannot reproduce exactly."""


class InvalidEntry(C4GuardError):
    """A cached value that is not an encoding of a parse result."""


def encode_result(result: FileResult) -> Any:
    """`result` as JSON-ready values; raises `Uncacheable`."""
    try:
        return _Encoder().value(result)
    except RecursionError as exc:
        raise Uncacheable("nested too deeply") from exc


def decode_result(data: Any) -> FileResult:
    """The `FileResult` that `encode_result` encoded; raises `InvalidEntry`."""
    try:
        result = _Decoder().value(data)
    except (RecursionError, LookupError, TypeError, ValueError, AttributeError) as exc:
        raise InvalidEntry(str(exc)) from exc
    if type(result) is not FileResult:
        raise InvalidEntry("not a parse result")
    return result


class _Encoder:
    def __init__(self) -> None:
        self.done: dict[int, int] = {}  # id of a tracked object -> its back-reference index
        self.open: set[int] = set()  # tracked objects being encoded (a repeat is a cycle)

    def value(self, v: Any) -> Any:
        kind = type(v)
        if kind in PLAIN:
            return v
        if kind is tuple:
            return ["u", *[self.value(x) for x in v]]
        if kind is frozenset:
            return ["f", *[self.value(x) for x in v]]
        if isinstance(v, enum.Enum):
            return ["E", _class_name(kind), v.value]
        if kind is date:
            return ["T", v.isoformat()]
        key = id(v)
        if key in self.done:
            return ["R", self.done[key]]
        if key in self.open:
            raise Uncacheable("a value contains itself")
        self.open.add(key)
        encoded = self._tracked(v, kind)
        self.open.discard(key)
        self.done[key] = len(self.done)
        return encoded

    def _tracked(self, v: Any, kind: type) -> list[Any]:
        if kind is list:
            return ["l", *[self.value(x) for x in v]]
        if kind is set:
            return ["s", *[self.value(x) for x in v]]
        if kind is dict:
            return ["d", *self._pairs(v)]
        if kind is Mapping:
            lines = self._pairs(v.key_lines)
            return ["M", v.path, v.line, lines, *self._pairs(v)]
        if kind is Sequence:
            return ["S", v.path, v.line, list(v.item_lines), *[self.value(x) for x in v]]
        if dataclasses.is_dataclass(v):
            return ["D", _class_name(kind), [self.value(x) for x in _field_values(v)]]
        raise Uncacheable(f"cannot cache a {kind.__module__}.{kind.__qualname__}")

    def _pairs(self, mapping: dict[Any, Any]) -> list[Any]:
        pairs = []
        for k, x in mapping.items():
            pairs += [self.value(k), self.value(x)]
        return pairs


def _field_values(v: Any) -> list[Any]:
    """The values of a dataclass's fields, when its fields are all its state."""
    names = [f.name for f in dataclasses.fields(v)]
    slots = {s for c in type(v).__mro__ for s in getattr(c, "__slots__", ())}
    extra = slots - set(names) - {"__weakref__", "__dict__"}
    if hasattr(v, "__dict__"):
        extra |= set(vars(v)) - set(names)
    if extra:
        raise Uncacheable(f"{type(v).__qualname__} keeps state outside its fields")
    return [getattr(v, name) for name in names]


def _class_name(kind: type) -> str:
    if not kind.__module__.startswith(CLASS_MODULES):
        raise Uncacheable(f"cannot cache a {kind.__module__}.{kind.__qualname__}")
    return f"{kind.__module__}:{kind.__qualname__}"


class _Decoder:
    def __init__(self) -> None:
        self.done: list[Any] = []
        self.tags: dict[str, Callable[[list[Any]], Any]] = {
            "u": lambda a: tuple(self.value(x) for x in a[1:]),
            "f": lambda a: frozenset(self.value(x) for x in a[1:]),
            "E": lambda a: _resolve(a[1], enum.Enum)(a[2]),
            "T": lambda a: date.fromisoformat(a[1]),
            "R": lambda a: self.done[_index(a[1])],
            "l": lambda a: [self.value(x) for x in a[1:]],
            "s": lambda a: {self.value(x) for x in a[1:]},
            "d": lambda a: self._fill({}, a[1:]),
            "M": self._mapping,
            "S": self._sequence,
            "D": self._dataclass,
        }

    def value(self, v: Any) -> Any:
        if type(v) is not list:
            if type(v) is dict:
                raise InvalidEntry("an untagged object")
            return v
        tag = v[0]
        built = self.tags[tag](v)
        if tag in TRACKED:
            self.done.append(built)
        return built

    def _fill(self, target: dict[Any, Any], flat: list[Any]) -> dict[Any, Any]:
        if len(flat) % 2:
            raise InvalidEntry("a mapping with a key but no value")
        for i in range(0, len(flat), 2):
            target[self.value(flat[i])] = self.value(flat[i + 1])
        return target

    def _mapping(self, a: list[Any]) -> Mapping:
        built = Mapping(_optional(a[1], str), _optional(a[2], int))
        if type(a[3]) is not list:
            raise InvalidEntry("bad key lines")
        self._fill(built.key_lines, a[3])
        return self._fill(built, a[4:])  # type: ignore[return-value]

    def _sequence(self, a: list[Any]) -> Sequence:
        built = Sequence(_optional(a[1], str), _optional(a[2], int))
        if type(a[3]) is not list or any(type(n) is not int for n in a[3]):
            raise InvalidEntry("bad item lines")
        built.item_lines = a[3]
        built.extend(self.value(x) for x in a[4:])
        return built

    def _dataclass(self, a: list[Any]) -> Any:
        kind: type = _resolve(a[1], object)
        if not dataclasses.is_dataclass(kind):
            raise InvalidEntry(f"{a[1]} is not a dataclass")
        fields = dataclasses.fields(kind)
        if type(a[2]) is not list or len(a[2]) != len(fields):
            raise InvalidEntry(f"{a[1]}: wrong number of fields")
        built = object.__new__(kind)
        for field, raw in zip(fields, a[2], strict=True):
            object.__setattr__(built, field.name, self.value(raw))
        return built


def _resolve(name: Any, base: type) -> Any:
    """The class `module:qualname` from c4guard's parsing packages, if it is a `base`."""
    if type(name) is not str or ":" not in name:
        raise InvalidEntry("bad class name")
    module, _, qualname = name.partition(":")
    if not module.startswith(CLASS_MODULES) or module.endswith("."):
        raise InvalidEntry(f"class from an unexpected module: {module}")
    found: Any = importlib.import_module(module)
    for part in qualname.split("."):
        found = getattr(found, part)
    if not isinstance(found, type) or not issubclass(found, base):
        raise InvalidEntry(f"{name} is not a {base.__name__}")
    return found


def _optional(v: Any, kind: type) -> Any:
    if v is not None and type(v) is not kind:
        raise InvalidEntry(f"expected {kind.__name__} or null")
    return v


def _index(v: Any) -> int:
    if type(v) is not int or v < 0:
        raise InvalidEntry("bad back reference")
    return v
