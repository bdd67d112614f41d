"""Dockerfiles as subjects: build stages (the final ones and those their image ships), and
the arguments of their instructions."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING

from c4guard.model import Location, Resource
from c4guard.sources.dockerfile import (
    KIND,
    ORIGIN,
    Dockerfile,
    Stage,
    StageRef,
    words,
)
from c4guard.sources.dockerlines import Instruction
from c4guard.views.blocks import BlockSubject

if TYPE_CHECKING:
    from c4guard.inventory import Inventory
    from c4guard.workloads.views import Setting


DOCKERFILE_REFERENCE = "https://docs.docker.com/reference/dockerfile/"


BUILD_CHECKS = "https://docs.docker.com/reference/build-checks/"


ROOT_USERS = frozenset({"root", "0"})

# Image repositories whose images run as a non-root user by default, and who that is.
# Jupyter Docker Stacks end with `USER ${NB_UID}` (jovyan, uid 1000).
NONROOT_REPOSITORIES = (
    ("jupyter/", "jovyan (uid 1000) of Jupyter Docker Stacks"),
    ("quay.io/jupyter/", "jovyan (uid 1000) of Jupyter Docker Stacks"),
)


def nonroot_user(image: str) -> str | None:
    """The non-root user an image runs as by default when that is well known (a `nonroot`
    tag or name, Jupyter Docker Stacks), else None."""
    if "nonroot" in image.rsplit("/", 1)[-1].lower():
        return "its non-root user"
    for prefix, user in NONROOT_REPOSITORIES:
        if image.lower().startswith(prefix):
            return user
    return None


def runs_nothing(stage: Stage) -> bool:
    """A `FROM scratch` stage with no ENTRYPOINT or CMD: a data-only image (an operator
    bundle, an artifact carrier) with no program of its own to run."""
    return (stage.image or stage.base).lower() == "scratch" and not any(
        stage.of("ENTRYPOINT", "CMD")
    )


@dataclass(frozen=True, slots=True)
class StageView:
    """A stage with its resource, as a subject of findings."""

    resource: Resource
    dockerfile: Dockerfile
    stage: Stage

    @property
    def final(self) -> bool:
        return self.stage is self.dockerfile.final

    def subject(self) -> BlockSubject:
        name = self.stage.name
        text = (
            (f"final stage {name}" if name else "final stage")
            if self.final
            else (f"stage {self.stage.label}")
        )
        return BlockSubject(
            self.resource.ref,
            text,
            f"stage[{self.stage.label}]",
            None,
            Location(self.resource.location.path, self.stage.line),
            "dockerfile",
        )


def stages(inv: Inventory) -> Iterator[StageView]:
    for resource in inv.kind(KIND, origin=ORIGIN):
        ref: StageRef = resource.body
        yield StageView(resource, ref.dockerfile, ref.stage)


def final_stages(inv: Inventory) -> Iterator[StageView]:
    return (view for view in stages(inv) if view.final)


def instruction_setting(subject: BlockSubject, instruction: Instruction, value: str) -> Setting:
    return subject.at(instruction.line, value, f"{instruction.keyword} {value}")


def paths(instruction: Instruction) -> list[str]:
    """The path arguments of COPY/ADD: sources, then the destination."""
    if instruction.exec_form is not None:
        return list(instruction.exec_form)
    return [w for w in words(instruction.arguments) if not w.startswith("<<")]


def sources(instruction: Instruction) -> list[str]:
    return paths(instruction)[:-1]
