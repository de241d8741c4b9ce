#!/usr/bin/env bash
# Does a busy model starve a quiet one? One glossa-server serves two models
# on one compute budget; the quiet model's latency is measured alone, then
# while the busy one is saturated by many callers. Prints both and the p99
# ratio (the registry's promise: within 2x).
#
#   tools/soak/model_fairness.sh [QUIET_DIR] [BUSY_DIR]
#
# Defaults: the bundled models/de-en is the quiet model; the busy one is a
# random-weight OPUS-MT base model (made here with glossa-engine
# random-model). Environment: BUILD (default build), THREADS (compute
# threads, default: all cores), SECONDS_EACH (default 20), BUSY_CALLERS
# (default 32), QUIET_CALLERS (default 1), RPC (translate or generate).
set -euo pipefail
cd "$(dirname "$0")/../.."
BUILD=${BUILD:-build}
THREADS=${THREADS:-$(nproc)}
SECONDS_EACH=${SECONDS_EACH:-20}
BUSY_CALLERS=${BUSY_CALLERS:-32}
QUIET_CALLERS=${QUIET_CALLERS:-1}
RPC=${RPC:-translate}
work=$(mktemp -d /tmp/glossa_fairness_XXXXXX)
trap 'kill $server 2>/dev/null || true; rm -rf "$work"' EXIT

quiet=${1:-models/de-en}
busy=${2:-}
if [[ -z "$busy" ]]; then
  busy=$work/busy
  "$BUILD/bin/glossa-engine" random-model --out="$busy" \
    --tokenizer_from=models/de-en >/dev/null
fi
cat >"$work/models.json" <<EOF
{"models": [{"name": "quiet", "path": "$(realpath "$quiet")"},
            {"name": "busy", "path": "$(realpath "$busy")"}]}
EOF
port=$((20000 + RANDOM % 20000))
"$BUILD/bin/glossa-server" --models_config="$work/models.json" \
  --host=127.0.0.1 --port=$port --http_port=-1 --metrics_port=-1 \
  --num_threads="$THREADS" --model_poll_seconds=0 >"$work/server.log" 2>&1 &
server=$!
for _ in $(seq 600); do
  if "$BUILD/bin/glossa" --server=127.0.0.1:$port health >/dev/null 2>&1; then
    break
  fi
  sleep 0.1
done

bench() {  # model callers seconds -> JSON summary
  "$BUILD/bin/glossa" --server=127.0.0.1:$port --model="$1" --rpc="$RPC" \
    --concurrency="$2" --duration="${3}s" --json bench 2>/dev/null
}
p99() { python3 -c 'import json,sys; print(json.load(sys.stdin)["latency_ms"]["p99"])'; }
summary() {
  python3 -c '
import json, sys
s = json.load(sys.stdin)
l = s["latency_ms"]
print("%d ok, %d errors, %.1f req/s, latency ms p50 %.1f p90 %.1f p99 %.1f max %.1f"
      % (s["ok"], s["errors"], s["requests_per_s"], l["p50"], l["p90"],
         l["p99"], l["max"]))'
}

echo "CPU: $(lscpu | sed -n 's/^Model name: *//p'), $(nproc) cores; threads=$THREADS rpc=$RPC"
bench quiet "$QUIET_CALLERS" 3 >/dev/null  # warm the client and the caches
solo=$(bench quiet "$QUIET_CALLERS" "$SECONDS_EACH")
echo "quiet alone:             $(summary <<<"$solo")"
bench busy "$BUSY_CALLERS" $((SECONDS_EACH + 10)) >"$work/busy.json" &
busy_pid=$!
sleep 5  # the busy model's batch is full before the quiet one is measured
shared=$(bench quiet "$QUIET_CALLERS" "$SECONDS_EACH")
wait $busy_pid
echo "quiet beside busy:       $(summary <<<"$shared")"
echo "busy ($BUSY_CALLERS callers):       $(summary <"$work/busy.json")"
python3 - "$(p99 <<<"$solo")" "$(p99 <<<"$shared")" <<'EOF'
import sys
solo, shared = map(float, sys.argv[1:])
print(f"quiet p99 ratio (beside busy / alone): {shared / solo:.2f}")
EOF
