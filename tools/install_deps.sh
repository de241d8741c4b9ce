#!/usr/bin/env bash
# Installs every Debian 12 package Glossa needs to build, test and run.
# Idempotent and non-interactive: packages already present are skipped, so a
# second run costs one dpkg query.
set -euo pipefail

# Build toolchain and C++ libraries.
BUILD_PACKAGES=(
  build-essential cmake make pkg-config ninja-build
  libabsl-dev
  libgrpc++-dev protobuf-compiler-grpc libprotobuf-dev protobuf-compiler
  libdnnl-dev
  prometheus-cpp-dev
  libsentencepiece-dev sentencepiece
  libgtest-dev libgmock-dev libbenchmark-dev
  libssl-dev zlib1g-dev nlohmann-json3-dev libcpp-httplib-dev libicu-dev
)
# Peers used by tests: an independent Python gRPC client, a real
# Prometheus server scraping /metrics, a real browser for the playground;
# clang-format for the style check.
TEST_PACKAGES=(
  python3 python3-numpy python3-grpcio python3-protobuf python3-yaml python3-h2
  prometheus clang-format
  curl ca-certificates
  chromium
)
# Optional groups, selected with flags.
PYTORCH_PACKAGES=(python3-torch python3-sentencepiece libopenblas0-pthread)      # --with-torch: fixtures, training
DATA_PACKAGES=(trans-de-en dpkg-dev)    # --with-data: corpus building
IMAGE_PACKAGES=(buildah mmdebstrap podman fuse-overlayfs)  # --with-image
FUZZ_PACKAGES=(clang-14 libclang-rt-14-dev libomp-14-dev)   # --with-fuzz: libFuzzer

wanted=("${BUILD_PACKAGES[@]}" "${TEST_PACKAGES[@]}")
for arg in "$@"; do
  case "$arg" in
    --with-torch) wanted+=("${PYTORCH_PACKAGES[@]}") ;;
    --with-data) wanted+=("${DATA_PACKAGES[@]}") ;;
    --with-image) wanted+=("${IMAGE_PACKAGES[@]}") ;;
    --with-fuzz) wanted+=("${FUZZ_PACKAGES[@]}") ;;
    --build-only) wanted=("${BUILD_PACKAGES[@]}") ;;
    *) echo "install_deps.sh: unknown option '$arg'" >&2; exit 2 ;;
  esac
done

missing=()
for pkg in "${wanted[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$pkg")
  fi
done
if ((${#missing[@]} == 0)); then
  echo "install_deps.sh: all ${#wanted[@]} packages present"
  exit 0
fi

SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
export DEBIAN_FRONTEND=noninteractive
echo "install_deps.sh: installing ${missing[*]}"
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
