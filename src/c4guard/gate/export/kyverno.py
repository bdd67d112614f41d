"""Kyverno `ValidatingPolicy` (policies.kyverno.io/v1) objects for the exported checks, and
`ImageValidatingPolicy` objects from the trust policy where its fields map."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from c4guard.gate.export.cel import literal, template_variables
from c4guard.gate.export.plan import Export, PolicyPlan
from c4guard.gate.export.vap import (
    match_conditions,
    namespace_selector,
    resource_rules,
    validation_actions,
)
from c4guard.supplychain.policy import ArtifactPolicy, TrustPolicy

API = "policies.kyverno.io/v1"
_PARAM = re.compile(r"\bparams\.data\.([A-Za-z]\w*)")
# Attestation rules that Kyverno can require by in-toto predicate type.
ATTESTATION_TYPES = {
    "provenance": "https://slsa.dev/provenance/v1",
    "sbom": "https://cyclonedx.org/bom",
    "vulnerabilities": "https://cosign.sigstore.dev/attestation/vuln/v1",
}
NOT_MAPPED = {
    "provenance": "builder_id, source_repository and source_ref are compared by the webhook "
    "only (Kyverno checks that a signed provenance attestation exists)",
    "sbom": "min_components is counted by the webhook only",
    "vulnerabilities": "max_severity, max_cvss and ignore are judged by the webhook only",
    "assessment": "c4guard assessment attestations (min_level) are judged by the webhook only",
    "model": "model signatures (a file in the model artifact) are verified by the webhook only",
    "trusted_root": "keyless signers' offline trusted roots: configure Kyverno's own TUF or "
    "trusted root",
    "first_match": "the trust policy's first matching entry wins; Kyverno applies every "
    "ImageValidatingPolicy whose globs match",
}


def as_variables(expression: str) -> str:
    """Kyverno has no params resource: parameters become variables."""
    return _PARAM.sub(r"variables.\1", expression)


def validating_policy(plan: PolicyPlan, export: Export) -> dict[str, Any]:
    spec: dict[str, Any] = {
        "failurePolicy": "Fail",
        "validationActions": validation_actions(plan.action),
        "autogen": {"podControllers": {"controllers": []}},
        "matchConstraints": {
            "resourceRules": resource_rules(),
            "namespaceSelector": namespace_selector(export.excluded_namespaces),
        },
        "matchConditions": match_conditions(plan),
    }
    spec["variables"] = [
        *({"name": name, "expression": literal(export.params[name])} for name in plan.params),
        *template_variables(),
    ]
    spec["validations"] = [
        {
            "expression": as_variables(plan.expression),
            "message": plan.message,
            "reason": "Forbidden",
        }
    ]
    return {
        "apiVersion": API,
        "kind": "ValidatingPolicy",
        "metadata": plan.metadata(),
        "spec": spec,
    }


def kyverno_objects(export: Export) -> list[dict[str, Any]]:
    return [validating_policy(plan, export) for plan in export.policies]


def image_policies(
    trust: TrustPolicy, action: str, export: Export
) -> tuple[list[dict[str, Any]], list[str]]:
    """One ImageValidatingPolicy per trust policy entry, and what does not map."""
    objects, unmapped = [], []
    for index, entry in enumerate(trust.artifacts):
        obj, missing = _image_policy(trust, entry, index, action, export)
        if obj is not None:
            objects.append(obj)
        unmapped += [f"artifacts[{index}] ({entry.match}): {m}" for m in missing]
    if any(s.keyless for s in trust.signers.values()):
        unmapped.append(f"signers: {NOT_MAPPED['trusted_root']}")
    if len(trust.artifacts) > 1:
        unmapped.append(f"artifacts: {NOT_MAPPED['first_match']}")
    return objects, unmapped


def _image_policy(
    trust: TrustPolicy, entry: ArtifactPolicy, index: int, action: str, export: Export
) -> tuple[dict[str, Any] | None, list[str]]:
    rules = entry.rules()
    missing = [NOT_MAPPED[name] for name in rules if name in NOT_MAPPED]
    attestors: dict[str, dict[str, Any]] = {}
    for rule in rules.values():
        for name in entry.signers_for(rule):
            attestors[name] = _attestor(trust, name)
    validations = []
    signature = rules.get("signature")
    if signature is not None:
        names = ", ".join(f"attestors.{_ident(n)}" for n in entry.signers_for(signature))
        validations.append(
            {
                "expression": "images.containers.map(image, verifyImageSignatures(image, "
                f"[{names}])).all(e, e > 0)",
                "message": f"c4guard: image not signed as the trust policy requires "
                f"({entry.match}, AISVS C4 4.2.3)",
            }
        )
    attestations = []
    for name, predicate in ATTESTATION_TYPES.items():
        required = rules.get(name)
        if required is None:
            continue
        attestations.append({"name": name, "intoto": {"type": predicate}})
        names = ", ".join(f"attestors.{_ident(n)}" for n in entry.signers_for(required))
        validations.append(
            {
                "expression": "images.containers.map(image, verifyAttestationSignatures(image, "
                f"attestations.{name}, [{names}])).all(e, e > 0)",
                "message": f"c4guard: image has no signed {name} attestation "
                f"({entry.match}, AISVS C4 4.2.3)",
            }
        )
    if not validations:
        return None, missing
    spec: dict[str, Any] = {
        "failurePolicy": "Fail",
        "validationActions": validation_actions(action),
        "matchConstraints": {
            "resourceRules": resource_rules(),
            "namespaceSelector": namespace_selector(export.excluded_namespaces),
        },
        "matchImageReferences": [{"glob": entry.match}],
        "attestors": [{"name": _ident(n), **a} for n, a in attestors.items()],
        "validations": validations,
    }
    if attestations:
        spec["attestations"] = attestations
    metadata = {
        "name": f"c4guard-images-{index}",
        "labels": {"app.kubernetes.io/managed-by": "c4guard"},
        "annotations": {"c4guard.dev/trust-policy-entry": entry.match},
    }
    return {
        "apiVersion": API,
        "kind": "ImageValidatingPolicy",
        "metadata": metadata,
        "spec": spec,
    }, missing


def _attestor(trust: TrustPolicy, name: str) -> dict[str, Any]:
    signer = trust.signers[name]
    if signer.key is not None:
        return {"cosign": {"key": {"data": Path(signer.key).read_text()}}}
    assert signer.keyless is not None
    identity = {"subject": signer.keyless.identity, "issuer": signer.keyless.issuer}
    return {"cosign": {"keyless": {"identities": [identity]}}}


def _ident(name: str) -> str:
    """Attestor names are CEL identifiers in the validations."""
    return re.sub(r"\W", "_", name)
