"""Worker process for Helm's engine from `helm-python-sdk` (the `c4guard[render]` extra).

Reads one JSON request on stdin (`chart`, `values_files`, `set`, `release`, `namespace`) and
writes the rendered templates as JSON (template path → text) on stdout. It runs as a child
of the scan (see `sandbox`), by path with `python -I`, so that it starts fast (it imports
only the standard library and `helm_python`) and the native library's time, memory and
crashes stay bounded and out of the scanning process. Rendering is offline: `lookup`
returns nothing, no cluster is contacted, dependencies are only those under `charts/`.
Values files and `set` values are read and merged by Helm's own functions, in the order
given (later wins).
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any


def merge(base: dict[str, Any], top: dict[str, Any]) -> dict[str, Any]:
    """Helm's rule for several values sources: maps merge key by key, anything else is
    replaced by the later source."""
    merged = dict(base)
    for key, value in top.items():
        if isinstance(value, dict) and isinstance(merged.get(key), dict):
            merged[key] = merge(merged[key], value)
        else:
            merged[key] = value
    return merged


def main() -> int:
    request = json.load(sys.stdin)
    try:
        import helm_python as helm
    except ImportError:
        print("helm-python-sdk is not installed (pip install 'c4guard[render]')", file=sys.stderr)
        return 2
    try:
        values: dict[str, Any] = {}
        for path in request.get("values_files", []):
            text = Path(path).read_text(encoding="utf-8")
            values = merge(values, helm.values_from_yaml(text) or {})
        for assignment in request.get("set", []):
            values = merge(values, helm.parse_set_string(assignment))
        with helm.Chart.load(request["chart"]) as chart:
            rendered = chart.render(
                values,
                name=request["release"],
                namespace=request["namespace"],
                is_install=True,
            )
    except (helm.HelmError, OSError, UnicodeDecodeError) as exc:
        print(f"{type(exc).__name__}: {exc}", file=sys.stderr)
        return 1
    json.dump(rendered, sys.stdout)
    return 0


if __name__ == "__main__":
    sys.exit(main())
