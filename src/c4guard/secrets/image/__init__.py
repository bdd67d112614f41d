"""Secrets in container images (`docker save` tarballs, OCI image layouts)."""

from c4guard.secrets.image.archive import ImageFormatError
from c4guard.secrets.image.filesystem import ImageSecret
from c4guard.secrets.image.limits import ImageLimits
from c4guard.secrets.image.scan import ImageInfo, ImageScan, scan_image

__all__ = ["ImageFormatError", "ImageInfo", "ImageLimits", "ImageScan", "ImageSecret", "scan_image"]
