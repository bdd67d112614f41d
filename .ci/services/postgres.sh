#!/usr/bin/env bash
# PostgreSQL server binaries for the audit trail tests (Debian's `postgresql`).
# Idempotent. It starts nothing: the tests start a throwaway cluster on a free loopback
# port themselves (tests/audit/audit_testing.py), as the `postgres` user when run as root.
set -euo pipefail
if compgen -G "/usr/lib/postgresql/*/bin/initdb" > /dev/null; then
  exit 0
fi
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq postgresql > /dev/null
