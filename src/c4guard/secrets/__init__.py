"""Secret detection (AISVS 4.4.5, and 4.4.2 for private keys): text, files and container
images, every secret redacted as first characters plus a keyed hash."""

from c4guard.secrets.files import (
    MAX_FILE_BYTES,
    FileScan,
    is_probably_binary,
    scan_bytes,
    scan_file,
)
from c4guard.secrets.image import (
    ImageFormatError,
    ImageInfo,
    ImageLimits,
    ImageScan,
    ImageSecret,
    scan_image,
)
from c4guard.secrets.redaction import RedactionKeyError, fingerprint, redact
from c4guard.secrets.scanner import SecretMatch, scan_text, scan_value

__all__ = [
    "MAX_FILE_BYTES",
    "FileScan",
    "ImageFormatError",
    "ImageInfo",
    "ImageLimits",
    "ImageScan",
    "ImageSecret",
    "RedactionKeyError",
    "SecretMatch",
    "fingerprint",
    "is_probably_binary",
    "redact",
    "scan_bytes",
    "scan_file",
    "scan_image",
    "scan_text",
    "scan_value",
]
