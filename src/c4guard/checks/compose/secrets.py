"""C4.4 Secrets and cryptographic key management: checks of Docker Compose services."""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

from c4guard.checks.registry import Outcome, check, failed, passed
from c4guard.secretnames import is_secret_name
from c4guard.views.blocks import key_line
from c4guard.views.compose import ServiceView, services

if TYPE_CHECKING:
    from c4guard.inventory import Inventory


@check(
    "COMPOSE-ENV-SECRETS",
    requirement="4.4.5",
    severity="high",
    title="Compose services get secrets from `secrets:`, not the environment",
    remediation="Declare the secret under top-level `secrets:` and grant it with the "
    "service's `secrets:` (mounted at /run/secrets/<name>); point the app at "
    "the file (`*_FILE` variables).",
    references=("https://docs.docker.com/compose/how-tos/use-secrets/",),
)
def compose_environment_secrets(inv: Inventory) -> Iterator[Outcome]:
    """Environment variables leak through `docker inspect`, /proc, crash dumps and child
    processes; the standard forbids secrets in them."""
    for view in services(inv):
        subject = view.subject()
        found = _secret_environment(view)
        for name, line in found:
            yield failed(
                subject,
                f"passes {name} through the environment",
                setting=subject.at(line, name, f"environment.{name}"),
            )
        if not found:
            how = (
                "gets secrets from `secrets:` files"
                if view.spec.get("secrets")
                else "has no secret-named environment variable"
            )
            yield passed(subject, how, setting=subject.setting("environment"))


def _secret_environment(view: ServiceView) -> list[tuple[str, int | None]]:
    environment = view.spec.get("environment")
    if isinstance(environment, dict):
        pairs = [(str(k), key_line(environment, k)) for k in environment]
    elif isinstance(environment, list):
        lines = getattr(environment, "item_lines", [])
        pairs = [
            (str(item).partition("=")[0], lines[i] if i < len(lines) else None)
            for i, item in enumerate(environment)
        ]
    else:
        return []
    return [(name, line) for name, line in pairs if is_secret_name(name)]
