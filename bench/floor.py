#!/usr/bin/env python3
"""The parse floor of a tree: the time of the parsers alone on the files c4guard parses.

    python bench/floor.py KIND ROOT...

KIND is one of:
  read          read every byte of every file c4guard discovers
  yaml-events   LibYAML's event stream (`yaml.parse` with the C parser) of each YAML/JSON file
  yaml-compose  LibYAML `compose_all` (node trees with marks) of each YAML/JSON file
  hcl           tree-sitter's HCL parse of each `.tf`/`.tfvars`/`.hcl` file
  dockerfile    c4guard's Dockerfile tokenizer (logical instructions) of each Dockerfile
  floor         read + yaml-events + hcl + dockerfile: the floor a whole scan is compared to

Files are found and classified as `c4guard scan` does (its discovery and file handlers), and
read before the clock starts, except for `read` and `floor`, which time the reading too.
Prints one JSON line: {"kind", "files", "bytes", "seconds", "cpu_seconds"}. `scan_bench.py`
runs it in a subprocess so that its peak RSS is that of the parse alone.
"""

from __future__ import annotations

import contextlib
import json
import sys
import time
from collections.abc import Callable
from pathlib import Path

import yaml

from c4guard.sources.discover import discover
from c4guard.sources.dockerlines import split_instructions
from c4guard.sources.kinds import STRUCTURED, handler_for

YAML, HCL, DOCKERFILE = "yaml", "hcl", "dockerfile"
KINDS = ("read", "yaml-events", "yaml-compose", "hcl", "dockerfile", "floor")


def classify(path: Path) -> str | None:
    """The parser c4guard gives a file: YAML (also JSON and `.tf.json`), HCL, Dockerfile."""
    handler = handler_for(path.name)
    if handler is None:
        return None
    if handler is STRUCTURED or path.name.lower().endswith(".json"):
        return YAML
    return {"terraform": HCL, "dockerfile": DOCKERFILE}.get(handler.name)


def yaml_events(data: bytes) -> None:
    for _event in yaml.parse(data.decode("utf-8", "replace"), Loader=yaml.CSafeLoader):
        pass


def yaml_compose(data: bytes) -> None:
    for _node in yaml.compose_all(data.decode("utf-8", "replace"), Loader=yaml.CSafeLoader):
        pass


def hcl_parser() -> Callable[[bytes], object]:
    import tree_sitter
    import tree_sitter_hcl

    parser = tree_sitter.Parser(tree_sitter.Language(tree_sitter_hcl.language()))
    return parser.parse


def dockerfile(data: bytes) -> None:
    split_instructions(data.decode("utf-8", "replace"))


def parsers(kind: str) -> dict[str, Callable[[bytes], object]]:
    """Which parser runs on which class of file for `kind`."""
    if kind == "read":
        return {}
    if kind == "yaml-compose":
        return {YAML: yaml_compose}
    table = {YAML: yaml_events, HCL: hcl_parser(), DOCKERFILE: dockerfile}
    if kind == "floor":
        return table
    cls = {"yaml-events": YAML, "hcl": HCL, "dockerfile": DOCKERFILE}[kind]
    return {cls: table[cls]}


def run(kind: str, roots: list[str]) -> dict[str, object]:
    table = parsers(kind)
    files = [(f.path, classify(f.path)) for f in discover(roots).files]
    reads = kind in ("read", "floor")
    if not reads:
        files = [(path, cls) for path, cls in files if cls in table]
    contents = [] if reads else [(path.read_bytes(), cls) for path, cls in files]
    size = 0
    started, cpu = time.perf_counter(), time.process_time()
    if reads:
        for path, cls in files:
            data = path.read_bytes()
            size += len(data)
            parse = table.get(cls) if cls else None
            if parse is not None:
                with contextlib.suppress(Exception):  # timing the parse, not judging it
                    parse(data)
    else:
        for data, cls in contents:
            size += len(data)
            with contextlib.suppress(Exception):
                table[cls](data)
    seconds, cpu_seconds = time.perf_counter() - started, time.process_time() - cpu
    return {
        "kind": kind,
        "files": len(files),
        "bytes": size,
        "seconds": seconds,
        "cpu_seconds": cpu_seconds,
    }


def main() -> None:
    if len(sys.argv) < 3 or sys.argv[1] not in KINDS:
        raise SystemExit(__doc__)
    print(json.dumps(run(sys.argv[1], sys.argv[2:])))


if __name__ == "__main__":
    main()
