"""Supply-chain verification: `c4guard verify` judges an artifact against a trust policy
(signatures, provenance, SBOM, vulnerability report, c4guard assessment, model signature);
`c4guard attest` signs a scan report as an in-toto attestation.

The deployment gate calls `c4guard.supplychain.verifier.verify_artifact`."""
