"""Firewall rules of AWS security groups, GCP firewalls and Azure NSGs in one shape, so
the network checks judge "open to the world", "all protocols" and "covers port 22" once."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from c4guard.model import Location
from c4guard.sources.terraform.values import is_known
from c4guard.views.terraform import (
    WORLD,
    TerraformIndex,
    TfResource,
    as_list,
    dig,
)
from c4guard.workloads.views import Setting

ALL_PORTS = None
AZURE_WORLD = frozenset({"*", "internet", "any", "0.0.0.0/0", "0.0.0.0", "::/0"})
AWS_RULE_KINDS = (
    "aws_security_group_rule",
    "aws_vpc_security_group_ingress_rule",
    "aws_vpc_security_group_egress_rule",
)


@dataclass(frozen=True, slots=True)
class NetRule:
    """One allow or deny rule: who holds it, where it is written, what it admits."""

    owner: TfResource
    group: TfResource | None
    location: Location
    path: str
    direction: str  # "ingress" or "egress"
    allow: bool
    peers: tuple[Any, ...]  # CIDRs / prefixes on the far side
    all_protocols: bool | None
    ports: tuple[tuple[int, int], ...] | None  # None: every port
    # False when the protocol or ports are not known before apply (a variable without a
    # value) or are not valid (`protocol = ""`): `ports` is then a guess of every port.
    ports_known: bool = True

    @property
    def setting(self) -> Setting:
        return Setting(list(self.peers), self.location, self.path, self.owner.source)

    def world(self) -> bool | None:
        """True when the far side is anyone; None when it is unknown."""
        if not all(is_known(p) for p in self.peers):
            return None
        world = AZURE_WORLD if self.owner.kind.startswith("azurerm") else WORLD
        return any(str(p).lower() in world for p in self.peers)

    def covers(self, port: int) -> bool | None:
        if self.ports is ALL_PORTS:
            return True
        return any(low <= port <= high for low, high in self.ports)


def _port_range(low: Any, high: Any, protocol: Any) -> tuple[tuple[int, int], ...] | None:
    if str(protocol).lower() in ("-1", "all"):
        return ALL_PORTS
    try:
        low_i, high_i = int(low), int(high)
    except (TypeError, ValueError):
        return ALL_PORTS if low is None and high is None else ((0, 65535),)
    if (low_i <= 0 and high_i >= 65535) or (low_i == -1 and high_i == -1):
        return ALL_PORTS
    return ((low_i, high_i),)


def _is_all_protocols(protocol: Any) -> bool | None:
    if not is_known(protocol):
        return None
    return str(protocol).lower() in ("-1", "all", "*")


def aws_rules(index: TerraformIndex) -> Iterator[NetRule]:
    """Inline rules of `aws_security_group`s and the separate rule resources."""
    for group in index.kinds("aws_security_group"):
        for direction in ("ingress", "egress"):
            for position, block in enumerate(group.blocks(direction)):
                peers = (
                    *as_list(block.get("cidr_blocks")),
                    *as_list(block.get("ipv6_cidr_blocks")),
                )
                yield _aws_rule(
                    group,
                    group,
                    (direction, position, "cidr_blocks"),
                    direction,
                    peers,
                    block.get("protocol"),
                    block.get("from_port"),
                    block.get("to_port"),
                )
    for rule in index.kinds("aws_security_group_rule"):
        rule_group = index.resolve(rule.get("security_group_id"), rule, "aws_security_group")
        peers = (*as_list(rule.get("cidr_blocks")), *as_list(rule.get("ipv6_cidr_blocks")))
        yield _aws_rule(
            rule,
            rule_group,
            ("cidr_blocks",),
            str(rule.get("type")),
            peers,
            rule.get("protocol"),
            rule.get("from_port"),
            rule.get("to_port"),
        )
    for kind, direction in (
        ("aws_vpc_security_group_ingress_rule", "ingress"),
        ("aws_vpc_security_group_egress_rule", "egress"),
    ):
        for rule in index.kinds(kind):
            rule_group = index.resolve(rule.get("security_group_id"), rule, "aws_security_group")
            peers = tuple(p for p in (rule.get("cidr_ipv4"), rule.get("cidr_ipv6")) if p)
            key = "cidr_ipv6" if rule.get("cidr_ipv4") is None else "cidr_ipv4"
            yield _aws_rule(
                rule,
                rule_group,
                (key,),
                direction,
                peers,
                rule.get("ip_protocol"),
                rule.get("from_port"),
                rule.get("to_port"),
            )


def _aws_rule(
    owner: TfResource,
    group: TfResource | None,
    keys: tuple[Any, ...],
    direction: str,
    peers: tuple[Any, ...],
    protocol: Any,
    low: Any,
    high: Any,
) -> NetRule:
    location = owner.locate(*keys)
    path = owner.setting_path(keys)
    return NetRule(
        owner,
        group,
        location,
        path,
        direction,
        True,
        peers,
        _is_all_protocols(protocol),
        _port_range(low, high, protocol),
        _ports_known(protocol, low, high),
    )


def _ports_known(protocol: Any, low: Any, high: Any) -> bool:
    """AWS protocol and ports are known values, and the protocol is not empty."""
    known = all(is_known(v) for v in (protocol, low, high))
    return known and str(protocol).strip() != ""


def gcp_rules(index: TerraformIndex) -> Iterator[NetRule]:
    for firewall in index.kinds("google_compute_firewall"):
        if firewall.get("disabled") is True:
            continue
        direction = (
            "egress"
            if str(firewall.get("direction") or "INGRESS").upper() == "EGRESS"
            else "ingress"
        )
        key = "destination_ranges" if direction == "egress" else "source_ranges"
        peers = tuple(as_list(firewall.get(key)))
        if not peers and (
            direction == "egress"
            or not (firewall.get("source_tags") or firewall.get("source_service_accounts"))
        ):
            peers = ("0.0.0.0/0",)  # GCP's default range, in either direction
        for verb in ("allow", "deny"):
            for position, block in enumerate(firewall.blocks(verb)):
                protocol = block.get("protocol")
                ports = _gcp_ports(block.get("ports"), protocol)
                yield NetRule(
                    firewall,
                    firewall,
                    firewall.locate(verb, position),
                    f"{verb}[{position}]",
                    direction,
                    verb == "allow",
                    peers,
                    _is_all_protocols(protocol),
                    ports,
                )


def _gcp_ports(ports: Any, protocol: Any) -> tuple[tuple[int, int], ...] | None:
    if str(protocol).lower() == "all" or not ports:
        return ALL_PORTS
    return _parse_ports(as_list(ports))


def _parse_ports(items: list[Any]) -> tuple[tuple[int, int], ...] | None:
    ranges = []
    for item in items:
        text = str(item).strip()
        if text in ("*", "0-65535", "1-65535"):
            return ALL_PORTS
        low, _, high = text.partition("-")
        try:
            ranges.append((int(low), int(high or low)))
        except ValueError:
            return ALL_PORTS  # unknown text: assume the worst, it is reported with its value
    return tuple(ranges)


def azure_rules(index: TerraformIndex) -> Iterator[NetRule]:
    for group in index.kinds("azurerm_network_security_group"):
        for position, block in enumerate(group.blocks("security_rule")):
            yield _azure_rule(group, group, block, ("security_rule", position))
    for rule in index.kinds("azurerm_network_security_rule"):
        rule_group = index.resolve(
            rule.get("network_security_group_name"), rule, "azurerm_network_security_group"
        )
        yield _azure_rule(rule, rule_group, rule.body, ())


def _azure_rule(
    owner: TfResource, group: TfResource | None, block: Any, keys: tuple[Any, ...]
) -> NetRule:
    direction = "egress" if str(block.get("direction")).lower() == "outbound" else "ingress"
    if direction == "ingress":
        peers = (block.get("source_address_prefix"), *as_list(block.get("source_address_prefixes")))
    else:
        peers = (
            block.get("destination_address_prefix"),
            *as_list(block.get("destination_address_prefixes")),
        )
    ports_value = [
        block.get("destination_port_range"),
        *as_list(block.get("destination_port_ranges")),
    ]
    ports = (
        _parse_ports([p for p in ports_value if p is not None])
        if any(p is not None for p in ports_value)
        else ALL_PORTS
    )
    location = dig(owner.body, keys)[1] or owner.resource.location
    return NetRule(
        owner,
        group,
        location,
        ".".join(str(k) for k in keys) or "security_rule",
        direction,
        str(block.get("access")).lower() == "allow",
        tuple(p for p in peers if p is not None),
        _is_all_protocols(block.get("protocol")),
        ports,
    )


def all_rules(index: TerraformIndex) -> list[NetRule]:
    return [*aws_rules(index), *gcp_rules(index), *azure_rules(index)]
