"""`c4guard gate certs --in-cluster`: the gate's PKI kept in two Secrets of the cluster and
its CA put into the webhook's `caBundle` (what the chart's pre-install/pre-upgrade Job runs).

Needs get/create/update on the two Secrets and get/patch on the one
ValidatingWebhookConfiguration; nothing else.
"""

from __future__ import annotations

import base64
from typing import Any, cast

from kubernetes import client
from kubernetes.client.exceptions import ApiException

from c4guard.errors import ServiceError
from c4guard.gate.certs import Bundle
from c4guard.gate.certs_store import bundle_from_secrets, secret_manifests


class KubeCertsError(ServiceError):
    """The API refused or failed a request the certificates need."""


def read_bundle(api: client.ApiClient, name: str, namespace: str) -> Bundle | None:
    """The bundle in Secrets NAME and NAME-ca, or None when either is absent."""
    core = client.CoreV1Api(api)
    serving = _get_secret(core, name, namespace)
    ca = _get_secret(core, f"{name}-ca", namespace)
    return bundle_from_secrets(serving, ca)


def write_bundle(api: client.ApiClient, bundle: Bundle, name: str, namespace: str) -> None:
    """Create or replace both Secrets."""
    core = client.CoreV1Api(api)
    for manifest in secret_manifests(bundle, name, namespace):
        secret_name = manifest["metadata"]["name"]
        try:
            if _get_secret(core, secret_name, namespace) is None:
                core.create_namespaced_secret(namespace, cast(Any, manifest))
            else:
                core.replace_namespaced_secret(secret_name, namespace, cast(Any, manifest))
        except ApiException as exc:
            why = _why(exc)
            raise KubeCertsError(f"cannot write Secret {namespace}/{secret_name}: {why}") from exc


def patch_ca_bundle(api: client.ApiClient, webhook_configuration: str, ca_pem: bytes) -> int | None:
    """Set `caBundle` of every webhook in the configuration; the number patched, or None
    when the configuration does not exist yet (before a chart's first install)."""
    admission = client.AdmissionregistrationV1Api(api)
    try:
        current = admission.read_validating_webhook_configuration(webhook_configuration)
    except ApiException as exc:
        if exc.status == 404:
            return None
        raise KubeCertsError(
            f"cannot read ValidatingWebhookConfiguration {webhook_configuration}: {_why(exc)}"
        ) from exc
    encoded = base64.b64encode(ca_pem).decode()
    patch = [
        {"op": "add", "path": f"/webhooks/{index}/clientConfig/caBundle", "value": encoded}
        for index, _ in enumerate(current.webhooks or [])
    ]
    if patch:
        try:
            admission.patch_validating_webhook_configuration(webhook_configuration, patch)
        except ApiException as exc:
            raise KubeCertsError(f"cannot patch {webhook_configuration}: {_why(exc)}") from exc
    return len(patch)


def _get_secret(core: client.CoreV1Api, name: str, namespace: str) -> dict[str, Any] | None:
    try:
        secret = core.read_namespaced_secret(name, namespace)
    except ApiException as exc:
        if exc.status == 404:
            return None
        raise KubeCertsError(f"cannot read Secret {namespace}/{name}: {_why(exc)}") from exc
    return {"data": secret.data or {}}


def _why(exc: ApiException) -> str:
    return f"HTTP {exc.status} {exc.reason}"
