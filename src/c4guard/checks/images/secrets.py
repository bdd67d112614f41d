"""C4.4 Secrets and cryptographic key management: checks of container images."""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

from c4guard.checks.registry import Outcome, check, failed, passed
from c4guard.sources import images
from c4guard.views.secrets import SECRETS_DOC, ImageSubject, SecretSubject, setting

if TYPE_CHECKING:
    from c4guard.inventory import Inventory


@check(
    "SECRET-IN-IMAGE",
    requirement="4.4.5",
    severity="critical",
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
            setting=setting(subject),
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
