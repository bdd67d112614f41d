"""The deployment gate: one admitted object in, one decision out (docs/gate.md).

`c4guard gate serve` answers Kubernetes admission reviews over HTTPS; `c4guard gate check`
makes the same decision for manifests in CI. The server stack (uvicorn, prometheus_client)
is imported only by the modules that serve.
"""
