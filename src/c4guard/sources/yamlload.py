"""Safe YAML loading with line numbers and limits.

Documents are built from LibYAML's event stream (never from a constructor that could run
code), into `Mapping`/`Sequence` values that remember their file and line. The builder
is iterative, so hostile nesting cannot crash the interpreter (LibYAML's recursive composer
segfaults at ~100k levels), and it keeps a budget of what the documents expand to: values
(nodes) and bytes, aliases expanded, per document and per file. An alias bomb ("billion
laughs", or a long string aliased a million times) stops at the first alias over the budget,
before any check sees the value; a huge plain file stops at the node limit.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import yaml
from yaml import events as ev

from c4guard.bounded import render
from c4guard.errors import InvalidInput

try:
    from yaml._yaml import CParser as _Parser

    HAVE_LIBYAML = True
except ImportError:  # pragma: no cover - PyYAML built without LibYAML
    HAVE_LIBYAML = False

MAX_DEPTH = 256
MAX_KEY_CHARS = 1024
# Values (scalars and collections, aliases expanded) one file may hold: about 200 MB of
# built values at most, whatever the file's size.
MAX_NODES = 1_500_000
# What aliases may add to a file, in bytes of scalar text (plus one per node): the file's
# own size, or 1 MiB for small files. Ordinary anchors (compose `<<: *defaults`, CI
# templates) add kilobytes; a bomb adds gigabytes from a few hundred bytes.
MIN_ALIAS_BYTES = 1024 * 1024


class Mapping(dict):
    """A YAML mapping that knows where it and each of its keys stand. Values without lines
    (JSON read by the C parser) get their `key_lines` only when something writes them."""

    __slots__ = ("_key_lines", "line", "path")

    def __init__(self, path: str | None = None, line: int | None = None) -> None:
        super().__init__()
        self.path = path
        self.line = line
        self._key_lines: dict[Any, int] | None = {} if line is not None else None

    @property
    def key_lines(self) -> dict[Any, int]:
        if self._key_lines is None:
            self._key_lines = {}
        return self._key_lines

    @key_lines.setter
    def key_lines(self, lines: dict[Any, int]) -> None:
        self._key_lines = lines

    def line_of(self, key: Any) -> int | None:
        """Line of `key` in this mapping, else the mapping's own line."""
        lines = self._key_lines
        return lines.get(key, self.line) if lines else self.line

    def where(self, key: Any) -> tuple[str | None, int | None]:
        """(path, line) of `key`, else of the mapping itself."""
        return self.path, self.line_of(key)


class Sequence(list):
    """A YAML sequence that knows where it and each of its items stand (`item_lines` made
    on first use for values without lines, as `Mapping.key_lines`)."""

    __slots__ = ("_item_lines", "line", "path")

    def __init__(self, path: str | None = None, line: int | None = None) -> None:
        super().__init__()
        self.path = path
        self.line = line
        self._item_lines: list[int] | None = [] if line is not None else None

    @property
    def item_lines(self) -> list[int]:
        if self._item_lines is None:
            self._item_lines = []
        return self._item_lines

    @item_lines.setter
    def item_lines(self, lines: list[int]) -> None:
        self._item_lines = lines


class YAMLLimitError(InvalidInput, ValueError):
    """A document exceeded a depth, size or alias-expansion limit."""

    def __init__(self, message: str, line: int | None) -> None:
        super().__init__(message, line=line)


class Budget:
    """What the documents of one file may expand to; shared by its documents, so that
    many documents cannot each spend a whole budget."""

    __slots__ = ("alias_bytes", "max_alias_bytes", "nodes")

    def __init__(self, source_chars: int) -> None:
        self.nodes = 0
        self.alias_bytes = 0
        self.max_alias_bytes = max(MIN_ALIAS_BYTES, source_chars)

    def spend(self, nodes: int, line: int | None) -> None:
        self.nodes += nodes
        if self.nodes > MAX_NODES:
            raise self.too_many_nodes(line)

    def too_many_nodes(self, line: int | None) -> YAMLLimitError:
        return YAMLLimitError(
            f"more than {MAX_NODES:,} values (nodes, aliases expanded) in one file", line
        )

    def spend_alias(self, nodes: int, size: int, line: int, anchor: str) -> None:
        self.alias_bytes += size
        if self.alias_bytes > self.max_alias_bytes:
            raise YAMLLimitError(
                f"aliases expand the file by more than {_mib(self.max_alias_bytes)} "
                f"(at *{anchor}, {size:,} bytes): alias bomb",
                line,
            )
        self.spend(nodes, line)


def _mib(size: int) -> str:
    return f"{size / (1024 * 1024):.1f} MiB"


@dataclass(frozen=True, slots=True)
class Document:
    """One YAML document: its value and the lines it spans (1-based, inclusive)."""

    value: Any
    start_line: int
    end_line: int


_BOOL = {
    "yes": True,
    "Yes": True,
    "YES": True,
    "true": True,
    "True": True,
    "TRUE": True,
    "on": True,
    "On": True,
    "ON": True,
    "no": False,
    "No": False,
    "NO": False,
    "false": False,
    "False": False,
    "FALSE": False,
    "off": False,
    "Off": False,
    "OFF": False,
}
_NULL = {"", "~", "null", "Null", "NULL"}
_INT = re.compile(
    r"[-+]?(?:0b[0-1_]+|0[0-7_]+|(?:0|[1-9][0-9_]*)|0x[0-9a-fA-F_]+|[1-9][0-9_]*(?::[0-5]?[0-9])+)$"
)
_FLOAT = re.compile(
    r"(?:[-+]?(?:[0-9][0-9_]*)\.[0-9_]*(?:[eE][-+][0-9]+)?|\.[0-9][0-9_]*(?:[eE][-+][0-9]+)?"
    r"|[-+]?[0-9][0-9_]*(?::[0-5]?[0-9])+\.[0-9_]*|[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN))$"
)
_FIRST_NUMERIC = set("-+0123456789.")
_SAFE = yaml.constructor.SafeConstructor()
_STR_TAGS = {"tag:yaml.org,2002:str", "tag:yaml.org,2002:timestamp", "tag:yaml.org,2002:binary"}


_SPECIAL_FIRST = frozenset("yYtToOnNfF~-+0123456789.")

# CloudFormation's short-form intrinsics (`!Ref x`, `!If [c, a, b]`) become their long
# form as data (`{"Ref": "x"}`, `{"Fn::If": [...]}`): nothing is evaluated here.
_INTRINSIC_FUNCTIONS = (
    *("And", "Base64", "Cidr", "Equals", "FindInMap", "GetAtt", "GetAZs", "If"),
    *("ImportValue", "Join", "Length", "Not", "Or", "Select", "Split", "Sub"),
    *("ToJsonString", "Transform"),
)
INTRINSIC_TAGS = {
    "!Ref": "Ref",
    "!Condition": "Condition",
    **{f"!{name}": f"Fn::{name}" for name in _INTRINSIC_FUNCTIONS},
}


def _resolve_plain(text: str) -> Any:
    """Resolve a plain scalar the way YAML 1.1 (and so kubectl) does."""
    if not text:
        return None
    if text[0] not in _SPECIAL_FIRST:
        return text
    if text in _NULL:
        return None
    boolean = _BOOL.get(text)
    if boolean is not None:
        return boolean
    if text[0] in _FIRST_NUMERIC:
        if _INT.match(text):
            return _construct("int", text)
        if _FLOAT.match(text):
            return _construct("float", text)
    return text


def _construct(kind: str, text: str) -> Any:
    node = yaml.ScalarNode(f"tag:yaml.org,2002:{kind}", text)
    method = _SAFE.construct_yaml_int if kind == "int" else _SAFE.construct_yaml_float
    try:
        return method(node)
    except ValueError:
        return text


def _scalar_value(event: ev.ScalarEvent) -> Any:
    tag = event.tag
    if tag is None:
        text = event.value
        if not event.implicit[0] or (text and text[0] not in _SPECIAL_FIRST):
            return text  # quoted, or plain text no resolver claims (most values)
        return _resolve_plain(text)
    if tag == "!":
        return _resolve_plain(event.value) if event.implicit[0] else event.value
    if tag in _STR_TAGS or not tag.startswith("tag:yaml.org,2002:"):
        return event.value  # custom tags (!Ref, !reference) stay data
    resolved = _resolve_plain(event.value)
    return resolved if not isinstance(resolved, str) else event.value


_NO_KEY = object()
_MERGE = object()
# A frame of the builder's stack: [container, is_sequence, anchor, (nodes, bytes) at start,
# pending_key, merges, intrinsic tag]
_CONTAINER, _IS_SEQ, _ANCHOR, _STARTED, _KEY, _MERGES, _TAG = range(7)
_Scalar, _Alias = ev.ScalarEvent, ev.AliasEvent
_MappingStart, _SequenceStart = ev.MappingStartEvent, ev.SequenceStartEvent
_MappingEnd, _SequenceEnd = ev.MappingEndEvent, ev.SequenceEndEvent
_DocumentEnd, _StreamEnd = ev.DocumentEndEvent, ev.StreamEndEvent


def _intrinsic(tag: str, value: Any, path: str | None, line: int | None) -> Mapping:
    """The long form of a short-form intrinsic: a one-key mapping on the tag's line."""
    wrapped = Mapping(path, line)
    name = INTRINSIC_TAGS[tag]
    wrapped[name] = value
    wrapped.key_lines[name] = line or 0
    return wrapped


def _tagged_value(event: ev.ScalarEvent, path: str | None, line: int) -> Any:
    """A scalar's value; a short-form intrinsic (`!Ref x`) in its long form."""
    value = _scalar_value(event)
    tag = event.tag
    if tag is not None and tag in INTRINSIC_TAGS:
        return _intrinsic(tag, value, path, line)
    return value


class _Builder:
    """Turns one document's events into values, enforcing the limits: the document's
    expanded size (nodes and bytes) is counted as it is built, an alias weighing what
    its anchor expanded to."""

    def __init__(self, path: str | None, budget: Budget) -> None:
        self.path = path
        self.budget = budget
        self.anchors: dict[str, tuple[Any, int, int]] = {}  # value, nodes, bytes
        self.open_anchors: set[str] = set()
        self.stack: list[list[Any]] = []
        self.root: Any = None

    def run(self, get_event: Any) -> Any:
        """Build the document from the parser's events up to its end; returns the
        DocumentEndEvent, or None when the stream ends first. The parser's hot loop: the
        common events (scalars, collections) are handled inline."""
        budget, stack, anchors, path = self.budget, self.stack, self.anchors, self.path
        nodes = size = 0  # this document's, aliases expanded
        while True:
            event = get_event()
            kind = type(event)
            if kind is _Scalar:
                text = event.value
                line = event.start_mark.line + 1
                nodes += 1
                size += len(text) + 1
                budget.nodes += 1
                if budget.nodes > MAX_NODES:
                    raise budget.too_many_nodes(line)
                anchor = event.anchor
                if not stack:
                    self.root = value = _tagged_value(event, path, line)
                elif stack[-1][_IS_SEQ]:
                    container = stack[-1][_CONTAINER]
                    container.append(value := _tagged_value(event, path, line))
                    container.item_lines.append(line)
                else:
                    frame = stack[-1]
                    key = frame[_KEY]
                    if key is _NO_KEY:  # keys are kept as written, never resolved
                        if text == "<<" and event.implicit[0] and not anchor:
                            frame[_KEY] = _MERGE
                            frame[_MERGES] = frame[_MERGES] or []
                        else:
                            frame[_KEY] = text
                            frame[_CONTAINER].key_lines[text] = line
                        if not anchor:
                            continue
                        value = _scalar_value(event)
                    else:
                        value = _tagged_value(event, path, line)
                        frame[_KEY] = _NO_KEY
                        if key is _MERGE:
                            frame[_MERGES].extend(value if isinstance(value, list) else [value])
                        else:
                            frame[_CONTAINER][key] = value
                if anchor:
                    anchors[anchor] = (value, 1, len(text) + 1)
            elif kind is _MappingStart or kind is _SequenceStart:
                line = event.start_mark.line + 1
                if len(stack) >= MAX_DEPTH:
                    raise YAMLLimitError(f"nesting deeper than {MAX_DEPTH} levels", line)
                nodes += 1
                size += 1
                budget.nodes += 1
                if budget.nodes > MAX_NODES:
                    raise budget.too_many_nodes(line)
                sequence = kind is _SequenceStart
                container = Sequence(path, line) if sequence else Mapping(path, line)
                if event.anchor:
                    self.open_anchors.add(event.anchor)
                tag = event.tag if event.tag in INTRINSIC_TAGS else None
                frame = [container, sequence, event.anchor, (nodes, size), _NO_KEY, None, tag]
                stack.append(frame)
            elif kind is _MappingEnd or kind is _SequenceEnd:
                container, _seq, anchor, started, _key, merges, tag = stack.pop()
                if merges:
                    _apply_merges(container, merges)
                value = _intrinsic(tag, container, path, container.line) if tag else container
                if anchor:
                    self.open_anchors.discard(anchor)
                    anchors[anchor] = (value, nodes - started[0] + 1, size - started[1] + 1)
                self._place(value, container.line)
            elif kind is _Alias:
                added = self.alias(event)
                nodes += added[0]
                size += added[1]
            elif kind is _DocumentEnd:
                return event
            elif event is None or kind is _StreamEnd:
                return None

    def alias(self, event: ev.AliasEvent) -> tuple[int, int]:
        """Place an alias's value; returns the (nodes, bytes) it weighs."""
        line = event.start_mark.line + 1
        if event.anchor in self.open_anchors:
            raise YAMLLimitError(f"recursive alias *{event.anchor}", line)
        if event.anchor not in self.anchors:
            raise YAMLLimitError(f"alias *{event.anchor} names no anchor", line)
        value, nodes, size = self.anchors[event.anchor]
        self.budget.spend_alias(nodes, size, line, event.anchor)
        self._place(value, line)
        return nodes, size

    def _place(self, value: Any, line: int | None) -> None:
        """Put a finished collection or alias where the stack expects it: root, list item,
        key or value."""
        if not self.stack:
            self.root = value
            return
        frame = self.stack[-1]
        container = frame[_CONTAINER]
        if frame[_IS_SEQ]:
            container.append(value)
            container.item_lines.append(line or container.line or 0)
            return
        key = frame[_KEY]
        if key is _NO_KEY:  # a complex key (a collection or an alias)
            key = _complex_key(value)
            frame[_KEY] = key
            container.key_lines[key] = line or container.line or 0
            return
        frame[_KEY] = _NO_KEY
        if key is _MERGE:
            frame[_MERGES].extend(value if isinstance(value, list) else [value])
        else:
            container[key] = value


def _complex_key(value: Any) -> Any:
    """Keys that are collections become their text (at most MAX_KEY_CHARS), so the mapping
    stays hashable. Bounded: dumping nested complex keys as YAML re-quotes each level, so
    the text doubled per level (`? ? ? …` took minutes)."""
    if isinstance(value, dict | list):
        return render(value, MAX_KEY_CHARS)
    return value


def _apply_merges(container: Mapping, merges: list[Any]) -> None:
    """YAML merge keys: explicit keys win, then earlier merged mappings over later ones."""
    explicit = dict(container)
    container.clear()
    for source in reversed(merges):
        if isinstance(source, dict):
            container.update(source)
            if isinstance(source, Mapping):
                for key in source:
                    container.key_lines.setdefault(key, source.line_of(key) or 0)
    container.update(explicit)


def load_documents(text: str, path: str | None = None) -> Iterator[Document]:
    """Yield each document of a YAML stream with its value and line span.

    Raises `yaml.YAMLError` (with a problem mark) or `YAMLLimitError` at the first bad
    document (or the first over the file's budget); the documents before it have been
    yielded already.
    """
    if not HAVE_LIBYAML:  # pragma: no cover
        raise RuntimeError("PyYAML was built without LibYAML; c4guard needs the C parser")
    parser = _Parser(text)
    budget = Budget(len(text))
    try:
        while True:
            event = parser.get_event()
            kind = type(event)
            if event is None or kind is _StreamEnd:
                return
            if kind is ev.DocumentStartEvent:
                start = event.start_mark.line + 1
                builder = _Builder(path, budget)
                end_event = builder.run(parser.get_event)
                if end_event is None:
                    return
                mark = end_event.end_mark
                end = max(start, mark.line + (0 if mark.column == 0 else 1))
                yield Document(builder.root, start, end)
    finally:
        parser.dispose()
