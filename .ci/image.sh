#!/usr/bin/env bash
# Build c4guard's container image without any registry, run it, and scan it:
#   1. a Debian base made locally by mmdebstrap, cached outside the clone by the Debian
#      archive state (the InRelease files apt last fetched), imported with buildah as two
#      images: the build base and the runtime base (no shells, dpkg, apt or perl);
#   2. c4guard and its dependencies as wheels (pip on the host), the image built from them
#      by `buildah bud` with the bases' digests as build arguments;
#   3. the image runs `c4guard --version`, a scan of the examples and `gate serve` (its
#      /healthz answers on loopback), with a read-only root filesystem as UID 65532;
#   4. the image's own CLI scans the image (no secret in its layers) and the Dockerfile (no
#      failing check at level 2).
# Self-contained (its own copy of the source and its own pip), so that .ci/run can run it
# beside the test suite. Prints the time of each step. Usage: bash .ci/image.sh [WORKDIR]
set -euo pipefail
cd "$(dirname "$0")/.."
WORK=${1:-$(mktemp -d /tmp/c4guard-image.XXXXXX)}
CACHE=${C4GUARD_CI_CACHE:-/var/cache/c4guard-ci}
export BUILDAH_ISOLATION=chroot STORAGE_DRIVER=vfs
mkdir -p "$WORK" "$CACHE"
# The source as it is now (tracked and untracked, not ignored files), copied: the build
# writes nothing into the working tree another job may be building from.
SOURCE=$WORK/source
mkdir -p "$SOURCE"
git ls-files -z --cached --others --exclude-standard \
  | tar --null -T - --ignore-failed-read -cf - 2>/dev/null | tar -xf - -C "$SOURCE"
python3 -m venv "$WORK/pip"
PIP=$WORK/pip/bin/pip

step_start=$SECONDS
step() { echo "image.sh: $1 ($((SECONDS - step_start)) s so far)"; }

# -- tools ------------------------------------------------------------------------------
SUITE=bookworm
if ! compgen -G "/var/lib/apt/lists/*_dists_${SUITE}_InRelease" >/dev/null; then
  apt-get update -qq
fi
if ! command -v buildah >/dev/null || ! command -v mmdebstrap >/dev/null; then
  DEBIAN_FRONTEND=noninteractive apt-get install -y -q buildah mmdebstrap >/dev/null
fi
step "tools ready"

# -- the Debian bases -------------------------------------------------------------------
KEY=$(cat /var/lib/apt/lists/*_dists_${SUITE}*_InRelease | sha256sum | cut -c1-16)
BASE_TAR=$CACHE/debian-$SUITE-$KEY.tar
if [ ! -s "$BASE_TAR" ]; then
  SOURCE_DATE_EPOCH=$(date -d "$(grep -m1 '^Date:' /var/lib/apt/lists/*_dists_${SUITE}_InRelease | cut -d' ' -f2-)" +%s) \
  mmdebstrap --quiet --variant=minbase --mode=root \
    --include=python3,python3-venv,ca-certificates \
    --dpkgopt='path-exclude=/usr/share/doc/*' --dpkgopt='path-exclude=/usr/share/man/*' \
    --dpkgopt='path-exclude=/usr/share/locale/*' \
    "$SUITE" "$CACHE/partial-$KEY.tar"
  mv "$CACHE/partial-$KEY.tar" "$BASE_TAR"
  find "$CACHE" -name "debian-$SUITE-*.tar" ! -name "$(basename "$BASE_TAR")" -delete
fi
step "base rootfs $BASE_TAR"

# The runtime base: the same files less what the CLI never runs.
RUNTIME_TAR=$WORK/runtime-base.tar
python3 - "$BASE_TAR" "$RUNTIME_TAR" <<'PY'
import re, sys, tarfile
DROP = re.compile(
    r"^\.?/?(usr/)?(bin|sbin)/(bash|dash|sh|rbash|perl[\d.]*|apt[\w-]*|dpkg[\w-]*|"
    r"su|login|passwd|mount|umount|chsh|chfn|newgrp|gpasswd)$"
    r"|^\.?/?(usr/)?(lib|share)/(perl[\d.]*|apt|dpkg)(/|$)"
    r"|^\.?/?var/(lib|cache)/(apt|dpkg)(/|$)"
)
with tarfile.open(sys.argv[1]) as src, tarfile.open(sys.argv[2], "w") as out:
    for member in src:
        if DROP.search(member.name):
            continue
        out.addfile(member, src.extractfile(member) if member.isfile() else None)
PY
import_base() {  # import_base TAR NAME -> prints the image's digest reference
  local ctr
  ctr=$(buildah from scratch)
  buildah add --quiet "$ctr" "$1" / >/dev/null
  buildah commit --quiet --timestamp 0 "$ctr" "$2" >/dev/null  # same tar, same digest
  buildah rm "$ctr" >/dev/null
  echo "$2@$(buildah inspect --format '{{.FromImageDigest}}' "$2" 2>/dev/null || true)"
}
digest_of() { buildah images --digests --format '{{.Digest}}' "$1" | head -1; }
import_base "$BASE_TAR" "localhost/c4guard/debian-build:$KEY" >/dev/null
import_base "$RUNTIME_TAR" "localhost/c4guard/debian-runtime:$KEY" >/dev/null
BUILD_BASE="localhost/c4guard/debian-build@$(digest_of "localhost/c4guard/debian-build:$KEY")"
RUNTIME_BASE="localhost/c4guard/debian-runtime@$(digest_of "localhost/c4guard/debian-runtime:$KEY")"
step "bases imported: $BUILD_BASE $RUNTIME_BASE"
for base in "$BUILD_BASE" "$RUNTIME_BASE"; do
  grep -q "=$base\$" Dockerfile || echo "image.sh: note: $base is not the Dockerfile's default (the Debian archive moved on): update the ARG defaults"
done

# -- wheels and the image ----------------------------------------------------------------
CONTEXT=$WORK/context
mkdir -p "$CONTEXT"
cp Dockerfile "$CONTEXT/"
# Dependencies' wheels are cached by pyproject.toml; c4guard's own wheel is always rebuilt.
WHEELS=$CACHE/wheels-$(sha256sum pyproject.toml | cut -c1-16)
if [ ! -d "$WHEELS" ]; then
  "$PIP" wheel --quiet --wheel-dir "$WHEELS.partial" "$SOURCE" 2>&1 | grep -v '^WARNING: Location' || true
  rm -f "$WHEELS".partial/c4guard-*.whl
  mv "$WHEELS.partial" "$WHEELS"
  find "$CACHE" -maxdepth 1 -name 'wheels-*' ! -name "$(basename "$WHEELS")" -exec rm -rf {} +
fi
cp -r "$WHEELS" "$CONTEXT/wheels"
"$PIP" wheel --quiet --no-deps --wheel-dir "$CONTEXT/wheels" "$SOURCE" 2>&1 | grep -v '^WARNING: Location' || true
step "wheels built"
IMAGE=localhost/c4guard:ci
buildah bud --quiet --layers=false --pull=never \
  --build-arg "BUILD_BASE=$BUILD_BASE" --build-arg "RUNTIME_BASE=$RUNTIME_BASE" \
  --build-arg "REVISION=$(git rev-parse HEAD 2>/dev/null || echo unknown)" \
  -t "$IMAGE" "$CONTEXT" >/dev/null
step "image built: $IMAGE"

# -- run it ------------------------------------------------------------------------------
CTR=$(buildah from --pull-never "$IMAGE")
OUT=$WORK/out
mkdir -p "$OUT" && chmod 0777 "$OUT"
run() {  # the image's entrypoint, read-only root, UID 65532, /tmp a fresh tmpfs
  buildah run --isolation chroot --user 65532:65532 \
    --mount "type=tmpfs,destination=/tmp" \
    --mount "type=bind,source=$SOURCE/examples,destination=/scan/examples,ro" \
    --mount "type=bind,source=$SOURCE/Dockerfile,destination=/scan/Dockerfile,ro" \
    --mount "type=bind,source=$OUT,destination=/out,rw" \
    "$CTR" -- /opt/c4guard/bin/c4guard "$@"
}
run --version
run scan examples/insecure-platform --fail-on none --format json >"$WORK/scan.json"
python3 -c "import json,sys; d=json.load(open(sys.argv[1])); assert d['summary']['resources'] > 0" "$WORK/scan.json"
step "ran --version and a scan"
for shell in /bin/sh /bin/bash /bin/dash /usr/bin/perl; do
  if buildah run --isolation chroot "$CTR" -- "$shell" -c true 2>/dev/null; then
    echo "image.sh: $shell runs in the image" >&2; exit 1
  fi
done
# The gate: certificates from the image's own `gate certs`, then /healthz on loopback.
CERTS=$WORK/certs
mkdir -p "$CERTS" && chmod 0777 "$CERTS"
buildah run --isolation chroot --user 65532:65532 --mount "type=tmpfs,destination=/tmp" \
  --mount "type=bind,source=$CERTS,destination=/certs,rw" \
  "$CTR" -- /opt/c4guard/bin/c4guard gate certs --out-dir /certs --dns localhost
printf 'version: 1\ngate:\n  images:\n    verify: false\n' >"$CERTS/c4guard.yaml"
PORT=$((20000 + RANDOM % 10000))
buildah run --isolation chroot --user 65532:65532 --mount "type=tmpfs,destination=/tmp" \
  --mount "type=bind,source=$CERTS,destination=/certs,ro" \
  "$CTR" -- /opt/c4guard/bin/c4guard gate serve --config /certs/c4guard.yaml \
  --listen "127.0.0.1:$PORT" --probe-listen "127.0.0.1:$((PORT + 1))" \
  --tls-cert /certs/tls.crt --tls-key /certs/tls.key --audit /tmp/trail.db \
  >"$WORK/gate.log" 2>&1 &
GATE=$!
trap 'kill $GATE 2>/dev/null || true; buildah rm "$CTR" >/dev/null 2>&1 || true' EXIT
healthy=""
for _ in $(seq 1 60); do
  if python3 -c "import urllib.request,sys; urllib.request.urlopen(sys.argv[1], timeout=2)" \
    "http://127.0.0.1:$((PORT + 1))/healthz" 2>/dev/null; then healthy=yes; break; fi
  sleep 1
done
python3 - "$PORT" "$CERTS/ca.crt" <<'PY' || healthy=""
import ssl, sys, urllib.request
context = ssl.create_default_context(cafile=sys.argv[2])
urllib.request.urlopen(f"https://localhost:{sys.argv[1]}/healthz", context=context, timeout=5)
PY
kill $GATE 2>/dev/null || true
wait $GATE 2>/dev/null || true
if [ -z "$healthy" ]; then cat "$WORK/gate.log" >&2; echo "image.sh: the gate did not answer" >&2; exit 1; fi
step "gate served /healthz over HTTP and HTTPS from the image"

# -- scan the image and its Dockerfile ---------------------------------------------------
# ... with the image's own CLI.
buildah push --quiet "$IMAGE" "docker-archive:$OUT/image.tar:$IMAGE" >/dev/null
chmod 0644 "$OUT/image.tar"
run scan /out/image.tar --check SECRET-IN-IMAGE --format json -o /out/image-scan.json --fail-on none
# No secret in what c4guard puts into the image: its own package, its configuration and the
# base. Findings in third-party packages' source and tests (docstring examples, test
# fixtures such as kubernetes' kube_config_test.py) are counted and listed, not failed.
python3 - "$OUT/image-scan.json" <<'PY'
import json, re, sys
report = json.load(open(sys.argv[1]))
assert report["summary"]["files_read"] > 0 or report["summary"]["resources"] > 0, "image not read"
third_party = re.compile(r"/opt/c4guard/lib/python3\.\d+/site-packages/(?!c4guard/)")
findings = [f for r in report["requirements"] for f in r.get("findings", []) if f["result"] != "pass"]
ours = [f for f in findings if not third_party.search(f["path"])]
for f in ours:
    print(f"image.sh: secret in the image: {f['path']}: {f['message']}", file=sys.stderr)
print(f"image.sh: image secrets: {len(ours)} in c4guard's files and the base, "
      f"{len(findings) - len(ours)} in third-party packages (reported, not failed)")
sys.exit(1 if ours else 0)
PY
run scan Dockerfile --level 2 --fail-on fail --format json -o /out/dockerfile-scan.json
step "image and Dockerfile scanned: image.tar $(du -m "$OUT/image.tar" | cut -f1) MiB"
echo "image.sh: done in $SECONDS s"
