"""The offline export and its verifier."""

from __future__ import annotations

import io
import json

import pytest

from c4guard.audit import AuditError
from c4guard.audit.export import verify_export, write_export
from c4guard.audit.note import Signer
from tests.audit.audit_testing import fill


@pytest.fixture
def exported(trail, signer) -> list[str]:
    """Lines of an export of 21 entries with checkpoints at 4, 9 and 21."""
    for start, count in [(0, 4), (4, 5), (9, 12)]:
        fill(trail, count, start)
        trail.checkpoint(signer)
    fill(trail, 3, start=21)  # after the last checkpoint: not exported
    out = io.StringIO()
    head = write_export(trail, out)
    assert head.size == 21
    return out.getvalue().splitlines(keepends=True)


def check(lines: list[str], signer: Signer):
    return verify_export(io.StringIO("".join(lines)), [signer.verifier()])


def test_an_export_verifies_offline(exported, signer):
    assert len(exported) == 1 + 2 + 21
    report = check(exported, signer)
    assert report.ok, report.problems
    assert (report.entries, report.checkpoints_verified) == (21, 3)


def test_an_export_needs_a_checkpoint(trail):
    fill(trail, 2)
    with pytest.raises(AuditError, match="no signed checkpoint"):
        write_export(trail, io.StringIO())


def edit(line: str, **changes) -> str:
    obj = json.loads(line)
    obj.update(changes)
    return json.dumps(obj) + "\n"


def test_altered_exports_fail(exported, signer):
    first_entry = 3
    entry_7 = json.loads(exported[first_entry + 7])
    forged_text = entry_7["entry"].replace('"n":7', '"n":8')
    cases = {
        "changed entry": [*exported[:10], edit(exported[10], entry=forged_text), *exported[11:]],
        "dropped entry": exported[:10] + exported[11:],
        "swapped entries": [*exported[:5], exported[6], exported[5], *exported[7:]],
        "truncated": exported[:-1],
        "other key": exported,
        "broken consistency": [exported[0], edit(exported[1], proof=[]), *exported[2:]],
        "renamed log": [edit(exported[0], origin="other"), *exported[1:]],
    }
    for name, lines in cases.items():
        key = Signer.generate(signer.name) if name == "other key" else signer
        assert not check(lines, key).ok, name


def test_garbage_is_not_an_export(signer):
    for text in ["", "not json\n", "[]\n", '{"format":"other"}\n']:
        report = verify_export(io.StringIO(text), [signer.verifier()])
        assert not report.ok and "not a c4guard audit export" in report.problems[0]
