"""Modules that `terraform init` downloaded beside a root module.

`terraform init` writes `.terraform/modules/modules.json`: each module call's key (`eks`,
`eks.kms` for a call inside the `eks` module) and the directory it was installed in. The
scan's discovery skips `.terraform`; this reads those directories (and only directories
inside `.terraform/modules`, never a link out of it) so that a downloaded module's
resources are evaluated with the caller's inputs, like a local module's. Bounded: the
manifest's size, the number of modules, of files per module, and each file's size.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from pathlib import Path, PurePath

from c4guard.model import InputError
from c4guard.sources.handlers import FileContext
from c4guard.sources.terraform.files import CONFIG_SUFFIXES, TerraformFile, parse
from c4guard.sources.text import InputProblem, read_text

MANIFEST = PurePath(".terraform", "modules", "modules.json")
MAX_MANIFEST_BYTES = 1024 * 1024
MAX_MODULES = 128
MAX_FILES_PER_MODULE = 128
MAX_FILE_BYTES = 2 * 1024 * 1024


@dataclass(slots=True)
class Downloaded:
    """The downloaded modules of one root: their files by module key, and what failed."""

    files: dict[str, tuple[str, str, list[TerraformFile]]] = field(default_factory=dict)
    errors: list[InputError] = field(default_factory=list)


def downloaded_modules(directory: str, display: str) -> Downloaded:
    """The modules `.terraform/modules/modules.json` lists beside the root `directory`
    (shown as `display`), as key -> (directory, display directory, parsed files)."""
    found = Downloaded()
    manifest = Path(directory, MANIFEST)
    if not manifest.is_file():
        return found
    shown = str(PurePath(display, MANIFEST))
    try:
        entries = _entries(read_text(manifest, MAX_MANIFEST_BYTES))
    except (InputProblem, ValueError) as exc:
        found.errors.append(InputError(shown, None, f"unreadable modules.json: {exc}"))
        return found
    base = os.path.realpath(os.path.join(directory, ".terraform", "modules"))
    for key, relative in entries[:MAX_MODULES]:
        where = os.path.realpath(os.path.join(directory, relative))
        if not key or os.path.commonpath([base, where]) != base or not os.path.isdir(where):
            continue  # the root, a local module (scanned as such), or a link out of it
        module_display = str(PurePath(display, relative))
        files = _module_files(where, module_display, found.errors)
        found.files[key] = (where, module_display, files)
    if len(entries) > MAX_MODULES:
        found.errors.append(
            InputError(shown, None, f"more than {MAX_MODULES} modules: the rest are not read")
        )
    return found


def _entries(text: str) -> list[tuple[str, str]]:
    data = json.loads(text)
    modules = data.get("Modules") if isinstance(data, dict) else None
    if not isinstance(modules, list):
        raise ValueError("no Modules list")
    return [
        (str(m["Key"]), str(m["Dir"]))
        for m in modules
        if isinstance(m, dict) and isinstance(m.get("Key"), str) and isinstance(m.get("Dir"), str)
    ]


def _module_files(where: str, display: str, errors: list[InputError]) -> list[TerraformFile]:
    names = sorted(
        n
        for n in os.listdir(where)
        if n.lower().endswith(CONFIG_SUFFIXES) and os.path.isfile(os.path.join(where, n))
    )
    if len(names) > MAX_FILES_PER_MODULE:
        errors.append(
            InputError(
                display, None, f"more than {MAX_FILES_PER_MODULE} files: the rest are not read"
            )
        )
    files: list[TerraformFile] = []
    for name in names[:MAX_FILES_PER_MODULE]:
        shown = str(PurePath(display, name))
        path = Path(where, name)
        try:
            result = parse(read_text(path, MAX_FILE_BYTES), FileContext(shown, path))
        except InputProblem as exc:
            errors.append(InputError(shown, exc.line, exc.reason))
            continue
        errors.extend(InputError(shown, line, reason) for line, reason in result.errors)
        files.extend(r.body for r in result.resources if isinstance(r.body, TerraformFile))
    return files
