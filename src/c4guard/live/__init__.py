"""Live probes: `c4guard host` (a process, its node and GPUs) and `c4guard cluster` (a live
Kubernetes API). Both feed resources to the same engine and reporters as `scan`."""
