"""C4.8 Edge and distributed AI security: checks of MQTT broker configuration files."""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

from c4guard.checks.registry import Outcome, check, failed, passed
from c4guard.kube.objects import ObjectView
from c4guard.model import Location
from c4guard.sources.mosquitto import KIND as MOSQUITTO_CONFIG
from c4guard.sources.mosquitto import parse_mosquitto
from c4guard.views.mqtt import MOSQUITTO, judge_broker
from c4guard.workloads.views import Setting

if TYPE_CHECKING:
    from c4guard.inventory import Inventory


@check(
    "CFG-MQTT-MTLS",
    requirement="4.8.1",
    severity="high",
    title="MQTT broker configuration files require client certificates",
    remediation="Give every network listener `certfile`, `cafile` and `require_certificate "
    "true`, and set `allow_anonymous false`.",
    references=(MOSQUITTO,),
)
def mqtt_config_files(inv: Inventory) -> Iterator[Outcome]:
    """A mosquitto listener without `require_certificate true` lets any device connect."""
    for resource in inv.kind(MOSQUITTO_CONFIG, origin="config"):
        subject = ObjectView(resource, f"mosquitto configuration {resource.name}")
        for ok, what, line in judge_broker(parse_mosquitto(resource.body["text"])):
            setting = Setting(what, Location(resource.location.path, line), "text", "file")
            yield (passed if ok else failed)(subject, what, setting=setting)
