"""Environment names (dev/test/staging/prod) as people write them in tags, directory names,
workspaces and `.tfvars` file names."""

from __future__ import annotations

from typing import Any

from c4guard.environments import ENVIRONMENT_WORDS

# Terraform directories and workspaces also say `develop` and `sandbox`.
_NAMES = {**ENVIRONMENT_WORDS, "develop": "dev", "sandbox": "dev"}
WORKSPACE_SEPARATOR = "@"


def environment_name(text: Any) -> str | None:
    """dev/test/staging/prod from a tag value or a name (`production` -> prod)."""
    if not isinstance(text, str):
        return None
    return _NAMES.get(text.strip().lower())


def namespace_for(root: str, workspace: str | None) -> str:
    """The namespace of a root module's resources: its directory, and the workspace
    (`.tfvars` variant) when it was evaluated for one (`infra/gke@prod`)."""
    return f"{root}{WORKSPACE_SEPARATOR}{workspace}" if workspace else root


def workspace_of(namespace: str | None) -> str | None:
    if not namespace or WORKSPACE_SEPARATOR not in namespace:
        return None
    return namespace.rpartition(WORKSPACE_SEPARATOR)[2]
