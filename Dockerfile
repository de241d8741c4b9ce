# Glossa: gRPC translation server for Marian / OPUS-MT models on CPU.
#
#   make image                      # buildah, no Docker daemon needed (deploy/image/build_image.sh)
#   docker build -t glossa .        # or with Docker / Podman
#   docker run --rm -p 50051:50051 -p 8080:8080 -p 9464:9464 --cpus=2 -e GLOSSA_NUM_THREADS=2 glossa
#
# Configuration is by GLOSSA_* environment variables (every server flag has
# one: GLOSSA_<FLAG_UPPER>); docs/deploy.md lists them.

ARG DEBIAN_RELEASE=bookworm

# ---------------------------------------------------------------------------
# Build stage: the project's own dependency script and the Makefile's CMake
# commands, as CI runs them.
FROM debian:${DEBIAN_RELEASE} AS build

# Parallel compile jobs (the Makefile's JOBS).
ARG JOBS=2
# CMake targets to build; empty builds everything, tests included, as `make build`.
ARG TARGETS="glossa-server glossa glossa_spm_shim"
# Extra configure flags (the Makefile's CMAKE_FLAGS), e.g.
# --build-arg CMAKE_FLAGS=-DGLOSSA_ARCH_FLAGS=-march=x86-64-v2
ARG CMAKE_FLAGS=""

WORKDIR /src
# The dependency layer only changes when the script does.
COPY tools/install_deps.sh tools/install_deps.sh
RUN bash tools/install_deps.sh --build-only && apt-get clean && rm -rf /var/lib/apt/lists/*

COPY . .
RUN cmake -S . -B build -DCMAKE_BUILD_TYPE=Release ${CMAKE_FLAGS} \
 && cmake --build build -j"${JOBS}" ${TARGETS:+--target ${TARGETS}}

# What the runtime stage takes: the programs and the SentencePiece shim, which
# they dlopen from their own directory, so all three stay side by side.
RUN mkdir -p /out/bin \
 && cp build/bin/glossa-server build/bin/glossa build/bin/libglossa_spm_shim.so /out/bin/ \
 && strip --strip-unneeded /out/bin/*

# ---------------------------------------------------------------------------
# Runtime stage: the binaries, the shared libraries they link, the model.
FROM debian:${DEBIAN_RELEASE}-slim AS runtime

# Runtime halves of the -dev packages in tools/install_deps.sh.
RUN apt-get update \
 && apt-get install -y --no-install-recommends \
      libgrpc++1.51 libprotobuf32 libabsl20220623 \
      libdnnl2 libgomp1 \
      libsentencepiece0 libicu72 \
      libprometheus-cpp-core1.0 libprometheus-cpp-pull1.0 \
      libcpp-httplib0.11 \
 && apt-get clean && rm -rf /var/lib/apt/lists/*

RUN groupadd --gid 10001 glossa \
 && useradd --uid 10001 --gid glossa --no-create-home \
      --home-dir /nonexistent --shell /usr/sbin/nologin glossa

COPY --from=build /out/bin/ /opt/glossa/bin/
COPY models/de-en/ /opt/glossa/models/de-en/

# Fail the build, not the first start, if a shared library is missing.
RUN if ldd /opt/glossa/bin/* | grep 'not found'; then exit 1; fi

ENV PATH=/opt/glossa/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
    GLOSSA_MODEL=/opt/glossa/models/de-en \
    GLOSSA_HOST=0.0.0.0 \
    GLOSSA_PORT=50051 \
    GLOSSA_HTTP_PORT=8080 \
    GLOSSA_METRICS_PORT=9464 \
    GLOSSA_DRAIN_GRACE_SECONDS=30 \
    OMP_WAIT_POLICY=PASSIVE
# GLOSSA_NUM_THREADS is left to the deployment: set it to the container's CPU
# limit (Kubernetes: downward API limits.cpu; Docker: the --cpus value).

USER glossa:glossa
WORKDIR /opt/glossa
EXPOSE 50051 8080 9464

# `docker stop` sends SIGTERM to the server itself (exec-form ENTRYPOINT, no
# shell in between): health turns NOT_SERVING, in-flight work drains for up to
# GLOSSA_DRAIN_GRACE_SECONDS, then it exits 0. Give `docker stop -t` more than
# the grace period.
STOPSIGNAL SIGTERM
HEALTHCHECK --interval=10s --timeout=3s --start-period=60s --retries=3 \
  CMD glossa health --server=127.0.0.1:${GLOSSA_PORT}

ENTRYPOINT ["/opt/glossa/bin/glossa-server"]
