"""C4.8 Edge and distributed AI: 4.8.1, edge devices authenticate with mutual TLS. MQTT
brokers deployed in Kubernetes (mosquitto configuration from their ConfigMaps, EMQX
settings from the environment) and plain MQTT Services."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import TYPE_CHECKING

from c4guard.checks.registry import Outcome, check, failed, not_applicable, passed, unknown
from c4guard.kube.objects import ObjectView
from c4guard.model import Location, NotApplicable
from c4guard.sources.mosquitto import BrokerConfig, parse_mosquitto
from c4guard.views.mqtt import MOSQUITTO, judge_broker
from c4guard.workloads.views import Setting

if TYPE_CHECKING:
    from c4guard.inventory import Inventory
    from c4guard.model import Resource
    from c4guard.workloads import PodView


BROKER_IMAGES = {
    "mosquitto": "mosquitto",
    "emqx": "EMQX",
    "hivemq": "HiveMQ",
    "vernemq": "VerneMQ",
    "nanomq": "NanoMQ",
}


EDGE_IMAGES = {
    "kubeedge/cloudcore": "KubeEdge CloudCore",
    "openyurt": "OpenYurt",
    "kubeedge/edgecore": "KubeEdge EdgeCore",
}


PLAIN_MQTT_PORTS = frozenset({1883})


EMQX_VERIFY = "EMQX_LISTENERS__SSL__DEFAULT__SSL_OPTIONS__VERIFY"


EMQX_REQUIRE = "EMQX_LISTENERS__SSL__DEFAULT__SSL_OPTIONS__FAIL_IF_NO_PEER_CERT"


@check(
    "K8S-EDGE-MTLS",
    requirement="4.8.1",
    severity="high",
    title="Edge brokers and gateways require client certificates",
    remediation="Configure MQTT listeners with `certfile`, `cafile` and `require_certificate "
    "true` and `allow_anonymous false` (EMQX: `verify_peer` and "
    "`fail_if_no_peer_cert`); do not expose plain MQTT (1883).",
    references=(MOSQUITTO, "https://docs.emqx.com/en/emqx/latest/network/mqtt-tls.html"),
)
def edge_mtls(inv: Inventory) -> Iterator[Outcome | NotApplicable]:
    """Edge devices that connect without certificates can be impersonated, and can feed
    poisoned data to models."""
    found = False
    for workload in inv.workloads:
        for pod in workload.pods:
            images = " ".join(c.image.lower() for c in pod.containers)
            broker = next((name for key, name in BROKER_IMAGES.items() if key in images), None)
            edge = next((name for key, name in EDGE_IMAGES.items() if key in images), None)
            if broker:
                found = True
                yield from _broker(inv, pod, broker)
            elif edge:
                found = True
                yield unknown(
                    pod,
                    f"runs {edge}; how edge nodes authenticate is configured "
                    "outside the manifests (review its certificate settings)",
                )
    for service in inv.kind("Service"):
        view = ObjectView(service)
        for index, port in enumerate(view.get("spec", "ports") or []):
            if isinstance(port, Mapping) and port.get("port") in PLAIN_MQTT_PORTS:
                found = True
                yield failed(
                    view,
                    f"exposes plain MQTT on port {port['port']}",
                    setting=view.setting("spec", "ports", index, "port"),
                )
    if not found:
        yield not_applicable(
            "4.8.1",
            "no edge components (MQTT brokers, KubeEdge, OpenYurt) "
            "among the scanned Kubernetes objects",
        )


def _broker(inv: Inventory, pod: PodView, broker: str) -> Iterator[Outcome]:
    if broker == "EMQX":
        yield _emqx(pod)
        return
    if broker != "mosquitto":
        yield unknown(
            pod, f"runs the {broker} MQTT broker, whose client authentication c4guard does not read"
        )
        return
    configs = list(_mosquitto_configs(inv, pod))
    if not configs:
        yield failed(
            pod,
            "runs mosquitto without a configuration among the inputs that "
            "requires client certificates",
        )
        return
    for resource, key, config in configs:
        offset = resource.body["data"].line_of(key) or 0
        for ok, what, line in judge_broker(config):
            location = Location(resource.location.path, offset + line)
            setting = Setting(what, location, f"data.{key}", "ConfigMap")
            subject = ObjectView(resource, f"mosquitto configuration {resource.name}/{key}")
            yield (passed if ok else failed)(subject, what, setting=setting)


def _mosquitto_configs(
    inv: Inventory, pod: PodView
) -> Iterator[tuple[Resource, str, BrokerConfig]]:
    mounted = {
        v["configMap"].get("name")
        for v in pod.spec.get("volumes") or []
        if isinstance(v, Mapping) and isinstance(v.get("configMap"), Mapping)
    }
    for resource in inv.kind("ConfigMap"):
        if resource.namespace != pod.workload.namespace:
            continue
        data = resource.body.get("data")
        for key, text in data.items() if isinstance(data, Mapping) else []:
            if (
                isinstance(text, str)
                and str(key).endswith(".conf")
                and (resource.name in mounted or "mosquitto" in str(key))
            ):
                yield resource, str(key), parse_mosquitto(text)


def _emqx(pod: PodView) -> Outcome:
    env = {
        str(e.get("name")): str(e.get("value", ""))
        for c in pod.containers
        for e in c.spec.get("env") or []
        if isinstance(e, Mapping)
    }
    if env.get(EMQX_VERIFY) == "verify_peer" and env.get(EMQX_REQUIRE) == "true":
        return passed(pod, "runs EMQX with verify_peer and fail_if_no_peer_cert")
    return failed(
        pod,
        f"runs EMQX without requiring client certificates ({EMQX_VERIFY}="
        f"verify_peer and {EMQX_REQUIRE}=true are not both set)",
    )
