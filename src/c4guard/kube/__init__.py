"""Kubernetes semantics the checks share: label selectors, object subjects, image
references, and how cluster objects combine (NetworkPolicies, Istio peer authentication,
admission and runtime enforcement, RBAC, accelerators, TEEs)."""
