"""Checks of the host c4guard runs on (live evidence), one module per C4 section."""
