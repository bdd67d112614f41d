"""Terraform module source addresses and version constraints, read without a network.

A registry address (`terraform-aws-modules/eks/aws//modules/x`) and the git address of the
same module's repository (`git::https://github.com/terraform-aws-modules/terraform-aws-eks.git
?ref=v20.8.4`) name one module: both become `ModuleSource("terraform-aws-modules/eks/aws",
...)`. The major version Terraform would install is the highest one the constraint allows
(`terraform init` picks the newest matching release), or the `ref` of a git address.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_REGISTRY = re.compile(
    r"^(?:registry\.terraform\.io/|registry\.opentofu\.org/)?"
    r"(?P<ns>[A-Za-z0-9][\w-]*)/(?P<name>[\w-]+)/(?P<provider>[a-z0-9]+)$"
)
_GITHUB = re.compile(
    r"^(?:git::)?(?:https://|ssh://git@|git@)?github\.com[/:]"
    r"(?P<owner>[\w.-]+)/terraform-(?P<provider>[a-z0-9]+)-(?P<name>[\w-]+?)(?:\.git)?$"
)
_CONSTRAINT = re.compile(
    r"^\s*(?P<op>~>|>=|<=|!=|=|>|<)?\s*v?(?P<version>\d+(?:\.\d+)*)(?:-[\w.]+)?\s*$"
)
MAX_SOURCE_CHARS = 1024


@dataclass(frozen=True, slots=True)
class ModuleSource:
    """A remote module: its registry name, the folder inside it, and its version text."""

    name: str  # "terraform-aws-modules/eks/aws"
    subdir: str  # "" or "modules/private-cluster"
    version: str | None  # the `version` constraint or the git `ref`

    @property
    def shown(self) -> str:
        name = f"{self.name}//{self.subdir}" if self.subdir else self.name
        return f"{name} {self.version}" if self.version else name


def parse_source(source: str, version: str | None) -> ModuleSource | None:
    """The registry module a `source` names (registry or GitHub address), or None for a
    local path or another kind of address."""
    if len(source) > MAX_SOURCE_CHARS or source.startswith(("./", "../", "/")):
        return None
    address, _, query = source.partition("?")
    address, _, subdir = address.partition("//") if "://" not in address else _split_url(address)
    ref = _query_ref(query)
    match = _REGISTRY.match(address)
    if match:
        name = f"{match['ns']}/{match['name']}/{match['provider']}".lower()
        return ModuleSource(name, subdir.strip("/"), version)
    match = _GITHUB.match(address)
    if match:
        name = f"{match['owner']}/{match['name']}/{match['provider']}".lower()
        return ModuleSource(name, subdir.strip("/"), ref or version)
    return None


def _split_url(address: str) -> tuple[str, str, str]:
    """`scheme://host/path//subdir`: the `//` after the scheme's own."""
    scheme, _, rest = address.partition("://")
    path, sep, subdir = rest.partition("//")
    return f"{scheme}://{path}", sep, subdir


def _query_ref(query: str) -> str | None:
    for part in query.split("&"):
        key, _, value = part.partition("=")
        if key == "ref" and value:
            return value
    return None


def installed_major(version: str | None, latest: int) -> int | None:
    """The major version `terraform init` installs for `version` (a constraint such as
    `~> 20.0`, `>= 19, < 21`, or a git ref such as `v20.8.4`): the highest major it allows,
    `latest` when it sets no upper bound. None when the text is not a version (a commit)."""
    if version is None:
        return latest
    highest = latest
    for part in version.split(","):
        match = _CONSTRAINT.match(part)
        if not match:
            return None
        op = match["op"] or "="
        numbers = [int(n) for n in match["version"].split(".")]
        if op == "=" or (op == "~>" and len(numbers) >= 2) or op == "<=":
            highest = min(highest, numbers[0])
        elif op == "<":
            below = numbers[0] if any(numbers[1:]) else numbers[0] - 1
            highest = min(highest, below)
    return highest
