"""Governance: inline and annotation suppressions, baselines. Config exceptions and
attestations are applied by the engine; everything here reports what it did into
`Assessment.governance`, so every suppression in force (and every one that is not) is listed."""
