"""Native admission policies from the gate's checks: ValidatingAdmissionPolicy and Kyverno
(docs/gate.md, "Webhook or native policies?")."""
