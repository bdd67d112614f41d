#!/usr/bin/env bash
# Installs Debian's chromium for the HTML report test (headless, loopback only).
# Idempotent. Starts nothing: the test launches its own headless browser with a fresh
# profile and no network features, and closes it afterwards.
set -euo pipefail
if command -v chromium >/dev/null 2>&1; then
  exit 0
fi
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends chromium fonts-dejavu-core >/dev/null
command -v chromium >/dev/null
