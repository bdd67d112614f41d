"""Module-level evaluation of Terraform configurations (the finalizer).

Files are grouped into modules by directory. A directory that another scanned module
calls with a local `source` is a child module; every other one is a root module. Roots get
their variables from `terraform.tfvars`/`*.auto.tfvars` (and from the other `*.tfvars`
beside them, when those agree), children from their callers' arguments. Locals, module
outputs, literal `count`/`for_each` and `dynamic` blocks are expanded; references to other
resources stay `Reference`s; the rest is `Unknown`.
"""

from __future__ import annotations

import json
import os
from collections import defaultdict
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from functools import partial
from pathlib import PurePath
from typing import TYPE_CHECKING, Any

from c4guard.model import EvidenceGap, InputError, Location, Origin, Resource
from c4guard.sources import kubernetes
from c4guard.sources.inline import attach_directives
from c4guard.sources.terraform.addresses import ModuleSource, parse_source
from c4guard.sources.terraform.environments import environment_name, namespace_for
from c4guard.sources.terraform.evaluate import Scope, evaluate
from c4guard.sources.terraform.files import SOURCE_ORIGIN, TerraformFile
from c4guard.sources.terraform.hcl import Block
from c4guard.sources.terraform.known import (
    known_module,
    known_outputs,
    made_resources,
    make_call,
)
from c4guard.sources.terraform.manifests import kubernetes_objects
from c4guard.sources.terraform.values import Outputs, Unknown, is_known
from c4guard.sources.terraform.vendored import downloaded_modules
from c4guard.sources.yamlload import Mapping, Sequence

if TYPE_CHECKING:
    from c4guard.sources.result import InputSet

ORIGIN = Origin.TERRAFORM
# Resource.api_version of Terraform resources: where the values come from.
FROM_CONFIGURATION = "terraform/configuration"
FROM_PLAN = "terraform/plan"
MAX_MODULE_DEPTH = 12
MAX_INSTANCES = 256
MAX_CHAIN = 32  # locals referring to locals...: deeper chains are unknown, never a crash
META_ATTRIBUTES = frozenset({"count", "for_each", "depends_on", "provider", "providers"})
META_BLOCKS = frozenset({"lifecycle", "provisioner", "connection"})
_IN_PROGRESS = object()
_NESTED = "the module calls itself or nests too deep"


@dataclass(slots=True)
class ModuleDir:
    """The files of one directory: a module's configuration and its variable files."""

    directory: str
    display: str
    files: list[TerraformFile] = field(default_factory=list)
    var_files: list[TerraformFile] = field(default_factory=list)

    def blocks(self, block_type: str) -> Iterator[tuple[TerraformFile, Block]]:
        for file in self.files:
            for block in file.body.blocks:
                if block.type == block_type:
                    yield file, block


def finalize_terraform(inputs: InputSet) -> None:
    """Replace the parsed files among the inputs with the resources their modules define."""
    placeholders = [r for r in inputs.resources if r.origin == SOURCE_ORIGIN]
    if not placeholders:
        return
    files = [r.body for r in placeholders]
    inputs.resources[:] = [r for r in inputs.resources if r.origin != SOURCE_ORIGIN]
    resources, errors, gaps = evaluate_configurations(files)
    for placeholder in placeholders:  # inline suppressions move to the blocks that hold them
        if placeholder.directives:
            attach_directives(list(placeholder.directives), resources, placeholder.location.path)
    objects = kubernetes_objects(resources)
    if objects:
        inputs.domains.add(kubernetes.DOMAIN)
    inputs.resources.extend([*resources, *objects])
    inputs.summary.resources += len(resources) + len(objects) - len(files)
    inputs.summary.input_errors.extend(errors)
    inputs.summary.gaps.extend(gaps)


def evaluate_configurations(
    files: list[TerraformFile],
) -> tuple[list[Resource], list[InputError], list[EvidenceGap]]:
    """Every resource of every root module among `files`, the modules that could not be
    evaluated, and the module calls whose resources were not judged."""
    modules: dict[str, ModuleDir] = {}
    for file in files:
        module = modules.setdefault(
            file.directory, ModuleDir(file.directory, str(PurePath(file.display).parent))
        )
        (module.var_files if file.is_vars else module.files).append(file)
    called = {child for module in modules.values() for child in _local_calls(module, modules)}
    resources: list[Resource] = []
    errors: list[InputError] = []
    unjudged: dict[str, None] = {}
    for directory, module in sorted(modules.items()):
        if directory in called or not module.files:
            continue
        downloaded = downloaded_modules(directory, module.display)
        errors.extend(downloaded.errors)
        vendored = {
            key: ModuleDir(where, shown, files)
            for key, (where, shown, files) in downloaded.files.items()
        }
        for workspace, inputs in root_variants(module):
            context = RootContext(module.display, workspace, vendored)
            root = ModuleInstance(module, modules, "", inputs, context, ())
            try:
                context.default_tags = root.provider_default_tags()
                resources.extend(list(root.resources()))
            except RecursionError:
                errors.append(
                    InputError(
                        module.display,
                        None,
                        "Terraform module nests expressions too deeply to evaluate",
                    )
                )
            unjudged.update(dict.fromkeys(context.unjudged))
    gaps = [EvidenceGap(ORIGIN, "*", reason) for reason in unjudged]
    return resources, errors, gaps


def _local_calls(module: ModuleDir, modules: dict[str, ModuleDir]) -> Iterator[str]:
    for _file, block in module.blocks("module"):
        child = _local_source(module, block)
        if child and child in modules and child != module.directory:
            yield child


def _local_source(module: ModuleDir, block: Block) -> str | None:
    attribute = block.attributes.get("source")
    source = attribute.expr[1] if attribute and attribute.expr[0] == "lit" else None
    if isinstance(source, str) and source.startswith(("./", "../")):
        return os.path.normpath(os.path.join(module.directory, source))
    return None


Inputs = dict[str, Callable[[], Any]]


def root_variants(module: ModuleDir) -> list[tuple[str | None, Inputs]]:
    """(workspace, variable values) for each way a root module is evaluated.

    `terraform.tfvars` and `*.auto.tfvars` always apply. A `.tfvars` file named after an
    environment (`prod.tfvars`, `dev.tfvars`) is a workspace: the module is evaluated once
    with each, its values over the automatic ones, as `-var-file` does. Other `.tfvars`
    files count where they agree (which one Terraform gets is chosen at run time)."""
    auto: dict[str, Any] = {}
    chosen: dict[str, list[Any]] = defaultdict(list)
    workspaces: dict[str, dict[str, Any]] = {}
    for file in sorted(module.var_files, key=lambda f: f.display):
        values = {
            name: evaluate(a.expr, Scope(_NO_MODULE)) for name, a in file.body.attributes.items()
        }
        stem = os.path.basename(file.display).split(".")[0]
        if file.auto_vars:
            auto.update(values)
        elif environment_name(stem):
            workspaces[stem] = values
        else:
            for name, value in values.items():
                chosen[name].append(value)
    base: dict[str, Any] = {}
    for name, candidates in chosen.items():
        first = candidates[0]
        base[name] = (
            first
            if all(c == first for c in candidates)
            else Unknown(f"var.{name} differs between the .tfvars files beside the module")
        )
    base.update(auto)
    if not workspaces:
        return [(None, _thunks(base))]
    return [(stem, _thunks({**base, **values})) for stem, values in workspaces.items()]


def _thunks(values: dict[str, Any]) -> Inputs:
    return {name: _constant(value) for name, value in values.items()}


def _constant(value: Any) -> Callable[[], Any]:
    return lambda: value


class _NoModule:
    """The scope of a .tfvars file or a variable default: no module names."""

    def variable(self, name: str) -> Any:
        return Unknown(f"var.{name} cannot be used here")

    local = module_output = variable

    def resource_address(self, root: str, name: str) -> str | None:
        return None

    def path_value(self, name: str) -> Any:
        return Unknown(f"path.{name}")

    def workspace(self) -> Any:
        return Unknown("terraform.workspace is chosen when Terraform runs")


_NO_MODULE = _NoModule()


@dataclass(slots=True)
class RootContext:
    """What every module instance of one root evaluation shares."""

    display: str
    workspace: str | None
    vendored: dict[str, ModuleDir] = field(default_factory=dict)  # by modules.json key
    default_tags: dict[str, Any] = field(default_factory=dict)  # provider name -> tags
    unjudged: list[str] = field(default_factory=list)  # module calls nothing judged
    active: int = 0  # variables, locals and outputs being evaluated, one inside another

    @property
    def namespace(self) -> str:
        return namespace_for(self.display, self.workspace)


class ModuleInstance:
    """One instance of a module: the root, or a child at `module.name[...]`."""

    def __init__(
        self,
        module: ModuleDir,
        modules: dict[str, ModuleDir],
        prefix: str,
        inputs: Inputs,
        root: RootContext,
        stack: tuple[str, ...],
        called_from: tuple[str, ...] = (),
        key: str = "",
    ) -> None:
        self.module = module
        self.key = key  # the key of this call in .terraform/modules/modules.json
        self.root = root
        self.called_from = called_from
        self.modules = modules
        self.prefix = prefix
        self.inputs = inputs
        self.stack = (*stack, module.directory)
        self.scope = Scope(self)
        self._variables = {b.labels[0]: b for _f, b in module.blocks("variable") if b.labels}
        self._locals = {
            name: a.expr for _f, b in module.blocks("locals") for name, a in b.attributes.items()
        }
        self._calls = {b.labels[0]: b for _f, b in module.blocks("module") if b.labels}
        self._call_files = {b.labels[0]: f.display for f, b in module.blocks("module") if b.labels}
        self._declared = {_declared_kind(b): None for _f, b in self._resource_blocks()}
        self._cache: dict[tuple[str, str], Any] = {}
        self._children: dict[str, list[tuple[str, ModuleInstance | None, str]]] = {}

    # ------------------------------------------------------------------ ModuleScope

    def variable(self, name: str) -> Any:
        return self._cached("var", name, self._variable)

    def local(self, name: str) -> Any:
        return self._cached("local", name, self._local)

    def module_output(self, name: str) -> Any:
        return self._cached("module", name, self._outputs)

    def resource_address(self, kind: str, name: str) -> str | None:
        return f"{self.prefix}{kind}.{name}" if (kind, name) in self._declared else None

    def path_value(self, name: str) -> Any:
        if name == "module":
            return self.module.display
        if name == "root":
            return self.root.display
        return Unknown(f"path.{name} depends on where Terraform runs")

    def workspace(self) -> Any:
        if self.root.workspace:
            return self.root.workspace
        return Unknown("terraform.workspace is chosen when Terraform runs")

    def _cached(self, space: str, name: str, compute: Callable[[str], Any]) -> Any:
        key = (space, name)
        value = self._cache.get(key)
        if value is _IN_PROGRESS:
            return Unknown(f"{space}.{name} refers to itself")
        if key in self._cache:
            return value
        if self.root.active >= MAX_CHAIN:
            return Unknown(
                f"{space}.{name} is reached through more than {MAX_CHAIN} "
                "values that refer to each other"
            )
        self._cache[key] = _IN_PROGRESS
        self.root.active += 1
        try:
            value = compute(name)
        finally:
            self.root.active -= 1
        self._cache[key] = value
        return value

    def _variable(self, name: str) -> Any:
        if name in self.inputs:
            return self.inputs[name]()
        block = self._variables.get(name)
        default = block.attributes.get("default") if block else None
        if default is not None:
            return evaluate(default.expr, Scope(_NO_MODULE))
        where = "its module call" if self.prefix else "a .tfvars file"
        return Unknown(f"var.{name} has no default and no value in {where}")

    def _local(self, name: str) -> Any:
        expr = self._locals.get(name)
        if expr is None:
            return Unknown(f"local.{name} is not defined")
        return evaluate(expr, self.scope)

    def _outputs(self, name: str) -> Any:
        instances = self.children(name)
        if not instances:
            return Unknown(f"module.{name} is not declared")
        block = self._calls[name]
        source = _remote_source(block)
        outputs = {
            key: (
                child.outputs()
                if child
                else Outputs(known_outputs(source, f"{self.prefix}module.{name}{key}"), why)
                if source and known_module(source)
                else Unknown(why)
            )
            for key, child, why in instances
        }
        if "count" in block.attributes or "for_each" in block.attributes:
            keys = list(outputs)
            is_count = "count" in block.attributes
            return (
                [outputs[k] for k in keys]
                if is_count
                else {json.loads(k.strip("[]")) if k else k: v for k, v in outputs.items()}
            )
        return next(iter(outputs.values()))

    def outputs(self) -> dict[str, Any]:
        return {
            b.labels[0]: evaluate(b.attributes["value"].expr, self.scope)
            for _f, b in self.module.blocks("output")
            if b.labels and "value" in b.attributes
        }

    # ------------------------------------------------------------------ module calls

    def children(self, name: str) -> list[tuple[str, ModuleInstance | None, str]]:
        """(instance key, child instance or None, why not) for each instance of a call."""
        if name not in self._children:
            self._children[name] = list(self._instantiate(name))
        return self._children[name]

    def _instantiate(self, name: str) -> Iterator[tuple[str, ModuleInstance | None, str]]:
        block = self._calls.get(name)
        if block is None:
            return
        child_module, why = self._child_module(name, block)
        for key, bound in self.expand(block):
            if child_module is None:
                yield key, None, why
                continue
            yield (
                key,
                ModuleInstance(
                    child_module,
                    self.modules,
                    f"{self.prefix}module.{name}{key}.",
                    self._call_inputs(block, bound),
                    self.root,
                    self.stack,
                    (*self.called_from, self._call_site(name, key)),
                    self._child_key(name),
                ),
                "",
            )

    def _child_module(self, name: str, block: Block) -> tuple[ModuleDir | None, str]:
        """The module a call evaluates: a scanned local directory, else the one `terraform
        init` downloaded for it; or None and why."""
        directory = _local_source(self.module, block)
        child = self.modules.get(directory) if directory else None
        if child is None:
            child = self.root.vendored.get(self._child_key(name))
        if child is None:
            shown = _source_text(block) or "?"
            return None, f"module.{name} comes from {shown}, which is not among the scanned files"
        if child.directory in self.stack or len(self.stack) > MAX_MODULE_DEPTH:
            return None, _NESTED
        return child, ""

    def _child_key(self, name: str) -> str:
        return f"{self.key}.{name}" if self.key else name

    def _call_site(self, name: str, key: str) -> str:
        return f"module.{name}{key} at {self._call_files[name]}:{self._calls[name].line}"

    def _call_inputs(self, block: Block, bound: dict[str, Any]) -> Inputs:
        scope = self.scope.bind(**bound)
        return {
            arg: partial(evaluate, attribute.expr, scope)
            for arg, attribute in block.attributes.items()
            if arg not in META_ATTRIBUTES and arg != "source" and arg != "version"
        }

    def _remote_resources(self, name: str) -> Iterator[Resource]:
        """The resources of a call whose module was not read: those the table of known
        modules makes from its inputs, or an evidence gap naming the call."""
        block = self._calls[name]
        source = _remote_source(block)
        for key, bound in self.expand(block):
            site = self._call_site(name, key)
            call = (
                make_call(
                    source,
                    self._call_files[name],
                    block,
                    self._call_inputs(block, bound),
                    f"{self.prefix}module.{name}{key}",
                )
                if source
                else None
            )
            if call is None or source is None:
                self.root.unjudged.append(_unjudged(f"{self.prefix}{site}", block, source))
                continue
            note = (
                f"{site} ({source.shown}, not downloaded: judged from its inputs "
                "and the module's defaults)"
            )
            for made in made_resources(call):
                body = ResourceBody(made.body.path or "", block.line, (*self.called_from, note))
                body.update(made.body)
                body.key_lines.update(made.body.key_lines)
                yield Resource(
                    ORIGIN,
                    made.kind,
                    made.address,
                    self.root.namespace,
                    body,
                    Location(self._call_files[name], block.line),
                    FROM_CONFIGURATION,
                    end_line=block.end_line,
                )

    def expand(self, block: Block) -> Iterator[tuple[str, dict[str, Any]]]:
        """(address suffix, names to bind) for each instance `count`/`for_each` makes."""
        count = block.attributes.get("count")
        for_each = block.attributes.get("for_each")
        if count is not None:
            value = evaluate(count.expr, self.scope)
            if isinstance(value, bool | int | float) and is_known(value):
                for index in range(min(int(value), MAX_INSTANCES)):
                    yield f"[{index}]", {"count": {"index": index}}
            else:
                yield "", {"count": {"index": _unknown_or(value, "count is unknown")}}
        elif for_each is not None:
            yield from self._for_each(evaluate(for_each.expr, self.scope))
        else:
            yield "", {}

    def _for_each(self, value: Any) -> Iterator[tuple[str, dict[str, Any]]]:
        if isinstance(value, dict):
            items = list(value.items())
        elif isinstance(value, list) and all(isinstance(v, str) for v in value):
            items = [(v, v) for v in value]
        else:
            unknown = _unknown_or(value, "for_each is unknown")
            yield "", {"each": {"key": unknown, "value": unknown}}
            return
        for key, item in items[:MAX_INSTANCES]:
            yield f"[{json.dumps(key)}]", {"each": {"key": key, "value": item}}

    # ------------------------------------------------------------------ resources

    def provider_default_tags(self) -> dict[str, Any]:
        """AWS `default_tags { tags = ... }` and Google `default_labels` of the (unaliased)
        provider blocks, by provider name."""
        found: dict[str, Any] = {}
        for _file, block in self.module.blocks("provider"):
            if not block.labels or "alias" in block.attributes:
                continue
            expressions = [
                d.attributes["tags"].expr
                for d in block.children("default_tags")
                if "tags" in d.attributes
            ]
            if "default_labels" in block.attributes:
                expressions.append(block.attributes["default_labels"].expr)
            for expression in expressions:
                value = evaluate(expression, self.scope)
                if isinstance(value, dict):
                    found[block.labels[0]] = value
        return found

    def _add_default_tags(self, kind: str, body: Mapping) -> None:
        """`tags_all` as the plan would show it: the provider's default tags (labels), then
        the resource's own."""
        defaults = self.root.default_tags.get(kind.removeprefix("data.").split("_")[0])
        if defaults and "tags_all" not in body:
            own = body.get("tags", body.get("labels"))
            body["tags_all"] = {**defaults, **(own if isinstance(own, dict) else {})}
            body.key_lines["tags_all"] = body.line_of("tags") or body.line or 0

    def _resource_blocks(self) -> Iterator[tuple[TerraformFile, Block]]:
        yield from self.module.blocks("resource")
        yield from self.module.blocks("data")

    def resources(self) -> Iterator[Resource]:
        """This instance's resources, then those of its child modules."""
        for file, block in self._resource_blocks():
            if len(block.labels) != 2:
                continue
            kind = _declared_kind(block)[0]
            for key, bound in self.expand(block):
                body = ResourceBody(file.display, block.line, self.called_from)
                evaluate_body(block, self.scope.bind(**bound), file.display, body)
                self._add_default_tags(kind, body)
                address = f"{self.prefix}{kind}.{block.labels[1]}{key}"
                yield Resource(
                    ORIGIN,
                    kind,
                    address,
                    self.root.namespace,
                    body,
                    Location(file.display, block.line),
                    FROM_CONFIGURATION,
                    end_line=block.end_line,
                )
        for name in self._calls:
            instances = self.children(name)
            for _key, child, _why in instances:
                if child is not None:
                    yield from child.resources()
            if any(child is None and why != _NESTED for _key, child, why in instances):
                yield from self._remote_resources(name)


def _source_text(block: Block) -> str | None:
    attribute = block.attributes.get("source")
    value = attribute.expr[1] if attribute and attribute.expr[0] == "lit" else None
    return value if isinstance(value, str) else None


def _unjudged(site: str, block: Block, source: ModuleSource | None) -> str:
    """Why a module call's resources are not judged (an evidence gap)."""
    shown = source.shown if source else _source_text(block)
    if shown is None:
        return f"{site} has a source c4guard cannot evaluate: its resources are not judged"
    if shown.startswith(("./", "../")):
        return f"{site} ({shown}) is not among the scanned files: its resources are not judged"
    return (
        f"{site} ({shown}) was not downloaded (no .terraform/modules/modules.json entry "
        "beside the root) and is not among c4guard's known modules: its resources are not judged"
    )


def _remote_source(block: Block) -> ModuleSource | None:
    source = _source_text(block)
    version = block.attributes.get("version")
    text = version.expr[1] if version and version.expr[0] == "lit" else None
    return parse_source(source, text if isinstance(text, str) else None) if source else None


def _declared_kind(block: Block) -> tuple[str, str]:
    kind = block.labels[0] if block.labels else ""
    name = block.labels[1] if len(block.labels) > 1 else ""
    return (f"data.{kind}" if block.type == "data" else kind), name


def _unknown_or(value: Any, reason: str) -> Unknown:
    return value if isinstance(value, Unknown) else Unknown(reason)


class ResourceBody(Mapping):
    """A resource's evaluated body, and the module calls (outermost first) that made it."""

    __slots__ = ("called_from",)

    def __init__(self, path: str, line: int, called_from: tuple[str, ...]) -> None:
        super().__init__(path, line)
        self.called_from = called_from


def evaluate_body(block: Block, scope: Scope, display: str, into: Mapping | None = None) -> Mapping:
    """A block's evaluated attributes and nested blocks (lists of mappings, as in plans)."""
    body = into if into is not None else Mapping(display, block.line)
    for name, attribute in block.attributes.items():
        if name in META_ATTRIBUTES:
            continue
        body[name] = evaluate(attribute.expr, scope)
        body.key_lines[name] = attribute.line
    for child in block.blocks:
        if child.type in META_BLOCKS:
            continue
        if child.type == "dynamic" and child.labels:
            _dynamic(body, child, scope, display)
            continue
        items = body.get(child.type)
        if not isinstance(items, Sequence):
            items = body[child.type] = Sequence(display, child.line)
            body.key_lines[child.type] = child.line
        items.append(evaluate_body(child, scope, display))
        items.item_lines.append(child.line)
    return body


def _dynamic(body: Mapping, block: Block, scope: Scope, display: str) -> None:
    """`dynamic "x" { for_each = ..., content { ... } }` as the `x` blocks it makes."""
    label = block.labels[0]
    content = next((b for b in block.blocks if b.type == "content"), None)
    if content is None:
        return
    iterator_attr = block.attributes.get("iterator")
    iterator = iterator_attr.expr[1] if iterator_attr and iterator_attr.expr[0] == "var" else label
    for_each_attr = block.attributes.get("for_each")
    collection = evaluate(for_each_attr.expr, scope) if for_each_attr else []
    if isinstance(collection, dict):
        pairs = list(collection.items())
    elif isinstance(collection, list):
        pairs = list(enumerate(collection))
    else:
        unknown = _unknown_or(collection, f"the for_each of dynamic {label} is unknown")
        pairs = [(unknown, unknown)]
    items = body.get(label)
    if not isinstance(items, Sequence):
        items = body[label] = Sequence(display, block.line)
        body.key_lines[label] = block.line
    for key, value in pairs[:MAX_INSTANCES]:
        inner = scope.bind(**{iterator: {"key": key, "value": value}})
        made = evaluate_body(content, inner, display)
        made.line = block.line
        items.append(made)
        items.item_lines.append(block.line)
