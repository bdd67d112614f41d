"""AdmissionReview v1: the request the API server sends, the object in it as a c4guard
`Resource`, and the response the gate sends back."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from typing import Any, TypeGuard

from c4guard.errors import InvalidInput
from c4guard.model import Resource
from c4guard.sources.kubernetes import is_list, resources_from_document
from c4guard.sources.structured import mark_json
from c4guard.sources.yamlload import Document, Mapping

API_VERSION = "admission.k8s.io/v1"
VALIDATE_PATH = "/validate"  # where the webhook takes AdmissionReviews
OPERATIONS = frozenset({"CREATE", "UPDATE", "DELETE", "CONNECT"})
JUDGED_OPERATIONS = frozenset({"CREATE", "UPDATE"})
MAX_UID_CHARS = 128


class BadReview(InvalidInput, ValueError):
    """A request body that is not a usable AdmissionReview v1 (answered 400)."""


@dataclass(frozen=True, slots=True)
class AdmissionRequest:
    """What the gate needs from `request` of an AdmissionReview."""

    uid: str
    operation: str
    kind: str
    namespace: str | None
    name: str
    sub_resource: str
    user: str
    dry_run: bool
    object: Mapping | None
    deleting: bool = False
    spec_unchanged: bool = False

    @property
    def not_judged_because(self) -> str | None:
        """Why the object passes without a judgement, or None when it is judged.
        Deletions and connections carry no new configuration; an object being deleted
        must be able to shed its finalizers; an update that leaves the spec as it was
        (labels, annotations, finalizers) changes nothing that runs."""
        if self.operation not in JUDGED_OPERATIONS:
            return f"operation {self.operation} is not judged"
        if self.deleting:
            return "the object is being deleted"
        if self.spec_unchanged:
            return "an update that leaves the spec unchanged"
        return None

    def resource(self) -> Resource:
        """The admitted object as the scanner's `Resource` (namespace from the request)."""
        assert self.object is not None
        if is_list(self.object):
            raise BadReview("request.object is a list, not one Kubernetes object")
        found = resources_from_document(
            Document(self.object, 1, 1), f"<admission {self.uid}>", self.namespace or None
        )
        if found is None or len(found) != 1:
            raise BadReview("request.object is not one Kubernetes object")
        return found[0]

    def identity(self) -> dict[str, Any]:
        """The object as the request names it (before its body is read)."""
        return {"kind": self.kind, "namespace": self.namespace, "name": self.name}

    def describe(self) -> dict[str, Any]:
        """The request's identity, for logs and the audit trail."""
        return {
            "uid": self.uid,
            "operation": self.operation,
            "kind": self.kind,
            "namespace": self.namespace,
            "name": self.name,
            "sub_resource": self.sub_resource or None,
            "user": self.user,
        }


def parse_review(body: bytes) -> AdmissionRequest:
    """Parse and validate an AdmissionReview v1 body."""
    try:
        review = json.loads(body, parse_constant=_reject_constant)
    except (ValueError, RecursionError) as exc:
        raise BadReview(f"the body is not JSON: {_short(exc)}") from exc
    if not isinstance(review, dict):
        raise BadReview("the body is not a JSON object")
    if review.get("apiVersion") != API_VERSION or review.get("kind") != "AdmissionReview":
        raise BadReview(f"expected an AdmissionReview of apiVersion {API_VERSION}")
    request = review.get("request")
    if not isinstance(request, dict):
        raise BadReview("the AdmissionReview has no request")
    uid = _string(request, "uid", required=True)
    if len(uid) > MAX_UID_CHARS:
        raise BadReview(f"request.uid is longer than {MAX_UID_CHARS} characters")
    operation = _string(request, "operation", required=True)
    if operation not in OPERATIONS:
        raise BadReview(f"request.operation {operation!r} is not one of {sorted(OPERATIONS)}")
    obj = request.get("object")
    if operation in JUDGED_OPERATIONS and not _is_object(obj):
        raise BadReview(f"a {operation} request needs request.object with apiVersion and kind")
    kind = request.get("kind")
    user = request.get("userInfo")
    old = request.get("oldObject")
    return AdmissionRequest(
        uid=uid,
        operation=operation,
        kind=str(kind.get("kind", "")) if isinstance(kind, dict) else "",
        namespace=_string(request, "namespace") or None,
        name=_string(request, "name") or _object_name(obj),
        sub_resource=_string(request, "subResource"),
        user=str(user.get("username", "")) if isinstance(user, dict) else "",
        dry_run=request.get("dryRun") is True,
        object=to_mapping(obj) if _is_object(obj) else None,
        deleting=bool(_metadata(obj).get("deletionTimestamp")),
        spec_unchanged=(
            operation == "UPDATE"
            and _is_object(old)
            and _is_object(obj)
            and "spec" in obj
            and old.get("spec") == obj.get("spec")
        ),
    )


def object_digest(obj: Mapping) -> str:
    """SHA-256 of the object as JSON with sorted keys: ties a decision to its content."""
    text = json.dumps(obj, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return "sha256:" + hashlib.sha256(text.encode()).hexdigest()


def review_response(
    uid: str, allowed: bool, message: str = "", warnings: list[str] | None = None
) -> dict[str, Any]:
    """An AdmissionReview v1 response; a denial carries HTTP 403 and the message."""
    response: dict[str, Any] = {"uid": uid, "allowed": allowed}
    if not allowed:
        response["status"] = {"code": 403, "reason": "Forbidden", "message": message}
    if warnings:
        response["warnings"] = warnings
    return {"apiVersion": API_VERSION, "kind": "AdmissionReview", "response": response}


def to_mapping(value: Any, path: str | None = None) -> Any:
    """JSON values as the `Mapping`/`Sequence` the checks read (no line numbers)."""
    try:
        return mark_json(value, path)
    except ValueError as exc:
        raise BadReview(f"request.object: {exc}") from exc


def _is_object(value: Any) -> TypeGuard[dict[str, Any]]:
    return (
        isinstance(value, dict)
        and isinstance(value.get("apiVersion"), str)
        and isinstance(value.get("kind"), str)
    )


def _metadata(obj: Any) -> dict[str, Any]:
    metadata = obj.get("metadata") if isinstance(obj, dict) else None
    return metadata if isinstance(metadata, dict) else {}


def _object_name(obj: Any) -> str:
    metadata = _metadata(obj)
    return str(metadata.get("name") or metadata.get("generateName") or "")


def _string(request: dict[str, Any], key: str, required: bool = False) -> str:
    value = request.get(key)
    if value is None and not required:
        return ""
    if not isinstance(value, str) or (required and not value):
        raise BadReview(f"request.{key} must be a{' non-empty' if required else ''} string")
    return value


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


def _short(exc: BaseException) -> str:
    return str(exc)[:200] or type(exc).__name__
