"""Checks of Dockerfiles, one module per C4 section."""
