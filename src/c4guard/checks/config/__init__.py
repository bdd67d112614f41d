"""Checks of configuration files of their own (seccomp profiles, MQTT broker
configuration), one module per C4 section."""
