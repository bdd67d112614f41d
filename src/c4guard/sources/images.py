"""Container images given as inputs: `docker save` tarballs and OCI image layouts
(directory or tar). Their layers and config are scanned for secrets, streaming, with a
secret deleted by a later layer still reported (it stays in the image)."""

from __future__ import annotations

from c4guard.model import Domain, Location, Origin, Resource
from c4guard.secrets import ImageFormatError, ImageScan, scan_image
from c4guard.sources.handlers import FileContext, FileHandler
from c4guard.sources.result import FileResult
from c4guard.sources.secrets import secret_resource

ORIGIN = Origin.IMAGE
DOMAIN = Domain.IMAGES
OCI_LAYOUT_MARKER = "oci-layout"
IMAGE_SUFFIXES = (".tar",)
NOT_AN_IMAGE = "tar archive that is not a container image"


def claims(file_name: str) -> bool:
    return file_name == OCI_LAYOUT_MARKER or file_name.lower().endswith(IMAGE_SUFFIXES)


def parse_image(_text: str, context: FileContext) -> FileResult:
    layout = context.path.name == OCI_LAYOUT_MARKER
    target = context.path.parent if layout else context.path
    display = str(target) if layout else context.display
    try:
        scan = scan_image(target)
    except ImageFormatError:
        return FileResult(skipped=NOT_AN_IMAGE)
    result = FileResult(claimed=True, domains={DOMAIN})
    result.resources = _image_resources(scan, display) + _secret_resources(scan, display)
    result.errors = [(None, f"image scan incomplete: {error}") for error in scan.errors]
    return result


def _image_resources(scan: ImageScan, display: str) -> list[Resource]:
    return [
        Resource(
            origin=ORIGIN,
            kind="ContainerImage",
            name=image.name,
            namespace=None,
            body={
                "user": image.user,
                "env_names": list(image.env_names),
                "layers": list(image.layers),
                "config_digest": image.config_digest,
            },
            location=Location(display),
        )
        for image in scan.images
    ]


def _secret_resources(scan: ImageScan, display: str) -> list[Resource]:
    found = []
    for secret in scan.secrets:
        where = f"{secret.layer_digest}/" if secret.layer_digest else ""
        location = Location(f"{display}!{where}{secret.match.path}", secret.match.line)
        found.append(
            secret_resource(
                secret.match,
                location,
                kind="ImageSecret",
                origin=ORIGIN,
                image=secret.image,
                layer_digest=secret.layer_digest,
                layer_index=secret.layer_index,
                file=secret.match.path,
                in_final_filesystem=secret.in_final_filesystem,
                removed_by=secret.removed_by,
            )
        )
    return found


HANDLER = FileHandler("container image", claims, parse_image, reads_path=True)
