"""Safe discovery of the files to scan under the given targets.

Skips `.git`, `node_modules` and virtualenvs, honours `.gitignore`, never follows a
symlink out of the scan root, ends on symlink loops, and counts what it leaves out.
"""

from __future__ import annotations

import os
import stat
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pathspec

SKIPPED_DIRS = frozenset(
    {
        ".git",
        ".hg",
        ".svn",
        "node_modules",
        "__pycache__",
        ".venv",
        "venv",
        ".tox",
        ".nox",
        ".mypy_cache",
        ".pytest_cache",
        ".ruff_cache",
        ".terraform",
        ".idea",
        ".vscode",
    }
)
STDIN = "-"


@dataclass(frozen=True, slots=True)
class SourceFile:
    """A file to scan: the real path to read and the path to show in reports."""

    path: Path
    display: str


@dataclass(slots=True)
class Discovery:
    files: list[SourceFile] = field(default_factory=list)
    skipped: dict[str, int] = field(default_factory=dict)
    errors: list[tuple[str, str]] = field(default_factory=list)

    def skip(self, reason: str) -> None:
        self.skipped[reason] = self.skipped.get(reason, 0) + 1


def discover(targets: list[str]) -> Discovery:
    """Every file under `targets` that a scan should consider, in a stable order."""
    found = Discovery()
    for target in targets:
        if target == STDIN:
            found.files.append(SourceFile(Path(STDIN), "<stdin>"))
            continue
        path = Path(target)
        try:
            mode = path.stat().st_mode
        except OSError as exc:
            found.errors.append((target, f"cannot read: {exc.strerror or exc}"))
            continue
        if stat.S_ISDIR(mode):
            _walk(path, found)
        elif stat.S_ISREG(mode):
            found.files.append(SourceFile(path, target))
        else:
            found.errors.append((target, "not a regular file or directory"))
    return found


def real_paths(paths: Iterable[Path]) -> list[str]:
    """`os.path.realpath` of each path at one `lstat` per file and directory: a path that
    is not a symlink is its parent's real path joined with its name (`realpath` itself
    costs an `lstat` per component of every path)."""
    real_dirs: dict[str, str] = {}
    return [
        os.path.realpath(path) if ".." in path.parts else _real(os.path.abspath(path), real_dirs)
        for path in paths
    ]


def _real(path: str, real_dirs: dict[str, str]) -> str:
    parent, name = os.path.split(path)
    if not name or parent == path or os.path.islink(path):
        return os.path.realpath(path)
    real_parent = real_dirs.get(parent)
    if real_parent is None:
        real_parent = real_dirs[parent] = _real(parent, real_dirs)
    return os.path.join(real_parent, name)


def _walk(root: Path, found: Discovery) -> None:
    real_root = os.path.realpath(root)
    visited: set[tuple[int, int]] = set()
    for file_path, display in _walk_dir(root, real_root, "", [], visited, found):
        found.files.append(SourceFile(file_path, display))


def _is_virtualenv(path: Path) -> bool:
    """A virtualenv's marker; False when the directory cannot be searched (listing it
    then reports why)."""
    try:
        return (path / "pyvenv.cfg").is_file()
    except OSError:
        return False


def _walk_dir(
    directory: Path,
    real_root: str,
    rel: str,
    ignores: list[tuple[str, pathspec.PathSpec]],
    visited: set[tuple[int, int]],
    found: Discovery,
) -> Iterator[tuple[Path, str]]:
    try:
        info = directory.stat()
    except OSError:
        found.skip("unreadable directory")
        return
    key = (info.st_dev, info.st_ino)
    if key in visited:
        found.skip("symlink loop")
        return
    visited.add(key)
    spec = _gitignore(directory)
    if spec is not None:
        ignores = [*ignores, (rel, spec)]
    try:
        entries = sorted(os.scandir(directory), key=lambda e: e.name)
    except OSError as exc:
        found.errors.append((str(directory), f"cannot list directory: {exc.strerror or exc}"))
        return
    for entry in entries:
        child_rel = f"{rel}{entry.name}"
        yield from _visit(entry, child_rel, real_root, ignores, visited, found)


def _visit(
    entry: os.DirEntry[str],
    child_rel: str,
    real_root: str,
    ignores: list[tuple[str, pathspec.PathSpec]],
    visited: set[tuple[int, int]],
    found: Discovery,
) -> Iterator[tuple[Path, str]]:
    path = Path(entry.path)
    if entry.is_symlink() and not _inside(os.path.realpath(path), real_root):
        found.skip("symlink outside the scan root")
        return
    try:
        is_dir = entry.is_dir()
        is_file = entry.is_file()
    except OSError:
        found.skip("unreadable")
        return
    if is_dir:
        if entry.name in SKIPPED_DIRS or _is_virtualenv(path):
            found.skip("excluded directory")
        elif _ignored(child_rel + "/", ignores):
            found.skip("ignored by .gitignore")
        else:
            yield from _walk_dir(path, real_root, child_rel + "/", ignores, visited, found)
    elif is_file:
        if _ignored(child_rel, ignores):
            found.skip("ignored by .gitignore")
        else:
            yield path, str(path)
    elif entry.is_symlink():
        found.skip("broken symlink or symlink loop")
    else:
        found.skip("not a regular file")


def _inside(real: str, real_root: str) -> bool:
    return real == real_root or real.startswith(real_root.rstrip(os.sep) + os.sep)


def _gitignore(directory: Path) -> pathspec.PathSpec | None:
    ignore_file = directory / ".gitignore"
    try:
        if not ignore_file.is_file() or ignore_file.stat().st_size > 1024 * 1024:
            return None
        lines = ignore_file.read_text(encoding="utf-8", errors="replace").splitlines()
    except OSError:
        return None
    return pathspec.GitIgnoreSpec.from_lines(lines)


def _ignored(rel: str, ignores: list[tuple[str, pathspec.PathSpec]]) -> bool:
    """Git's rule: the deepest .gitignore that has an opinion on the path decides."""
    verdict = False
    for base, spec in ignores:
        sub = rel[len(base) :]
        result = spec.check_file(sub)
        if result.include is not None:
            verdict = result.include
    return verdict
