"""C4.4 Secrets and cryptographic key management: checks of Dockerfiles."""

from __future__ import annotations

from collections.abc import Iterator
from fnmatch import fnmatchcase
from typing import TYPE_CHECKING

from c4guard.checks.registry import Outcome, check, failed, passed
from c4guard.secretnames import is_secret_name
from c4guard.sources.dockerfile import (
    Stage,
    arg_pairs,
    env_pairs,
)
from c4guard.sources.dockerlines import Instruction
from c4guard.views.blocks import BlockSubject
from c4guard.views.docker import BUILD_CHECKS, instruction_setting, paths, sources, stages

if TYPE_CHECKING:
    from c4guard.inventory import Inventory


BUILD_SECRETS = "https://docs.docker.com/build/building/secrets/"


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


@check(
    "DOCKER-SECRET-ARG-ENV",
    requirement="4.4.5",
    severity="high",
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
    candidates = paths(instruction) if instruction.heredocs else sources(instruction)
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
