"""HCL native syntax (`.tf`, `.tfvars`) to blocks and expression trees, with lines.

tree-sitter with the tree-sitter-hcl grammar does the parsing (a C parser that keeps every
position; measured in docs/terraform.md); this module turns its concrete tree into plain,
picklable values: `Block`s of `Attribute`s whose expressions are small tuples (see
`Expr`), evaluated later by `c4guard.sources.terraform.evaluate`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

import tree_sitter
import tree_sitter_hcl

from c4guard.errors import InvalidInput

MAX_DEPTH = 200

# An expression is a tuple whose first item names its form:
#   ("lit", value)                      a literal (string, number, bool, None)
#   ("tmpl", parts)                     a template: parts are str or Expr
#   ("var", name)                       a root name: var, local, aws_s3_bucket, each...
#   ("attr", expr, name) / ("index", expr, key_expr)
#   ("splat", expr, ops)                expr[*] / expr.*: ops apply to every element
#   ("call", name, args, expand_last)
#   ("cond", test, then, else) / ("binop", op, left, right) / ("unop", op, operand)
#   ("tuple", items) / ("object", ((key_expr, value_expr), ...))
#   ("for", key_var, value_var, collection, key_expr, value_expr, cond, grouping)
#   ("unsupported", what)               a construct c4guard does not evaluate
Expr = tuple[Any, ...]

_LANGUAGE = tree_sitter.Language(tree_sitter_hcl.language())
_ESCAPE = re.compile(r"\\(u[0-9a-fA-F]{4}|U[0-9a-fA-F]{8}|.)|\$\$\{|%%\{")
_SIMPLE_ESCAPES = {"n": "\n", "t": "\t", "r": "\r", '"': '"', "\\": "\\"}


class HclError(InvalidInput, ValueError):
    """The text is not valid HCL; `line` is where the parser gave up."""

    def __init__(self, message: str, line: int | None) -> None:
        super().__init__(message, line=line)


@dataclass(slots=True)
class Attribute:
    name: str
    expr: Expr
    line: int


@dataclass(slots=True)
class Block:
    """A block (`resource "t" "n" { ... }`), or a file's top-level body (type "")."""

    type: str
    labels: tuple[str, ...]
    line: int
    end_line: int
    attributes: dict[str, Attribute] = field(default_factory=dict)
    blocks: list[Block] = field(default_factory=list)

    def children(self, block_type: str) -> list[Block]:
        return [b for b in self.blocks if b.type == block_type]


def parse_hcl(text: str) -> Block:
    """Parse a whole file; raises `HclError` with the line of the first syntax error."""
    source = text.encode("utf-8")
    tree = tree_sitter.Parser(_LANGUAGE).parse(source)
    root = tree.root_node
    if root.has_error:
        raise HclError(*_first_error(root))
    body = next((c for c in root.named_children if c.type == "body"), None)
    top = Block("", (), 1, root.end_point[0] + 1)
    if body is not None:
        _Converter(source).fill(top, body, 0)
    return top


def _first_error(root: tree_sitter.Node) -> tuple[str, int]:
    stack = [root]
    while stack:
        node = stack.pop()
        if node.type == "ERROR" or node.is_missing:
            what = f"missing {node.type}" if node.is_missing else "unexpected text"
            return f"invalid HCL: {what}", node.start_point[0] + 1
        if node.has_error:
            stack.extend(reversed(node.children))
    return "invalid HCL", root.start_point[0] + 1


class _Converter:
    """Walks tree-sitter nodes into `Block`s and `Expr` tuples."""

    def __init__(self, source: bytes) -> None:
        self.source = source

    @staticmethod
    def text(node: tree_sitter.Node) -> str:
        return (node.text or b"").decode("utf-8", "replace")

    def fill(self, block: Block, body: tree_sitter.Node, depth: int) -> None:
        for child in body.named_children:
            if child.type == "attribute":
                name_node, value_node = _ends(child)
                name = self.text(name_node)
                block.attributes[name] = Attribute(
                    name, self.expr(value_node, depth + 1), child.start_point[0] + 1
                )
            elif child.type == "block":
                block.blocks.append(self.block(child, depth + 1))

    def block(self, node: tree_sitter.Node, depth: int) -> Block:
        if depth > MAX_DEPTH:
            raise HclError(f"blocks nested deeper than {MAX_DEPTH} levels", node.start_point[0] + 1)
        labels = []
        block_type = ""
        body = None
        for child in node.named_children:
            if child.type == "identifier" and not block_type:
                block_type = self.text(child)
            elif child.type == "identifier":
                labels.append(self.text(child))
            elif child.type == "string_lit":
                labels.append(self.string_literal(child))
            elif child.type == "body":
                body = child
        block = Block(block_type, tuple(labels), node.start_point[0] + 1, node.end_point[0] + 1)
        if body is not None:
            self.fill(block, body, depth)
        return block

    def string_literal(self, node: tree_sitter.Node) -> str:
        """A quoted string without interpolation: its text between the quotes."""
        return _unescape(self.text(node)[1:-1])

    # ------------------------------------------------------------------ expressions

    def expr(self, node: tree_sitter.Node, depth: int) -> Expr:
        if depth > MAX_DEPTH:
            raise HclError(
                f"expression nested deeper than {MAX_DEPTH} levels", node.start_point[0] + 1
            )
        kind = node.type
        if kind == "expression":
            children = node.named_children
            if len(children) > 1 and any(c.type == "comment" for c in children):
                children = _named(node)
            if not children:
                return ("unsupported", "empty expression")
            value = self.expr(children[0], depth + 1)
            for postfix in children[1:]:
                value = self.postfix(value, postfix, depth + 1)
            return value
        handler = _HANDLERS.get(kind)
        if handler is None:
            if node.named_child_count == 1:
                return self.expr(node.named_children[0], depth + 1)
            return ("unsupported", kind)
        return handler(self, node, depth + 1)

    def postfix(self, value: Expr, node: tree_sitter.Node, depth: int) -> Expr:
        kind = node.type
        if kind == "get_attr":
            return ("attr", value, self.text(node.named_children[-1]))
        if kind == "index":
            return ("index", value, self.index_key(node.named_children[0], depth))
        if kind == "splat":
            ops: list[tuple[str, Any]] = []
            for part in node.named_children[0].named_children:
                if part.type == "get_attr":
                    ops.append(("attr", self.text(part.named_children[-1])))
                elif part.type == "index":
                    ops.append(("index", self.index_key(part.named_children[0], depth)))
            return ("splat", value, tuple(ops))
        return ("unsupported", kind)

    def index_key(self, node: tree_sitter.Node, depth: int) -> Expr:
        if node.type == "legacy_index":  # foo.0
            return ("lit", int(self.text(node).lstrip(".")))
        return self.expr(node.named_children[0], depth)

    def literal(self, node: tree_sitter.Node, depth: int) -> Expr:
        child = node.named_children[0] if node.named_child_count else node
        kind = child.type
        if kind == "numeric_lit":
            text = self.text(child)
            return ("lit", float(text) if any(c in text for c in ".eE") else int(text))
        if kind == "bool_lit":
            return ("lit", self.text(child) == "true")
        if kind == "null_lit":
            return ("lit", None)
        if kind == "string_lit":
            return ("lit", self.string_literal(child))
        return ("unsupported", kind)

    def template(self, node: tree_sitter.Node, depth: int) -> Expr:
        inner = node.named_children[0]
        if inner.type == "heredoc_template":
            return self.heredoc(inner, depth)
        return self.template_parts(inner.named_children, depth, inner.type == "quoted_template")

    def template_parts(self, children: list[tree_sitter.Node], depth: int, escaped: bool) -> Expr:
        parts: list[Any] = []
        for child in children:
            if child.type == "template_literal":
                text = self.text(child)
                parts.append(_unescape(text) if escaped else text.replace("$${", "${"))
            elif child.type == "template_interpolation":
                inner = [c for c in child.named_children if c.type == "expression"]
                parts.append(self.expr(inner[0], depth) if inner else ("lit", ""))
            elif child.type == "template_directive":
                return ("unsupported", "template directive")
        return _joined(parts)

    def heredoc(self, node: tree_sitter.Node, depth: int) -> Expr:
        """Heredoc text comes from byte spans, so indentation and newlines survive."""
        children = node.named_children
        opener = self.text(children[0])
        identifiers = [c for c in children if c.type == "heredoc_identifier"]
        start = self.source.index(b"\n", identifiers[0].end_byte) + 1
        end = (
            self.source.rindex(b"\n", 0, identifiers[-1].start_byte) + 1
            if len(identifiers) > 1
            else start
        )
        parts: list[Any] = []
        cursor = start
        for child in children:
            if child.type == "template_interpolation" or child.type == "template_directive":
                parts.append(self.source[cursor : child.start_byte].decode("utf-8", "replace"))
                if child.type == "template_directive":
                    return ("unsupported", "template directive")
                inner = [c for c in child.named_children if c.type == "expression"]
                parts.append(self.expr(inner[0], depth) if inner else ("lit", ""))
                cursor = child.end_byte
        parts.append(self.source[cursor : max(cursor, end)].decode("utf-8", "replace"))
        if opener == "<<-":
            parts = _dedent(parts)
        return _joined([p.replace("$${", "${") if isinstance(p, str) else p for p in parts])

    def variable(self, node: tree_sitter.Node, depth: int) -> Expr:
        return ("var", self.text(node))

    def call(self, node: tree_sitter.Node, depth: int) -> Expr:
        children = node.named_children
        name = self.text(children[0])
        args: list[Expr] = []
        expand = False
        for child in children[1:]:
            if child.type == "function_arguments":
                for arg in child.named_children:
                    if arg.type == "ellipsis":
                        expand = True
                    elif arg.type == "expression":
                        args.append(self.expr(arg, depth))
        return ("call", name, tuple(args), expand)

    def conditional(self, node: tree_sitter.Node, depth: int) -> Expr:
        test, then, other = (self.expr(c, depth) for c in _named(node)[:3])
        return ("cond", test, then, other)

    def binary(self, node: tree_sitter.Node, depth: int) -> Expr:
        """`left op right`; an operand may be a term with postfixes (`var.x == null` is
        variable_expr, get_attr, ==, literal_value)."""
        children = _operand_parts(node)
        split = next(i for i, c in enumerate(children) if not c.is_named and i > 0)
        return (
            "binop",
            children[split].type,
            self.operand(children[:split], depth),
            self.operand(children[split + 1 :], depth),
        )

    def unary(self, node: tree_sitter.Node, depth: int) -> Expr:
        children = _operand_parts(node)
        return ("unop", children[0].type, self.operand(children[1:], depth))

    def operand(self, nodes: list[tree_sitter.Node], depth: int) -> Expr:
        value = self.expr(nodes[0], depth)
        for postfix in nodes[1:]:
            value = self.postfix(value, postfix, depth)
        return value

    def collection(self, node: tree_sitter.Node, depth: int) -> Expr:
        inner = node.named_children[0]
        if inner.type == "tuple":
            return (
                "tuple",
                tuple(self.expr(c, depth) for c in inner.named_children if c.type == "expression"),
            )
        pairs = []
        for elem in inner.named_children:
            if elem.type == "object_elem":
                key_node, value_node = _ends(elem)
                pairs.append((self.object_key(key_node, depth), self.expr(value_node, depth)))
        return ("object", tuple(pairs))

    def object_key(self, node: tree_sitter.Node, depth: int) -> Expr:
        """A bare identifier key is its name (`{ env = "x" }`), not a reference."""
        children = _named(node)
        if len(children) == 1 and children[0].type == "variable_expr":
            return ("lit", self.text(children[0]))
        return self.expr(node, depth)

    def parenthesized(self, node: tree_sitter.Node, depth: int) -> Expr:
        return self.expr(_named(node)[0], depth)

    def for_expr(self, node: tree_sitter.Node, depth: int) -> Expr:
        inner = node.named_children[0]
        parts = inner.named_children
        intro = next(p for p in parts if p.type == "for_intro")
        names = [self.text(c) for c in intro.named_children if c.type == "identifier"]
        collection = self.expr(
            next(c for c in intro.named_children if c.type == "expression"), depth
        )
        key_var, value_var = (names[0], names[1]) if len(names) == 2 else (None, names[0])
        bodies = [self.expr(p, depth) for p in parts if p.type == "expression"]
        cond_node = next((p for p in parts if p.type == "for_cond"), None)
        cond = self.expr(_named(cond_node)[-1], depth) if cond_node else None
        grouping = any(p.type == "ellipsis" for p in parts)
        if inner.type == "for_object_expr":
            return ("for", key_var, value_var, collection, bodies[0], bodies[1], cond, grouping)
        return ("for", key_var, value_var, collection, None, bodies[0], cond, False)


_HANDLERS = {
    "literal_value": _Converter.literal,
    "template_expr": _Converter.template,
    "variable_expr": _Converter.variable,
    "function_call": _Converter.call,
    "conditional": _Converter.conditional,
    "binary_operation": _Converter.binary,
    "unary_operation": _Converter.unary,
    "collection_value": _Converter.collection,
    "for_expr": _Converter.for_expr,
    "parenthesized_expression": _Converter.parenthesized,
}


def _ends(node: tree_sitter.Node) -> tuple[tree_sitter.Node, tree_sitter.Node]:
    """The first and last parts of `name = value` (an attribute or object element)."""
    kids = node.named_children
    if kids[0].type == "comment" or kids[-1].type == "comment":
        kids = _named(node)
    return kids[0], kids[-1]


def _named(node: tree_sitter.Node) -> list[tree_sitter.Node]:
    """Named children without comments (a comment may stand anywhere inside an expression)."""
    return [c for c in node.named_children if c.type != "comment"]


def _operand_parts(node: tree_sitter.Node) -> list[tree_sitter.Node]:
    """An operation's operators and operand terms, without parentheses and comments."""
    return [c for c in node.children if c.type not in ("(", ")", "comment")]


def _joined(parts: list[Any]) -> Expr:
    """A template of literal text only is a string literal."""
    parts = [p for p in parts if p != ""]
    if all(isinstance(p, str) for p in parts):
        return ("lit", "".join(parts))
    if len(parts) == 1:
        return ("tmpl", (parts[0],))
    return ("tmpl", tuple(parts))


def _unescape(text: str) -> str:
    if "\\" not in text and "$${" not in text and "%%{" not in text:
        return text
    return _ESCAPE.sub(_escape_value, text)


def _escape_value(match: re.Match[str]) -> str:
    whole = match.group(0)
    if whole == "$${":
        return "${"
    if whole == "%%{":
        return "%{"
    code = match.group(1)
    if code[0] in "uU" and len(code) > 1:
        return chr(int(code[1:], 16))
    return _SIMPLE_ESCAPES.get(code, code)


def _dedent(parts: list[Any]) -> list[Any]:
    """`<<-` heredocs lose the smallest indentation of their lines."""
    text_lines = [line for p in parts if isinstance(p, str) for line in p.split("\n")[1:]]
    first = parts[0] if parts and isinstance(parts[0], str) else ""
    candidates = [line for line in [first.split("\n")[0], *text_lines] if line.strip()]
    indent = min((len(line) - len(line.lstrip(" \t")) for line in candidates), default=0)
    if not indent:
        return parts
    out: list[Any] = []
    for index, part in enumerate(parts):
        if not isinstance(part, str):
            out.append(part)
            continue
        lines = part.split("\n")
        start = 0 if index == 0 else 1
        lines[start:] = [
            line[indent:] if line[:indent].strip() == "" else line.lstrip()
            for line in lines[start:]
        ]
        out.append("\n".join(lines))
    return out
