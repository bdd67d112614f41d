"""Fail-closed behaviour and TLS: internal errors deny, certificates rotate without a
restart, client certificates are required when a client CA is configured."""

from __future__ import annotations

import shutil
import socket
import ssl
import time

import httpx
import pytest
from cryptography import x509

from tests.gate.harness import FAULT_LABEL, audited, free_port, running_gate
from tests.gate.objects import pod
from tests.gate.tls import Issued, TestCA, serial_of


@pytest.fixture(scope="module")
def faulty_gate(tmp_path_factory, pki, gate_files, images):
    folder = tmp_path_factory.mktemp("faulty-gate")
    with running_gate(
        folder,
        pki.ca.path,
        pki.server,
        config=gate_files,
        audit=str(folder / "audit.db"),
        faulty=True,
    ) as server:
        yield server


@pytest.mark.parametrize("fault", ["check", "inventory"])
def test_internal_error_denies(faulty_gate, images, fault):
    uid = f"fault-{fault}"
    response = faulty_gate.admit(pod(images.signed, labels={FAULT_LABEL: fault}), uid=uid)

    assert response["allowed"] is False
    message = response["status"]["message"]
    assert "fails closed" in message
    denied = audited(faulty_gate, uid)["denied"]
    assert denied[0]["code"] == ("check-error" if fault == "check" else "internal-error")
    if fault == "inventory":
        errors = [line for line in faulty_gate.logs() if line.get("event") == "internal_error"]
        assert "planted fault while classifying" in errors[-1]["exception"]


def test_the_same_server_still_allows_after_a_fault(faulty_gate, images):
    faulty_gate.admit(pod(images.signed, labels={FAULT_LABEL: "inventory"}))
    assert faulty_gate.admit(pod(images.signed))["allowed"] is True


def _served_serial(port: int, ca_path) -> int:
    """The serial number of the certificate the server presents (verified by the CA)."""
    context = ssl.create_default_context(cafile=str(ca_path))
    with (
        socket.create_connection(("127.0.0.1", port), timeout=5) as raw,
        context.wrap_socket(raw, server_hostname="localhost") as tls,
    ):
        der = tls.getpeercert(binary_form=True)
    return x509.load_der_x509_certificate(der).serial_number


def test_certificate_rotation_is_picked_up_and_a_broken_pair_is_not(
    tmp_path, pki, gate_files, images
):
    cert, key = tmp_path / "tls.crt", tmp_path / "tls.key"
    shutil.copy(pki.server.cert, cert)
    shutil.copy(pki.server.key, key)
    first = pki.server
    with running_gate(
        tmp_path,
        pki.ca.path,
        Issued(cert, key),
        config=gate_files,
        audit=str(tmp_path / "audit.db"),
        args=("--tls-reload-interval", "0.2"),
    ) as gate:
        assert _served_serial(gate.port, pki.ca.path) == serial_of(first.cert.read_bytes())

        rotated = pki.ca.issue("rotated")
        cert.write_bytes(rotated.cert.read_bytes())  # a rotation half done: key still old
        time.sleep(0.6)
        assert _served_serial(gate.port, pki.ca.path) == serial_of(first.cert.read_bytes())
        key.write_bytes(rotated.key.read_bytes())

        deadline = time.monotonic() + 10
        while _served_serial(gate.port, pki.ca.path) != serial_of(rotated.cert.read_bytes()):
            assert time.monotonic() < deadline, "the rotated certificate was not served"
            time.sleep(0.1)
        assert gate.admit(pod(images.signed))["allowed"] is True
        events = [line.get("event") for line in gate.logs()]
        assert "tls_reload_failed" in events and "tls_reloaded" in events


def test_mtls_requires_client_certificates_and_probes_are_served_apart(
    tmp_path, pki, gate_files, images
):
    stranger = TestCA(tmp_path, "other CA").issue("stranger", server=False)
    probe_port = free_port()
    args = ("--client-ca", str(pki.ca.path), "--probe-listen", f"127.0.0.1:{probe_port}")
    with running_gate(
        tmp_path,
        pki.ca.path,
        pki.server,
        config=gate_files,
        audit=str(tmp_path / "audit.db"),
        args=args,
        client_cert=pki.client,
    ) as gate:
        assert gate.admit(pod(images.signed))["allowed"] is True
        probes = f"http://127.0.0.1:{probe_port}"
        assert httpx.get(f"{probes}/readyz").text == "ready\n"
        assert "c4guard_gate_decisions_total" in httpx.get(f"{probes}/metrics").text
        assert httpx.post(f"{probes}/validate", json={}).status_code == 404
        for cert in (None, stranger):
            context = ssl.create_default_context(cafile=str(pki.ca.path))
            if cert is not None:
                context.load_cert_chain(cert.cert, cert.key)
            with pytest.raises((httpx.TransportError, ssl.SSLError)):
                httpx.get(f"{gate.base_url}/healthz", verify=context, timeout=5)
