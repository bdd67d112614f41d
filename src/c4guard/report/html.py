"""One self-contained HTML file: inline CSS, SVG and script, nothing loaded from anywhere
(a Content-Security-Policy with the hashes of the inline style and script forbids the
rest). Level conformance at a glance, a status bar per section, every requirement with
its reason and evidence (what a `review` still needs), the findings table with filters by
status, severity and requirement, exceptions and attestations with their expiry, and the
inputs that could not be read. Everything from the scanned files is escaped."""

from __future__ import annotations

import base64
import hashlib
from collections import Counter
from collections.abc import Iterable
from html import escape
from typing import Any

from c4guard import __version__
from c4guard.catalog import load_catalog
from c4guard.model import Assessment, Finding, RequirementResult, Result, Severity, Status
from c4guard.report.common import (
    STATUS_LABEL,
    STATUS_ORDER,
    attestations,
    by_section,
    exceptions,
    finding_order,
)

MAX_ROWS = 20_000

STYLE = """
:root{--pass:#1a7f37;--fail:#cf222e;--attested:#0969da;--not_applicable:#8c959f;
--review:#bf8700;--unknown:#bf8700;--suppressed:#8c959f;--fg:#1f2328;--muted:#59636e;
--bg:#fff;--panel:#f6f8fa;--line:#d1d9e0}
@media (prefers-color-scheme:dark){:root{--fg:#e6edf3;--muted:#9198a1;--bg:#0d1117;
--panel:#151b23;--line:#3d444d}}
*{box-sizing:border-box}
body{font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;color:var(--fg);
background:var(--bg);margin:0 auto;max-width:1200px;padding:24px}
h1{font-size:22px;margin:0 0 4px}h2{font-size:18px;margin:32px 0 8px;
border-bottom:1px solid var(--line);padding-bottom:4px}
.muted{color:var(--muted)}code{font:12px ui-monospace,SFMono-Regular,Menlo,monospace}
.cards{display:flex;gap:12px;flex-wrap:wrap;margin:16px 0}
.card{background:var(--panel);border:1px solid var(--line);border-radius:8px;padding:12px 16px;
min-width:150px}
.card b{display:block;font-size:20px}
.met b{color:var(--pass)}.unmet b{color:var(--fail)}
.badge{display:inline-block;border-radius:10px;padding:0 8px;font-size:12px;font-weight:600;
color:#fff;white-space:nowrap}
.s-pass{background:var(--pass)}.s-fail{background:var(--fail)}
.s-attested{background:var(--attested)}.s-not_applicable{background:var(--not_applicable)}
.s-review,.s-unknown{background:var(--review)}.s-suppressed{background:var(--suppressed)}
.sev-critical,.sev-high{color:var(--fail);font-weight:600}.sev-medium{color:var(--review)}
table{border-collapse:collapse;width:100%;margin:8px 0}
th,td{text-align:left;vertical-align:top;padding:4px 8px;border-bottom:1px solid var(--line)}
th{background:var(--panel)}
td code,td.date{white-space:nowrap}
.sections td:first-child{width:40%}
svg.bar{display:block}
.legend span{margin-right:12px}.legend i{display:inline-block;width:10px;height:10px;
border-radius:2px;margin-right:4px;vertical-align:middle}
.l-pass{background:var(--pass)}.l-fail{background:var(--fail)}.l-attested{background:var(--attested)}
.l-not_applicable{background:var(--not_applicable)}.l-review{background:var(--review)}
details.req{border:1px solid var(--line);border-radius:6px;margin:6px 0;padding:6px 10px}
details.req summary{cursor:pointer}
details.req ul{margin:6px 0;padding-left:20px}
.filters{display:flex;gap:12px;flex-wrap:wrap;align-items:end;background:var(--panel);
border:1px solid var(--line);border-radius:8px;padding:10px;position:sticky;top:0;z-index:1}
.filters label{display:flex;flex-direction:column;font-size:12px;color:var(--muted)}
select,input,button{font:inherit;padding:3px 6px;border:1px solid var(--line);border-radius:6px;
background:var(--bg);color:var(--fg)}
button.link{border:none;background:none;color:var(--attested);cursor:pointer;padding:0}
tr[hidden]{display:none}
@media print{.filters{display:none}tr[hidden]{display:table-row}details.req{break-inside:avoid}}
"""

SCRIPT = """
(function () {
  "use strict";
  var status = document.getElementById("filter-status");
  var severity = document.getElementById("filter-severity");
  var requirement = document.getElementById("filter-requirement");
  var text = document.getElementById("filter-text");
  var count = document.getElementById("filter-count");
  var rows = Array.prototype.slice.call(document.querySelectorAll("#findings-table tbody tr"));
  function apply() {
    var shown = 0;
    var needle = text.value.trim().toLowerCase();
    rows.forEach(function (row) {
      var ok = (!status.value || row.dataset.status === status.value) &&
        (!severity.value || row.dataset.severity === severity.value) &&
        (!requirement.value || row.dataset.requirement === requirement.value) &&
        (!needle || row.textContent.toLowerCase().indexOf(needle) !== -1);
      row.hidden = !ok;
      if (ok) { shown += 1; }
    });
    count.textContent = shown + " of " + rows.length + " findings shown";
  }
  [status, severity, requirement].forEach(function (el) { el.addEventListener("change", apply); });
  text.addEventListener("input", apply);
  document.getElementById("filter-reset").addEventListener("click", function () {
    status.value = ""; severity.value = ""; requirement.value = ""; text.value = ""; apply();
  });
  Array.prototype.forEach.call(document.querySelectorAll("[data-show-findings]"), function (b) {
    b.addEventListener("click", function () {
      status.value = ""; severity.value = ""; text.value = "";
      requirement.value = b.getAttribute("data-show-findings");
      apply();
      document.getElementById("findings").scrollIntoView();
    });
  });
  apply();
}());
"""


def render(assessment: Assessment) -> str:
    findings = sorted(assessment.findings(), key=finding_order)
    body = "\n".join(
        [
            _header(assessment),
            _levels(assessment),
            _sections(assessment),
            _requirements(assessment),
            _findings(assessment, findings),
            _governance(assessment),
            _inputs(assessment),
            _footer(),
        ]
    )
    csp = (
        f"default-src 'none'; style-src '{_hash(STYLE)}'; script-src '{_hash(SCRIPT)}'; "
        "img-src data:; base-uri 'none'; form-action 'none'"
    )
    title = f"c4guard: OWASP AISVS C4 assessment of {', '.join(assessment.targets)}"
    return (
        '<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n'
        f'<meta http-equiv="Content-Security-Policy" content="{csp}">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        '<meta name="referrer" content="no-referrer">\n'
        f"<title>{_e(title)}</title>\n<style>{STYLE}</style>\n</head>\n<body>\n{body}\n"
        f"<script>{SCRIPT}</script>\n</body>\n</html>\n"
    )


def _hash(source: str) -> str:
    digest = hashlib.sha256(source.encode("utf-8")).digest()
    return "sha256-" + base64.b64encode(digest).decode("ascii")


def _e(value: Any) -> str:
    return escape(str(value), quote=True)


def _badge(status: str, label: str | None = None) -> str:
    return f'<span class="badge s-{_e(status)}">{_e(label or status.replace("_", " "))}</span>'


def _header(a: Assessment) -> str:
    catalog = load_catalog()
    met = a.level_met(a.level)
    inputs = a.inputs
    verdict = (
        f"{_badge('pass' if met else 'fail', 'met' if met else 'not met')} "
        f"level {a.level} (<code>--fail-on {_e(a.fail_on)}</code>)"
    )
    return (
        f"<header><h1>c4guard: {_e(catalog.standard)} {_e(catalog.chapter)} assessment</h1>"
        f'<div class="muted">{_e(", ".join(a.targets))} · {_e(a.started_at)} · '
        f"c4guard {_e(__version__)} · catalog {_e(catalog.version)}</div>"
        f"<p>{verdict} · read {inputs.files_read} files, {inputs.resources} resources "
        f"({_e(', '.join(a.scanned_domains) or 'nothing')}); "
        f"{sum(inputs.skipped.values())} skipped; "
        f"{len(inputs.input_errors)} input errors</p></header>"
    )


def _levels(a: Assessment) -> str:
    cards = []
    for n in (1, 2, 3):
        met = a.level_met(n)
        unmet = sum(
            1
            for r in a.requirements
            if r.requirement.level <= n and r.status in (Status.FAIL, Status.REVIEW)
        )
        detail = "every requirement met" if met else f"{unmet} requirements not met"
        cards.append(
            f'<div class="card {"met" if met else "unmet"}" id="level-{n}">Level {n}'
            f"<b>{'met' if met else 'not met'}</b>"
            f'<span class="muted">{detail}</span></div>'
        )
    counts = Counter(r.status for r in a.requirements)
    excepted = sum(1 for r in a.requirements if r.status is Status.PASS and r.exceptions)
    cards.append(
        f'<div class="card">Requirements<b>{len(a.requirements)}</b>'
        f'{_bar(counts, 220)}<span class="muted">'
        + " · ".join(f"{counts.get(s, 0)} {STATUS_LABEL[s]}" for s in STATUS_ORDER)
        + (f" ({excepted} pass with exceptions)" if excepted else "")
        + "</span></div>"
    )
    return (
        f'<section id="levels"><h2>Level conformance</h2><div class="cards">'
        f"{''.join(cards)}</div>{_legend()}</section>"
    )


def _bar(counts: Counter[Status], width: int) -> str:
    total = sum(counts.values()) or 1
    x, parts = 0.0, []
    for status in STATUS_ORDER:
        count = counts.get(status, 0)
        if not count:
            continue
        w = width * count / total
        parts.append(
            f'<rect x="{x:.2f}" y="0" width="{w:.2f}" height="14" '
            f'fill="{_COLOURS[status]}"><title>{count} {STATUS_LABEL[status]}'
            "</title></rect>"
        )
        x += w
    return (
        f'<svg class="bar" width="{width}" height="14" role="img" '
        f'aria-label="requirement statuses">{"".join(parts)}</svg>'
    )


# SVG fill attributes take colours, not CSS variables (no style attributes under the CSP).
_COLOURS = {
    Status.PASS: "#1a7f37",
    Status.FAIL: "#cf222e",
    Status.ATTESTED: "#0969da",
    Status.NOT_APPLICABLE: "#8c959f",
    Status.REVIEW: "#bf8700",
}


def _legend() -> str:
    return (
        '<div class="legend muted">'
        + "".join(
            f'<span><i class="l-{s.value}"></i>{STATUS_LABEL[s]}</span>' for s in STATUS_ORDER
        )
        + "</div>"
    )


def _sections(a: Assessment) -> str:
    rows = []
    for section, counts in by_section(a):
        summary = ", ".join(f"{counts[s]} {STATUS_LABEL[s]}" for s in STATUS_ORDER if counts[s])
        rows.append(
            f"<tr><td>{_e(section.id)} {_e(section.title)}</td>"
            f'<td>{_bar(counts, 300)}</td><td class="muted">{_e(summary)}</td></tr>'
        )
    return (
        '<section id="sections"><h2>By section</h2><table class="sections"><thead><tr>'
        "<th>section</th><th>requirements</th><th>counts</th></tr></thead><tbody>"
        f"{''.join(rows)}</tbody></table></section>"
    )


def _requirements(a: Assessment) -> str:
    blocks = []
    for r in a.requirements:
        req = r.requirement
        scope = (
            "" if req.level <= a.level else f' <span class="muted">(above --level {a.level})</span>'
        )
        opened = " open" if r.status is Status.FAIL else ""
        needs = (
            f"<p><b>Still needed:</b> {_e(r.reason)}</p>"
            if r.status is Status.REVIEW
            else f"<p>{_e(r.reason)}</p>"
        )
        evidence = _evidence(r)
        show = (
            f'<button class="link" data-show-findings="{_e(req.id)}">show its '
            f"{len(r.findings)} findings in the table</button>"
            if r.findings
            else ""
        )
        blocks.append(
            f'<details class="req" id="req-{_e(req.id)}"{opened}>'
            f"<summary>{_badge(r.status.value, STATUS_LABEL[r.status])} <b>{_e(req.id)}</b> "
            f'{_e(req.title)} <span class="muted">level {req.level}'
            f"{'*' if req.level_assumed else ''} · automation {req.automation.value}</span>"
            f'{scope}</summary>{needs}<p class="muted">{_e(req.text)}</p>{evidence}{show}'
            "</details>"
        )
    return (
        f'<section id="requirements"><h2>Requirements</h2>{"".join(blocks)}'
        '<p class="muted">* level assumed: the standard gives none</p></section>'
    )


def _evidence(r: RequirementResult) -> str:
    failing = [f for f in r.findings if f.result is not Result.PASS]
    passing = [f for f in r.findings if f.result is Result.PASS]
    parts = []
    for label, group in (("Failing and unknown", failing), ("Passing evidence", passing)):
        if group:
            items = "".join(
                f"<li>{_finding_line(f)}</li>" for f in sorted(group, key=finding_order)[:25]
            )
            more = f'<li class="muted">… {len(group) - 25} more</li>' if len(group) > 25 else ""
            parts.append(f"<p>{label} ({len(group)}):</p><ul>{items}{more}</ul>")
    return "".join(parts)


def _finding_line(f: Finding) -> str:
    state = _finding_status(f)
    return (
        f"{_badge(state)} <code>{_e(f.check_id)}</code> {_e(f.resource)}: {_e(f.message)} "
        f'<span class="muted">{_e(f.location)}</span>'
    )


def _finding_status(f: Finding) -> str:
    return "suppressed" if f.suppression is not None else f.result.value


def _findings(a: Assessment, findings: list[Finding]) -> str:
    statuses = ("fail", "unknown", "suppressed", "pass")
    present = Counter(_finding_status(f) for f in findings)
    rows = "".join(_finding_row(f) for f in findings[:MAX_ROWS])
    cut = (
        f'<p class="muted">Showing the first {MAX_ROWS} of {len(findings)} findings; the '
        "JSON report has all of them.</p>"
        if len(findings) > MAX_ROWS
        else ""
    )
    requirement_ids = [r.requirement.id for r in a.requirements if r.findings]
    filters = (
        '<div class="filters">'
        + _select("status", [(s, f"{s} ({present[s]})") for s in statuses])
        + _select("severity", [(s.value, s.value) for s in Severity])
        + _select("requirement", [(rid, rid) for rid in requirement_ids])
        + '<label>text<input id="filter-text" type="search" placeholder="resource, file, '
        'message…"></label><button id="filter-reset" type="button">reset</button>'
        '<span id="filter-count" class="muted" aria-live="polite"></span></div>'
    )
    return (
        f'<section id="findings"><h2>Findings ({len(findings)})</h2>{filters}'
        '<table id="findings-table"><thead><tr><th>status</th><th>severity</th>'
        "<th>check</th><th>req.</th><th>resource</th><th>finding</th><th>where</th></tr>"
        f"</thead><tbody>{rows}</tbody></table>{cut}</section>"
    )


def _select(name: str, options: Iterable[tuple[str, str]]) -> str:
    choices = "".join(f'<option value="{_e(v)}">{_e(label)}</option>' for v, label in options)
    return (
        f'<label>{name}<select id="filter-{name}"><option value="">all</option>'
        f"{choices}</select></label>"
    )


def _finding_row(f: Finding) -> str:
    state = _finding_status(f)
    note = ""
    if f.suppression is not None:
        s = f.suppression
        expiry = s.expires.isoformat() if s.expires else "never"
        note = (
            f'<br><span class="muted">suppressed ({_e(s.source)}): {_e(s.reason)}; '
            f"expires {expiry}{f'; approved by {_e(s.approver)}' if s.approver else ''}</span>"
        )
    elif f.result is not Result.PASS and f.remediation:
        note = f'<br><span class="muted">fix: {_e(f.remediation)}</span>'
    return (
        f'<tr data-status="{state}" data-severity="{f.severity.value}" '
        f'data-requirement="{_e(f.requirement)}"><td>{_badge(state)}</td>'
        f'<td class="sev-{f.severity.value}">{f.severity.value}</td>'
        f"<td><code>{_e(f.check_id)}</code></td>"
        f'<td><a href="#req-{_e(f.requirement)}">{_e(f.requirement)}</a></td>'
        f'<td>{_e(f.resource)}<br><span class="muted">{_e(f.subject)}</span></td>'
        f"<td>{_e(f.message)}{note}</td><td><code>{_e(f.location)}</code></td></tr>"
    )


def _governance(a: Assessment) -> str:
    parts = ['<section id="governance"><h2>Exceptions and attestations</h2>']
    entries = exceptions(a)
    if entries:
        rows = "".join(
            f"<tr><td>{_badge(_exception_badge(e['status']), e['status'])}</td>"
            f"<td>{_e(e['source'])}{_where(e)}</td>"
            f"<td><code>{_e(e.get('check') or e.get('requirement') or '?')}</code></td>"
            f"<td>{_e(_resource(e.get('resource') or {}))}</td><td>{_e(e.get('reason') or '')}"
            f'{_problem(e)}</td><td class="date">{_e(e.get("expires") or "none")}</td>'
            f"<td>{_e(e.get('approver') or '')}</td><td>{e.get('matched', 0)}</td></tr>"
            for e in entries
        )
        parts.append(
            "<h3>Exceptions</h3><table><thead><tr><th>status</th><th>source</th>"
            "<th>check / req.</th><th>resource</th><th>reason</th><th>expires</th>"
            f"<th>approver</th><th>matched</th></tr></thead><tbody>{rows}</tbody></table>"
        )
    atts = attestations(a)
    if atts:
        rows = "".join(
            f"<tr><td>{_badge(_attestation_badge(t['status']), t['status'])}</td>"
            f"<td>{_e(t['requirement'])}</td>"
            f"<td>{_e(t['owner'])}</td><td>{_e(t['statement'])}</td>"
            f'<td>{_links(t.get("evidence", []))}</td><td class="date">{_e(t["reviewed"])}</td>'
            f'<td class="date">{_e(t["expires"])}</td></tr>'
            for t in atts
        )
        parts.append(
            "<h3>Attestations</h3><table><thead><tr><th>status</th><th>req.</th>"
            "<th>owner</th><th>statement</th><th>evidence</th><th>reviewed</th>"
            f"<th>expires</th></tr></thead><tbody>{rows}</tbody></table>"
        )
    baseline = a.governance.get("baseline")
    if baseline:
        parts.append(
            f"<h3>Baseline</h3><p><code>{_e(baseline['path'])}</code> "
            f"({_e(baseline.get('created_at') or 'undated')}): {baseline['matched']} "
            f"findings accepted, {baseline['new']} new, {baseline['gone']} gone.</p>"
        )
    selection = a.governance.get("rule_selection") or {}
    if selection.get("not_run") or selection.get("severity"):
        parts.append(
            f"<h3>Rule selection</h3><p>Not run: "
            f"{_e(', '.join(selection.get('not_run', [])) or 'none')}. Severity "
            f"overrides: {_e(selection.get('severity') or 'none')}.</p>"
        )
    if len(parts) == 1:
        parts.append('<p class="muted">No exceptions, attestations or baseline.</p>')
    return "".join(parts) + "</section>"


def _exception_badge(status: str) -> str:
    return {"active": "suppressed", "unused": "not_applicable"}.get(status, "fail")


def _attestation_badge(status: str) -> str:
    if status == "applied":
        return "attested"
    return "not_applicable" if status.startswith("not needed") else "fail"


def _where(entry: dict[str, Any]) -> str:
    if not entry.get("path"):
        return ""
    line = f":{entry['line']}" if entry.get("line") else ""
    return f'<br><code class="muted">{_e(entry["path"])}{line}</code>'


def _problem(entry: dict[str, Any]) -> str:
    return f"<br><b>{_e(entry['problem'])}</b>" if entry.get("problem") else ""


def _resource(selector: dict[str, Any]) -> str:
    return " ".join(f"{k}={v}" for k, v in selector.items() if v) or "any"


def _links(links: list[str]) -> str:
    """Evidence links: http(s) ones as links, anything else as text."""
    out = []
    for link in links:
        if str(link).startswith(("https://", "http://")):
            out.append(f'<a href="{_e(link)}" rel="noopener noreferrer">{_e(link)}</a>')
        else:
            out.append(_e(link))
    return "<br>".join(out)


def _inputs(a: Assessment) -> str:
    inputs = a.inputs
    parts = ['<section id="inputs"><h2>Inputs</h2>']
    if inputs.input_errors:
        items = "".join(
            f"<li><code>{_e(e.path)}{f':{e.line}' if e.line else ''}</code>: {_e(e.reason)}</li>"
            for e in inputs.input_errors
        )
        parts.append(
            f"<p><b>Input errors ({len(inputs.input_errors)})</b>: these files were "
            f"not scanned.</p><ul>{items}</ul>"
        )
    if inputs.render_notices:
        items = "".join(
            f"<li><code>{_e(n.path)}</code>: {_e(n.message)}</li>" for n in inputs.render_notices
        )
        parts.append(f"<p><b>Render notices ({len(inputs.render_notices)})</b></p><ul>{items}</ul>")
    skipped = ", ".join(f"{n} {why}" for why, n in sorted(inputs.skipped.items()))
    parts.append(
        f'<p class="muted">Read {inputs.files_read} files and {inputs.resources} '
        f"resources; skipped: {_e(skipped or 'nothing')}.</p></section>"
    )
    return "".join(parts)


def _footer() -> str:
    catalog = load_catalog()
    return (
        f'<footer class="muted"><p>Requirements: {_e(catalog.attribution)}, licensed '
        f"{_e(catalog.license)}. Report by c4guard {_e(__version__)}.</p></footer>"
    )
