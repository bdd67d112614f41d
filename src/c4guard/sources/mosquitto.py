"""Mosquitto (MQTT broker) configuration files: directives grouped by listener, each with
its line, for the edge mTLS check. Also parses configuration text held in ConfigMaps."""

from __future__ import annotations

from dataclasses import dataclass, field

from c4guard.model import Domain, Location, Origin, Resource
from c4guard.sources.handlers import FileContext, FileHandler
from c4guard.sources.result import FileResult
from c4guard.sources.yamlload import Mapping

ORIGIN, DOMAIN, KIND = Origin.CONFIG, Domain.CONFIG, "MosquittoConfig"
MAX_LINES = 100_000
# Directives that belong to the listener they follow (the rest are global unless
# per_listener_settings is on).
LISTENER_DIRECTIVES = frozenset(
    {
        "cafile",
        "capath",
        "certfile",
        "keyfile",
        "require_certificate",
        "use_identity_as_username",
        "use_subject_as_username",
        "tls_version",
        "ciphers",
        "psk_hint",
        "protocol",
        "bind_interface",
        "http_dir",
        "socket_domain",
        "mount_point",
        "max_connections",
        "crlfile",
        "dhparamfile",
        "tls_engine",
        "tls_keyform",
    }
)
AUTH_DIRECTIVES = frozenset(
    {"allow_anonymous", "password_file", "acl_file", "plugin", "auth_plugin", "psk_file"}
)


@dataclass(slots=True)
class Listener:
    """A `listener` block (or the default listener before the first one)."""

    port: str
    bind: str
    line: int
    settings: dict[str, tuple[str, int]] = field(default_factory=dict)


@dataclass(slots=True)
class BrokerConfig:
    listeners: list[Listener]
    settings: dict[str, tuple[str, int]]  # global directives
    per_listener: bool


def parse_mosquitto(text: str) -> BrokerConfig:
    default = Listener("", "", 1)
    listeners: list[Listener] = []
    settings: dict[str, tuple[str, int]] = {}
    for number, raw in enumerate(text.splitlines()[:MAX_LINES], start=1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        name, _, value = line.partition(" ")
        value = value.split(" #", 1)[0].strip()  # a trailing " # ..." is a comment
        if name == "listener":
            port, _, bind = value.partition(" ")
            listeners.append(Listener(port, bind.strip(), number))
        elif name == "port":
            default.port = value
            default.line = number
        elif name in LISTENER_DIRECTIVES or name in AUTH_DIRECTIVES:
            target = listeners[-1] if listeners else default
            target.settings[name] = (value, number)
            if name in AUTH_DIRECTIVES or not listeners:
                settings.setdefault(name, (value, number))
        else:
            settings[name] = (value, number)
    if default.port or default.settings.keys() & LISTENER_DIRECTIVES:
        listeners.insert(0, default)
    per_listener = settings.get("per_listener_settings", ("false", 0))[0] == "true"
    return BrokerConfig(listeners, settings, per_listener)


def _parse_file(text: str, context: FileContext) -> FileResult:
    body = Mapping(context.display, 1)
    body["text"] = text
    body.key_lines["text"] = 1
    resource = Resource(ORIGIN, KIND, context.path.name, None, body, Location(context.display, 1))
    result = FileResult(resources=[resource], claimed=True)
    result.domains.add(DOMAIN)
    return result


def _claims(name: str) -> bool:
    lowered = name.lower()
    return lowered.startswith("mosquitto") and lowered.endswith(".conf")


HANDLER = FileHandler("mosquitto", _claims, _parse_file)
