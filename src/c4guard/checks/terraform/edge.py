"""C4.8 Edge and distributed AI: Terraform evidence (IoT device authentication, secure
boot)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

from c4guard.checks.registry import Outcome, check, not_applicable, passed
from c4guard.checks.terraform.common import expect
from c4guard.model import NotApplicable
from c4guard.views.terraform import AZURE_VMS, GCP_VMS, GKE_NODES, has_default_node_pool, terraform

if TYPE_CHECKING:
    from c4guard.inventory import Inventory


# ---------------------------------------------------------------------------- 4.8.1

IOT_KINDS = (
    "aws_iot_certificate",
    "aws_iot_authorizer",
    "azurerm_iothub",
    "aws_iot_thing_principal_attachment",
    "aws_iot_topic_rule",
    "aws_iot_thing",
)


@check(
    "TF-IOT-MTLS",
    requirement="4.8.1",
    severity="high",
    title="Edge devices authenticate to IoT services with X.509 certificates",
    remediation="AWS IoT: device certificates (`aws_iot_certificate`) and no unsigned custom "
    "authorizers; Azure IoT Hub: `local_authentication_enabled = false` with "
    "X.509 device identities.",
    references=("https://docs.aws.amazon.com/iot/latest/developerguide/x509-client-certs.html",),
)
def iot_mutual_tls(inv: Inventory) -> Iterator[Outcome | NotApplicable]:
    """Shared keys and unsigned tokens let anyone who extracts them impersonate a device;
    client certificates bind identity to the device's key."""
    index = terraform(inv)
    if not index.kinds(*IOT_KINDS):
        yield not_applicable("4.8.1", "no IoT (edge device) resources in the Terraform inputs")
        return
    for item in index.kinds("aws_iot_certificate"):
        yield passed(item, "registers an X.509 device certificate (mutual TLS)")
    for item in index.kinds("aws_iot_authorizer"):
        yield expect(
            item,
            item.setting("signing_disabled", default=False),
            False,
            "requires signed authorizer tokens",
            "accepts unsigned custom-authorizer tokens instead of client certificates",
        )
    for hub in index.kinds("azurerm_iothub"):
        yield expect(
            hub,
            hub.setting("local_authentication_enabled", default=True),
            False,
            "disables shared-access-key authentication",
            "accepts shared access keys (SAS tokens) as well as certificates",
        )


# ---------------------------------------------------------------------------- 4.8.2


@check(
    "TF-SECURE-BOOT",
    requirement="4.8.2",
    severity="medium",
    title="VMs and nodes boot with Secure Boot",
    remediation="GCP: `shielded_instance_config { enable_secure_boot = true }` (nodes: under "
    "node_config); Azure: `secure_boot_enabled = true` (trusted launch).",
    references=("https://cloud.google.com/compute/shielded-vm/docs/shielded-vm",),
)
def secure_boot(inv: Inventory) -> Iterator[Outcome]:
    """Secure Boot refuses unsigned boot components; it is off by default on GCP VMs,
    GKE nodes and Azure VMs. Rollback protection needs attestation."""
    index = terraform(inv)
    for item in index.kinds(*GKE_NODES, *GCP_VMS):
        if item.kind == "google_container_cluster" and not has_default_node_pool(item):
            continue
        prefix = ("node_config",) if item.kind in GKE_NODES else ()
        setting = item.setting(
            *prefix, "shielded_instance_config", "enable_secure_boot", default=False
        )
        yield expect(item, setting, True, "boots with Secure Boot", "boots without Secure Boot")
    for vm in index.kinds(*AZURE_VMS):
        yield expect(
            vm,
            vm.setting("secure_boot_enabled", default=False),
            True,
            "boots with Secure Boot",
            "boots without Secure Boot",
        )
