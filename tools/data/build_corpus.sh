#!/usr/bin/env bash
# Rebuilds the German->English corpus under tools/data/work/ and refreshes the
# committed held-out sets (tools/data/heldout/) and tools/data/COUNTS.md.
#   tools/data/build_corpus.sh            fetch packages with apt-get download
#   tools/data/build_corpus.sh --offline  reuse tools/data/work/debs/
set -euo pipefail
cd "$(dirname "$0")/../.."
if ! dpkg-query -W -f='${Status}' trans-de-en 2>/dev/null | grep -q "install ok installed"; then
  bash tools/install_deps.sh --with-data
fi
exec nice -n 19 /usr/bin/python3 tools/data/build_corpus.py --write-heldout "$@"
