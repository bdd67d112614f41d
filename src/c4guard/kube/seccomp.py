"""Seccomp profiles as the kernel applies them, and where a `Localhost` profile comes from:
a Security Profiles Operator `SeccompProfile` (`operator/<namespace>/<name>.json`) or a
profile file among the inputs (matched by its path).

A profile is not appropriate when its default action allows (SCMP_ACT_ALLOW, or only logs
with SCMP_ACT_LOG) or when it allows, without a capability condition, syscalls that let a
process escape or reach the kernel (ptrace, mount, unshare, bpf, kexec_load, module
loading...)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from c4guard.model import Resource
from c4guard.sources.seccomp import KIND, ORIGIN

if TYPE_CHECKING:
    from c4guard.inventory import Inventory

SPO_GROUP = "security-profiles-operator.x-k8s.io"
PERMISSIVE_DEFAULTS = frozenset({"SCMP_ACT_ALLOW", "SCMP_ACT_LOG"})
ALLOW_ACTIONS = frozenset({"SCMP_ACT_ALLOW", "SCMP_ACT_LOG"})
DANGEROUS = frozenset(
    {
        "ptrace",
        "mount",
        "umount",
        "umount2",
        "unshare",
        "setns",
        "bpf",
        "kexec_load",
        "kexec_file_load",
        "init_module",
        "finit_module",
        "delete_module",
        "pivot_root",
        "open_by_handle_at",
        "perf_event_open",
        "userfaultfd",
        "keyctl",
        "add_key",
        "request_key",
        "swapon",
        "swapoff",
        "reboot",
        "iopl",
        "ioperm",
        "create_module",
        "fsopen",
        "fsmount",
        "move_mount",
        "open_tree",
        "lookup_dcookie",
        "quotactl",
    }
)


@dataclass(frozen=True, slots=True)
class Verdict:
    appropriate: bool
    message: str
    keys: tuple[Any, ...]  # where in the profile the problem (or the default) is


def judge_profile(profile: Mapping[str, Any]) -> Verdict:
    default = str(profile.get("defaultAction", ""))
    if default in PERMISSIVE_DEFAULTS:
        return Verdict(
            False, f"allows every syscall not listed (defaultAction {default})", ("defaultAction",)
        )
    allowed: list[str] = []
    first: tuple[Any, ...] = ("defaultAction",)
    for index, rule in enumerate(profile.get("syscalls") or []):
        if not isinstance(rule, Mapping) or str(rule.get("action")) not in ALLOW_ACTIONS:
            continue
        if _capability_gated(rule):
            continue
        names = {str(n) for n in rule.get("names") or []} | (
            {str(rule["name"])} if rule.get("name") else set()
        )
        risky = sorted(names & DANGEROUS)
        if risky and not allowed:
            first = ("syscalls", index)
        allowed += risky
    if allowed:
        return Verdict(False, f"allows {', '.join(sorted(set(allowed)))} unconditionally", first)
    return Verdict(
        True,
        f"denies by default ({default}) and allows no escape-relevant syscall",
        ("defaultAction",),
    )


def _capability_gated(rule: Mapping[str, Any]) -> bool:
    """Docker-style rules that apply only when the container holds a capability."""
    includes = rule.get("includes")
    return isinstance(includes, Mapping) and bool(includes.get("caps"))


def resolve(
    inv: Inventory, namespace: str | None, localhost_profile: str
) -> tuple[Mapping[str, Any], Resource, tuple[Any, ...]] | None:
    """(profile, resource, keys to the profile inside it) for a Localhost profile name."""
    name = localhost_profile.strip()
    if name.startswith("operator/"):
        parts = name.split("/")
        if len(parts) >= 3:
            spo_ns, spo_name = parts[1], parts[-1].removesuffix(".json")
            for resource in inv.kind("SeccompProfile", group=SPO_GROUP):
                if resource.name == spo_name and resource.namespace in (spo_ns, namespace):
                    spec = resource.body.get("spec")
                    if isinstance(spec, Mapping):
                        return spec, resource, ("spec",)
    for resource in inv.kind(KIND, origin=ORIGIN):
        path = resource.location.path.replace("\\", "/")
        if path == name or path.endswith("/" + name) or path.rsplit("/", 1)[-1] == name:
            return resource.body, resource, ()
    return None
