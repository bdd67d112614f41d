"""`c4guard controls` and `c4guard explain`: the catalog and the checks that verify it.

The check registry is imported only where a command shows checks (importing it imports
every check), so `c4guard controls` lists the catalog without loading them.
"""

from __future__ import annotations

import json
from dataclasses import asdict

import click

from c4guard.catalog import load_catalog
from c4guard.errors import UsageError
from c4guard.model import Automation, Requirement


@click.command()
@click.option("--level", type=click.IntRange(1, 3), help="Only requirements up to this level.")
@click.option(
    "--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True
)
def controls(level: int | None, fmt: str) -> None:
    """List the requirements of the catalog (OWASP AISVS C4)."""
    catalog = load_catalog()
    requirements = [r for r in catalog.requirements if level is None or r.level <= level]
    if fmt == "json":
        click.echo(
            json.dumps(
                {
                    "standard": catalog.standard,
                    "chapter": catalog.chapter,
                    "version": catalog.version,
                    "license": catalog.license,
                    "attribution": catalog.attribution,
                    "requirements": [_requirement_dict(r) for r in requirements],
                },
                indent=2,
                ensure_ascii=False,
            )
        )
        return
    for section in catalog.sections:
        members = [r for r in requirements if r.section == section.id]
        if members:
            click.echo(f"{section.id} {section.title}")
        for r in members:
            assumed = " (level assumed)" if r.level_assumed else ""
            click.echo(f"  {r.id}  L{r.level}{assumed}  {r.automation.value:<7}  {r.title}")


def _requirement_dict(r: Requirement) -> dict[str, object]:
    from c4guard.checks import checks_for

    data = asdict(r)
    data["automation"] = data["automation"].value
    data["checks"] = [c.id for c in checks_for(data["id"])]
    return data


@click.command()
@click.argument("item")
def explain(item: str) -> None:
    """Explain a requirement (4.1.1) or a check (K8S-PRIVILEGED)."""
    from c4guard.checks import REGISTRY

    catalog = load_catalog()
    requirement = catalog.get(item)
    if requirement is not None:
        click.echo(_explain_requirement(requirement.id))
    elif item.upper() in REGISTRY:
        click.echo(_explain_check(item.upper()))
    else:
        raise UsageError(
            f"no requirement or check {item!r}; see `c4guard controls` and `c4guard explain 4.1.1`"
        )


def _explain_requirement(requirement_id: str) -> str:
    catalog = load_catalog()
    r = catalog.get(requirement_id)
    assert r is not None
    lines = [
        f"{r.id}  {r.title}",
        f"Section {r.section} {r.section_title}; level {r.level}"
        f"{' (assumed: the standard gives none)' if r.level_assumed else ''}; roles "
        f"{'/'.join(r.roles)}; automation {r.automation.value}",
        "",
        r.text,
    ]
    if r.text_ja:
        lines += ["", f"Original: {r.text_ja}"]
    lines += [
        "",
        f"Evidence c4guard reads: {r.evidence}",
        f"Evidence domains: {', '.join(r.domains) or 'none (attestation only)'}",
        "",
    ]
    from c4guard.checks import checks_for

    checks = checks_for(r.id)
    if checks:
        lines.append("Checks:")
        for c in checks:
            lines += [
                f"  {c.id} ({c.severity.value}, {c.domain}): {c.title}",
                f"      fix: {c.remediation}",
            ]
    elif r.automation is Automation.NONE:
        lines.append(
            "Checks: none. No configuration can show this requirement: an attestation "
            "in c4guard.yaml (`attestations:`) settles it, or `not_applicable`."
        )
    else:
        lines.append(
            "Checks: none yet. Until one exists the requirement is `review` unless an "
            "attestation or a not_applicable entry in c4guard.yaml settles it."
        )
    kubernetes = ", ".join(c.id for c in checks if c.domain == "kubernetes")
    lines += ["", f"Kubernetes checks: {kubernetes or 'none. ' + (r.kubernetes_gap or '')}"]
    return "\n".join(lines)


def _explain_check(check_id: str) -> str:
    from c4guard.checks import REGISTRY

    c = REGISTRY[check_id]
    requirement = load_catalog().get(c.requirement)
    lines = [
        f"{c.id}  {c.title}",
        f"Requirement {c.requirement}"
        f"{f' ({requirement.title})' if requirement else ''}; severity {c.severity.value}; "
        f"domain {c.domain}",
    ]
    if c.doc:
        lines += ["", c.doc]
    lines += ["", f"Remediation: {c.remediation}"]
    if c.references:
        lines += ["References:", *[f"  {ref}" for ref in c.references]]
    from c4guard.gate.export.declarations import native_status

    native = native_status(c.id, c.domain)
    return "\n".join([*lines, "", f"Native admission policies: {native}"] if native else lines)
