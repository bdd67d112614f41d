"""SBOM, vulnerability report, SLSA and OCI reference parsing."""

from __future__ import annotations

import base64
import json

import pytest

from c4guard.supplychain.attestations import EvidenceError, Statement, read_provenance
from c4guard.supplychain.oci import DOCKER_HUB, Reference, docker_credentials
from c4guard.supplychain.policy import VulnerabilityRule
from c4guard.supplychain.sbom import read_sbom
from c4guard.supplychain.vulns import over_ceiling, read_vuln_report
from tests.supplychain.publish import cyclonedx, trivy
from tests.supplychain.testdata import sigstore_vectors

DIGEST = "sha256:" + "ab" * 32

CYCLONEDX_XML = f"""<?xml version="1.0" encoding="UTF-8"?>
<bom xmlns="http://cyclonedx.org/schema/bom/1.6" version="1">
  <metadata><component type="container" bom-ref="img">
    <name>registry.example/ml/app</name>
    <hashes><hash alg="SHA-256">{DIGEST.split(":")[1]}</hash></hashes>
  </component></metadata>
  <components>
    <component type="library"><name>torch</name>
      <components><component type="library"><name>torch-cuda</name></component></components>
    </component>
    <component type="library"><name>numpy</name></component>
  </components>
</bom>"""


def test_cyclonedx_xml():
    sbom = read_sbom(CYCLONEDX_XML.encode())
    assert (sbom.format, sbom.spec_version, sbom.components) == ("CycloneDX", "1.6", 3)
    assert sbom.digests == {DIGEST}


def test_cyclonedx_xml_with_entities_is_refused():
    bomb = b'<?xml version="1.0"?><!DOCTYPE bom [<!ENTITY a "aaaa">]><bom>&a;</bom>'
    with pytest.raises(EvidenceError, match="invalid CycloneDX XML"):
        read_sbom(bomb)


def test_cyclonedx_json_names_digest_in_purl_and_version():
    sbom = read_sbom(json.dumps(cyclonedx("registry.example/ml/app", DIGEST, 5)).encode())
    assert sbom.components == 5 and sbom.digests == {DIGEST}


def test_unknown_document_and_old_spdx_are_refused():
    with pytest.raises(EvidenceError, match="not a CycloneDX or SPDX"):
        read_sbom(b'{"a": 1}')
    with pytest.raises(EvidenceError, match=r"SPDX 2\.3"):
        read_sbom(b'{"spdxVersion": "SPDX-2.1"}')


def test_trivy_report_and_ceilings():
    report = read_vuln_report(
        trivy(DIGEST, [("CVE-1", "HIGH", 7.5), ("CVE-2", "LOW", 2.0), ("CVE-3", "UNKNOWN", None)])
    )
    assert report.scanner == "trivy" and report.digests == {DIGEST}
    assert report.worst().id == "CVE-1"
    by_severity = VulnerabilityRule(max_severity="medium")
    assert [v.id for v in over_ceiling(report, by_severity)] == ["CVE-1"]
    assert over_ceiling(report, VulnerabilityRule(max_severity="medium", ignore=["CVE-1"])) == []
    assert [v.id for v in over_ceiling(report, VulnerabilityRule(max_cvss=1.9))] == [
        "CVE-1",
        "CVE-2",
    ]


def test_slsa_v02_provenance_from_sigstore_vectors():
    predicate = json.loads(
        (sigstore_vectors() / "integration" / "attest" / "slsa_predicate_v0_2.json").read_text()
    )
    prov = read_provenance(
        Statement((("x", {"sha256": "0"}),), "https://slsa.dev/provenance/v0.2", predicate)
    )
    assert prov.builder_id.startswith("https://github.com/slsa-framework/slsa-github-generator/")
    assert prov.source_repository == "https://github.com/sigstore/sigstore-python"
    assert prov.source_ref == "refs/tags/v3.2.0"


def test_slsa_v1_provenance_from_sigstore_vectors():
    predicate = json.loads(
        (sigstore_vectors() / "integration" / "attest" / "slsa_predicate_v1_0.json").read_text()
    )
    prov = read_provenance(
        Statement((("x", {"sha256": "0"}),), "https://slsa.dev/provenance/v1", predicate)
    )
    assert prov.source_repository == "https://github.com/octo-org/octo-repo"
    assert prov.source_ref == "refs/tags/1.21.0"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("nginx", (DOCKER_HUB, "library/nginx", None, None)),
        ("ghcr.io/org/app:v1", ("ghcr.io", "org/app", "v1", None)),
        (f"127.0.0.1:5000/ml/llm@{DIGEST}", ("127.0.0.1:5000", "ml/llm", None, DIGEST)),
        (f"localhost/a/b:t@{DIGEST}", ("localhost", "a/b", "t", DIGEST)),
    ],
)
def test_reference_parsing(text, expected):
    ref = Reference.parse(text)
    assert (ref.registry, ref.repository, ref.tag, ref.digest) == expected


def test_bad_reference_is_refused():
    with pytest.raises(ValueError, match="not an OCI reference"):
        Reference.parse("Registry/UPPER:tag")


def test_docker_config_credentials(tmp_path):
    config = tmp_path / "config.json"
    auth = base64.b64encode(b"bot:pw").decode()
    config.write_text(
        json.dumps(
            {
                "auths": {
                    "https://index.docker.io/v1/": {"auth": auth},
                    "registry.example:5000": {"username": "u", "password": "p"},
                }
            }
        )
    )
    assert docker_credentials(DOCKER_HUB, config) == ("bot", "pw")
    assert docker_credentials("registry.example:5000", config) == ("u", "p")
    assert docker_credentials("other.example", config) is None


@pytest.mark.parametrize(
    ("reader", "document"),
    [
        (read_sbom, {"bomFormat": "CycloneDX", "metadata": "a string"}),
        (read_sbom, {"spdxVersion": "SPDX-2.3", "packages": [], "documentDescribes": 5}),
        (read_vuln_report, {"SchemaVersion": 2, "Results": [], "Metadata": "x"}),
        (read_vuln_report, {"matches": [{"vulnerability": "x"}]}),
    ],
)
def test_wrongly_typed_fields_are_evidence_errors_not_crashes(reader, document):
    with pytest.raises(EvidenceError, match="malformed"):
        reader(document)


def test_provenance_with_wrong_types_reads_as_missing_fields():
    prov = read_provenance(
        Statement(
            (("x", {"sha256": "0"}),),
            "https://slsa.dev/provenance/v1",
            {
                "runDetails": {"builder": {"id": 7}},
                "buildDefinition": {"resolvedDependencies": [{"uri": 1}]},
            },
        )
    )
    assert (prov.builder_id, prov.source_repository) == (None, None)
