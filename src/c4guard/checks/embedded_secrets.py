"""4.4.5 (and 4.4.2): secrets embedded in files and container images.

The sources already found them (`c4guard.sources.secrets`, `c4guard.sources.images`); these
checks judge them. Reports show only the redacted form: the first characters and a keyed
hash."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING

from c4guard.checks.registry import Outcome, check, failed, passed
from c4guard.model import Location, Resource, ResourceRef
from c4guard.sources import images, secrets
from c4guard.workloads.views import Setting

if TYPE_CHECKING:
    from c4guard.inventory import Inventory

SECRETS_DOC = "https://cheatsheetseries.owasp.org/cheatsheets/Secrets_Management_Cheat_Sheet.html"


@dataclass(frozen=True, slots=True)
class SecretSubject:
    """A secret found at a place: the file (or image layer file) is the resource."""

    resource: Resource

    @property
    def ref(self) -> ResourceRef:
        path = self.resource.location.path
        return ResourceRef(self.resource.origin, "File", path.rsplit("!", 1)[0])

    @property
    def subject(self) -> str:
        return f"{self.resource.body['title']} {self.resource.body['redacted']}"

    @property
    def path(self) -> str:
        return f"secret:{self.resource.body['fingerprint']}"

    def locate(self, *keys: str) -> Location:
        return self.resource.location


@dataclass(frozen=True, slots=True)
class ScannedFiles:
    """The files the secret scan read, as one subject for a passing finding."""

    count: int

    @property
    def ref(self) -> ResourceRef:
        return ResourceRef(secrets.ORIGIN, "Files", "scanned text files")

    @property
    def subject(self) -> str:
        return f"{self.count} text files"

    @property
    def path(self) -> str:
        return "files"

    def locate(self, *keys: str) -> Location:
        return Location("<scanned files>")


def _setting(subject: SecretSubject) -> Setting:
    return Setting(
        subject.resource.body["redacted"], subject.resource.location, subject.path, "file"
    )


@check(
    "SECRET-IN-FILE",
    requirement="4.4.5",
    severity="critical",
    domain="secrets",
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
            setting=_setting(subject),
            evidence={
                "rule": resource.body["rule_id"],
                "fingerprint": resource.body["fingerprint"],
            },
        )
    scanned = inv.files_by_domain.get(secrets.DOMAIN, 0)
    if not found and scanned:
        yield passed(ScannedFiles(scanned), "hold no embedded secret")


@check(
    "SECRET-IN-IMAGE",
    requirement="4.4.5",
    severity="critical",
    domain="artifacts",
    title="No secret is embedded in a container image",
    remediation="Rebuild the image without the secret (a later layer that deletes it does not "
    "remove it: every layer ships), use build secrets (`RUN --mount=type=secret`), "
    "and rotate the secret.",
    references=(SECRETS_DOC,),
)
def no_secret_in_images(inv: Inventory) -> Iterator[Outcome]:
    """Every layer of an image ships with it, so a secret deleted later is still there."""
    for resource in inv.kind("ImageSecret", origin=images.ORIGIN):
        body = resource.body
        subject = SecretSubject(resource)
        where = f"layer {body['layer_digest']}" if body["layer_digest"] else "the image config"
        gone = (
            ""
            if body["in_final_filesystem"]
            else (f", deleted by layer {body['removed_by']} but still shipped in the image")
        )
        yield failed(
            subject,
            f"is in {where}{gone}",
            setting=_setting(subject),
            evidence={
                "image": body["image"],
                "layer": body["layer_digest"],
                "file": body["file"],
                "removed_by": body["removed_by"],
            },
        )
    for resource in inv.kind("ContainerImage", origin=images.ORIGIN):
        if not any(
            r.body["image"] == resource.name for r in inv.kind("ImageSecret", origin=images.ORIGIN)
        ):
            yield passed(ImageSubject(resource), "holds no embedded secret in its layers or config")


@dataclass(frozen=True, slots=True)
class ImageSubject:
    resource: Resource

    @property
    def ref(self) -> ResourceRef:
        return self.resource.ref

    @property
    def subject(self) -> str:
        return f"image {self.resource.name}"

    @property
    def path(self) -> str:
        return "image"

    def locate(self, *keys: str) -> Location:
        return self.resource.location


@check(
    "PRIVATE-KEY-FILE",
    requirement="4.4.2",
    severity="high",
    domain="secrets",
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
                    setting=_setting(subject),
                )
