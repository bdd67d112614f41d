"""The exported YAML: a header comment that says what is enforced and what is not (and
why), then the objects."""

from __future__ import annotations

import textwrap
from typing import Any

import yaml

from c4guard.config.gate import GatePolicy
from c4guard.gate.export.kinds import LEFT_TO_THE_WEBHOOK
from c4guard.gate.export.kyverno import image_policies, kyverno_objects
from c4guard.gate.export.plan import Export
from c4guard.gate.export.vap import vap_objects
from c4guard.supplychain.policy import TrustPolicy

FORMATS = ("vap", "kyverno")
IMAGES_VAP = (
    "Image verification (digest references, signatures, provenance, SBOM, vulnerability "
    "reports: AISVS C4 4.2.3) is not expressible in CEL: it needs registry lookups and "
    "cryptography. Run the c4guard webhook (`c4guard gate serve`) for it, or export "
    "--format kyverno for ImageValidatingPolicies generated from the trust policy."
)


def render(export: Export, policy: GatePolicy, fmt: str, trust: TrustPolicy | None = None) -> str:
    """The whole document: header comment and objects, as multi-document YAML."""
    if fmt == "vap":
        objects, images = vap_objects(export), [IMAGES_VAP]
    else:
        objects = kyverno_objects(export)
        images = _kyverno_images(export, policy, trust, objects)
    header = _header(export, policy, fmt, images)
    body = yaml.dump_all(
        objects, Dumper=yaml.CSafeDumper, sort_keys=False, width=100_000, allow_unicode=True
    )
    return header + ("---\n" + body if objects else "")


def _kyverno_images(
    export: Export, policy: GatePolicy, trust: TrustPolicy | None, objects: list[dict[str, Any]]
) -> list[str]:
    if not policy.images.verify:
        return ["Image verification is off in the gate policy (gate.images.verify: false)."]
    if trust is None:
        return [
            "Image verification (AISVS C4 4.2.3): no trust policy was given, so no "
            "ImageValidatingPolicy is generated; the webhook verifies images."
        ]
    generated, unmapped = image_policies(trust, policy.images.action, export)
    objects.extend(generated)
    lines = [
        f"Image verification (AISVS C4 4.2.3): {len(generated)} ImageValidatingPolicy "
        "object(s) from the trust policy (keys, keyless identities, signed attestations). "
        "What does not map, and only the webhook enforces:"
    ]
    return lines + [f"  - {u}" for u in unmapped or ["nothing"]]


def _header(export: Export, policy: GatePolicy, fmt: str, images: list[str]) -> str:
    exported = sorted({f"{p.check.id} ({p.action})" for p in export.policies})
    lines = [
        f"c4guard gate export --format {fmt}",
        f"gate policy {policy.digest}",
        f"Exported checks ({len({p.check.id for p in export.policies})}): "
        + (", ".join(exported) or "none"),
        "Not expressible in CEL (the webhook judges them):",
        *[f"  - {c}: {why}" for c, why in sorted(export.not_expressible.items())],
        "Left to the scan (need evidence beyond the object): "
        + (", ".join(export.left_to_scan) or "none"),
        "Excluded by gate.checks: " + (", ".join(export.excluded_checks) or "none"),
        "Kinds left to the webhook (their pods are judged as Pods and controllers):",
        *[f"  - {k}: {why}" for k, why in LEFT_TO_THE_WEBHOOK.items()],
        "Namespaces left out: " + ", ".join(export.excluded_namespaces),
        *images,
    ]
    wrapped = []
    for line in lines:
        indent = "    " if line.startswith("  - ") else "  "
        wrapped += textwrap.wrap(line, 96, subsequent_indent=indent, break_on_hyphens=False) or [""]
    return "".join(f"# {w}\n" for w in wrapped)
