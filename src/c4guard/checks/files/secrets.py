"""C4.4 Secrets and cryptographic key management: checks of files among the inputs."""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

from c4guard.checks.registry import Outcome, check, failed, passed
from c4guard.sources import images, secrets
from c4guard.views.secrets import SECRETS_DOC, ScannedFiles, SecretSubject, setting

if TYPE_CHECKING:
    from c4guard.inventory import Inventory


@check(
    "SECRET-IN-FILE",
    requirement="4.4.5",
    severity="critical",
    title="No secret is embedded in a file",
    remediation="Remove the secret from the file (and from version history), rotate it, and "
    "deliver it at runtime from a secrets manager.",
    references=(SECRETS_DOC,),
)
def no_secret_in_files(inv: Inventory) -> Iterator[Outcome]:
    """Secrets in source, configuration or build files leak with every copy of the repo."""
    found = inv.kind(secrets.KIND, origin=secrets.ORIGIN)
    for resource in found:
        subject = SecretSubject(resource)
        yield failed(
            subject,
            "is embedded in the file",
            setting=setting(subject),
            evidence={
                "rule": resource.body["rule_id"],
                "fingerprint": resource.body["fingerprint"],
            },
        )
    scanned = inv.files_by_domain.get(secrets.DOMAIN, 0)
    if not found and scanned:
        yield passed(ScannedFiles(scanned), f"hold no embedded secret ({scanned} scanned)")


@check(
    "PRIVATE-KEY-FILE",
    requirement="4.4.2",
    severity="high",
    title="No private key is kept in a file",
    remediation="Generate and keep the key in a KMS or HSM; if a file is unavoidable, deliver "
    "it at runtime from a secrets manager and rotate the exposed key.",
    references=("https://csrc.nist.gov/pubs/sp/800/57/pt1/r5/final",),
)
def no_private_key_files(inv: Inventory) -> Iterator[Outcome]:
    """A private key in a file was generated or exported outside a hardware-backed module."""
    for kind, origin in ((secrets.KIND, secrets.ORIGIN), ("ImageSecret", images.ORIGIN)):
        for resource in inv.kind(kind, origin=origin):
            if resource.body.get("also_key_material"):
                subject = SecretSubject(resource)
                yield failed(
                    subject,
                    "is private key material kept outside a KMS or HSM",
                    setting=setting(subject),
                )
