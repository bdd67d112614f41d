"""AdmissionReview v1 parsing: what is refused (answered 400) and what the gate reads."""

from __future__ import annotations

import json

import pytest

from c4guard.gate.admission import BadReview, parse_review, review_response
from tests.gate.harness import review
from tests.gate.objects import pod

IMAGE = "registry.example/ml/server@sha256:" + "0" * 64


def body(value: object) -> bytes:
    return json.dumps(value).encode()


def test_request_fields_and_resource():
    obj = pod(IMAGE)
    del obj["metadata"]["namespace"]  # the request names the namespace of a new object
    request = parse_review(body(review(obj, uid="abc", dry_run=True)))

    assert (request.uid, request.operation, request.kind, request.dry_run) == (
        "abc",
        "CREATE",
        "Pod",
        True,
    )
    resource = request.resource()
    assert (resource.kind, resource.namespace, resource.name) == ("Pod", "ml", "app")
    assert resource.body["spec"]["containers"][0].line_of("image") is None


@pytest.mark.parametrize(
    ("payload", "problem"),
    [
        (b"{", "not JSON"),
        (b'{"a": NaN}', "not JSON"),
        (b"[" * 50_000 + b"]" * 50_000, "not JSON"),
        (body([]), "not a JSON object"),
        (
            body({"apiVersion": "admission.k8s.io/v1beta1", "kind": "AdmissionReview"}),
            "admission.k8s.io/v1",
        ),
        (body({"apiVersion": "admission.k8s.io/v1", "kind": "AdmissionReview"}), "no request"),
        (body(review(pod(IMAGE), uid="")), "request.uid"),
        (body(review(pod(IMAGE), uid="u" * 200)), "longer than"),
        (body(review(pod(IMAGE), operation="PATCH")), "request.operation"),
        (body(review({"kind": "Pod"})), "needs request.object"),
    ],
)
def test_malformed_reviews_are_refused(payload, problem):
    with pytest.raises(BadReview, match=problem):
        parse_review(payload)


def test_deep_objects_are_refused():
    deep: dict = {}
    node = deep
    for _ in range(300):
        node["x"] = {}
        node = node["x"]
    with pytest.raises(BadReview, match="deeper than"):
        parse_review(body(review({**pod(IMAGE), "extra": deep})))


def test_a_list_is_not_one_object():
    listed = {"apiVersion": "v1", "kind": "PodList", "items": [pod(IMAGE)]}
    with pytest.raises(BadReview, match="list"):
        parse_review(body(review(listed))).resource()


def test_response_shape():
    denied = review_response("u1", False, "no", ["careful"])
    assert denied == {
        "apiVersion": "admission.k8s.io/v1",
        "kind": "AdmissionReview",
        "response": {
            "uid": "u1",
            "allowed": False,
            "warnings": ["careful"],
            "status": {"code": 403, "reason": "Forbidden", "message": "no"},
        },
    }
    assert review_response("u2", True)["response"] == {"uid": "u2", "allowed": True}


def test_what_passes_without_a_judgement():
    def reason(obj, **request):
        return parse_review(body(review(obj, **request))).not_judged_because

    relabelled = pod(IMAGE, labels={"team": "b"})
    deleting = pod(IMAGE)
    deleting["metadata"]["deletionTimestamp"] = "2026-01-01T00:00:00Z"
    changed = pod(IMAGE, container_security={"privileged": True})

    assert reason(pod(IMAGE)) is None
    assert reason(changed, operation="UPDATE", old=pod(IMAGE)) is None
    assert reason(relabelled, operation="UPDATE", old=pod(IMAGE)) == (
        "an update that leaves the spec unchanged"
    )
    assert reason(deleting, operation="UPDATE", old=pod(IMAGE)) == "the object is being deleted"
    assert reason(None, operation="DELETE", old=pod(IMAGE)) == "operation DELETE is not judged"
