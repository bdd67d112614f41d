"""Environment names (dev/test/staging/prod) as people write them in labels, namespaces,
tags, directory names and workspaces."""

from __future__ import annotations

ENVIRONMENT_WORDS = {
    "prod": "prod",
    "production": "prod",
    "prd": "prod",
    "live": "prod",
    "staging": "staging",
    "stage": "staging",
    "stg": "staging",
    "preprod": "staging",
    "dev": "dev",
    "development": "dev",
    "test": "test",
    "testing": "test",
    "qa": "test",
    "uat": "test",
}
