"""Secrets found by the sources as subjects: a secret in a file or an image layer, with a
redacted form, and the files that were scanned."""

from __future__ import annotations

from dataclasses import dataclass

from c4guard.model import Location, Resource, ResourceRef
from c4guard.sources import secrets
from c4guard.workloads.views import Setting

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
        return "text files"  # not the count: the fingerprint must not change with it

    @property
    def path(self) -> str:
        return "files"

    def locate(self, *keys: str) -> Location:
        return Location("<scanned files>")


def setting(subject: SecretSubject) -> Setting:
    return Setting(
        subject.resource.body["redacted"], subject.resource.location, subject.path, "file"
    )


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
