"""Trusted execution environments as a pod gets them: a confidential runtime class
(Confidential Containers / Kata on SEV-SNP or TDX, peer pods), a confidential node pool, and
the CoCo init data that points the guest at a Key Broker Service (KBS) for attestation."""

from __future__ import annotations

import base64
import binascii
import gzip
import io
import re
import zlib
from dataclasses import dataclass
from fnmatch import fnmatchcase
from typing import TYPE_CHECKING

from c4guard.kube.objects import pod_annotations
from c4guard.model import Location
from c4guard.workloads.views import Setting

if TYPE_CHECKING:
    from c4guard.inventory import Inventory
    from c4guard.workloads import PodView

INIT_DATA = "io.katacontainers.config.runtime.cc_init_data"
CONFIDENTIAL_NODE_LABELS = {
    "cloud.google.com/gke-confidential-nodes": "true",
    "cloud.google.com/gke-confidential-nodes-instance-type": None,
}
KBS_URL = re.compile(r"url\s*=\s*[\"']([^\"']+)[\"']")
MAX_INIT_DATA = 256 * 1024


@dataclass(frozen=True, slots=True)
class TeePosture:
    runtime: Setting
    confidential: bool  # a confidential runtime class or node pool
    attests: bool  # hardware attestation is possible (not a -coco-dev runtime)
    how: str
    kbs: str | None  # the KBS URL from the init data
    init_data: Setting | None


def tee_posture(inv: Inventory, pod: PodView) -> TeePosture:
    runtime = pod.setting("runtimeClassName")
    name = runtime.value if isinstance(runtime.value, str) else ""
    classes = inv.config.runtime_classes
    init_data, kbs = _init_data(pod)
    if name and any(fnmatchcase(name, g) for g in classes.unattested):
        return TeePosture(
            runtime,
            True,
            False,
            f"runtime class {name} has no hardware attestation (development)",
            kbs,
            init_data,
        )
    if name and any(fnmatchcase(name, g) for g in classes.confidential):
        return TeePosture(runtime, True, True, f"confidential runtime class {name}", kbs, init_data)
    selector = pod.spec.get("nodeSelector")
    for key, wanted in CONFIDENTIAL_NODE_LABELS.items():
        value = selector.get(key) if isinstance(selector, dict) else None
        if value is not None and (wanted is None or str(value).lower() == wanted):
            return TeePosture(
                pod.setting("nodeSelector", key),
                True,
                True,
                f"confidential node pool ({key}: {value})",
                kbs,
                init_data,
            )
    how = f"runtime class {name}" if name else "the default runtime (runc)"
    return TeePosture(runtime, False, False, f"runs in {how}, not in a TEE", kbs, init_data)


def _init_data(pod: PodView) -> tuple[Setting | None, str | None]:
    value = pod_annotations(pod).get(INIT_DATA)
    if not isinstance(value, str) or not value:
        return None, None
    metadata = pod.metadata.get("annotations") or pod.workload.resource.body.get(
        "metadata", {}
    ).get("annotations")
    line = metadata.line_of(INIT_DATA) if hasattr(metadata, "line_of") else None
    location = pod.workload.resource.location
    setting = Setting(
        value,
        Location(location.path, line or location.line),
        f"metadata.annotations.{INIT_DATA}",
        "annotation",
    )
    return setting, kbs_url(value)


def kbs_url(init_data: str) -> str | None:
    """The KBS URL in CoCo init data (TOML, possibly gzip-compressed and base64-encoded)."""
    text = init_data
    try:
        raw = base64.b64decode(init_data, validate=True)
        if raw[:2] == b"\x1f\x8b":
            raw = _bounded_gunzip(raw)
        text = raw.decode("utf-8", "replace")
    except (binascii.Error, ValueError, OSError, zlib.error, EOFError):
        pass
    match = KBS_URL.search(text)
    return match.group(1) if match else None


def _bounded_gunzip(raw: bytes) -> bytes:
    with gzip.GzipFile(fileobj=io.BytesIO(raw)) as handle:
        data = handle.read(MAX_INIT_DATA + 1)
    if len(data) > MAX_INIT_DATA:
        raise ValueError("init data too large")
    return data
