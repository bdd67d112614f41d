"""MQTT brokers: what a mosquitto configuration says about client authentication, for
the brokers deployed in Kubernetes and for configuration files."""

from __future__ import annotations

from typing import TYPE_CHECKING

from c4guard.sources.mosquitto import BrokerConfig

if TYPE_CHECKING:
    pass


MOSQUITTO = "https://mosquitto.org/man/mosquitto-conf-5.html"


LOCAL_BINDS = frozenset({"127.0.0.1", "localhost", "::1"})


def judge_broker(config: BrokerConfig) -> list[tuple[bool, str, int]]:
    """(meets mTLS, what, line) for each listener and the anonymous-access setting."""
    verdicts = []
    for listener in config.listeners:
        port = listener.port or "1883"
        if listener.bind in LOCAL_BINDS or port == "0":
            continue
        cert = listener.settings.get("certfile")
        required = listener.settings.get("require_certificate", ("false", listener.line))
        if cert is None:
            verdicts.append(
                (False, f"listener {port} accepts plain MQTT (no certfile)", listener.line)
            )
        elif required[0] != "true":
            verdicts.append(
                (
                    False,
                    f"listener {port} accepts clients without certificates "
                    "(require_certificate is not true)",
                    required[1],
                )
            )
        else:
            verdicts.append((True, f"listener {port} requires client certificates", required[1]))
    anonymous = config.settings.get("allow_anonymous")
    if anonymous is not None and anonymous[0] == "true":
        verdicts.append((False, "allows anonymous clients (allow_anonymous true)", anonymous[1]))
    if not config.listeners:
        verdicts.append((False, "defines no listener with TLS client authentication", 1))
    return verdicts
