#!/usr/bin/env bash
# Starts (or resumes) training in the background, detached from the terminal.
#   tools/train/run_training.sh [train.py options]
#   tools/train/run_training.sh --foreground [train.py options]   (e.g. --bench 10)
# Log: tools/train/runs/de-en/train.log (+ nohup.out); PID: tools/train/runs/de-en/train.pid
# Pause / resume (e.g. while benchmarking): kill -STOP <pid> / kill -CONT <pid>
# Stop with a final checkpoint: kill -TERM <pid>; running this script again resumes.
set -euo pipefail
cd "$(dirname "$0")/../.."
RUN=tools/train/runs/de-en
mkdir -p "$RUN"

# train.py preloads OpenBLAS (OpenMP flavour) itself (tools/reference/fast_blas.py):
# Debian's default reference BLAS makes training ~10x slower. When the system
# has no OpenBLAS, unpack the package where fast_blas.py looks for it.
if [ ! -e /usr/lib/x86_64-linux-gnu/openblas-openmp/libblas.so.3 ] &&
   [ ! -e tools/train/runs/openblas/usr/lib/x86_64-linux-gnu/openblas-openmp/libblas.so.3 ]; then
  tmp=$(mktemp -d)
  (cd "$tmp" && apt-get download libopenblas0-openmp >/dev/null 2>&1)
  dpkg-deb -x "$tmp"/libopenblas0-openmp_*.deb tools/train/runs/openblas
  rm -rf "$tmp"
fi

export OMP_WAIT_POLICY=PASSIVE OMP_NUM_THREADS=2 OPENBLAS_NUM_THREADS=2
if [ "${1:-}" = "--foreground" ]; then
  shift
  exec nice -n 19 /usr/bin/python3 tools/train/train.py --run "$RUN" "$@"
fi
setsid nohup nice -n 19 /usr/bin/python3 tools/train/train.py --run "$RUN" "$@" \
  >>"$RUN/nohup.out" 2>&1 < /dev/null &
echo $! > "$RUN/train.pid"
echo "training started: pid $(cat "$RUN/train.pid"), log $RUN/train.log"
