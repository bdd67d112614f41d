"""C4.3 Network security and access control: checks of the host c4guard runs on."""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

from c4guard.checks.registry import Outcome, check, failed, passed
from c4guard.views.host import ORIGIN, HostSubject, nodes

if TYPE_CHECKING:
    from c4guard.inventory import Inventory


@check(
    "HOST-SSHD",
    requirement="4.3.2",
    severity="high",
    title="No SSH daemon runs or listens in the workload's environment",
    remediation="Remove the SSH server from the image or node; use `kubectl exec`, SSM or "
    "OS Login with strong authentication for administration.",
    references=("https://kubernetes.io/docs/concepts/security/",),
)
def no_sshd(inv: Inventory) -> Iterator[Outcome]:
    """An SSH daemon is an administrative entry point that bypasses the platform's access
    control."""
    for n in nodes(inv):
        daemons = n.fact("ssh_daemons")
        listeners = n.fact("ssh_listeners")
        if listeners.value:
            yield failed(
                n, f"listens on the SSH port: {', '.join(listeners.value)}", setting=listeners
            )
        elif daemons.value:
            names = ", ".join(f"{d['name']} (pid {d['pid']})" for d in daemons.value)
            yield failed(n, f"runs an SSH daemon: {names}", setting=daemons)
        else:
            yield passed(
                n, "runs no SSH daemon and nothing listens on port 22 here", setting=listeners
            )


@check(
    "HOST-CLOUD-METADATA",
    requirement="4.3.2",
    severity="high",
    title="The cloud metadata service is not reachable from the workload",
    remediation="Block 169.254.169.254 for workloads (NetworkPolicy egress except, IMDSv2 "
    "with hop limit 1, GKE Workload Identity metadata server).",
    references=(
        "https://docs.aws.amazon.com/AWSEC2/latest/UserGuide/"
        "configuring-instance-metadata-service.html",
    ),
)
def cloud_metadata(inv: Inventory) -> Iterator[Outcome]:
    """The metadata service hands the node's cloud credentials to whoever can reach it.
    Probed only with `c4guard host --probe-metadata`."""
    for r in inv.kind("MetadataEndpoint", origin=ORIGIN):
        m = HostSubject(r, "metadata endpoint")
        body = r.body
        if body.get("reachable"):
            yield failed(
                m,
                "answers from here: " + "; ".join(body.get("answered") or []),
                setting=m.fact("answered"),
            )
        elif body.get("refused"):
            yield passed(
                m,
                "refuses unauthenticated requests: " + "; ".join(body["refused"]),
                setting=m.fact("refused"),
            )
        else:
            yield passed(
                m, f"is not reachable ({body.get('unreachable')})", setting=m.fact("unreachable")
            )
