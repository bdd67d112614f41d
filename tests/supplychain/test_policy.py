"""Trust policy loading: validation errors point at file and line."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from c4guard.cli import main
from c4guard.supplychain.policy import PolicyError, load_policy

GOOD = """\
version: 1
signers:
  release:
    key: keys/release.pub
  ci:
    keyless:
      identity: https://github.com/org/repo/.github/workflows/release.yml@refs/heads/main
      issuer: https://token.actions.githubusercontent.com
      trusted_root: roots/trusted_root.json
artifacts:
  - match: "registry.example/ml/*"
    require_digest: true
    signers: [release]
    signature: {}
    provenance:
      signers: [ci]
      builder_id: https://github.com/org/repo/.github/workflows/release.yml@refs/heads/main
    vulnerabilities:
      max_severity: high
  - match: "*"
    signature: {signers: [release]}
"""


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "trust.yaml"
    path.write_text(text)
    return path


def error_of(tmp_path: Path, text: str) -> PolicyError:
    with pytest.raises(PolicyError) as info:
        load_policy(write(tmp_path, text))
    return info.value


def test_valid_policy_loads_and_resolves_paths_beside_it(tmp_path):
    policy = load_policy(write(tmp_path, GOOD))

    assert policy.signers["release"].key == tmp_path / "keys" / "release.pub"
    assert policy.signers["ci"].keyless.trusted_root == tmp_path / "roots" / "trusted_root.json"
    entry = policy.entry_for("registry.example/ml/llm")
    assert entry is not None and entry.require_digest
    assert entry.signers_for(entry.provenance) == ["ci"]
    assert entry.signers_for(entry.signature) == ["release"]
    assert policy.entry_for("docker.io/library/nginx").match == "*"


def test_unknown_key_names_file_line_and_key(tmp_path):
    err = error_of(tmp_path, GOOD.replace("    require_digest: true", "    require_digests: true"))
    assert err.line == 12
    assert "require_digests" in err.message
    assert str(err).startswith(f"{tmp_path / 'trust.yaml'}:12:")


def test_bad_severity_is_located(tmp_path):
    err = error_of(tmp_path, GOOD.replace("max_severity: high", "max_severity: severe"))
    assert err.line == 19
    assert "max_severity" in err.message


def test_unknown_signer_is_located(tmp_path):
    err = error_of(tmp_path, GOOD.replace("signers: [ci]", "signers: [builder]"))
    assert err.line == 16
    assert "unknown signer(s) builder" in err.message


def test_rule_without_signers_is_refused(tmp_path):
    err = error_of(tmp_path, GOOD.replace("    signature: {signers: [release]}", "    sbom: {}"))
    assert err.line == 21
    assert "no signers" in err.message


def test_signer_needs_exactly_one_kind(tmp_path):
    err = error_of(tmp_path, GOOD.replace("    key: keys/release.pub", "    {}"))
    assert err.line == 3


def test_ceiling_required_for_vulnerabilities(tmp_path):
    err = error_of(tmp_path, GOOD.replace("      max_severity: high", "      ignore: []"))
    assert err.line == 18
    assert "max_severity" in err.message


def test_invalid_yaml_is_located(tmp_path):
    err = error_of(tmp_path, GOOD.replace('  - match: "*"', "  - match: [unclosed"))
    assert err.line is not None and err.line >= 21
    assert "invalid YAML" in err.message


def test_wrong_version_and_empty_file(tmp_path):
    assert "version" in error_of(tmp_path, GOOD.replace("version: 1", "version: 2")).message
    assert "empty" in error_of(tmp_path, "").message


def test_policy_error_is_a_usage_error_in_the_cli(tmp_path):
    path = write(tmp_path, GOOD.replace("max_severity: high", "max_severity: severe"))

    result = CliRunner().invoke(main, ["verify", "registry.example/ml/a:v1", "-p", str(path)])

    assert result.exit_code == 2
    assert "trust.yaml:19" in result.output
