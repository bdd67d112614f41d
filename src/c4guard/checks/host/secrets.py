"""C4.4 Secrets and cryptographic key management: checks of the host c4guard runs on."""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

from c4guard.checks.registry import Outcome, check, failed, passed, unknown
from c4guard.views.host import processes, secret_like
from c4guard.workloads.views import Setting

if TYPE_CHECKING:
    from c4guard.inventory import Inventory


@check(
    "HOST-SECRET-ENV",
    requirement="4.4.5",
    severity="high",
    title="No secret-like environment variables in the process",
    remediation="Deliver secrets as files from a secrets manager (CSI driver, Vault agent) "
    "and point the workload at them (`*_FILE` variables).",
    references=("https://kubernetes.io/docs/concepts/security/secrets-good-practices/",),
)
def secret_environment(inv: Inventory) -> Iterator[Outcome]:
    """Environment variables leak into crash dumps, child processes and `/proc`; only their
    names are read, never their values."""
    for p in processes(inv):
        setting = p.fact("environment")
        if setting.value is None:
            yield unknown(p, "environment is not readable", setting=setting)
            continue
        names = sorted(n for n in setting.value if secret_like(n))
        for name in names:
            yield failed(
                p,
                f"has the secret-like environment variable {name}",
                setting=Setting(name, setting.location, f"environment.{name}", "host"),
            )
        if not names:
            yield passed(p, "has no secret-like environment variable", setting=setting)
