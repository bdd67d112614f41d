"""Checks of Kubernetes manifests and live clusters, one module per C4 section."""
