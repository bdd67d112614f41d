"""Dockerfile checks: the final stage's user (4.1.1), reproducible inputs (4.2.1), SSH in
images (4.3.2) and secrets baked into images (4.4.5)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from fnmatch import fnmatchcase
from typing import TYPE_CHECKING

from c4guard.checks.registry import Outcome, check, failed, passed, unknown
from c4guard.checks.subjects import BlockSubject
from c4guard.model import Location, Resource
from c4guard.secretnames import is_secret_name
from c4guard.shellscan import installs_ssh_server, pipes_download_to_shell, safe_url
from c4guard.sources.dockerfile import (
    KIND,
    ORIGIN,
    SCRATCH,
    Dockerfile,
    Stage,
    StageRef,
    arg_pairs,
    env_pairs,
    words,
)
from c4guard.sources.dockerlines import Instruction

if TYPE_CHECKING:
    from c4guard.inventory import Inventory
    from c4guard.workloads.views import Setting

DOCKERFILE_REFERENCE = "https://docs.docker.com/reference/dockerfile/"
BUILD_CHECKS = "https://docs.docker.com/reference/build-checks/"
BUILD_SECRETS = "https://docs.docker.com/build/building/secrets/"
ROOT_USERS = frozenset({"root", "0"})
SSH_PORT = 22
# Files that hold keys or credentials when copied into an image.
SECRET_FILE_GLOBS = (
    ".env",
    "*.env",
    ".env.*",
    "*.pem",
    "*.key",
    "*.p12",
    "*.pfx",
    "*.jks",
    "*.keystore",
    "id_rsa*",
    "id_dsa*",
    "id_ecdsa*",
    "id_ed25519*",
    ".npmrc",
    ".pypirc",
    ".netrc",
    ".git-credentials",
    "credentials",
    "credentials.json",
    "*service-account*.json",
    "*serviceaccount*.json",
    "kubeconfig",
    "*.kubeconfig",
    ".htpasswd",
    "*.ovpn",
)
SECRET_DIRECTORIES = (".ssh", ".aws", ".kube", ".gnupg")
NOT_SECRET_FILES = ("*.pub", "*.example", "*.sample", "*.template", "*.dist", "*.tmpl")
_DIGEST = re.compile(r"@sha(256|384|512):[0-9a-f]{32,}$")
_GIT_COMMIT = re.compile(r"#[0-9a-f]{40}$")


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


def shipped_stages(view: StageView) -> list[Stage]:
    """The final stage and the stages it is built on: their files end up in the image."""
    chain = [view.stage]
    while (parent := view.dockerfile.parent_of(chain[-1])) is not None:
        chain.append(parent)
    return chain


def instruction_setting(subject: BlockSubject, instruction: Instruction, value: str) -> Setting:
    return subject.at(instruction.line, value, f"{instruction.keyword} {value}")


# ---------------------------------------------------------------------------- 4.1.1


@check(
    "DOCKER-USER",
    requirement="4.1.1",
    severity="high",
    domain="docker",
    title="Images run as a non-root user (final stage USER)",
    remediation="End the final stage with `USER <non-root name or uid>` (create the user "
    "in the image), or build FROM a base image that runs as non-root.",
    references=(DOCKERFILE_REFERENCE + "#user",),
)
def final_stage_user(inv: Inventory) -> Iterator[Outcome]:
    """Only the final stage's effective USER decides who the container runs as; a builder
    stage may run as root."""
    for view in final_stages(inv):
        yield _user_outcome(view)


def _user_outcome(view: StageView) -> Outcome:
    subject = view.subject()
    value, instruction, origin = view.dockerfile.effective_user(view.stage)
    if instruction is None:
        base = origin.image or origin.base
        if "nonroot" in base.rsplit("/", 1)[-1].lower():
            return passed(subject, f"runs as the non-root user of its base image {base}")
        return failed(
            subject,
            f"sets no USER: it runs as the user of base image {base}, root for most images",
            setting=subject.at(origin.line, None, "USER"),
        )
    setting = instruction_setting(subject, instruction, instruction.arguments)
    if value is None:
        return unknown(
            subject,
            f"runs as USER {instruction.arguments}, which depends on a "
            "build argument without a default",
            setting=setting,
        )
    user = value.partition(":")[0].strip()
    if user in ROOT_USERS:
        return failed(subject, f"runs as root (USER {value})", setting=setting)
    inherited = f" (set in stage {origin.label})" if origin is not view.stage else ""
    return passed(subject, f"runs as USER {value}{inherited}", setting=setting)


# ---------------------------------------------------------------------------- 4.2.1


@check(
    "DOCKER-BASE-DIGEST",
    requirement="4.2.1",
    severity="medium",
    domain="docker",
    title="Base images are pinned by digest",
    remediation="Pin every FROM (and COPY --from) image by digest: "
    "`FROM python:3.12-slim@sha256:<digest>`; let a bot such as Renovate or "
    "Dependabot update the digest.",
    references=(DOCKERFILE_REFERENCE + "#from", BUILD_CHECKS),
)
def base_image_digest(inv: Inventory) -> Iterator[Outcome]:
    """A tag can be moved to other content at any time; only a digest makes the base image,
    and so the build, reproducible."""
    for view in stages(inv):
        subject = view.subject()
        stage = view.stage
        if stage.parent is None and stage.image != SCRATCH:
            yield _pin_outcome(subject, stage.instructions[0], stage.image, stage.base)
        for instruction in stage.of("COPY"):
            source = instruction.flag("from")
            if source and _is_image_reference(view.dockerfile, source):
                yield _pin_outcome(subject, instruction, source, source)


def _is_image_reference(dockerfile: Dockerfile, name: str) -> bool:
    """COPY --from names a stage (by name or index) or an image."""
    lowered = name.lower()
    return not (
        lowered.isdigit() or any(s.name == lowered for s in dockerfile.stages) or "$" in name
    )


def _pin_outcome(
    subject: BlockSubject, instruction: Instruction, image: str | None, written: str
) -> Outcome:
    setting = instruction_setting(subject, instruction, written)
    if image is None:
        return unknown(
            subject,
            f"builds on {written}, which depends on a build argument without a default",
            setting=setting,
        )
    if _DIGEST.search(image):
        return passed(subject, f"pins {image.split('@')[0]} by digest", setting=setting)
    tag = image.rsplit("/", 1)[-1].partition(":")[2]
    if not tag or tag == "latest":
        how = "the moving tag :latest" if tag else "no tag (so :latest)"
        return failed(subject, f"uses {image} with {how} and no digest", setting=setting)
    return failed(subject, f"uses {image} by tag, not by digest", setting=setting)


@check(
    "DOCKER-ADD-CHECKSUM",
    requirement="4.2.1",
    severity="medium",
    domain="docker",
    title="Remote ADD sources are verified by checksum",
    remediation="Add `--checksum=sha256:<digest>` to `ADD <url>` (or pin a git source to a "
    "commit), or download in a RUN step that verifies the hash.",
    references=(DOCKERFILE_REFERENCE + "#add---checksum",),
)
def add_checksum(inv: Inventory) -> Iterator[Outcome]:
    """`ADD <url>` fetches whatever the server returns at build time; a checksum makes the
    input fixed."""
    for view in stages(inv):
        subject = view.subject()
        for instruction in view.stage.of("ADD"):
            remote = [s for s in _sources(instruction) if "://" in s or s.startswith("git@")]
            if not remote:
                continue
            source = safe_url(remote[0]) if "://" in remote[0] else remote[0].split(":")[0]
            setting = instruction_setting(subject, instruction, source)
            if instruction.flag("checksum") or all(_GIT_COMMIT.search(s) for s in remote):
                yield passed(subject, f"verifies the checksum of {source}", setting=setting)
            else:
                yield failed(subject, f"ADDs {source} without --checksum", setting=setting)


def _paths(instruction: Instruction) -> list[str]:
    """The path arguments of COPY/ADD: sources, then the destination."""
    if instruction.exec_form is not None:
        return list(instruction.exec_form)
    return [w for w in words(instruction.arguments) if not w.startswith("<<")]


def _sources(instruction: Instruction) -> list[str]:
    return _paths(instruction)[:-1]


@check(
    "DOCKER-PIPE-TO-SHELL",
    requirement="4.2.1",
    severity="high",
    domain="docker",
    title="Builds do not pipe downloads into a shell",
    remediation="Download to a file, verify its checksum or signature, then run it; or "
    "install from a package manager with pinned versions.",
    references=(BUILD_CHECKS,),
)
def no_pipe_to_shell(inv: Inventory) -> Iterator[Outcome]:
    """`curl … | sh` runs whatever the server sends at build time, unverified."""
    for view in stages(inv):
        subject = view.subject()
        found = False
        for instruction in view.stage.of("RUN"):
            command = pipes_download_to_shell(instruction.text)
            if command:
                found = True
                yield failed(
                    subject,
                    f"pipes a download into an interpreter ({command})",
                    setting=instruction_setting(subject, instruction, command),
                )
        if not found:
            yield passed(subject, "runs no downloaded script unverified")


# ---------------------------------------------------------------------------- 4.3.2


@check(
    "DOCKER-SSH",
    requirement="4.3.2",
    severity="high",
    domain="docker",
    title="Images neither run nor expose an SSH server",
    remediation="Remove the SSH server and `EXPOSE 22`; use `kubectl exec`/`docker exec` "
    "or an audited bastion for administrative access.",
    references=(DOCKERFILE_REFERENCE + "#expose",),
)
def no_ssh_server(inv: Inventory) -> Iterator[Outcome]:
    """An SSH daemon in an AI serving image is an administrative entry point that bypasses
    the platform's authentication and audit."""
    for view in final_stages(inv):
        subject = view.subject()
        problems = [problem for stage in shipped_stages(view) for problem in _ssh(stage)]
        for instruction, message in problems:
            yield failed(
                subject, message, setting=instruction_setting(subject, instruction, message)
            )
        if not problems:
            yield passed(subject, "installs no SSH server and exposes no port 22")


def _ssh(stage: Stage) -> Iterator[tuple[Instruction, str]]:
    for instruction in stage.instructions:
        if instruction.keyword == "EXPOSE" and _exposes_ssh(instruction.arguments):
            yield instruction, f"exposes the SSH port (EXPOSE {instruction.arguments})"
        elif instruction.keyword == "RUN" and (package := installs_ssh_server(instruction.text)):
            yield instruction, f"installs an SSH server ({package})"
        elif instruction.keyword in ("CMD", "ENTRYPOINT") and re.search(
            r"(^|[/\s\"'])sshd\b", instruction.text
        ):
            yield instruction, f"starts sshd ({instruction.keyword})"


def _exposes_ssh(arguments: str) -> bool:
    for word in words(arguments):
        port = word.partition("/")[0]
        low, _, high = port.partition("-")
        if low.isdigit() and (
            int(low) == SSH_PORT or (high.isdigit() and int(low) <= SSH_PORT <= int(high))
        ):
            return True
    return False


# ---------------------------------------------------------------------------- 4.4.5


@check(
    "DOCKER-SECRET-ARG-ENV",
    requirement="4.4.5",
    severity="high",
    domain="docker",
    title="No secrets in ENV or ARG",
    remediation="Pass build-time secrets with `RUN --mount=type=secret,id=...` (BuildKit) "
    "and runtime secrets from a secrets manager; never through ENV or ARG.",
    references=(BUILD_SECRETS, BUILD_CHECKS + "secrets-used-in-arg-or-env/"),
)
def no_secret_arg_or_env(inv: Inventory) -> Iterator[Outcome]:
    """ENV values are stored in the image configuration and ARG values in its history and
    build provenance: anyone who can pull the image can read them."""
    for view in stages(inv):
        subject = view.subject()
        declared = list(view.stage.of("ARG", "ENV"))
        if view.stage.index == 0:
            declared = [*view.dockerfile.global_args, *declared]
        problems = [(i, name) for i in declared for name in _secret_names(i)]
        for instruction, name in problems:
            how = (
                "stores it in the image configuration"
                if instruction.keyword == "ENV"
                else "records it in the image history and build provenance"
            )
            yield failed(
                subject,
                f"declares {instruction.keyword} {name}, which {how}",
                setting=instruction_setting(subject, instruction, name),
            )
        if not problems:
            yield _no_secret_outcome(subject, view.stage)


def _secret_names(instruction: Instruction) -> list[str]:
    pairs = arg_pairs((instruction,)) if instruction.keyword == "ARG" else env_pairs(instruction)
    return [name for name, _ in pairs if is_secret_name(name)]


def _no_secret_outcome(subject: BlockSubject, stage: Stage) -> Outcome:
    mount = next(
        (i for i in stage.of("RUN") if any("type=secret" in m for m in i.flag_values("mount"))),
        None,
    )
    if mount is not None:
        return passed(
            subject,
            "passes build secrets with RUN --mount=type=secret, none through ENV or ARG",
            setting=instruction_setting(subject, mount, "--mount=type=secret"),
        )
    return passed(subject, "declares no secret-named ENV or ARG")


@check(
    "DOCKER-SECRET-FILES",
    requirement="4.4.5",
    severity="high",
    domain="docker",
    title="No key or .env files copied into images",
    remediation="Do not COPY keys, credentials or .env files; list them in "
    ".dockerignore, use `RUN --mount=type=secret` at build time and mount "
    "secrets at run time.",
    references=(BUILD_SECRETS,),
)
def no_secret_files(inv: Inventory) -> Iterator[Outcome]:
    """A file copied into a layer stays in the image even if a later step deletes it."""
    for view in stages(inv):
        subject = view.subject()
        problems = [(i, path) for i in view.stage.of("COPY", "ADD") for path in _secret_paths(i)]
        for instruction, path in problems:
            yield failed(
                subject,
                f"copies {path} into the image ({instruction.keyword})",
                setting=instruction_setting(subject, instruction, path),
            )
        if not problems:
            yield passed(subject, "copies no key, credential or .env file")


def _secret_paths(instruction: Instruction) -> list[str]:
    """Key or credential files among the sources (or, for a heredoc, the destination)."""
    candidates = _paths(instruction) if instruction.heredocs else _sources(instruction)
    return [p for p in candidates if "://" not in p and _is_secret_path(p)]


def _is_secret_path(path: str) -> bool:
    segments = [s for s in path.replace("\\", "/").split("/") if s]
    if not segments:
        return False
    name = segments[-1].lower()
    if any(fnmatchcase(name, pattern) for pattern in NOT_SECRET_FILES):
        return False
    return any(fnmatchcase(name, pattern) for pattern in SECRET_FILE_GLOBS) or any(
        s in SECRET_DIRECTORIES for s in segments
    )
