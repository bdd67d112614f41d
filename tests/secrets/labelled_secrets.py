"""The labelled evaluation set: synthetic true secrets and hard negatives, one case a file.

Every true secret is generated here, correctly formatted (checksums, DER headers, base64
lengths) from a seeded random source, so the set is reproducible and holds no real
credential. Checksums are computed by this module's own code, not the detector's.
`bench/secrets_precision.py` and `test_secret_labelled.py` both use it.
"""

from __future__ import annotations

import base64
import json
import random
import string
import textwrap
import zlib
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote

import yaml

ALNUM = string.ascii_letters + string.digits
B64 = ALNUM + "+/"
URLSAFE = ALNUM + "-_"
HEX = "0123456789abcdef"
BASE32 = string.ascii_uppercase + "234567"
MARK = "@@"  # template marker: @@name@@ is replaced, and its line is labelled


@dataclass(frozen=True)
class Case:
    name: str  # file name; its suffix decides code-versus-configuration syntax
    text: str
    lines: tuple[int, ...]  # 1-based lines holding a true secret; empty for a negative
    family: str

    @property
    def positive(self) -> bool:
        return bool(self.lines)


def fill(template: str, **values: str) -> tuple[str, tuple[int, ...]]:
    """Replace @@name@@ markers; the lines where markers stood are the labelled lines."""
    text = textwrap.dedent(template).lstrip("\n")
    lines = tuple(
        number
        for number, line in enumerate(text.splitlines(), start=1)
        if any(f"{MARK}{name}{MARK}" in line for name in values)
    )
    for name, value in values.items():
        text = text.replace(f"{MARK}{name}{MARK}", value)
    return text, lines


class Secrets:
    """Generators of correctly formatted synthetic credentials."""

    def __init__(self, seed: int) -> None:
        self.rng = random.Random(seed)

    def chars(self, alphabet: str, count: int) -> str:
        return "".join(self.rng.choice(alphabet) for _ in range(count))

    def mixed(self, alphabet: str, count: int) -> str:
        """Random text with at least one upper, one lower and one digit where possible."""
        while True:
            value = self.chars(alphabet, count)
            if (
                any(c.isupper() for c in value)
                and any(c.islower() for c in value)
                and (any(c.isdigit() for c in value) or not any(c.isdigit() for c in alphabet))
            ):
                return value

    def bytes_(self, count: int) -> bytes:
        return bytes(self.rng.randrange(256) for _ in range(count))

    def b64(self, count: int) -> str:
        return base64.b64encode(self.bytes_(count)).decode()

    @staticmethod
    def base62_checksum(body: str) -> str:
        alphabet = string.digits + string.ascii_uppercase + string.ascii_lowercase
        number, digits = zlib.crc32(body.encode()), ""
        while number:
            number, rest = divmod(number, 62)
            digits = alphabet[rest] + digits
        return digits.rjust(6, "0")

    def checksummed(self, prefix: str) -> str:
        body = self.mixed(ALNUM, 30)
        return f"{prefix}_{body}{self.base62_checksum(body)}"

    def aws_key_id(self, prefix: str = "AKIA") -> str:
        return prefix + self.chars(BASE32, 16)

    def aws_secret(self) -> str:
        return self.mixed(B64, 40)

    def der(self, size: int) -> bytes:
        """A DER SEQUENCE header followed by random content, like a PKCS#1/#8 key."""
        return b"\x30\x82" + size.to_bytes(2, "big") + self.bytes_(size)

    def pem(self, kind: str = "RSA ", size: int = 1190, wrap: str = "\n") -> str:
        body = base64.b64encode(self.der(size)).decode()
        lines = wrap.join(textwrap.wrap(body, 64))
        return (
            f"-----BEGIN {kind}PRIVATE KEY-----{wrap}{lines}{wrap}-----END {kind}PRIVATE KEY-----"
        )

    def openssh_key(self) -> str:
        body = base64.b64encode(b"openssh-key-v1\x00" + self.bytes_(380)).decode()
        lines = "\n".join(textwrap.wrap(body, 70))
        return f"-----BEGIN OPENSSH PRIVATE KEY-----\n{lines}\n-----END OPENSSH PRIVATE KEY-----"

    def pgp_key(self) -> str:
        body = "\n".join(textwrap.wrap(base64.b64encode(self.bytes_(900)).decode(), 64))
        crc = base64.b64encode(self.bytes_(3)).decode()
        return (
            "-----BEGIN PGP PRIVATE KEY BLOCK-----\n\n"
            f"{body}\n={crc}\n-----END PGP PRIVATE KEY BLOCK-----"
        )

    def jwt(self, claims: dict[str, object] | None = None, alg: str = "HS256") -> str:
        def seg(obj: object) -> str:
            raw = json.dumps(obj, separators=(",", ":")).encode()
            return base64.urlsafe_b64encode(raw).decode().rstrip("=")

        payload = claims or {
            "sub": self.chars(HEX, 12),
            "iat": 1700000000 + self.rng.randrange(10**7),
            "scope": self.rng.choice(["read", "write", "admin"]),
        }
        signature = base64.urlsafe_b64encode(self.bytes_(32)).decode().rstrip("=")
        return f"{seg({'alg': alg, 'typ': 'JWT'})}.{seg(payload)}.{signature}"

    def password(self) -> str:
        words = ["Orbit", "maple", "Quartz", "river", "Falcon", "ember", "Tundra", "violet"]
        return (
            self.rng.choice(words)
            + self.chars(string.digits, 3)
            + self.rng.choice("!#%&*+")
            + self.mixed(ALNUM, 5)
        )


# --- where a credential ends up: one template per file kind ---------------------------

PLACEMENTS = (
    (".env", "# service settings\nLOG_LEVEL=info\n{var}=@@s@@\nREGION=us-east-1\n"),
    (
        ".yaml",
        """
        apiVersion: v1
        kind: ConfigMap
        metadata:
          name: inference-config
        data:
          MODEL_ID: meta-llama/Llama-3.1-8B-Instruct
          {var}: "@@s@@"
        """,
    ),
    (
        ".py",
        """
        import os

        MODEL = "mistralai/Mistral-7B-v0.1"
        {var} = "@@s@@"
        client = make_client(MODEL, {var})
        """,
    ),
    (
        ".json",
        """
        {{
          "model": "gpt-4o-mini",
          "{var}": "@@s@@",
          "timeout": 30
        }}
        """,
    ),
    (
        "Dockerfile",
        """
        FROM python:3.12-slim
        WORKDIR /app
        ENV {var}=@@s@@
        RUN pip install --no-cache-dir -r requirements.txt
        CMD ["python", "serve.py"]
        """,
    ),
    (
        ".sh",
        """
        #!/bin/sh
        set -eu
        export {var}="@@s@@"
        python train.py --epochs 3
        """,
    ),
    (
        ".tf",
        """
        resource "kubernetes_secret" "api" {{
          metadata {{
            name = "api-credentials"
          }}
          data = {{
            {var} = "@@s@@"
          }}
        }}
        """,
    ),
    (
        "-compose.yaml",
        """
        services:
          worker:
            image: ghcr.io/acme/worker:1.4
            environment:
              - {var}=@@s@@
              - WORKERS=4
        """,
    ),
)


def placed(family: str, number: int, var: str, secret: str, offset: int = 0) -> Case:
    """The secret assigned to `var` in the file kind chosen by `number`."""
    suffix, template = PLACEMENTS[(number + offset) % len(PLACEMENTS)]
    text, lines = fill(template.format(var=var), s=secret)
    name = (
        f"{family}-{number}{suffix}"
        if suffix.startswith((".", "-"))
        else f"{family}-{number}.{suffix}"
    )
    return Case(name, text, lines, family)


def token_cases(family: str, var: str, make: object, count: int = 5, offset: int = 0) -> list[Case]:
    return [placed(family, i, var, make(), offset) for i in range(count)]  # type: ignore[operator]


# --- true secrets ---------------------------------------------------------------------


def _aws(g: Secrets) -> list[Case]:
    cases = []
    templates = (
        (
            "credentials",
            """
            [default]
            aws_access_key_id = @@id@@
            aws_secret_access_key = @@secret@@
            region = eu-west-1
            """,
        ),
        (
            ".tf",
            """
            provider "aws" {
              region     = "us-west-2"
              access_key = "@@id@@"
              secret_key = "@@secret@@"
            }
            """,
        ),
        (
            ".py",
            """
            import boto3

            s3 = boto3.client(
                "s3",
                aws_access_key_id="@@id@@",
                aws_secret_access_key="@@secret@@",
            )
            """,
        ),
        (
            ".yaml",
            """
            env:
              - name: AWS_ACCESS_KEY_ID
                value: @@id@@
              - name: AWS_SECRET_ACCESS_KEY
                value: @@secret@@
            """,
        ),
        (
            ".env",
            "AWS_ACCESS_KEY_ID=@@id@@\nAWS_SECRET_ACCESS_KEY=@@secret@@\nAWS_REGION=us-east-1\n",
        ),
        (
            ".json",
            """
            {
              "AccessKeyId": "@@id@@",
              "SecretAccessKey": "@@secret@@",
              "Expiration": "2030-01-01T00:00:00Z"
            }
            """,
        ),
    )
    for i, (suffix, template) in enumerate(templates):
        prefix = "ASIA" if i == 5 else "AKIA"
        text, lines = fill(template, id=g.aws_key_id(prefix), secret=g.aws_secret())
        name = f"aws-{i}{suffix}" if suffix.startswith(".") else f"aws-{i}/{suffix}"
        cases.append(Case(name, text, lines, "aws"))
    cases += token_cases("aws-id", "AWS_ACCESS_KEY_ID", g.aws_key_id, count=4, offset=2)
    return cases


def _gcp(g: Secrets) -> list[Case]:
    cases = []
    for i in range(4):
        key = g.pem("", 1210, wrap="\\n") + "\\n"
        document = {
            "type": "service_account",
            "project_id": f"ml-platform-{i}",
            "private_key_id": g.chars(HEX, 40),
            "private_key": "@@key@@",
            "client_email": f"trainer-{i}@ml-platform-{i}.iam.gserviceaccount.com",
            "client_id": g.chars(string.digits, 21),
        }
        text, lines = fill(json.dumps(document, indent=2), key=key)
        cases.append(Case(f"gcp-sa-{i}.json", text, lines, "gcp"))
    cases += token_cases("gcp-api", "GOOGLE_API_KEY", lambda: "AIza" + g.mixed(URLSAFE, 35))
    cases += token_cases("gcp-oauth", "CLIENT_SECRET", lambda: "GOCSPX-" + g.mixed(URLSAFE, 28), 3)
    return cases


def _azure(g: Secrets) -> list[Case]:
    cases = []
    for i in range(4):
        conn = (
            f"DefaultEndpointsProtocol=https;AccountName=mlstore{i};"
            f"AccountKey={g.b64(64)};EndpointSuffix=core.windows.net"
        )
        cases.append(placed("azure-storage", i, "AZURE_STORAGE_CONNECTION_STRING", conn))
    text, lines = fill('storage_account_key = "@@k@@"\n', k=g.b64(64))
    cases.append(Case("azure-storage-4.tf", text, lines, "azure"))
    for i in range(3):
        url = (
            f"https://mlstore.blob.core.windows.net/models?sv=2022-11-02&ss=b&srt=co&sp=rl"
            f"&se=2030-01-01T00:00:00Z&spr=https&sig={quote(g.b64(32), safe='')}"
        )
        cases.append(placed("azure-sas", i, "MODEL_SAS_URL", url, offset=1))
    for i in range(3):
        secret = g.mixed(ALNUM, 3) + g.chars(string.digits, 1) + "Q~" + g.mixed(ALNUM + "_~.-", 34)
        cases.append(placed("azure-ad", i, "AZURE_CLIENT_SECRET", secret, offset=3))
    for i in range(2):
        conn = (
            f"Endpoint=sb://events-{i}.servicebus.windows.net/;SharedAccessKeyName=RootManageSharedAccessKey;"
            f"SharedAccessKey={g.b64(32)}"
        )
        cases.append(placed("azure-sb", i, "SERVICEBUS_CONNECTION", conn, offset=4))
    return cases


def _vcs(g: Secrets) -> list[Case]:
    cases = []
    for i, prefix in enumerate(["ghp", "gho", "ghu", "ghs", "ghr", "ghp"]):
        cases.append(placed("github", i, "GITHUB_TOKEN", g.checksummed(prefix)))
    cases += token_cases(
        "github-fg", "GH_PAT", lambda: f"github_pat_{g.mixed(ALNUM, 22)}_{g.mixed(ALNUM, 59)}", 3
    )
    gitlab = ["glpat-", "gldt-", "glrt-", "glpat-", "GR1348941"]
    for i, prefix in enumerate(gitlab):
        cases.append(placed("gitlab", i, "GITLAB_TOKEN", prefix + g.mixed(URLSAFE, 20), offset=1))
    text, lines = fill(
        """
        variables:
          DEPLOY_URL: https://gitlab.example.org/api/v4/projects/42/trigger/pipeline
        script:
          - curl -X POST -F token=@@t@@ -F ref=main "$DEPLOY_URL"
        """,
        t="glptt-" + g.chars(HEX, 40),
    )
    cases.append(Case("gitlab-5.gitlab-ci.yml", text, lines, "gitlab"))
    return cases


def _chat_and_payments(g: Secrets) -> list[Case]:
    cases = []
    for i in range(4):
        token = (
            f"xoxb-{g.chars(string.digits, 12)}-{g.chars(string.digits, 13)}-{g.mixed(ALNUM, 24)}"
        )
        cases.append(placed("slack", i, "SLACK_BOT_TOKEN", token))
    user = (
        f"xoxp-{g.chars(string.digits, 11)}-{g.chars(string.digits, 11)}-"
        f"{g.chars(string.digits, 12)}-{g.chars(HEX, 32)}"
    )
    cases.append(placed("slack", 4, "SLACK_USER_TOKEN", user))
    for i in range(3):
        hook = (
            f"https://hooks.slack.com/services/T{g.chars(BASE32, 8)}/B{g.chars(BASE32, 10)}/"
            f"{g.mixed(ALNUM, 24)}"
        )
        cases.append(placed("slack-webhook", i, "ALERT_WEBHOOK", hook, offset=2))
    for i in range(3):
        cases.append(
            placed("stripe", i, "STRIPE_SECRET_KEY", "sk_live_" + g.mixed(ALNUM, 24 + 9 * i))
        )
    cases.append(placed("stripe", 3, "STRIPE_RESTRICTED_KEY", "rk_live_" + g.mixed(ALNUM, 34)))
    cases.append(placed("stripe", 4, "STRIPE_WEBHOOK_SECRET", "whsec_" + g.mixed(ALNUM, 32)))
    return cases


def _keys(g: Secrets) -> list[Case]:
    cases = []
    blocks = [
        ("rsa", g.pem("RSA ")),
        ("pkcs8", g.pem("", 1216)),
        ("ec", g.pem("EC ", 119)),
        ("openssh", g.openssh_key()),
        ("pgp", g.pgp_key()),
        ("encrypted", g.pem("ENCRYPTED ", 1294)),
        ("dsa", g.pem("DSA ", 443)),
    ]
    for name, block in blocks:
        text, lines = fill("@@k@@\n", k=block)
        cases.append(Case(f"key-{name}.pem", text, lines, "private-key"))
    text, lines = fill(
        """
        apiVersion: v1
        kind: Secret
        metadata:
          name: inference-tls
        type: kubernetes.io/tls
        stringData:
          tls.key: |
            @@k@@
        """,
        k=g.pem("", 1216).replace("\n", "\n    "),
    )
    cases.append(Case("key-k8s-stringdata.yaml", text, lines, "private-key"))
    text, lines = fill(
        """
        ssh_key = <<EOT
        @@k@@
        EOT
        """,
        k=g.openssh_key(),
    )
    cases.append(Case("key-heredoc.tf", text, lines, "private-key"))
    text, lines = fill('SIGNING_KEY = """@@k@@"""\n', k=g.pem("EC ", 119))
    cases.append(Case("key-inline.py", text, lines, "private-key"))
    for i in range(3):
        encoded = base64.b64encode((g.pem("RSA ") + "\n").encode()).decode()
        text, lines = fill(
            """
            apiVersion: v1
            kind: Config
            users:
            - name: ml-admin
              user:
                client-certificate-data: LS0tLS1CRUdJTiBDRVJUSUZJQ0FURS0tLS0tCk1JSUM=
                client-key-data: @@k@@
            """,
            k=encoded,
        )
        cases.append(Case(f"kubeconfig-{i}.yaml", text, lines, "private-key"))
    putty = "\n".join(
        [
            "@@k@@",
            "Encryption: none",
            "Comment: rsa-key-20240101",
            "Public-Lines: 2",
            *textwrap.wrap(g.b64(90), 64),
            "Private-Lines: 6",
            *textwrap.wrap(g.b64(330), 64),
            "Private-MAC: " + g.chars(HEX, 40),
        ]
    )
    text, lines = fill(putty + "\n", k="PuTTY-User-Key-File-2: ssh-rsa")
    cases.append(Case("key-putty.ppk", text, lines, "private-key"))
    return cases


def _jwt(g: Secrets) -> list[Case]:
    cases = token_cases("jwt", "AUTH_TOKEN", g.jwt, count=4)
    sa_claims = {
        "iss": "kubernetes/serviceaccount",
        "kubernetes.io/serviceaccount/namespace": "kubeflow",
        "sub": "system:serviceaccount:kubeflow:pipeline-runner",
    }
    cases.append(placed("jwt", 4, "KUBE_TOKEN", g.jwt(sa_claims, "RS256"), offset=3))
    text, lines = fill(
        'curl -H "Authorization: Bearer @@t@@" https://api.internal/v1/models\n', t=g.jwt()
    )
    cases.append(Case("jwt-5.sh", text, lines, "jwt"))
    return cases


def _connections(g: Secrets) -> list[Case]:
    cases = []
    urls = [
        "postgresql://mlflow:{p}@postgres.mlflow.svc:5432/mlflow",
        "postgresql+psycopg2://airflow:{p}@10.0.3.12/airflow",
        "mysql://katib:{p}@katib-mysql:3306/katib",
        "mongodb+srv://ingest:{p}@cluster0.abcde.mongodb.net/features?retryWrites=true",
        "redis://:{p}@redis-master:6379/0",
        "amqps://celery:{p}@rabbitmq.internal:5671/vhost",
        "https://deploy:{t}@git.internal.example/ml/models.git",
        "kafka://producer:{p}@broker-1:9092",
        "mssql://sa:{p}@sqlserver:1433/features",
        "clickhouse://default:{p}@clickhouse:9000/metrics",
    ]
    for i, template in enumerate(urls):
        url = template.format(p=g.password(), t=g.mixed(ALNUM, 24))
        cases.append(placed("db-url", i, "DATABASE_URL", url, offset=i // 4))
    for i in range(2):
        jdbc = f"jdbc:postgresql://db.internal:5432/features?user=reader&password={g.password()}"
        cases.append(placed("jdbc", i, "JDBC_URL", jdbc, offset=1))
    ado = (
        "Server=tcp:ml-sql.database.windows.net,1433;Database=features;User ID=app;"
        f"Password={g.password()};Encrypt=true"
    )
    cases.append(placed("ado", 0, "SQL_CONNECTION", ado, offset=3))
    for i in range(3):
        auth = base64.b64encode(f"robot$ci:{g.mixed(ALNUM, 32)}".encode()).decode()
        text, lines = fill(
            """
            {
              "auths": {
                "registry.internal.example": {
                  "auth": "@@a@@"
                }
              }
            }
            """,
            a=auth,
        )
        cases.append(Case(f"docker-config-{i}.json", text, lines, "docker-config"))
    config = json.dumps(
        {
            "auths": {
                "ghcr.io": {"auth": base64.b64encode(f"bot:{g.mixed(ALNUM, 30)}".encode()).decode()}
            }
        }
    )
    text, lines = fill(
        """
        apiVersion: v1
        kind: Secret
        metadata:
          name: regcred
        type: kubernetes.io/dockerconfigjson
        data:
          .dockerconfigjson: @@c@@
        """,
        c=base64.b64encode(config.encode()).decode(),
    )
    cases.append(Case("docker-config-3.yaml", text, lines, "docker-config"))
    return cases


def _ai_platforms(g: Secrets) -> list[Case]:
    cases = []
    cases += token_cases("hf", "HF_TOKEN", lambda: "hf_" + g.mixed(string.ascii_letters, 34), 6)
    cases += token_cases(
        "hf-org", "HF_ORG_TOKEN", lambda: "api_org_" + g.mixed(string.ascii_letters, 34), 2, 3
    )
    cases += token_cases(
        "openai",
        "OPENAI_API_KEY",
        lambda: f"sk-proj-{g.mixed(URLSAFE, 74)}T3BlbkFJ{g.mixed(URLSAFE, 74)}",
        4,
    )
    cases += token_cases(
        "openai-legacy",
        "OPENAI_API_KEY",
        lambda: f"sk-{g.mixed(ALNUM, 20)}T3BlbkFJ{g.mixed(ALNUM, 20)}",
        2,
        5,
    )
    cases += token_cases(
        "anthropic", "ANTHROPIC_API_KEY", lambda: f"sk-ant-api03-{g.mixed(URLSAFE, 93)}AA", 5
    )
    wandb = [
        ("wandb-0.env", "WANDB_API_KEY=@@k@@\nWANDB_PROJECT=llm-finetune\n"),
        ("wandb-1.sh", "#!/bin/sh\nwandb login @@k@@\npython train.py\n"),
        ("wandb-2.netrc", "machine api.wandb.ai\n  login user\n  password @@k@@\n"),
        ("wandb-3.py", 'import wandb\n\nwandb.login(key="@@k@@")\nrun = wandb.init()\n'),
        ("wandb-4.yaml", "training:\n  wandb_api_key: @@k@@\n  epochs: 3\n"),
    ]
    for name, template in wandb:
        text, lines = fill(template, k=g.chars(HEX, 40))
        cases.append(Case(name, text, lines, "wandb"))
    cases += token_cases("replicate", "REPLICATE_API_TOKEN", lambda: "r8_" + g.mixed(ALNUM, 37), 4)
    cohere = [
        ("cohere-0.env", "COHERE_API_KEY=@@k@@\n"),
        ("cohere-1.py", 'import cohere\n\nco = cohere.ClientV2("@@k@@")\n'),
        ("cohere-2.yaml", 'llm:\n  provider: cohere\n  cohere_api_key: "@@k@@"\n'),
        ("cohere-3.sh", "export CO_API_KEY=@@k@@\n"),
    ]
    for name, template in cohere:
        text, lines = fill(template, k=g.mixed(ALNUM, 40))
        cases.append(Case(name, text, lines, "cohere"))
    others = [
        ("groq", "GROQ_API_KEY", lambda: "gsk_" + g.mixed(ALNUM, 52)),
        ("perplexity", "PPLX_API_KEY", lambda: "pplx-" + g.mixed(ALNUM, 48)),
        (
            "langsmith",
            "LANGSMITH_API_KEY",
            lambda: f"lsv2_pt_{g.chars(HEX, 32)}_{g.chars(HEX, 10)}",
        ),
        ("xai", "XAI_API_KEY", lambda: "xai-" + g.mixed(ALNUM, 80)),
        ("nvidia", "NGC_API_KEY", lambda: "nvapi-" + g.mixed(URLSAFE, 64)),
        ("openrouter", "OPENROUTER_API_KEY", lambda: "sk-or-v1-" + g.chars(HEX, 64)),
        ("pinecone", "PINECONE_API_KEY", lambda: "pcsk_" + g.mixed(ALNUM + "_", 70)),
        ("databricks", "DATABRICKS_TOKEN", lambda: "dapi" + g.chars(HEX, 32)),
    ]
    for i, (family, var, make) in enumerate(others):
        cases += token_cases(family, var, make, 3, offset=i)
    return cases


def _registries(g: Secrets) -> list[Case]:
    cases = token_cases("npm", "NPM_TOKEN", lambda: g.checksummed("npm"), 3)
    text, lines = fill(
        "registry=https://registry.npmjs.org/\n//npm.internal.example/:_authToken=@@t@@\n",
        t=g.mixed(ALNUM + "-", 36),
    )
    cases.append(Case("npmrc-0.npmrc", text, lines, "npm"))
    others = [
        ("pypi", "TWINE_PASSWORD", lambda: "pypi-AgEIcHlwaS5vcmc" + g.mixed(URLSAFE, 60)),
        ("dockerhub", "DOCKERHUB_TOKEN", lambda: "dckr_pat_" + g.mixed(URLSAFE, 27)),
        ("vault", "VAULT_TOKEN", lambda: "hvs." + g.mixed(URLSAFE, 92)),
        ("tfc", "TFE_TOKEN", lambda: f"{g.mixed(ALNUM, 14)}.atlasv1.{g.mixed(URLSAFE, 67)}"),
        ("doppler", "DOPPLER_TOKEN", lambda: "dp.st." + g.mixed(ALNUM, 43)),
        (
            "sendgrid",
            "SENDGRID_API_KEY",
            lambda: f"SG.{g.mixed(URLSAFE, 22)}.{g.mixed(URLSAFE, 43)}",
        ),
        ("digitalocean", "DIGITALOCEAN_TOKEN", lambda: "dop_v1_" + g.chars(HEX, 64)),
        ("grafana", "GRAFANA_TOKEN", lambda: f"glsa_{g.mixed(ALNUM, 32)}_{g.chars(HEX, 8)}"),
    ]
    for i, (family, var, make) in enumerate(others):
        cases += token_cases(family, var, make, 2, offset=i)
    return cases


def _generic(g: Secrets) -> list[Case]:
    cases = []
    password_vars = [
        "DB_PASSWORD",
        "POSTGRES_PASSWORD",
        "admin_password",
        "MINIO_ROOT_PASSWORD",
        "redis_pass",
        "grafana_admin_pwd",
        "KEYSTORE_PASSPHRASE",
        "smtpPassword",
    ]
    for i, var in enumerate(password_vars):
        cases.append(placed("generic-password", i, var, g.password(), offset=i))
    token_vars = [
        "API_KEY",
        "client_secret",
        "SECRET_KEY",
        "auth_token",
        "MLFLOW_TRACKING_TOKEN",
        "jwt_signing_key",
        "encryption_key",
        "SERVICE_API_TOKEN",
        "apiKey",
        "credentials",
    ]
    for i, var in enumerate(token_vars):
        cases.append(placed("generic-token", i, var, g.mixed(ALNUM + "-_", 32), offset=i + 1))
    text, lines = fill(
        """
        containers:
          - name: server
            env:
              - name: LABEL_STUDIO_PASSWORD
                value: "@@p@@"
        """,
        p=g.password(),
    )
    cases.append(Case("generic-k8s-env.yaml", text, lines, "generic"))
    text, lines = fill(
        """
        [{"name": "FEATURE_STORE_SECRET", "value": "@@p@@"}]
        """,
        p=g.mixed(ALNUM, 28),
    )
    cases.append(Case("generic-ecs-env.json", text, lines, "generic"))
    text, lines = fill(
        """
        #!/bin/sh
        mc alias set minio http://minio:9000 admin --secret-key=@@p@@
        vault login --token @@q@@
        """,
        p=g.mixed(ALNUM, 30),
        q=g.mixed(ALNUM, 26),
    )
    cases.append(Case("generic-flags.sh", text, lines, "generic"))
    text, lines = fill(
        """
        spring.datasource.url=jdbc:postgresql://db:5432/app
        spring.datasource.password=@@p@@
        """,
        p=g.password(),
    )
    cases.append(Case("generic-app.properties", text, lines, "generic"))
    text, lines = fill(
        """
        <settings>
          <server>
            <id>internal</id>
            <password>@@p@@</password>
          </server>
        </settings>
        """,
        p=g.password(),
    )
    cases.append(Case("generic-settings.xml", text, lines, "generic"))
    text, lines = fill(
        """
        apiVersion: v1
        kind: Secret
        metadata:
          name: minio-creds
        type: Opaque
        data:
          rootPassword: @@p@@
        """,
        p=base64.b64encode(g.password().encode()).decode(),
    )
    cases.append(Case("generic-secret-data.yaml", text, lines, "generic"))
    return cases


def _everyday_files(g: Secrets) -> list[Case]:
    """Credentials where teams actually paste them: notebooks, credential helpers, Helm
    values, tfvars, JAAS strings, curl commands."""
    openai = f"sk-proj-{g.mixed(URLSAFE, 74)}T3BlbkFJ{g.mixed(URLSAFE, 74)}"
    notebook = json.dumps(
        {
            "cells": [
                {
                    "cell_type": "code",
                    "source": ["import os\n", 'os.environ["OPENAI_API_KEY"] = "@@a@@"\n'],
                },
                {
                    "cell_type": "code",
                    "source": ['db_password = "@@b@@"\n', "connect(db_password)\n"],
                },
            ]
        },
        indent=1,
    )
    templates = [
        ("nb-0.ipynb", notebook, {"a": openai, "b": g.password()}),
        ("git-credentials", "https://ci-bot:@@t@@@github.com\n", {"t": g.checksummed("ghp")}),
        (
            "pip.conf",
            "[global]\nindex-url = https://__token__:@@t@@@pypi.internal.example/simple\n",
            {"t": g.mixed(ALNUM, 32)},
        ),
        (
            "pypirc",
            "[pypi]\nusername = __token__\npassword = @@t@@\n",
            {"t": "pypi-AgEIcHlwaS5vcmc" + g.mixed(URLSAFE, 70)},
        ),
        (
            "values-prod.yaml",
            'postgresql:\n  auth:\n    postgresPassword: "@@p@@"\n    database: mlflow\n',
            {"p": g.password()},
        ),
        ("prod.tfvars", 'db_password = "@@p@@"\nregion = "eu-west-1"\n', {"p": g.password()}),
        (
            "kafka-client.properties",
            "sasl.mechanism=PLAIN\nsasl.jaas.config=org.apache.kafka.common.security.plain."
            'PlainLoginModule required username="features" password="@@p@@";\n',
            {"p": g.password()},
        ),
        (
            "smoke.sh",
            '#!/bin/sh\ncurl -s -H "Authorization: Bearer @@t@@" https://llm.internal/v1/models\n',
            {"t": g.mixed(ALNUM, 40)},
        ),
        (
            "client.py",
            'import requests\n\nHEADERS = {"Authorization": "Bearer @@t@@"}\n',
            {"t": g.mixed(ALNUM + "-_", 48)},
        ),
        (
            "netrc",
            "machine artifacts.internal.example\n  login deploy\n  password @@p@@\n",
            {"p": g.password()},
        ),
        (
            "release.yml",
            "jobs:\n  push:\n    steps:\n      - uses: docker/login-action@v3\n        with:\n"
            "          username: bot\n          password: @@p@@\n",
            {"p": g.mixed(ALNUM, 36)},
        ),
        (
            "grafana-values.yaml",
            "grafana:\n  adminUser: admin\n  adminPassword: @@p@@\n",
            {"p": g.password()},
        ),
        (
            "ray-cluster.yaml",
            "headGroupSpec:\n  rayStartParams:\n    redis-password: '@@p@@'\n",
            {"p": g.password()},
        ),
        (
            "mlflow.env",
            "MLFLOW_TRACKING_USERNAME=ml\nMLFLOW_TRACKING_PASSWORD=@@p@@\n",
            {"p": g.password()},
        ),
        (
            "settings.py",
            "DEBUG = False\nSECRET_KEY = '@@k@@'\n",
            {"k": "django-insecure-" + g.mixed(ALNUM + "!@#%^&*(-_=+)", 50)},
        ),
        (
            "bootstrap.yaml",
            "apiVersion: kubeadm.k8s.io/v1beta3\nkind: InitConfiguration\nbootstrapTokens:\n"
            '  - token: "@@t@@"\n',
            {
                "t": f"{g.chars(string.ascii_lowercase + string.digits, 6)}."
                f"{g.chars(string.ascii_lowercase + string.digits, 16)}"
            },
        ),
    ]
    cases = []
    for name, template, values in templates:
        text, lines = fill(template, **values)
        cases.append(Case(f"everyday/{name}", text, lines, "everyday"))
    return cases


def positive_cases(seed: int = 4405) -> list[Case]:
    g = Secrets(seed)
    builders = (
        _aws,
        _gcp,
        _azure,
        _vcs,
        _chat_and_payments,
        _keys,
        _jwt,
        _connections,
        _ai_platforms,
        _registries,
        _generic,
        _everyday_files,
    )
    return [case for build in builders for case in build(g)]


# --- hard negatives -------------------------------------------------------------------

HARD_NEGATIVES_FILE = Path(__file__).parent / "fixtures" / "hard_negatives.yaml"


def _handwritten_negatives() -> list[tuple[str, str]]:
    """Look-alikes written by hand (fixtures/hard_negatives.yaml)."""
    entries = yaml.safe_load(HARD_NEGATIVES_FILE.read_text(encoding="utf-8"))
    return [(entry["name"], entry["text"]) for entry in entries]


def _generated_negatives(g: Secrets) -> list[tuple[str, str]]:
    """Look-alikes made in bulk: digests, commit hashes, UUIDs, base64 of public or dummy
    data, tokens with a wrong checksum, Helm templates."""
    cases: list[tuple[str, str]] = []
    for i in range(12):
        digest = g.chars(HEX, 64)
        contexts = [
            f"image: ghcr.io/acme/serving@sha256:{digest}\n",
            f"digest: sha256:{digest}\ngenerated: 2024-05-01T10:00:00Z\n",
            f"{digest}  model.safetensors\n",
            f'annotations:\n  checksum/config: "{digest}"\n',
        ]
        cases.append((f"neg-digest-{i}.yaml", contexts[i % 4]))
    for i in range(10):
        sha = g.chars(HEX, 40)
        contexts = [
            f"repos:\n  - repo: https://github.com/pre-commit/pre-commit-hooks\n    rev: {sha}\n",
            f"      - uses: actions/checkout@{sha} # v4\n",
            f'commit = "{sha}"\n',
            f"FROM base\nARG GIT_COMMIT={sha}\n",
            f"resolved: git+https://github.com/acme/lib.git#{sha}\n",
        ]
        cases.append((f"neg-sha-{i}.txt", contexts[i % 5]))
    for i in range(10):
        u = "-".join(g.chars(HEX, n) for n in (8, 4, 4, 4, 12))
        contexts = [
            f"metadata:\n  uid: {u}\n",
            f"azure:\n  tenant_id: {u}\n  client_id: {u}\n",
            f'subscription_id = "{u}"\n',
            f'{{"requestId": "{u}", "status": "ok"}}\n',
            f"run_id: {u}\nexperiment_id: 12\n",
        ]
        cases.append((f"neg-uuid-{i}.yaml", contexts[i % 5]))
    for i in range(8):
        integrity = base64.b64encode(g.bytes_(64)).decode()
        contexts = [
            f'"integrity": "sha512-{integrity}",\n',
            f"github.com/acme/lib v1.2.{i} h1:{base64.b64encode(g.bytes_(32)).decode()}\n",
        ]
        cases.append((f"neg-integrity-{i}.lock", contexts[i % 2]))
    for i, (text, key) in enumerate(
        [
            ("model: llama\ntemperature: 0.7\n", "config.yaml"),
            ("#!/bin/sh\necho starting server\n", "entrypoint.sh"),
            ('{"labels": ["cat", "dog"], "threshold": 0.5}', "labels.json"),
            ("[inference]\nbatch_size = 8\n", "settings.toml"),
        ]
    ):
        cases.append(
            (
                f"neg-b64-config-{i}.yaml",
                f"binaryData:\n  {key}: {base64.b64encode(text.encode()).decode()}\n",
            )
        )
    for i, dummy in enumerate(["changeme", "password", "admin", "secret", "test1234", "example"]):
        encoded = base64.b64encode(dummy.encode()).decode()
        cases.append(
            (
                f"neg-b64-dummy-{i}.yaml",
                f"apiVersion: v1\nkind: Secret\ndata:\n  password: {encoded}\n",
            )
        )
    for i in range(4):
        cert = base64.b64encode(g.der(700)).decode()
        body = "\n".join(textwrap.wrap(cert, 64))
        pem = f"-----BEGIN CERTIFICATE-----\n{body}\n-----END CERTIFICATE-----\n"
        if i % 2:
            cases.append(
                (f"neg-cert-{i}.yaml", f"caBundle: {base64.b64encode(pem.encode()).decode()}\n")
            )
        else:
            cases.append((f"neg-cert-{i}.pem", pem))
    for i in range(8):
        prefix = ["ghp", "gho", "ghs", "npm"][i % 4]
        body = g.mixed(ALNUM, 30)
        checksum = Secrets.base62_checksum(body)
        wrong = checksum[:-1] + ("A" if checksum[-1] != "A" else "B")
        cases.append((f"neg-checksum-{i}.env", f"TOKEN_FIXTURE={prefix}_{body}{wrong}\n"))
    helm_keys = [
        "password",
        "apiKey",
        "token",
        "secretKey",
        "clientSecret",
        "accessKey",
        "hfToken",
        "wandbApiKey",
        "dbPassword",
        "privateKey",
    ]
    for i, key in enumerate(helm_keys):
        forms = [
            f"{key}: {{{{ .Values.auth.{key} }}}}\n",
            f"{key}: {{{{ .Values.auth.{key} | b64enc | quote }}}}\n",
            f'{key}: {{{{ include "chart.{key}" . }}}}\n',
            f"{key}: {{{{ default (randAlphaNum 32) .Values.{key} }}}}\n",
            f"{key}: {{{{ tpl .Values.{key} $ }}}}\n",
        ]
        cases.append((f"neg-helm-{i}.yaml", forms[i % 5]))
    for i in range(6):
        value = g.mixed(ALNUM, 32)
        contexts = [
            f"nonce: {value}\n",
            f'etag: "{value}"\n',
            f"trace_id: {value}\n",
            f'resourceVersion: "{g.chars(string.digits, 9)}"\n',
            f"sessionAffinity: ClientIP\nselectorHash: {value}\n",
            f"buildId: {value}\n",
        ]
        cases.append((f"neg-random-{i}.yaml", contexts[i]))
    return cases


def negative_cases(seed: int = 4405) -> list[Case]:
    g = Secrets(seed + 1)
    pairs = _handwritten_negatives() + _generated_negatives(g)
    return [Case(name, text, (), name.split("-", 1)[0]) for name, text in pairs]


def all_cases(seed: int = 4405) -> list[Case]:
    return positive_cases(seed) + negative_cases(seed)


def write_cases(root: Path, cases: list[Case]) -> None:
    """One file per case under `root` (the layout the benchmark hands to both tools)."""
    for case in cases:
        path = root / case.name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(case.text, encoding="utf-8")
