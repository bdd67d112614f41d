#!/usr/bin/env bash
# Installs Debian's docker-registry (distribution 2.8) for the supply-chain tests.
# Idempotent. Starts nothing: the tests start their own registries on free loopback
# ports (tests/supplychain/registry.py) and stop them afterwards.
set -euo pipefail
if command -v docker-registry >/dev/null 2>&1; then
  exit 0
fi
export DEBIAN_FRONTEND=noninteractive
# Keep the packaged service (it would listen on :5000) from starting during the install.
made_policy=""
if [ ! -e /usr/sbin/policy-rc.d ]; then
  printf '#!/bin/sh\nexit 101\n' > /usr/sbin/policy-rc.d
  chmod +x /usr/sbin/policy-rc.d
  made_policy=1
fi
trap 'if [ -n "$made_policy" ]; then rm -f /usr/sbin/policy-rc.d; fi' EXIT
apt-get update -qq
apt-get install -y -qq --no-install-recommends docker-registry >/dev/null
command -v docker-registry >/dev/null
