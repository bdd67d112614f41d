"""Seldon Core v2 Server: its pod spec laid over the ServerConfig it names, as the Seldon
operator merges them (containers by name)."""

from __future__ import annotations

from c4guard.model import Resource
from c4guard.sources.merge import overlay
from c4guard.workloads.kinds import mapping, spec_of
from c4guard.workloads.runtimes import SELDON_GROUP, RuntimeIndex
from c4guard.workloads.views import EMPTY, PodTemplate

CONFIG_KIND = "ServerConfig"


def server_templates(resource: Resource, runtimes: RuntimeIndex) -> list[PodTemplate]:
    spec = spec_of(resource)
    own = mapping(spec.get("podSpec")) or EMPTY
    name = str(spec.get("serverConfig") or "")
    config = runtimes.named(SELDON_GROUP, CONFIG_KIND, resource.namespace, name) if name else None
    if config is None:
        note = (
            f"{CONFIG_KIND} {name!r} is not among the inputs: the server is checked as written",
        )
        return [PodTemplate("server", own, EMPTY, "spec.podSpec", note)] if own else []
    base = mapping(spec_of(config).get("podSpec")) or EMPTY
    return [PodTemplate("server", overlay(base, own), EMPTY, "spec.podSpec")]


def server_config_templates(resource: Resource) -> list[PodTemplate]:
    pod = mapping(spec_of(resource).get("podSpec"))
    return [PodTemplate("server", pod, EMPTY, "spec.podSpec")] if pod is not None else []
