# c4guard's container image: `scan`, `gate serve`, `host` and `cluster` (ENTRYPOINT is the
# CLI). Built by .ci/image.sh with buildah on Debian bases it makes itself (mmdebstrap) and
# from wheels built outside (wheels/ in the build context): the build needs no network.
#
# The runtime base is the build base without shells, dpkg, apt and perl: only Python and
# the libraries it links. Runs as UID 65532, with a read-only root filesystem (state and
# temporary files go to /tmp: mount a tmpfs or emptyDir there).
#
# Both bases are pinned by digest. The defaults are the bases .ci/image.sh makes from the
# Debian archive state keyed ced5a67bf809e827 (bookworm, 2026-12; its imports are
# reproducible: fixed timestamps); it passes the digests of the bases it imported as build
# arguments and says when they differ from these defaults (the archive moved on).
ARG BUILD_BASE=localhost/c4guard/debian-build@sha256:39447c1215916fd1acbee66087b9d4fe0accb39ea7b271c7e90d8ff7563382ec
ARG RUNTIME_BASE=localhost/c4guard/debian-runtime@sha256:c381dddd209f1eca62b156a09244c112457c5f11289ca609bc4e0f4bcaba4f61

FROM ${BUILD_BASE} AS build
COPY wheels/ /wheels/
RUN python3 -m venv /opt/c4guard \
 && /opt/c4guard/bin/pip install --no-index --no-cache-dir --find-links /wheels c4guard \
 && /opt/c4guard/bin/pip uninstall --yes pip \
 && python3 -m compileall -q -j 0 /opt/c4guard/lib

FROM ${RUNTIME_BASE}
ARG VERSION=0.1.0
ARG REVISION=unknown
LABEL org.opencontainers.image.title="c4guard" \
      org.opencontainers.image.description="Verify AI infrastructure against OWASP AISVS chapter C4 and enforce it at deployment" \
      org.opencontainers.image.version="${VERSION}" \
      org.opencontainers.image.revision="${REVISION}" \
      org.opencontainers.image.licenses="Apache-2.0" \
      org.opencontainers.image.source="https://github.com/c4guard/c4guard" \
      org.opencontainers.image.documentation="https://github.com/c4guard/c4guard/blob/main/docs/container.md" \
      org.opencontainers.image.vendor="c4guard developers"
COPY --from=build /opt/c4guard /opt/c4guard
ENV PATH=/opt/c4guard/bin:/usr/bin \
    PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    HOME=/tmp \
    C4GUARD_STATE_DIR=/tmp/c4guard
USER 65532:65532
WORKDIR /scan
EXPOSE 8443 8080
ENTRYPOINT ["/opt/c4guard/bin/c4guard"]
CMD ["--help"]
