"""Sources: from paths (or stdin) to resources, with everything skipped or unreadable counted."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from c4guard.model import Domain, InputError, RenderNotice
from c4guard.sources.cache import ParseCache
from c4guard.sources.directives import MARKER
from c4guard.sources.discover import SourceFile, discover, real_paths
from c4guard.sources.handlers import FileContext, FileHandler
from c4guard.sources.inline import attach_inline_directives
from c4guard.sources.kinds import CONTENT_SCANNERS, FINALIZERS, STRUCTURED, handler_for
from c4guard.sources.layout import analyse_layout
from c4guard.sources.render import RenderOptions, RenderOutcome, render_tree
from c4guard.sources.render.tools import Renderers
from c4guard.sources.result import FileResult, InputSet
from c4guard.sources.text import (
    DEFAULT_MAX_FILE_BYTES,
    BinaryFile,
    InputProblem,
    decode,
    looks_binary,
    read_bytes,
)

BINARY = "binary file"
STDIN_DISPLAY = "<stdin>"
MARKER_BYTES = MARKER.encode()
NOT_INFRASTRUCTURE_FILE = "not an infrastructure file"
JUDGED_THROUGH_RENDER = "judged through a chart or overlay render"
ProgressCallback = Callable[[int, int], None]
# a file, the Kustomize namespace for it, the size limit, whether a render judged its
# objects, the parse cache
ParseTask = tuple[SourceFile, str | None, int, bool, ParseCache | None]


@dataclass(frozen=True, slots=True)
class ReadOptions:
    max_file_bytes: int = DEFAULT_MAX_FILE_BYTES
    jobs: int = 1
    render: Any = None  # config.RenderSection; None: the defaults
    config_dir: Path | None = None  # where render.helm paths are relative to
    renderers: Renderers | None = None  # None: the best found on this machine
    cache_dir: Path | None = None  # the parse cache (`scan --cache-dir`); None: no cache


def read_inputs(
    targets: list[str],
    options: ReadOptions = ReadOptions(),
    progress: ProgressCallback | None = None,
) -> InputSet:
    """Discover, read and parse every input under `targets`."""
    found = discover(targets)
    layout = analyse_layout(found.files)
    inputs = InputSet()
    summary = inputs.summary
    for reason, count in found.skipped.items():
        summary.skip(reason, count)
    summary.input_errors.extend(InputError(path, None, reason) for path, reason in found.errors)
    summary.input_errors.extend(InputError(p, line, reason) for p, line, reason in layout.errors)
    summary.render_notices.extend(layout.notices)
    cache = ParseCache.open(options.cache_dir) if options.cache_dir else None
    rendered = render_tree(
        [f for f in found.files if f.display != STDIN_DISPLAY],
        layout.kustomizations,
        RenderOptions(
            options.render,
            options.config_dir,
            options.jobs,
            options.renderers,
            tuple(targets),
            cache,
        ),
    )
    _collect_rendered(rendered, inputs)
    tasks: list[ParseTask] = []
    reals = real_paths([f.path for f in found.files])
    for file, real in zip(found.files, reals, strict=True):
        excluded = layout.excluded.get(file.display)
        if excluded:
            summary.skip(excluded)
            continue
        through_render = real in rendered.consumed
        namespace = layout.namespaces.get(file.display)
        tasks.append((file, namespace, options.max_file_bytes, through_render, cache))
    for done, (file, result) in enumerate(_parse_all(tasks, options.jobs), start=1):
        _collect(file, result, inputs)
        if progress:
            progress(done, len(tasks))
    for finalize in FINALIZERS:
        finalize(inputs)
    return inputs


def _parse_all(
    tasks: list[ParseTask],
    jobs: int,
) -> Iterable[tuple[SourceFile, FileResult]]:
    stdin_tasks = [t for t in tasks if t[0].display == STDIN_DISPLAY]
    file_tasks = [t for t in tasks if t[0].display != STDIN_DISPLAY]
    for task in stdin_tasks:
        yield task[0], parse_file(task)
    if jobs > 1 and len(file_tasks) > 1:
        yield from zip((t[0] for t in file_tasks), _parse_in_pool(file_tasks, jobs), strict=True)
    else:
        for task in file_tasks:
            yield task[0], parse_file(task)


def _parse_in_pool(tasks: list[ParseTask], jobs: int) -> list[FileResult]:
    """The tasks' results in their order, parsed by `jobs` processes largest file first, so
    that a few large files (vendored bundles, CRDs) next to each other in the tree do not
    all land in the last worker's share."""
    order = sorted(range(len(tasks)), key=lambda i: -_size(tasks[i][0]))
    results: list[FileResult | None] = [None] * len(tasks)
    chunk = max(1, min(16, len(tasks) // (jobs * 32)))
    with ProcessPoolExecutor(max_workers=min(jobs, len(tasks))) as pool:
        done = pool.map(parse_file, [tasks[i] for i in order], chunksize=chunk)
        for index, result in zip(order, done, strict=True):
            results[index] = result
    return [r for r in results if r is not None]


def _size(file: SourceFile) -> int:
    try:
        return file.path.stat().st_size
    except OSError:
        return 0


def parse_file(task: ParseTask) -> FileResult:
    """Read and parse one file (runs in worker processes with --jobs): once, for its
    handler and for every content scanner."""
    file, namespace, max_bytes, through_render, cache = task
    context = FileContext(file.display, file.path, namespace)
    handler = STRUCTURED if file.display == STDIN_DISPLAY else handler_for(file.path.name)
    if through_render:  # its objects were judged in the render; secrets are still looked for
        handler = None
    if handler is not None and handler.reads_path:
        return handler.parse("", context)
    if handler is None and not CONTENT_SCANNERS:
        return FileResult(skipped=NOT_INFRASTRUCTURE_FILE)
    try:
        data = read_bytes(file.path, max_bytes)
    except InputProblem as problem:
        if handler is None:
            return FileResult(skipped=f"other file not read ({problem.reason})")
        return FileResult(errors=[(problem.line, problem.reason)])
    if cache is None:
        return _parse_data(handler, data, context, through_render)
    identity = (file.display, os.fspath(file.path), namespace, max_bytes, through_render)
    key = cache.key(identity, data)
    result = cache.load(key)
    if result is None:
        result = _parse_data(handler, data, context, through_render)
        cache.store(key, result)
    return result


def _parse_data(
    handler: FileHandler | None, data: bytes, context: FileContext, through_render: bool
) -> FileResult:
    """Parse one file's bytes with its handler and every content scanner."""
    result = _parse_content(handler, data, context)
    for scanner in CONTENT_SCANNERS:
        result.merge(scanner.scan(data, context))
    if through_render and not result.claimed:
        result.skipped = JUDGED_THROUGH_RENDER
    if result.resources and MARKER_BYTES in data:  # decode again only when comments exist
        attach_inline_directives(data.decode("utf-8", "replace"), result.resources, context.display)
    return result


def _parse_content(handler: FileHandler | None, data: bytes, context: FileContext) -> FileResult:
    if handler is None:
        return FileResult(skipped=BINARY if looks_binary(data) else NOT_INFRASTRUCTURE_FILE)
    try:
        text = decode(data)
    except BinaryFile:
        return FileResult(skipped=BINARY)
    except InputProblem as problem:
        return FileResult(errors=[(problem.line, problem.reason)])
    return handler.parse(text, context)


def _collect_rendered(rendered: RenderOutcome, inputs: InputSet) -> None:
    summary = inputs.summary
    summary.input_errors.extend(rendered.errors)
    summary.render_notices.extend(rendered.notices)
    summary.gaps.extend(rendered.gaps)
    summary.rendered += rendered.renders
    if rendered.resources:
        summary.resources += len(rendered.resources)
        inputs.resources.extend(rendered.resources)
        inputs.domains.add(Domain.KUBERNETES.value)


def _collect(file: SourceFile, result: FileResult, inputs: InputSet) -> None:
    summary = inputs.summary
    if result.skipped:
        summary.skip(result.skipped)
    if result.template:
        summary.render_notices.append(
            RenderNotice(
                path=file.display,
                tool="template",
                message="looks like an unrendered template ({{ ... }}); render it and pipe it in "
                "with `c4guard scan -`",
            )
        )
    summary.input_errors.extend(
        InputError(file.display, line, reason) for line, reason in result.errors
    )
    if result.claimed or result.domains:  # a content scanner that judged the file read it
        summary.files_read += 1
    for domain in result.domains:
        summary.files_by_domain[domain] = summary.files_by_domain.get(domain, 0) + 1
    summary.resources += len(result.resources)
    inputs.resources.extend(result.resources)
    inputs.domains |= result.domains


def default_jobs() -> int:
    """The cores this process may run on: its CPU affinity (a container's or `taskset`'s
    limit), else the machine's count."""
    counter = getattr(os, "process_cpu_count", None)  # Python 3.13+
    if counter is not None:
        return max(1, counter() or 1)
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # no CPU affinity on this platform
        return max(1, os.cpu_count() or 1)
