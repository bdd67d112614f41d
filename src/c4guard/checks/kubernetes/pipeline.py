"""C4.2 Secure build and deployment pipelines: Kubernetes evidence for 4.2.3 (images verified
at admission by an enforcing controller, images referenced by digest)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

from c4guard.checks.registry import Outcome, check, failed, passed, unknown, verdict
from c4guard.kube.admission import (
    Target,
    coverage,
    sigstore_opted_out,
    verification_policies,
)
from c4guard.kube.netpol import NAMESPACE_NAME_LABEL
from c4guard.kube.objects import container_setting
from c4guard.secrets.placeholders import is_placeholder_reference
from c4guard.workloads.images import parse_image

if TYPE_CHECKING:
    from c4guard.inventory import Inventory
    from c4guard.workloads import ContainerView

KYVERNO = "https://kyverno.io/docs/policy-types/cluster-policy/verify-images/"
SIGSTORE = "https://docs.sigstore.dev/policy-controller/overview/"


@check(
    "K8S-IMAGE-VERIFIED-AT-ADMISSION",
    requirement="4.2.3",
    severity="high",
    title="Images are verified at admission by an enforcing controller",
    remediation="Cover every image with an enforcing signature check: a Kyverno verifyImages "
    "rule with `failureAction: Enforce`, an ImageValidatingPolicy with "
    "`validationActions: [Deny]`, a sigstore ClusterImagePolicy (namespace "
    'labelled `policy.sigstore.dev/include: "true"`, not `mode: warn`), Ratify '
    "with `enforcementAction: deny`, or c4guard's gate with `failurePolicy: Fail`.",
    references=(KYVERNO, SIGSTORE, "https://kyverno.io/docs/policy-types/image-validating-policy/"),
)
def verified_at_admission(inv: Inventory) -> Iterator[Outcome]:
    """An image that no enforcing admission control verifies can be replaced by an unsigned
    one. Audit and warn modes, namespaces that have not opted in, and fail-open webhooks
    admit unverified images."""
    for container in inv.containers():
        if container.group != "ephemeralContainers" and container.image:
            yield _admission(inv, container)


def _admission(inv: Inventory, c: ContainerView) -> Outcome:
    namespace = c.pod.workload.namespace or ""
    ns_view = inv.namespaces.get(namespace)
    labels = {**(ns_view.labels if ns_view else {}), NAMESPACE_NAME_LABEL: namespace}
    target = Target(parse_image(c.image), namespace, labels, c.pod.workload.resource.kind)
    found = coverage(inv, target)
    setting = container_setting(c, "image")
    if found.enforcing:
        names = ", ".join(ctl.name for ctl in found.enforcing)
        return passed(
            c,
            f"image {c.image} must pass signature verification ({names})",
            setting=setting,
            evidence={"controls": [x.name for x in found.enforcing]},
        )
    if found.unevaluated:
        names = ", ".join(ctl.name for ctl in found.unevaluated)
        return unknown(
            c,
            f"image {c.image} may be covered by {names}, which selects images "
            "with CEL expressions c4guard does not evaluate",
            setting=setting,
        )
    if found.admitting:
        control = found.admitting[0]
        return failed(
            c,
            f"image {c.image} is only checked by {control.name} "
            f"({control.mode}), which admits unverified images",
            setting=setting,
            evidence={"controls": [x.name for x in found.admitting]},
        )
    note = (
        (
            f"; ClusterImagePolicies exist but namespace {namespace} is not labelled "
            'policy.sigstore.dev/include: "true"'
        )
        if sigstore_opted_out(inv, target)
        else ""
    )
    return failed(
        c,
        f"image {c.image} is admitted without signature verification: no "
        f"enforcing admission policy covers it in namespace {namespace}{note}",
        setting=setting,
    )


@check(
    "K8S-VERIFY-POLICY-ENFORCES",
    requirement="4.2.3",
    severity="high",
    title="Image verification policies enforce rather than audit",
    remediation="Set Kyverno `failureAction: Enforce` (per verifyImages entry; the "
    "deprecated `spec.validationFailureAction` defaults to Audit), "
    "`validationActions: [Deny]`, remove sigstore `mode: warn`, and use Ratify "
    "`enforcementAction: deny`.",
    references=(KYVERNO, SIGSTORE),
)
def policies_enforce(inv: Inventory) -> Iterator[Outcome]:
    """A verification policy in Audit, Warn or dry-run mode only records unsigned images."""
    for control in verification_policies(inv):
        yield verdict(
            control.enforces,
            control.view,
            f"enforces ({control.mode})",
            f"runs in {control.mode} mode: unverified images are admitted and only recorded",
            setting=control.view.setting(),
        )


# ko (`ko resolve`/`ko apply`) replaces `ko://<import path>` with `<repo>@sha256:<digest>`.
BUILD_REFERENCES = ("ko://",)


@check(
    "K8S-IMAGE-DIGEST",
    requirement="4.2.3",
    severity="medium",
    title="Images are referenced by digest",
    remediation="Reference images as `repository@sha256:<digest>` (tags can be moved to "
    "other content after verification).",
    references=("https://kubernetes.io/docs/concepts/containers/images/#image-names",),
)
def image_digests(inv: Inventory) -> Iterator[Outcome]:
    """A tag can point at different content tomorrow; only a digest names what was
    verified."""
    for container in inv.containers():
        if not container.image:
            continue
        reference = parse_image(container.image)
        setting = container_setting(container, "image")
        if reference.pinned:
            yield passed(container, f"pins image {reference.repository} by digest", setting=setting)
        elif container.image.startswith(BUILD_REFERENCES):
            yield passed(
                container,
                f"names {container.image}, which the build tool replaces with the image "
                "it pushes, by digest",
                setting=setting,
            )
        elif is_placeholder_reference(container.image):
            yield unknown(
                container,
                f"image {container.image!r} is a placeholder filled in at deployment",
                setting=setting,
            )
        else:
            tag = reference.tag or "latest (implicit)"
            yield failed(
                container,
                f"references image {container.image} by tag {tag}, not by digest",
                setting=setting,
            )
