"""Checks of container images (image archives), one module per C4 section."""
