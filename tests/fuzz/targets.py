"""Fuzz targets: every parser of untrusted input, as a function of bytes, with the
errors that are the parser's own way of saying "bad input" (anything else is a bug).

Files go through the pipeline `scan` uses (`parse_file`: read, decode, the handler for
the name, the content scanners), so the whole reader of each input kind is exercised.
The CloudFormation reader's target (`cloudformation`) feeds templates through the same
structured-file path, with intrinsic functions (`!If`, `Fn::Sub`, conditions) to splice.
"""

from __future__ import annotations

import io
import json
import tempfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import yaml
from sigstore.models import InvalidBundle

from c4guard.audit.events import Event, EventError, decode_entry, encode_entry
from c4guard.audit.export import verify_export
from c4guard.gate.admission import API_VERSION, BadReview, parse_review
from c4guard.secrets import ImageFormatError, scan_image
from c4guard.sources import parse_file
from c4guard.sources.discover import SourceFile
from c4guard.sources.jsonload import load_json
from c4guard.sources.kubernetes import resources_from_document
from c4guard.sources.text import DEFAULT_MAX_FILE_BYTES
from c4guard.sources.yamlload import Document, YAMLLimitError, load_documents
from c4guard.supplychain.attestations import EvidenceError, parse_envelope, parse_statement
from c4guard.supplychain.attestations import load_json as load_evidence
from c4guard.supplychain.signatures import parse_bundle

REPO = Path(__file__).resolve().parents[2]
MAX_SEED_BYTES = 16 * 1024
MAX_SEEDS = 60
MAX_EVIDENCE_BYTES = 1024 * 1024


@dataclass(frozen=True)
class Target:
    """One parser: how to feed it, what it may raise, where its seeds come from, the
    tokens worth splicing into its inputs, and the modules whose coverage counts."""

    run: Callable[[bytes], object]
    allowed: tuple[type[BaseException], ...]
    seed_globs: tuple[str, ...]
    tokens: tuple[bytes, ...] = ()
    modules: tuple[str, ...] = ()
    extra_seeds: Callable[[], list[bytes]] = field(default=lambda: [])


_WORKDIR = Path(tempfile.mkdtemp(prefix="c4guard-fuzz-"))


def _as_file(name: str) -> Callable[[bytes], object]:
    """Feed the bytes to `scan`'s reader as a file called `name`."""
    path = _WORKDIR / name

    def run(data: bytes) -> object:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
        return parse_file((SourceFile(path, name), None, DEFAULT_MAX_FILE_BYTES, False, None))

    return run


def _yaml(data: bytes) -> object:
    return list(load_documents(data.decode("utf-8", "replace"), "fuzz.yaml"))


def _json(data: bytes) -> object:
    return load_json(data.decode("utf-8", "replace"), "fuzz.json")


def _image(data: bytes) -> object:
    path = _WORKDIR / "image.tar"
    path.write_bytes(data)
    return scan_image(path)


def _image_seeds() -> list[bytes]:
    """Small uncompressed images: a `docker save` archive and an OCI layout in a tar."""
    from tests.secrets.image_builder import Layer, OciLayout, legacy_docker_archive, tar_directory

    layers = [
        Layer().directory("app").file("app/.env", "TOKEN=abc\n"),
        Layer().whiteout("app/.env").file("etc/x", "y"),
    ]
    work = Path(tempfile.mkdtemp(prefix="c4guard-fuzz-seeds-"))
    legacy_docker_archive(work / "docker.tar", layers, user="app")
    layout = OciLayout(work / "oci")
    layout.image(layers, None)
    layout.write_index()
    tar_directory(work / "oci", work / "oci.tar")
    return [(work / "docker.tar").read_bytes(), (work / "oci.tar").read_bytes()]


def _admission_seeds() -> list[bytes]:
    """AdmissionReviews around the example manifests."""
    reviews = []
    for path in sorted(REPO.glob("examples/**/*.yaml"))[:MAX_SEEDS]:
        for obj in yaml.safe_load_all(path.read_text()):
            if isinstance(obj, dict) and "kind" in obj:
                request = {"uid": "u-1", "operation": "CREATE", "object": obj}
                request |= {"kind": {"kind": obj["kind"]}, "userInfo": {"username": "dev"}}
                review = {"apiVersion": API_VERSION, "kind": "AdmissionReview", "request": request}
                reviews.append(json.dumps(review).encode())
    return reviews


def _entry_seeds() -> list[bytes]:
    """Audit entries of every kind the trail records, from the tests' payloads."""
    from c4guard.audit.events import PAYLOAD_CHECKS

    return [
        encode_entry(3, "2026-12-03T18:00:00Z", Event(kind, _payload_for(kind), "ci"))
        for kind in PAYLOAD_CHECKS
        if _payload_for(kind) is not None
    ]


def _payload_for(kind: str) -> dict[str, object] | None:
    try:
        Event(kind, {"decision": "allow", "object": "Pod/x", "findings": []}, "ci")
    except (ValueError, TypeError, KeyError):
        return None
    return {"decision": "allow", "object": "Pod/x", "findings": []}


def _envelope(data: bytes) -> object:
    envelope = parse_envelope(load_evidence(data, "envelope", MAX_EVIDENCE_BYTES))
    return parse_statement(envelope.payload)


def _admission(data: bytes) -> object:
    request = parse_review(data)
    if request.object is None:
        return request
    return resources_from_document(Document(request.object, 1, 1), "admission", None)


def _audit_export(data: bytes) -> object:
    return verify_export(io.StringIO(data.decode("utf-8", "replace")), [])


YAML_TOKENS = (b"&a ", b"*a", b"<<: *a", b"- ", b": ", b"{", b"}", b"[", b"]", b"!!str ", b"---\n")
YAML_TOKENS += (b"\n  ", b"? ", b"|\n", b"'", b'"', b"#", b"%YAML 1.1\n", b"!Ref ")
CFN_TOKENS = (b"!If [", b"!Sub ", b"!GetAtt ", b"!Join [", b"!Select [", b"!Condition ", b"${")
CFN_TOKENS += (b"Fn::FindInMap", b"AWS::NoValue", b"Condition: ", b"Default: ", b"Type: AWS::")
JSON_TOKENS = (b"{", b"}", b"[", b"]", b'"', b":", b",", b"null", b"1e999", b"\\u0000")
HCL_TOKENS = (b"${", b"}", b"%{", b"{", b"[", b"]", b"(", b")", b" + ", b" ? ", b" : ")
HCL_TOKENS += (b"for x in ", b"var.", b"local.", b"...", b"<<EOT\n", b"\nEOT\n", b"module ")
SHELL_TOKENS = (b"\\\n", b"RUN ", b"FROM ", b"ARG ", b"${", b"curl x | sh", b"&&", b"'", b'"')
SHELL_TOKENS += (b"# syntax=", b"<<EOF\n", b"\nEOF\n", b"$(", b"`")
K8S = ("examples/**/*.yaml", "tests/**/fixtures/**/*.yaml", "corpus/**/*.yaml")
PLAN_SEEDS = ("tests/**/fixtures/**/*plan*.json", "corpus/**/*plan*.json")
EVIDENCE = ("tests/data/sigstore/*.json", "tests/supplychain/fixtures/**/*.json")

TARGETS: dict[str, Target] = {
    "yaml-loader": Target(
        _yaml, (yaml.YAMLError, YAMLLimitError), K8S, YAML_TOKENS, ("c4guard.sources.yamlload",)
    ),
    "json-loader": Target(
        _json,
        (json.JSONDecodeError, YAMLLimitError),
        ("tests/**/*.json", "corpus/**/*.json"),
        JSON_TOKENS,
        ("c4guard.sources.jsonload",),
    ),
    "kubernetes": Target(
        _as_file("manifest.yaml"),
        (),
        K8S,
        YAML_TOKENS,
        ("c4guard.sources.structured", "c4guard.sources.kubernetes"),
    ),
    "hcl": Target(
        _as_file("main.tf"),
        (),
        ("examples/**/*.tf", "tests/**/*.tf", "corpus/**/*.tf"),
        HCL_TOKENS,
        ("c4guard.sources.terraform",),
    ),
    "terraform-plan": Target(
        _as_file("plan.json"),
        (),
        PLAN_SEEDS,
        JSON_TOKENS,
        ("c4guard.sources.terraform.plan",),
    ),
    "dockerfile": Target(
        _as_file("Dockerfile"),
        (),
        ("examples/**/Dockerfile*", "tests/**/Dockerfile*", "corpus/**/Dockerfile*"),
        SHELL_TOKENS,
        ("c4guard.sources.dockerfile", "c4guard.sources.dockerlines"),
    ),
    "compose": Target(
        _as_file("docker-compose.yml"),
        (),
        ("examples/**/*compose*.y*ml", "tests/**/*compose*.y*ml", "corpus/**/*compose*.y*ml"),
        YAML_TOKENS,
        ("c4guard.sources.compose",),
    ),
    "github-workflow": Target(
        _as_file(".github/workflows/ci.yml"),
        (),
        ("examples/**/.github/workflows/*.y*ml", "corpus/**/.github/workflows/*.y*ml"),
        YAML_TOKENS + SHELL_TOKENS,
        ("c4guard.sources.github", "c4guard.pipelines.github"),
    ),
    "gitlab-ci": Target(
        _as_file(".gitlab-ci.yml"),
        (),
        ("examples/**/.gitlab-ci.yml", "tests/**/*gitlab*.y*ml", "corpus/**/.gitlab-ci.yml"),
        YAML_TOKENS + SHELL_TOKENS,
        ("c4guard.sources.gitlab", "c4guard.pipelines.gitlab"),
    ),
    "cloudformation": Target(
        _as_file("template.yaml"),
        (),
        (
            "corpus/**/*cloudformation*/**/*.y*ml",
            "corpus/**/*.template",
            "tests/checks/fixtures/cloudformation/**/*.y*ml",
            "tests/checks/fixtures/cloudformation/**/*.json",
        ),
        YAML_TOKENS + CFN_TOKENS,
        ("c4guard.sources.cloudformation", "c4guard.sources.cfn_intrinsics"),
    ),
    "image-archive": Target(
        _image,
        (ImageFormatError,),
        (),
        (b"../", b"ustar\x00", b"\x00" * 8, b".wh.", b"manifest.json", b"oci-layout"),
        ("c4guard.secrets.image",),
        _image_seeds,
    ),
    "sigstore-bundle": Target(
        parse_bundle,
        (InvalidBundle,),
        EVIDENCE,
        JSON_TOKENS,
        ("c4guard.supplychain.signatures",),
    ),
    "dsse-envelope": Target(
        _envelope,
        (EvidenceError,),
        EVIDENCE,
        JSON_TOKENS,
        ("c4guard.supplychain.attestations",),
    ),
    "admission-review": Target(
        _admission,
        (BadReview,),
        ("tests/gate/**/*.json",),
        JSON_TOKENS,
        ("c4guard.gate.admission", "c4guard.sources.kubernetes"),
        _admission_seeds,
    ),
    "audit-entry": Target(
        decode_entry,
        (EventError,),
        ("tests/audit/**/*.json",),
        JSON_TOKENS,
        ("c4guard.audit.events",),
        _entry_seeds,
    ),
    "audit-export": Target(
        _audit_export,
        (),
        ("tests/audit/**/*.jsonl",),
        (*JSON_TOKENS, b"\n"),
        ("c4guard.audit.export",),
    ),
}


def seed_files(target: Target, corpus: Path | None) -> Iterator[Path]:
    """Seed files of a target: from the repository, and from the shared corpus when given
    (`corpus/…` globs)."""
    for pattern in target.seed_globs:
        base, rest = (
            (corpus, pattern.removeprefix("corpus/"))
            if pattern.startswith("corpus/")
            else (REPO, pattern)
        )
        if base is None:
            continue
        yield from sorted(base.glob(rest))


def seeds(target: Target, corpus: Path | None) -> list[bytes]:
    """Up to MAX_SEEDS seed inputs (small files first), plus the target's own."""
    found = []
    for path in seed_files(target, corpus):
        try:
            if path.is_file() and path.stat().st_size <= MAX_SEED_BYTES:
                found.append(path.read_bytes())
        except OSError:
            continue
    found.sort(key=len)
    step = max(1, len(found) // MAX_SEEDS)
    return [*found[::step][:MAX_SEEDS], *target.extra_seeds()] or [b""]
