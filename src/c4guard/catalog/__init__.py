"""The standard as data: OWASP AISVS chapter C4, loaded from the packaged YAML file."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Any

import yaml

from c4guard.model import Automation, Requirement

CATALOG_FILE = "aisvs-c4.yaml"


@dataclass(frozen=True, slots=True)
class Section:
    id: str
    title: str
    description: str
    title_ja: str | None = None


@dataclass(frozen=True, slots=True)
class Catalog:
    standard: str
    chapter: str
    title: str
    version: str
    license: str
    attribution: str
    sections: tuple[Section, ...]
    requirements: tuple[Requirement, ...]

    def get(self, requirement_id: str) -> Requirement | None:
        return next((r for r in self.requirements if r.id == requirement_id), None)

    def section(self, section_id: str) -> Section:
        return next(s for s in self.sections if s.id == section_id)

    def in_section(self, section_id: str) -> list[Requirement]:
        return [r for r in self.requirements if r.section == section_id]


@cache
def load_catalog() -> Catalog:
    """The packaged AISVS C4 catalog (cached)."""
    text = resources.files(__package__).joinpath(CATALOG_FILE).read_text(encoding="utf-8")
    return _parse(yaml.load(text, Loader=yaml.CSafeLoader))


def _parse(data: dict[str, Any]) -> Catalog:
    sections = tuple(
        Section(s["id"], s["title"], s["description"], s.get("title_ja")) for s in data["sections"]
    )
    titles = {s.id: s.title for s in sections}
    requirements = tuple(_requirement(r, titles) for r in data["requirements"])
    return Catalog(
        standard=data["standard"],
        chapter=data["chapter"],
        title=data["title"],
        version=str(data["version"]),
        license=data["license"],
        attribution=data["attribution"],
        sections=sections,
        requirements=requirements,
    )


def _requirement(r: dict[str, Any], section_titles: dict[str, str]) -> Requirement:
    return Requirement(
        id=r["id"],
        section=r["section"],
        section_title=section_titles[r["section"]],
        title=r["title"],
        text=" ".join(r["text"].split()),
        level=int(r["level"]),
        roles=tuple(r["roles"]),
        automation=Automation(r["automation"]),
        domains=tuple(r["domains"]),
        evidence=" ".join(r["evidence"].split()),
        text_ja=r.get("text_ja", "").strip() or None,
        level_assumed=bool(r.get("level_assumed", False)),
        kubernetes_gap=" ".join(r["kubernetes_gap"].split()) if r.get("kubernetes_gap") else None,
    )
