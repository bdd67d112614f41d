"""Where `c4guard gate certs` keeps the gate's PKI: a folder of PEM files, Secret manifests
on stdout, or Secrets in the cluster (the Helm hook Job), which also gets the CA into the
ValidatingWebhookConfiguration's `caBundle`.

Two Secrets: NAME (type kubernetes.io/tls with ca.crt) is what the gate mounts; NAME-ca
holds the CA key, which the gate never sees.
"""

from __future__ import annotations

import base64
import os
from pathlib import Path
from typing import Any

from c4guard.gate.certs import FILES, Bundle

TLS_KEYS = {"cert": "tls.crt", "key": "tls.key", "ca_cert": "ca.crt"}
CA_KEYS = {"ca_cert": "ca.crt", "ca_key": "ca.key"}


def read_dir(folder: Path) -> Bundle | None:
    """The bundle in `folder`, or None when a file is missing."""
    try:
        parts = {field: (folder / name).read_bytes() for field, name in FILES.items()}
    except FileNotFoundError:
        return None
    return Bundle(**parts)


def write_dir(folder: Path, bundle: Bundle) -> None:
    """Write the four PEM files (keys readable by the owner only), each atomically."""
    folder.mkdir(parents=True, exist_ok=True)
    for field, name in FILES.items():
        target = folder / name
        temporary = folder / f".{name}.tmp"
        mode = 0o600 if name.endswith(".key") else 0o644
        fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, mode)
        with os.fdopen(fd, "wb") as out:
            out.write(getattr(bundle, field))
        os.replace(temporary, target)


def secret_manifests(bundle: Bundle, name: str, namespace: str) -> list[dict[str, Any]]:
    """The serving Secret (what the gate mounts) and the CA Secret."""
    labels = {"app.kubernetes.io/name": "c4guard", "app.kubernetes.io/component": "gate"}
    return [
        _secret(name, namespace, "kubernetes.io/tls", _encode(bundle, TLS_KEYS), labels),
        _secret(f"{name}-ca", namespace, "Opaque", _encode(bundle, CA_KEYS), labels),
    ]


def bundle_from_secrets(serving: dict[str, Any] | None, ca: dict[str, Any] | None) -> Bundle | None:
    """The bundle the two Secrets (as the API returns them) hold, or None."""
    if not serving or not ca:
        return None
    data = _decode(ca.get("data") or {}, CA_KEYS)
    data.update(_decode(serving.get("data") or {}, TLS_KEYS))
    if set(data) != set(FILES):
        return None
    return Bundle(data["ca_cert"], data["ca_key"], data["cert"], data["key"])


def _secret(
    name: str, namespace: str, kind: str, data: dict[str, str], labels: dict[str, str]
) -> dict[str, Any]:
    return {
        "apiVersion": "v1",
        "kind": "Secret",
        "metadata": {"name": name, "namespace": namespace, "labels": labels},
        "type": kind,
        "data": data,
    }


def _encode(bundle: Bundle, keys: dict[str, str]) -> dict[str, str]:
    return {key: base64.b64encode(getattr(bundle, field)).decode() for field, key in keys.items()}


def _decode(data: dict[str, Any], keys: dict[str, str]) -> dict[str, bytes]:
    decoded = {}
    for field, key in keys.items():
        value = data.get(key)
        if isinstance(value, str):
            decoded[field] = base64.b64decode(value)
    return decoded
