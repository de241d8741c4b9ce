#!/usr/bin/env bash
# Builds the Glossa container image from the root Dockerfile with buildah:
# no Docker daemon, no privileges beyond root in a plain container, no registry.
#
#   deploy/image/build_image.sh [--tag glossa:latest] [--jobs N] [--save FILE]
#                               [--rebuild-base] [--no-cache]
#
# The Dockerfile starts FROM debian:bookworm and debian:bookworm-slim. Those
# base images are not pulled: they are made here with mmdebstrap from the
# machine's own apt sources and imported into buildah's storage under the
# names the Dockerfile uses (docker.io/library/debian:TAG). They are kept and
# reused by later builds (--rebuild-base makes them again, e.g. for security
# updates). Build layers are cached between builds too; --no-cache ignores
# them (a cold build, e.g. to measure it).
#
# Needs: buildah, mmdebstrap (bash tools/install_deps.sh --with-image).
# The image lands in buildah's vfs storage (/var/lib/containers/storage for
# root): `buildah --storage-driver=vfs images`. --save also writes it as a
# docker-archive tarball for `docker load -i FILE` / `podman load -i FILE`.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
TAG="glossa:latest"
JOBS="$(nproc)"
SAVE=""
REBUILD_BASE=0
CACHE=(--layers)
RELEASE="bookworm"

usage() { sed -n '2,20p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'; }

while (($#)); do
  case "$1" in
    --tag) TAG="$2"; shift 2 ;;
    --jobs) JOBS="$2"; shift 2 ;;
    --save) SAVE="$2"; shift 2 ;;
    --rebuild-base) REBUILD_BASE=1; shift ;;
    --no-cache) CACHE=(--layers --no-cache); shift ;;
    -h|--help) usage; exit 0 ;;
    *) echo "build_image.sh: unknown argument '$1'" >&2; usage >&2; exit 2 ;;
  esac
done

for tool in buildah mmdebstrap; do
  if ! command -v "$tool" >/dev/null; then
    echo "build_image.sh: '$tool' not found; run: bash tools/install_deps.sh --with-image" >&2
    exit 1
  fi
done
if [ ! -f "$ROOT/models/de-en/config.json" ]; then
  echo "build_image.sh: the bundled model models/de-en/ is missing" >&2
  exit 1
fi

BUILDAH=(buildah --storage-driver=vfs)
WORK="$(mktemp -d "${TMPDIR:-/tmp}/glossa-image.XXXXXX")"
trap 'rm -rf "$WORK"' EXIT

# The apt sources the rootfs is made from: the machine's own Debian entries
# (deb822 or one-line), so the build uses the same mirror, proxy and snapshot
# as `apt-get` here.
apt_sources() {
  if [ -n "${GLOSSA_APT_SOURCES:-}" ]; then
    echo "$GLOSSA_APT_SOURCES"
  elif [ -f /etc/apt/sources.list.d/debian.sources ]; then
    echo /etc/apt/sources.list.d/debian.sources
  elif grep -qs '^deb ' /etc/apt/sources.list; then
    grep '^deb ' /etc/apt/sources.list > "$WORK/sources.list"
    echo "$WORK/sources.list"
  else
    echo "http://deb.debian.org/debian"
  fi
}

# make_base TAG [mmdebstrap options...]: a minbase Debian rootfs imported as
# docker.io/library/debian:TAG.
make_base() {
  local tag="$1"; shift
  local name="docker.io/library/debian:$tag"
  if ((REBUILD_BASE == 0)) && "${BUILDAH[@]}" inspect --type image "$name" >/dev/null 2>&1; then
    echo "build_image.sh: reusing base image $name"
    return
  fi
  echo "build_image.sh: making $name with mmdebstrap"
  # The merged-usr hook lays out /usr itself, as debootstrap does; otherwise
  # bookworm's init-system-helpers pulls in usrmerge and with it Perl.
  mmdebstrap --variant=minbase --format=tar \
    --hook-dir=/usr/share/mmdebstrap/hooks/merged-usr "$@" \
    "$RELEASE" "$WORK/$tag.tar" "$(apt_sources)"
  local ctr
  ctr="$("${BUILDAH[@]}" from scratch)"
  "${BUILDAH[@]}" add --quiet "$ctr" "$WORK/$tag.tar" /
  "${BUILDAH[@]}" config \
    --env PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
    --cmd '["bash"]' --label "org.opencontainers.image.description=Debian $tag (mmdebstrap)" \
    "$ctr"
  "${BUILDAH[@]}" commit --quiet --rm "$ctr" "$name" >/dev/null
  rm -f "$WORK/$tag.tar"
}

# bookworm-slim, as Docker's: no manuals, docs or translations.
SLIM_OPTS=(
  --dpkgopt='path-exclude=/usr/share/man/*'
  --dpkgopt='path-exclude=/usr/share/doc/*'
  --dpkgopt='path-include=/usr/share/doc/*/copyright'
  --dpkgopt='path-exclude=/usr/share/info/*'
  --dpkgopt='path-exclude=/usr/share/locale/*'
  --dpkgopt='path-exclude=/usr/share/lintian/*'
)

start=$(date +%s)
make_base "$RELEASE"
make_base "$RELEASE-slim" "${SLIM_OPTS[@]}"
based=$(date +%s)

# --format=docker keeps HEALTHCHECK and STOPSIGNAL (the OCI config has no
# HEALTHCHECK); --layers caches the dependency layer between builds.
echo "build_image.sh: building $TAG (JOBS=$JOBS)"
nice -n 19 "${BUILDAH[@]}" bud \
  --isolation=chroot --pull-never --format=docker --force-rm "${CACHE[@]}" \
  --build-arg "JOBS=$JOBS" \
  -f "$ROOT/Dockerfile" -t "$TAG" "$ROOT"
done_at=$(date +%s)

size="$("${BUILDAH[@]}" images --format '{{.Size}}' "$TAG" | head -n1)"
echo "build_image.sh: $TAG built: base images $((based - start)) s, build $((done_at - based)) s, size $size"

if [ -n "$SAVE" ]; then
  mkdir -p "$(dirname "$SAVE")"
  rm -f "$SAVE"
  "${BUILDAH[@]}" push --quiet "$TAG" "docker-archive:$SAVE:$TAG"
  echo "build_image.sh: saved $SAVE ($(du -h "$SAVE" | cut -f1)); load with: docker load -i $SAVE"
fi
