"""Events and their canonical entries."""

from __future__ import annotations

import functools
import hashlib

import pytest

from c4guard.audit.events import (
    MAX_ENTRY_BYTES,
    Event,
    EventError,
    assessment_payload,
    decode_entry,
    encode_entry,
)


def test_entries_are_rfc8785_canonical():
    event = Event("gate.decision", {"z": 1, "a": [1.5, "é", None, True], "n": 1e21}, "gate-0")
    data = encode_entry(7, "2025-01-02T03:04:05.000006Z", event)
    assert (
        data
        == (
            '{"actor":"gate-0","index":7,"kind":"gate.decision",'
            '"payload":{"a":[1.5,"é",null,true],"n":1e+21,"z":1},'
            '"time":"2025-01-02T03:04:05.000006Z","version":1}'
        ).encode()
    )
    entry = decode_entry(data)
    assert (entry.index, entry.kind, entry.actor) == (7, "gate.decision", "gate-0")
    assert entry.payload["z"] == 1


def test_assessment_payload_holds_the_report_digest_and_summary():
    report = b'{"summary": {"fail": 2}}'
    payload = assessment_payload(report, {"fail": 2})
    assert payload == {"report_sha256": hashlib.sha256(report).hexdigest(), "summary": {"fail": 2}}
    Event("scan.assessment", payload, "ci")


@pytest.mark.parametrize(
    ("kind", "payload", "actor", "message"),
    [
        ("scan.unknown", {}, "me", "unknown event kind"),
        ("gate.decision", [], "me", "JSON object"),
        ("gate.decision", {}, " ", "actor"),
        ("gate.decision", {}, "x" * 300, "longer than"),
        ("scan.assessment", {"summary": {}}, "me", "report_sha256"),
        ("scan.assessment", {"report_sha256": "A" * 64, "summary": {}}, "me", "report_sha256"),
        ("scan.assessment", {"report_sha256": "a" * 64}, "me", "summary"),
    ],
)
def test_bad_events_are_refused(kind, payload, actor, message):
    with pytest.raises(EventError, match=message):
        Event(kind, payload, actor)


@pytest.mark.parametrize(
    "payload",
    [
        {"x": float("nan")},
        {"x": 2**60},
        {"x": {"y": object()}},
        {"deep": functools.reduce(lambda acc, _: [acc], range(40), 0)},
        {"big": "x" * MAX_ENTRY_BYTES},
    ],
)
def test_payloads_without_a_canonical_form_are_refused(payload):
    with pytest.raises(EventError):
        encode_entry(0, "t", Event("verify.verdict", payload, "me"))


@pytest.mark.parametrize(
    "data",
    [
        b"not json",
        b"[]",
        b'{"version":2}',
        b'{"version":1,"index":"0","time":"t","kind":"k","actor":"a","payload":{}}',
        b'{"version":1,"index":true,"time":"t","kind":"k","actor":"a","payload":{}}',
        b'{"version":1,"index":0,"time":"t","kind":"k","actor":"a"}',
    ],
)
def test_malformed_stored_entries_are_reported(data):
    with pytest.raises(EventError):
        decode_entry(data)
