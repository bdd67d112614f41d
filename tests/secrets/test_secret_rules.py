"""Behaviour of individual rules and of scan_text: confirmations, overlaps, locations."""

from __future__ import annotations

import base64
import json
import textwrap

import pytest

from c4guard.secrets import scan_text, scan_value
from c4guard.secrets.formats import crc32_base62, has_valid_checksum, is_signed_jwt
from tests.secrets.labelled_secrets import URLSAFE, Secrets

G = Secrets(seed=20240505)


def rules(text: str, path: str = "settings.env") -> list[str]:
    return [match.rule_id for match in scan_text(text, path)]


def test_github_checksum_decides() -> None:
    token = G.checksummed("ghp")
    assert has_valid_checksum(token)
    assert rules(f"token: {token}\n", "ci.yaml") == ["github-token"]
    broken = token[:-1] + ("a" if token[-1] != "a" else "b")
    assert not has_valid_checksum(broken)
    assert rules(f"note: {broken}\n", "ci.yaml") == []


def test_checksum_is_base62_crc32_of_the_body() -> None:
    assert crc32_base62("") == "000000"
    assert len(crc32_base62("x" * 30)) == 6


def test_specific_rule_wins_over_the_generic_assignment() -> None:
    token = G.checksummed("ghp")
    (match,) = scan_text(f"GITHUB_TOKEN={token}\n", "ci.env")
    assert match.rule_id == "github-token"


def test_aws_secret_key_needs_a_name_or_a_key_id_nearby() -> None:
    secret = G.aws_secret()
    assert rules(f"checksum: {secret}\n", "x.yaml") == []
    assert rules(f"aws_secret_access_key = {secret}\n", "credentials") == ["aws-secret-access-key"]
    found = rules(f"id: {G.aws_key_id()}\nother: {secret}\n", "x.yaml")
    assert found == ["aws-access-key-id", "aws-secret-access-key"]


def test_line_and_column_are_one_based_and_survive_crlf_and_unicode() -> None:
    token = "hf_" + G.mixed("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ", 34)
    text = "# İstanbul cluster\r\nmodel: x\r\n  HF_TOKEN: " + token + "\r\n"
    (match,) = scan_text(text, "values.yaml")
    assert (match.line, match.column) == (3, 13)
    assert match.secret == token


def test_private_key_is_reported_at_begin_line_as_key_material() -> None:
    pem = G.pem("RSA ")
    (match,) = scan_text("# deploy key\n" + pem + "\n", "deploy.pem")
    assert (match.rule_id, match.line, match.column) == ("private-key", 2, 1)
    assert match.also_key_material


def test_one_key_has_one_fingerprint_in_every_encoding() -> None:
    pem = G.pem("", 1216)
    body = pem.split("-----")[2]
    json_escaped = json.dumps({"type": "service_account", "private_key": pem + "\n"})
    kubeconfig = "client-key-data: " + base64.b64encode(pem.encode()).decode() + "\n"
    found = [
        scan_text(pem, "key.pem"),
        scan_text(json_escaped, "sa.json"),
        scan_text(kubeconfig, "kubeconfig"),
    ]
    assert [m.rule_id for (m,) in found] == [
        "private-key",
        "gcp-service-account-key",
        "encoded-private-key",
    ]
    assert len({m.fingerprint for (m,) in found}) == 1
    assert all(m.secret == body.replace("\n", "") for (m,) in found)


def test_placeholder_key_bodies_are_not_keys() -> None:
    text = "-----BEGIN PRIVATE KEY-----\n" + "A" * 80 + "\n-----END PRIVATE KEY-----\n"
    assert rules(text, "doc.md") == []  # decodes to zeros: no DER sequence


@pytest.mark.parametrize(
    ("claims", "alg", "reported"),
    [
        ({"sub": "svc"}, "HS256", True),
        ({"sub": "svc"}, "none", False),
        ({"role": "anon", "iss": "supabase"}, "HS256", False),
    ],
)
def test_jwt_confirmation(claims: dict[str, object], alg: str, reported: bool) -> None:
    token = G.jwt(claims, alg)
    assert is_signed_jwt(token) is reported
    assert (rules(f"jwt: {token}\n", "a.yaml") == ["jwt"]) is reported


@pytest.mark.parametrize(
    ("url", "reported"),
    [
        ("postgresql://app:" + "Qz81mX#rT@db:5432/app", True),
        ("redis://:" + "Qz81mX#rT@redis:6379", True),
        ("postgresql://postgres:postgres@localhost/test", False),
        ("postgresql://app:${DB_PASSWORD}@db/app", False),
        ("postgresql://app:password@db/app", False),
        ("https://user:pass@example.com/", False),
        ("https://ci:" + "Xk29fLq81VbN3zTy@git.example.com/repo.git", True),
        ("ftp://anonymous:guest@ftp.example.com", False),
        ("myscheme://app:Qz81mX#rT@db:5432/app", False),
    ],
)
def test_passwords_in_urls(url: str, reported: bool) -> None:
    assert bool(scan_text(f"url: {url}\n", "app.yaml")) is reported


@pytest.mark.parametrize(
    ("text", "path", "reported"),
    [
        ("password = Orbit482#kQz\n", "app.ini", True),
        ("password = Orbit482#kQz\n", "app.py", False),  # an expression in code
        ('password = "Orbit482#kQz"\n', "app.py", True),
        ("password: {{ .Values.password }}\n", "secret.yaml", False),
        ("DB_PASSWORD=${DB_PASSWORD}\n", ".env", False),
        ("password: Summer\n", "app.yaml", False),  # too short and a plain word
        ("api_key: a8Fq2Lx9Vn3Rt7Wz1Kp4Ys6B\n", "app.yaml", True),
        ("api_key: 6f1c3e9a-1b2c-4d5e-8f90-123456789abc\n", "app.yaml", False),  # UUID
        ("next_page_token: CiAKGjBpNDd2Nmp2Zml2cXRw\n", "app.yaml", False),
        ("pad_token: <pad>\n", "tokenizer.yaml", False),
        ("bypass: Orbit482#kQz\n", "app.yaml", False),
        ("x: arn:aws:secretsmanager:us-east-1:1:secret:Db-Orbit482kQz7\n", "a.yaml", False),
        (
            "kind: SealedSecret\nspec:\n  encryptedData:\n"
            "    password: AgBy3i4OJSWK+PiTySYZZA9rO43cGDEq7K\n",
            "s.yaml",
            False,
        ),
    ],
)
def test_generic_assignment(text: str, path: str, reported: bool) -> None:
    assert bool(scan_text(text, path)) is reported


def test_kubernetes_env_name_value_pair() -> None:
    text = textwrap.dedent(
        """
        env:
          - name: LABEL_STUDIO_PASSWORD
            value: "Orbit482#kQz7"
        """
    )
    (match,) = scan_text(text, "deploy.yaml")
    assert (match.rule_id, match.line) == ("generic-secret", 4)


def test_scan_value_places_matches_on_the_given_line() -> None:
    key = f"sk-proj-{G.mixed(URLSAFE, 74)}T3BlbkFJ{G.mixed(URLSAFE, 74)}"
    (match,) = scan_value("OPENAI_API_KEY", key, "deploy.yaml", 42)
    assert (match.rule_id, match.line, match.path) == ("openai-api-key", 42, "deploy.yaml")
    assert match.secret == key


def test_public_documentation_examples_are_not_reported() -> None:
    text = "AKIAIOSFODNN7EXAMPLE\nwJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY\n"
    assert rules(text, "README.md") == []


def test_text_without_keywords_costs_nothing_and_finds_nothing() -> None:
    assert scan_text("replicas: 3\nimage: nginx:1.27\n" * 1000, "deploy.yaml") == []


@pytest.mark.parametrize(
    ("name", "reported"),
    [
        ("nextPageToken", False),
        ("ClientRequestToken", False),
        ("ACCOUNT_TOKEN", True),  # "count" inside a word is not a counter
        ("BACKEND_TOKEN", True),
        ("publicKey", False),
        ("noPassword", False),
    ],
)
def test_secret_names_are_judged_in_snake_case(name: str, reported: bool) -> None:
    assert bool(scan_text(f"{name}: a8Fq2Lx9Vn3Rt7Wz1Kp4Ys6B\n", "app.yaml")) is reported


def _pkcs8_pem(key: object) -> str:
    from cryptography.hazmat.primitives import serialization

    return key.private_bytes(  # type: ignore[attr-defined]
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode()


def test_short_pkcs8_keys_ed25519_and_x25519_are_private_keys() -> None:
    from cryptography.hazmat.primitives.asymmetric import ed25519, x25519

    seed = bytes(range(7, 39))
    for key in (
        ed25519.Ed25519PrivateKey.from_private_bytes(seed),
        x25519.X25519PrivateKey.from_private_bytes(seed),
    ):
        pem = _pkcs8_pem(key)
        assert rules(pem, "signing.pem") == ["private-key"]
        encoded = base64.b64encode(pem.encode()).decode()
        assert rules(f"client-key-data: {encoded}\n", "kubeconfig") == ["encoded-private-key"]


def test_short_bodies_that_are_not_one_der_key_are_not_keys() -> None:
    der = bytes([0x30, 0x2E, 0x02, 0x01, 0x00]) + bytes(range(43))
    body = base64.b64encode(der).decode()
    assert rules(f"-----BEGIN PRIVATE KEY-----\n{body}\n-----END PRIVATE KEY-----\n") == [
        "private-key"
    ]
    wrong_length = base64.b64encode(der[:1] + b"\x40" + der[2:]).decode()
    text = f"-----BEGIN PRIVATE KEY-----\n{wrong_length}\n-----END PRIVATE KEY-----\n"
    assert rules(text) == []
