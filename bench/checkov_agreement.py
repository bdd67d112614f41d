"""Agreement of c4guard with Checkov on the checks both tools have (issue 15).

    python bench/checkov_agreement.py [--checkov .venv-checkov/bin/checkov]
        [--cache /tmp/checkov-cache] [--repo NAME ...] [--scan] [--disagreements]

Checkov (`pip install checkov` into its own virtual environment) runs on each corpus
repository with only the mapped checks; its JSON output is cached per repository. c4guard's
findings come from the stored reference reports (or `--scan`). Both are reduced to one verdict
per (file, resource, c4guard check) — fail when any mapped finding of that resource fails —
and compared where both tools judged the resource. Results are printed per domain:
Kubernetes, Dockerfile, and Terraform on AWS, GCP and Azure. Terraform plan JSON is left out
(Checkov reads plans only as a separate framework).
"""

from __future__ import annotations

import argparse
import json
import re
import subprocess
import sys
from collections import Counter, defaultdict
from dataclasses import dataclass
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from tests.precision.findings import (  # noqa: E402
    Finding,
    corpus_root,
    reference_findings,
    scanned_findings,
)

# c4guard check -> the Checkov checks that judge the same setting. c4guard fails a resource
# when ANY of them fails (e.g. one host-namespace check for hostPID, hostIPC and hostNetwork).
MAPPING: dict[str, tuple[str, ...]] = {
    # Kubernetes (Checkov judges a workload as a whole; c4guard per container, combined here)
    "K8S-PRIVILEGED": ("CKV_K8S_16",),
    "K8S-PRIV-ESCALATION": ("CKV_K8S_20",),
    "K8S-HOST-NAMESPACES": ("CKV_K8S_17", "CKV_K8S_18", "CKV_K8S_19"),
    "K8S-RUN-AS-NON-ROOT": ("CKV_K8S_23",),
    "K8S-READONLY-ROOTFS": ("CKV_K8S_22",),
    "K8S-CAPS-DROP-ALL": ("CKV_K8S_37",),
    "K8S-CAPS-ADDED": ("CKV_K8S_25",),
    "K8S-SECCOMP": ("CKV_K8S_31",),
    "K8S-RESOURCE-LIMITS": ("CKV_K8S_11", "CKV_K8S_13"),
    "K8S-IMAGE-DIGEST": ("CKV_K8S_43",),
    "K8S-SA-TOKEN-AUTOMOUNT": ("CKV_K8S_38",),
    "K8S-SECRET-ENV": ("CKV_K8S_35",),
    # Dockerfile (Checkov names the resource by path, as c4guard does)
    "DOCKER-USER": ("CKV_DOCKER_3", "CKV_DOCKER_8"),
    "DOCKER-SSH": ("CKV_DOCKER_1",),
    # Terraform, AWS
    "TF-IMDSV2": ("CKV_AWS_79",),
    # CKV_AWS_39 (public endpoint disabled at all) is stricter than c4guard's check, which
    # accepts a public endpoint restricted to known CIDRs; CKV_AWS_38 judges the same thing.
    "TF-K8S-API-PUBLIC": ("CKV_AWS_38", "CKV_GCP_20", "CKV_AZURE_6"),
    "TF-ADMIN-PORTS-OPEN": (
        "CKV_AWS_24",
        "CKV_AWS_25",
        "CKV_GCP_2",
        "CKV_GCP_3",
        "CKV_AZURE_9",
        "CKV_AZURE_10",
    ),
    "TF-KEY-ROTATION": ("CKV_AWS_7", "CKV_GCP_43"),
    "TF-SAGEMAKER-INTERNET": ("CKV_AWS_122",),
    "TF-SAGEMAKER-ROOT": ("CKV_AWS_307",),
    "TF-SAGEMAKER-NETWORK-ISOLATION": ("CKV_AWS_370",),
    # Terraform, GCP
    "TF-GKE-METADATA": ("CKV_GCP_69",),
    "TF-GKE-BINARY-AUTHZ": ("CKV_GCP_66",),
    "TF-SECURE-BOOT": ("CKV_GCP_68",),
    "TF-FLOW-LOGS": ("CKV_GCP_26",),
    "TF-GCP-OS-LOGIN": ("CKV_GCP_34",),
    "TF-NOTEBOOK-PUBLIC-IP": ("CKV_GCP_89", "CKV_AZURE_144"),
    # Terraform, Azure
    "TF-KEYS-IN-KMS": ("CKV_AZURE_112",),
}
# Pairs that look alike but judge different things, so they are not compared (docs/precision.md):
# TF-K8S-SECRETS-ENCRYPTION vs CKV_AWS_58 (EKS 1.28+ envelope-encrypts Secrets by default;
# Checkov demands a customer-managed key), DOCKER-BASE-DIGEST vs CKV_DOCKER_7 (digest vs
# "not latest"), CKV_AWS_39 (see above).
DOMAINS = ("kubernetes", "dockerfile", "terraform-aws", "terraform-gcp", "terraform-azure")
FRAMEWORKS = ("kubernetes", "dockerfile", "terraform")
MODULE = re.compile(r"^(module\.[^.]+\.)+")
INDEX = re.compile(r"\[[^\]]*\]")


@dataclass(frozen=True, slots=True)
class Key:
    """One (repository, file, resource, c4guard check) both tools may judge."""

    repo: str
    path: str
    resource: str
    check: str

    @property
    def domain(self) -> str:
        if self.check.startswith("K8S-"):
            return "kubernetes"
        if self.check.startswith("DOCKER-"):
            return "dockerfile"
        cloud = {"aws": "aws", "google": "gcp", "azurerm": "azure"}
        return "terraform-" + cloud.get(self.resource.split("_", 1)[0], "other")


def terraform_address(address: str) -> str:
    """`module.a[0].module.b.aws_x.y["k"]` -> `aws_x.y`: the resource as written in its file."""
    return INDEX.sub("", MODULE.sub("", address))


def c4guard_resource(finding: Finding) -> str | None:
    kind, name, namespace = finding.kind, finding.name, finding.namespace
    if finding.check_id.startswith("K8S-"):
        return f"{kind}.{namespace or 'default'}.{name}"
    if finding.check_id.startswith("DOCKER-"):
        return finding.relpath
    if finding.relpath.endswith(".json"):
        return None  # plan JSON: Checkov reads plans only as framework terraform_plan
    return terraform_address(name)


def checkov_resource(check_id: str, path: str, resource: str) -> str:
    if check_id.startswith("CKV_DOCKER"):
        return path
    if check_id.startswith("CKV_K8S"):
        return resource
    return terraform_address(resource)


def _checkov_json(command: list[str], cwd: Path | None = None) -> list[dict[str, Any]] | None:
    """Checkov's reports for one invocation, None when it crashed (no JSON)."""
    done = subprocess.run(command, capture_output=True, text=True, timeout=3600, cwd=cwd)
    try:
        data = json.loads(done.stdout)
    except json.JSONDecodeError:
        return None
    return data if isinstance(data, list) else [data]


def _in_batches(base: list[str], root: Path, files: list[str], size: int) -> list[dict[str, Any]]:
    """Checkov over files in batches (`-f`), halving a batch it crashes on down to 10 files
    (Checkov 3.3.30 crashes on some Kubernetes inputs; those files are left out)."""
    reports: list[dict[str, Any]] = []
    for start in range(0, len(files), size):
        batch = files[start : start + size]
        args = [arg for name in batch for arg in ("-f", name)]
        found = _checkov_json([*base, *args], cwd=root)
        if found is not None:
            reports.extend(found)
        elif size > 10:
            reports.extend(_in_batches(base, root, batch, max(10, size // 10)))
        else:
            print(f"checkov crashed on {len(batch)} files from {batch[0]}", file=sys.stderr)
    return reports


def run_checkov(checkov: str, repo: str, cache: Path) -> list[dict[str, Any]]:
    """Checkov's results for one repository (cached), as a list of per-framework reports:
    the repository as a directory, or its files in batches when Checkov crashes on it."""
    cached = cache / f"{repo}.json"
    if not cached.exists():
        ids = ",".join(sorted({i for ids in MAPPING.values() for i in ids}))
        options = ["--check", ids, "-o", "json", "--skip-download", "--compact"]
        root = corpus_root() / repo
        reports = _checkov_json([checkov, "-d", str(root), "--framework", *FRAMEWORKS, *options])
        if reports is None:
            files = sorted(
                "./" + str(p.relative_to(root))
                for p in root.rglob("*")
                if p.is_file() and p.suffix in (".yaml", ".yml", ".json", ".tf")
            )
            base = [checkov, "--framework", *FRAMEWORKS, *options]
            reports = _in_batches(base, root, files, 100)
        cache.mkdir(parents=True, exist_ok=True)
        cached.write_text(json.dumps(reports), encoding="utf-8")
    data = json.loads(cached.read_text(encoding="utf-8") or "[]")
    return data if isinstance(data, list) else [data]


def checkov_verdicts(repo: str, reports: list[dict[str, Any]]) -> dict[Key, str]:
    reverse = defaultdict(list)
    for c4, ids in MAPPING.items():
        for ident in ids:
            reverse[ident].append(c4)
    verdicts: dict[Key, str] = {}
    for report in reports:
        results = report.get("results") or {}
        for bucket, verdict in (("passed_checks", "pass"), ("failed_checks", "fail")):
            for result in results.get(bucket, []):
                path = result["file_path"].lstrip("/")
                resource = checkov_resource(result["check_id"], path, result["resource"])
                for c4 in reverse.get(result["check_id"], ()):
                    key = Key(repo, path, resource, c4)
                    if verdicts.get(key) != "fail":
                        verdicts[key] = verdict
    return verdicts


def c4guard_verdicts(findings: list[Finding]) -> dict[Key, str]:
    verdicts: dict[Key, str] = {}
    for finding in findings:
        if finding.check_id not in MAPPING or finding.result not in ("pass", "fail"):
            continue
        resource = c4guard_resource(finding)
        if resource is None:
            continue
        key = Key(finding.repo, finding.relpath, resource, finding.check_id)
        if verdicts.get(key) != "fail":
            verdicts[key] = finding.result
    return verdicts


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--checkov", default=str(REPO / ".venv-checkov" / "bin" / "checkov"))
    parser.add_argument("--cache", type=Path, default=Path("/tmp/checkov-cache"))
    parser.add_argument("--repo", action="append", help="only these corpus repositories")
    parser.add_argument("--scan", action="store_true", help="scan with c4guard afresh")
    parser.add_argument("--disagreements", action="store_true", help="list each one")
    args = parser.parse_args(argv)
    repos = set(args.repo or [p.name for p in corpus_root().iterdir() if p.is_dir()])
    findings = scanned_findings(repos) if args.scan else reference_findings()
    findings = [f for f in findings if f.repo in repos]
    ours = c4guard_verdicts(findings)
    theirs: dict[Key, str] = {}
    for repo in sorted(repos):
        theirs.update(checkov_verdicts(repo, run_checkov(args.checkov, repo, args.cache)))
    both = sorted(set(ours) & set(theirs), key=lambda k: (k.domain, k.check, k.repo, k.path))
    per: dict[str, Counter[bool]] = defaultdict(Counter)
    per_check: dict[str, Counter[bool]] = defaultdict(Counter)
    for key in both:
        agree = ours[key] == theirs[key]
        per[key.domain][agree] += 1
        per_check[key.check][agree] += 1
    for domain in DOMAINS:
        counts = per[domain]
        total = counts[True] + counts[False]
        share = f"{counts[True] / total:.2%}" if total else "-"
        print(f"{domain:16} compared {total:5}  agree {counts[True]:5}  {share}")
    for check in sorted(per_check):
        counts = per_check[check]
        print(f"  {check:32} {MAPPING[check]!s:40} {counts[True]:5}/{sum(counts.values()):5}")
    if args.disagreements:
        for key in both:
            if ours[key] != theirs[key]:
                print(
                    f"c4guard {ours[key]:4} checkov {theirs[key]:4} {key.check:26} "
                    f"{key.repo}/{key.path} {key.resource}"
                )
    return 0


if __name__ == "__main__":
    sys.exit(main())
