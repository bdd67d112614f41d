"""Checks of Docker Compose files, one module per C4 section."""
