"""`c4guard gate certs`: the CA and serving certificate, kept while valid, renewed near
expiry, and accepted by a TLS client on loopback that checks the Service's DNS name."""

from __future__ import annotations

import base64
import socket
import ssl
import threading
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner

from c4guard.cli import main
from c4guard.gate.certs import CertRequest, ensure, not_after
from c4guard.gate.certs_store import bundle_from_secrets, read_dir, write_dir

SERVICE_NAME = "c4guard-gate.c4guard.svc"


def _certs(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(main, ["gate", "certs", *args])
    return result.exit_code, result.stdout, result.stderr


def test_creates_then_keeps_then_renews(tmp_path: Path) -> None:
    out = tmp_path / "pki"
    code, _, err = _certs("--out-dir", str(out))
    assert code == 0 and "created" in err
    assert (out / "tls.key").stat().st_mode & 0o777 == 0o600
    assert (out / "ca.key").stat().st_mode & 0o777 == 0o600
    first = read_dir(out)
    code, _, err = _certs("--out-dir", str(out))
    assert code == 0 and "kept" in err
    assert read_dir(out) == first
    # A serving certificate that expires within the margin is renewed by the same CA.
    code, _, err = _certs("--out-dir", str(out), "--days", "10", "--renew-before", "400")
    renewed = read_dir(out)
    assert code == 0 and "renewed" in err, err
    assert renewed is not None and first is not None
    assert renewed.ca_cert == first.ca_cert and renewed.cert != first.cert


def test_new_names_renew_and_broken_ca_is_replaced(tmp_path: Path) -> None:
    request = CertRequest("c4guard-gate", "c4guard")
    bundle, action, _ = ensure(None, request)
    assert action == "created"
    wider = CertRequest("c4guard-gate", "c4guard", extra_dns=("gate.example.internal",))
    renewed, action, why = ensure(bundle, wider)
    assert action == "renewed" and "gate.example.internal" in why
    broken = type(bundle)(bundle.ca_cert, b"not a key", bundle.cert, bundle.key)
    replaced, action, _ = ensure(broken, request)
    assert action == "created" and replaced.ca_cert != bundle.ca_cert
    assert renewed.ca_cert == bundle.ca_cert


def test_serving_certificate_never_outlives_its_ca(tmp_path: Path) -> None:
    request = CertRequest("gate", "ns", days=3650, ca_days=100, renew_before_days=1)
    bundle, _, _ = ensure(None, request)
    assert not_after(bundle.cert) <= not_after(bundle.ca_cert)


def test_secret_manifests_on_stdout(tmp_path: Path) -> None:
    out = tmp_path / "pki"
    code, stdout, _ = _certs("--out-dir", str(out), "--secret", "gate-tls")
    assert code == 0
    serving, ca = yaml.safe_load_all(stdout)
    assert serving["type"] == "kubernetes.io/tls" and serving["metadata"]["name"] == "gate-tls"
    assert ca["metadata"]["name"] == "gate-tls-ca" and "ca.key" not in serving["data"]
    assert bundle_from_secrets(serving, ca) == read_dir(out)
    assert base64.b64decode(serving["data"]["ca.crt"]) == (out / "ca.crt").read_bytes()


def test_unwritable_out_dir_is_a_usage_error(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    code, _, err = _certs("--out-dir", str(blocker / "pki"))
    assert code == 2 and "cannot keep the certificates" in err


def test_usage_errors() -> None:
    code, _, err = _certs()
    assert code == 2 and "--out-dir" in err
    code, _, err = _certs("--out-dir", "x", "--webhook", "w")
    assert code == 2 and "--in-cluster" in err


@pytest.mark.timeout(30)
def test_loopback_tls_client_trusts_the_service_name(tmp_path: Path) -> None:
    bundle, _, _ = ensure(None, CertRequest("c4guard-gate", "c4guard"))
    write_dir(tmp_path, bundle)
    server = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    server.load_cert_chain(tmp_path / "tls.crt", tmp_path / "tls.key")
    with socket.create_server(("127.0.0.1", 0)) as listener:
        port = listener.getsockname()[1]
        thread = threading.Thread(target=_answer_twice, args=(listener, server), daemon=True)
        thread.start()
        client = ssl.create_default_context(cafile=str(tmp_path / "ca.crt"))
        with (
            socket.create_connection(("127.0.0.1", port), timeout=10) as raw,
            client.wrap_socket(raw, server_hostname=SERVICE_NAME) as tls,
        ):
            assert tls.recv(2) == b"ok"
        with (
            pytest.raises(ssl.SSLCertVerificationError),
            socket.create_connection(("127.0.0.1", port), timeout=10) as raw,
        ):
            client.wrap_socket(raw, server_hostname="other.example")
        thread.join(10)


def _answer_twice(listener: socket.socket, context: ssl.SSLContext) -> None:
    for _ in range(2):
        connection, _ = listener.accept()
        try:
            with context.wrap_socket(connection, server_side=True) as tls:
                tls.sendall(b"ok")
        except (ssl.SSLError, OSError):
            connection.close()
