#!/usr/bin/env bash
# Runs a built Glossa image's server from the image's own root filesystem with
# chroot, where no container runtime can run (no privileges for namespaces),
# and calls it once with the image's client.
#
#   sudo deploy/image/run_chroot.sh [IMAGE]        (default glossa:latest)
#
# Uses the image's entrypoint, environment and user (from its config) and
# only overrides the listening address and ports (loopback, free ports).
# Steps: start -> wait for `glossa health` SERVING -> the image's HEALTHCHECK
# command -> translate one sentence -> read /metrics -> SIGTERM -> report the
# exit code. Exits non-zero if any
# step fails.
set -euo pipefail

IMAGE="${1:-glossa:latest}"
SENTENCE="${GLOSSA_SMOKE_TEXT:-Guten Morgen, wie geht es dir?}"
BUILDAH=(buildah --storage-driver=vfs)

if [ "$(id -u)" -ne 0 ]; then
  echo "run_chroot.sh: chroot needs root" >&2
  exit 1
fi

ctr="$("${BUILDAH[@]}" from --pull-never "$IMAGE")"
mnt="$("${BUILDAH[@]}" mount "$ctr")"
log="$(mktemp)"
proc_mounted=0
server_pid=""
cleanup() {
  if [ -n "$server_pid" ] && kill -0 "$server_pid" 2>/dev/null; then
    kill -KILL "$server_pid" 2>/dev/null || true
  fi
  if ((proc_mounted)); then umount "$mnt/proc" 2>/dev/null || true; fi
  "${BUILDAH[@]}" umount "$ctr" >/dev/null 2>&1 || true
  "${BUILDAH[@]}" rm "$ctr" >/dev/null 2>&1 || true
  rm -f "$log"
}
trap cleanup EXIT

# The image's configuration.
inspect() { "${BUILDAH[@]}" inspect --type image --format "$1" "$IMAGE"; }
mapfile -t image_env < <(inspect '{{range .Docker.Config.Env}}{{println .}}{{end}}' | sed '/^$/d')
mapfile -t entrypoint < <(inspect '{{range .Docker.Config.Entrypoint}}{{println .}}{{end}}' | sed '/^$/d')
user="$(inspect '{{.Docker.Config.User}}')"
workdir="$(inspect '{{.Docker.Config.WorkingDir}}')"
# chroot --userspec takes numbers or names resolved outside the chroot.
uid="$(chroot "$mnt" id -u "${user%%:*}")"
gid="$(chroot "$mnt" id -g "${user%%:*}")"
echo "run_chroot.sh: image $IMAGE: entrypoint ${entrypoint[*]}, user $user ($uid:$gid)"

# /proc for the programs (e.g. /proc/self/exe); not fatal where it cannot be mounted.
if mount -t proc proc "$mnt/proc" 2>/dev/null || mount --bind /proc "$mnt/proc" 2>/dev/null; then
  proc_mounted=1
else
  echo "run_chroot.sh: could not mount /proc in the chroot; continuing without it"
fi

extra_env=(GLOSSA_HOST=127.0.0.1)
in_image() {  # runs a command inside the image as its user, with its environment
  env -i "${image_env[@]}" "${extra_env[@]}" \
    chroot --userspec="$uid:$gid" "$mnt" sh -c 'cd "$1" && shift && exec "$@"' sh "${workdir:-/}" "$@"
}

started_ns=$(date +%s%N)
# exec all the way down, so that $! is the server itself and gets the SIGTERM.
(exec env -i "${image_env[@]}" GLOSSA_HOST=127.0.0.1 \
   chroot --userspec="$uid:$gid" "$mnt" sh -c 'cd "$1" && shift && exec "$@"' \
   sh "${workdir:-/}" "${entrypoint[@]}" --port=0 --metrics_port=0 --http_port=0) >"$log" 2>&1 &
server_pid=$!

grpc="" metrics=""
for _ in $(seq 1 600); do
  if line="$(grep -m1 'glossa-server listening' "$log")"; then
    grpc="$(sed -E 's/.*grpc=([^ ]+).*/\1/' <<<"$line")"
    metrics="$(sed -E 's/.*metrics=([^ ]+).*/\1/' <<<"$line")"
    break
  fi
  kill -0 "$server_pid" 2>/dev/null || break
  sleep 0.2
done
if [ -z "$grpc" ]; then
  echo "run_chroot.sh: server did not start:" >&2; cat "$log" >&2; exit 1
fi
echo "run_chroot.sh: $(grep -m1 'glossa-server listening' "$log")"

serving=0
for _ in $(seq 1 240); do
  if in_image glossa health --server="$grpc" >/dev/null 2>&1; then serving=1; break; fi
  kill -0 "$server_pid" 2>/dev/null || break
  sleep 0.5
done
if ((serving == 0)); then
  echo "run_chroot.sh: health never reported SERVING:" >&2; cat "$log" >&2; exit 1
fi
echo "run_chroot.sh: SERVING after $((($(date +%s%N) - started_ns) / 1000000)) ms"

# The image's own HEALTHCHECK command, with GLOSSA_PORT set to the port in use.
mapfile -t healthcheck < <(inspect '{{if .Docker.Config.Healthcheck}}{{range .Docker.Config.Healthcheck.Test}}{{println .}}{{end}}{{end}}' | sed '/^$/d')
if [ "${healthcheck[0]:-}" = "CMD-SHELL" ]; then
  extra_env+=(GLOSSA_PORT="${grpc##*:}")
  if in_image sh -c "${healthcheck[1]}"; then
    echo "run_chroot.sh: HEALTHCHECK '${healthcheck[1]}' passed"
  else
    echo "run_chroot.sh: HEALTHCHECK '${healthcheck[1]}' failed" >&2; exit 1
  fi
fi

echo "run_chroot.sh: translating: $SENTENCE"
in_image glossa translate --server="$grpc" "$SENTENCE"

echo "run_chroot.sh: /metrics (glossa_requests_total, glossa_build_info):"
in_image glossa health --server="$grpc" >/dev/null
curl -fsS "http://$metrics/metrics" | grep -E '^glossa_(requests_total|build_info)' || true

kill -TERM "$server_pid"
set +e
wait "$server_pid"
rc=$?
set -e
server_pid=""
echo "run_chroot.sh: after SIGTERM the server exited with $rc"
tail -n 5 "$log" | sed 's/^/  server: /'
exit "$rc"
