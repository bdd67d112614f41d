"""Secret detection (AISVS 4.4.5): files, values and container images, always redacted."""

from c4guard.secrets.redaction import fingerprint, redact
from c4guard.secrets.scanner import SecretMatch, scan_text, scan_value

__all__ = ["SecretMatch", "fingerprint", "redact", "scan_text", "scan_value"]
