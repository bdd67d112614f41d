"""The rule table: curated, high-precision formats of the credentials AI teams leak.

Each rule is a regex plus keywords for the prefilter and the confirmations that make a
match near-certain (see docs/secrets.md for the precision rationale of each family).
"""

from __future__ import annotations

import re

from c4guard.secrets import confirm, formats
from c4guard.secrets.generic import GENERIC_RULES
from c4guard.secrets.rule import (
    BASE64_CHARS,
    GENERIC,
    SERVICE_ACCOUNT,
    STRUCTURED_KEY,
    TOKEN_CHARS,
    WORD_CHARS,
    Rule,
    prefixed,
)
from c4guard.secrets.values import is_placeholder, is_public_example, shannon_entropy

_CLOUD = (
    Rule(
        "aws-access-key-id",
        "AWS access key ID",
        re.compile(r"(?P<secret>(?:AKIA|ASIA|ABIA|ACCA)[A-Z2-7]{16})(?![A-Za-z0-9])"),
        ("akia", "asia", "abia", "acca"),
        min_entropy=3.0,
        not_after=WORD_CHARS,
    ),
    Rule(
        "aws-secret-access-key",
        "AWS secret access key",
        # Whole runs of base64 characters (possessive: linear on long blobs); the
        # confirmation keeps runs of exactly 40 without padding.
        re.compile(r"(?P<secret>[A-Za-z0-9/+=]{40,}+)"),
        ("akia", "asia", "secret_access_key", "secretaccesskey", "aws_secret", "secret-access-key"),
        confirm.aws_secret_key,
        min_entropy=4.0,
        not_after=BASE64_CHARS | {"="},
    ),
    Rule(
        "gcp-service-account-key",
        "GCP service account key (JSON)",
        re.compile(
            r"\"private_key\"\s*:\s*\"-----BEGIN (?P<kind>(?:RSA )?)PRIVATE KEY-----"
            r"(?P<secret>[^\"]{64,16384}?)-----END (?P=kind)PRIVATE KEY-----"
        ),
        ("service_account",),
        confirm.service_account,
        key_material=True,
        priority=SERVICE_ACCOUNT,
        normalize=formats.pem_body_base64,
    ),
    prefixed("gcp-api-key", "Google API key (GCP, Gemini)", r"AIza[0-9A-Za-z_-]{35}", ("aiza",)),
    prefixed(
        "google-oauth-client-secret",
        "Google OAuth client secret",
        r"GOCSPX-[A-Za-z0-9_-]{28}",
        ("gocspx-",),
    ),
    Rule(
        "azure-storage-key",
        "Azure storage account key",
        re.compile(
            r"(?:accountkey=|(?:storage|account)[\w.-]{0,20}key[\"']?\s*[:=]\s*[\"']?)"
            r"(?P<secret>[a-z0-9+/]{86}==)"
        ),
        (
            "accountkey",
            "account_key",
            "account-key",
            "storagekey",
            "storage_key",
            "storage-key",
            "access_key",
        ),
        min_entropy=4.5,
        on_lowered=True,
    ),
    Rule(
        "azure-shared-access-key",
        "Azure Service Bus / Event Hubs / IoT shared access key",
        re.compile(r"sharedaccesskey=(?P<secret>[a-z0-9+/]{42,43}=)"),
        ("sharedaccesskey",),
        min_entropy=4.0,
        on_lowered=True,
    ),
    Rule(
        "azure-sas-token",
        "Azure shared access signature",
        re.compile(r"[?&]sig=(?P<secret>[A-Za-z0-9%+/]{40,}(?:%3D|=){0,2})"),
        ("sig=",),
        confirm.sas_token,
        min_entropy=4.0,
    ),
    Rule(
        "azure-ad-client-secret",
        "Azure AD (Entra ID) client secret",
        re.compile(r"(?P<secret>[A-Za-z0-9_~.]{3}\dQ~[A-Za-z0-9_~.-]{31,34})(?![A-Za-z0-9_~.-])"),
        ("q~",),
        min_entropy=3.5,
        not_after=TOKEN_CHARS | {"~", "."},
    ),
)

_SOURCE_CONTROL_AND_CHAT = (
    prefixed(
        "github-token",
        "GitHub token (checksum verified)",
        r"gh[pousr]_[A-Za-z0-9]{36}",
        ("ghp_", "gho_", "ghu_", "ghs_", "ghr_"),
        entropy=3.0,
        confirm=confirm.checksum,
    ),
    prefixed(
        "github-fine-grained-pat",
        "GitHub fine-grained personal access token",
        r"github_pat_[A-Za-z0-9]{22}_[A-Za-z0-9]{59}",
        ("github_pat_",),
        entropy=4.0,
    ),
    prefixed(
        "gitlab-token",
        "GitLab token",
        r"(?:gl(?:pat|dt|rt|ptt|cbt|oas|soat|ffct|imt|agent|ft|wt)-|GR1348941)"
        r"[A-Za-z0-9_-]{20,}(?:\.[A-Za-z0-9_-]+){0,3}",
        (
            "glpat-",
            "gldt-",
            "glrt-",
            "glptt-",
            "glcbt-",
            "gloas-",
            "glsoat-",
            "glffct-",
            "glimt-",
            "glagent-",
            "glft-",
            "glwt-",
            "gr1348941",
        ),
    ),
    prefixed(
        "slack-token",
        "Slack token",
        r"xox[abeoprs]-\d{6,15}-[A-Za-z0-9-]{10,}|xox[abeoprs]-\d-[A-Za-z0-9-]{40,}"
        r"|xoxe\.xox[bp]-\d-[A-Za-z0-9]{40,}|xapp-\d-[A-Z0-9]{8,}-\d{8,}-[a-f0-9]{32,}",
        ("xox", "xapp-"),
    ),
    Rule(
        "slack-webhook",
        "Slack incoming webhook URL",
        re.compile(
            r"hooks\.slack\.com/(?:services|workflows|triggers)/(?P<secret>[A-Za-z0-9/_-]{40,})"
        ),
        ("hooks.slack.com",),
        min_entropy=3.5,
    ),
    prefixed(
        "stripe-key",
        "Stripe live secret key or webhook signing secret",
        r"(?:sk|rk)_live_[A-Za-z0-9]{24,247}|whsec_[A-Za-z0-9+/=]{32,}",
        ("sk_live_", "rk_live_", "whsec_"),
    ),
)

_KEYS = (
    Rule(
        "private-key",
        "Private key (PEM, OpenSSH or PGP)",
        formats.PEM_PRIVATE_KEY,
        ("private key",),
        confirm.private_key,
        key_material=True,
        priority=STRUCTURED_KEY,
        normalize=formats.pem_body_base64,
    ),
    Rule(
        "encoded-private-key",
        "Base64-encoded private key (kubeconfig client-key-data, Secret data)",
        # one line, or wrapped over the lines of a YAML block scalar
        re.compile(
            r"(?P<secret>LS0tLS1CRUdJTi(?:[A-Za-z0-9+/]"
            r"|\r?\n[ \t]*(?=[A-Za-z0-9+/]+={0,2}[ \t]*(?:\r?\n|$))){100,}={0,2})"
        ),
        ("ls0tls1crudjti",),
        confirm.encoded_private_key,
        key_material=True,
        priority=STRUCTURED_KEY,
        not_after=BASE64_CHARS,
        normalize=confirm.encoded_key_body,
    ),
    Rule(
        "putty-private-key",
        "PuTTY private key",
        re.compile(
            r"PuTTY-User-Key-File-\d: [^\r\n]+\r?\n(?:[^\r\n]*\r?\n){1,40}?Private-Lines: \d+\r?\n"
            r"(?P<secret>(?:[A-Za-z0-9+/=]{4,80}\r?\n){1,200})"
        ),
        ("putty-user-key-file",),
        min_entropy=4.5,
        key_material=True,
        priority=STRUCTURED_KEY,
        normalize=formats.pem_body_base64,
    ),
    prefixed(
        "jwt",
        "JSON Web Token",
        r"eyJ[A-Za-z0-9_-]{10,}\.eyJ[A-Za-z0-9_-]{10,}\.[A-Za-z0-9_-]{16,}",
        ("eyj",),
        confirm=confirm.jwt,
    ),
)

_CONNECTIONS = (
    Rule(
        "url-password",
        "Password in a database, broker or service URL",
        re.compile(
            r"://(?P<user>[^\s:/@\"'<>]{0,128}):(?P<secret>[^\s@\"'<>/,]{1,256})@[A-Za-z0-9\[_-]"
        ),
        ("://",),
        confirm.url_password,
    ),
    Rule(
        "connection-string-password",
        "Password in a JDBC or ADO.NET connection string",
        re.compile(
            r"(?:jdbc:[a-z0-9:]+//[^\s\"'<>]*?[?&;]|(?:server|data source|host)=[^;\"'\r\n]+;"
            r"[^\"'\r\n]*?)(?:password|pwd)=(?P<secret>[^&;\s\"'<>]{1,128})"
        ),
        ("password=", "pwd="),
        confirm.password_value,
        on_lowered=True,
    ),
    Rule(
        "docker-config-auth",
        "Registry credentials in a Docker config (auths)",
        formats.DOCKER_AUTH,
        ('"auths"',),
        confirm.docker_auth,
    ),
    Rule(
        "docker-config-auth",
        "Registry credentials in a base64 Docker config (.dockerconfigjson)",
        re.compile(r"(?P<secret>eyJhdXRocyI6[A-Za-z0-9+/]{20,}={0,2})"),
        ("eyjhdxrocyi6",),
        confirm.encoded_docker_config,
        not_after=BASE64_CHARS,
    ),
)

_AI_PLATFORMS = (
    prefixed(
        "huggingface-token",
        "Hugging Face token",
        r"(?:hf_|api_org_)[A-Za-z0-9]{34}",
        ("hf_", "api_org_"),
        confirm=confirm.mixed_case,
    ),
    prefixed(
        "openai-api-key",
        "OpenAI API key",
        r"sk-(?:(?:proj|svcacct|admin)-)?[A-Za-z0-9_-]{20,160}T3BlbkFJ[A-Za-z0-9_-]{20,160}"
        r"|sk-(?:proj|svcacct|admin)-[A-Za-z0-9_-]{80,200}",
        ("sk-",),
        entropy=4.0,
    ),
    prefixed(
        "anthropic-api-key",
        "Anthropic API key",
        r"sk-ant-(?:api|admin|oat|ort|sid)\d{2}-[A-Za-z0-9_-]{80,120}",
        ("sk-ant-",),
        entropy=4.0,
    ),
    Rule(
        "wandb-api-key",
        "Weights & Biases API key",
        re.compile(
            r"(?:wandb[\w.-]{0,20}?(?:api[_-]?)?key[\"']?\s*[:=]\s*[\"']?"
            r"|wandb\s+login\s+(?:--relogin\s+)?|machine\s+api\.wandb\.ai\s+login\s+\S+\s+password\s+"
            r"|wandb\.login\(\s*key\s*=\s*[\"'])(?P<secret>(?:local-)?[0-9a-f]{40})(?![0-9a-z])"
        ),
        ("wandb",),
        min_entropy=3.0,
        on_lowered=True,
    ),
    prefixed("replicate-api-token", "Replicate API token", r"r8_[A-Za-z0-9]{37}", ("r8_",)),
    Rule(
        "cohere-api-key",
        "Cohere API key",
        re.compile(
            r"(?:(?:cohere|co)[\w.-]{0,20}?api[_-]?key[\"']?\s*[:=]\s*[\"']?"
            r"|cohere\.(?:client|clientv2|asyncclient)\(\s*(?:api_key\s*=\s*)?[\"'])"
            r"(?P<secret>[a-z0-9]{40})(?![a-z0-9])"
        ),
        ("cohere", "co_api_key"),
        confirm.mixed_case,
        min_entropy=4.0,
        on_lowered=True,
    ),
    prefixed("groq-api-key", "Groq API key", r"gsk_[A-Za-z0-9]{52}", ("gsk_",)),
    prefixed("perplexity-api-key", "Perplexity API key", r"pplx-[A-Za-z0-9]{48}", ("pplx-",)),
    prefixed(
        "langsmith-api-key",
        "LangSmith API key",
        r"lsv2_(?:pt|sk)_[a-f0-9]{32}_[a-f0-9]{10}",
        ("lsv2_",),
        entropy=3.0,
    ),
    prefixed("xai-api-key", "xAI API key", r"xai-[A-Za-z0-9]{80}", ("xai-",)),
    prefixed("nvidia-api-key", "NVIDIA API / NGC key", r"nvapi-[A-Za-z0-9_-]{64}", ("nvapi-",)),
    prefixed(
        "openrouter-api-key",
        "OpenRouter API key",
        r"sk-or-v1-[a-f0-9]{64}",
        ("sk-or-v1-",),
        entropy=3.0,
    ),
    prefixed("pinecone-api-key", "Pinecone API key", r"pcsk_[A-Za-z0-9_]{40,100}", ("pcsk_",)),
    prefixed(
        "databricks-token",
        "Databricks personal access token",
        r"dapi[a-f0-9]{32}(?:-\d)?",
        ("dapi",),
        entropy=3.0,
    ),
)

_REGISTRIES_AND_SERVICES = (
    prefixed(
        "npm-token",
        "npm access token (checksum verified)",
        r"npm_[A-Za-z0-9]{36}",
        ("npm_",),
        entropy=3.0,
        confirm=confirm.checksum,
    ),
    Rule(
        "npmrc-auth-token",
        "Registry token in an .npmrc",
        re.compile(
            r"(?m)^[ \t]*(?P<scope>//[^\s=]+:)?(?:_authToken|_auth|_password)[ \t]*=[ \t]*"
            r"(?P<secret>[^\s\"'$]{16,})"
        ),
        ("_authtoken", "_auth", "_password"),
        confirm.npmrc_token,
        min_entropy=3.5,
    ),
    prefixed(
        "pypi-token",
        "PyPI upload token",
        r"pypi-AgEIcHlwaS5vcmc[A-Za-z0-9_-]{50,}",
        ("pypi-ageichlwas5vcmc",),
    ),
    prefixed(
        "dockerhub-token",
        "Docker Hub personal access token",
        r"dckr_pat_[A-Za-z0-9_-]{27}",
        ("dckr_pat_",),
    ),
    prefixed(
        "vault-token",
        "HashiCorp Vault token",
        r"hv[sb]\.[A-Za-z0-9_-]{90,}",
        ("hvs.", "hvb."),
    ),
    prefixed(
        "terraform-cloud-token",
        "Terraform Cloud / Enterprise API token",
        r"[A-Za-z0-9]{14}\.atlasv1\.[A-Za-z0-9_=-]{60,70}",
        ("atlasv1",),
    ),
    prefixed(
        "doppler-token",
        "Doppler token",
        r"dp\.(?:pt|st|ct|sa|scim|audit)\.[A-Za-z0-9]{40,44}",
        ("dp.",),
    ),
    prefixed(
        "sendgrid-api-key",
        "SendGrid API key",
        r"SG\.[A-Za-z0-9_-]{22}\.[A-Za-z0-9_-]{43}",
        ("sg.",),
    ),
    prefixed(
        "digitalocean-token",
        "DigitalOcean token",
        r"do[opr]_v1_[a-f0-9]{64}",
        ("dop_v1_", "doo_v1_", "dor_v1_"),
        entropy=3.0,
    ),
    prefixed(
        "grafana-token",
        "Grafana service account or cloud token",
        r"glsa_[A-Za-z0-9]{32}_[a-f0-9]{8}|glc_[A-Za-z0-9+/]{32,400}={0,2}",
        ("glsa_", "glc_"),
    ),
)

RULES: tuple[Rule, ...] = (
    *_CLOUD,
    *_SOURCE_CONTROL_AND_CHAT,
    *_KEYS,
    *_CONNECTIONS,
    *_AI_PLATFORMS,
    *_REGISTRIES_AND_SERVICES,
    *GENERIC_RULES,
)


def passes_common_filters(rule: Rule, secret: str) -> bool:
    """The checks every rule applies before its own: entropy, placeholders, public examples."""
    if is_public_example(secret):
        return False
    if rule.priority > GENERIC and is_placeholder(secret):
        return False
    return shannon_entropy(secret) >= rule.min_entropy
