#!/usr/bin/env bash
# Deterministic per-request counts for before/after comparisons on a busy machine (bench/RESULTS.md): async
# resources created (promises, ticks, timers; bench/async-count.mjs) and socket syscalls (perf tracepoints, which
# unlike strace do not slow the process enough to change how writes coalesce), per request.
#   bench/count-steps.sh [nonstream|stream] [requests-seconds]   (PROFILE_REF=<commit>: that commit's src/)
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
# shellcheck source=bench/common.sh
. "$root/bench/common.sh"
gwbench="${GWBENCH_DIR:-$root/../shared/gwbench}"
mode="${1:-nonstream}" seconds="${2:-3}"
out="$root/.bench-out/count-steps"
mock_port="${MOCK_PORT:-9312}" gw_port="${GW_PORT:-8432}"
rm -rf "$out" && mkdir -p "$out"
# PROFILE_REF=<commit> builds that commit's src/ instead of the working tree (a before/after pair).
build_under_test "$out"
MOCK_QUIET=1 node "$gwbench/mock-upstream.mjs" --port="$mock_port" >"$out/mock.log" 2>&1 &
mock=$!
trap 'kill "$mock" 2>/dev/null || true' EXIT
MOCK_URL="http://127.0.0.1:$mock_port/v1" PORT="$gw_port" SWITCHYARD_CONFIG="${PROFILE_CONFIG:-$root/bench/configs/bare.yaml}" NODE_ENV=production \
  node --import "$root/bench/async-count.mjs" "$out/dist/main.js" >"$out/gateway.log" 2>&1 &
gateway=$!
for _ in $(seq 100); do curl -sf "http://127.0.0.1:$gw_port/healthz" >/dev/null && break; sleep 0.1; done
node "$root/bench/profile-load.mjs" "http://127.0.0.1:$gw_port" "$mode" 4 1 >/dev/null # warm-up
kill -USR2 "$gateway"
perf stat -x, -e 'syscalls:sys_enter_read,syscalls:sys_enter_write,syscalls:sys_enter_writev,syscalls:sys_enter_epoll_wait,syscalls:sys_enter_epoll_pwait' \
  -o "$out/perf.txt" -p "$gateway" &
tracer=$!
sleep 0.5
ok=$(node "$root/bench/profile-load.mjs" "http://127.0.0.1:$gw_port" "$mode" 4 "$seconds" | awk '{ print $3 }')
kill -INT "$tracer" && wait "$tracer" || true
kill -TERM "$gateway" && wait "$gateway" || true
echo "$mode, ${PROFILE_REF:-working tree}: $ok requests"
grep -o '{.*}' "$out/gateway.log" | tail -1 | node -e '
  const counts = JSON.parse(require("fs").readFileSync(0, "utf8"));
  console.log("async resources per request: " + Object.entries(counts).slice(0, 6).map(([k, v]) => `${k} ${(v / '"$ok"').toFixed(1)}`).join(", "));'
awk -F, -v n="$ok" '/sys_enter/ { sub(/.*sys_enter_/, "", $3); printf "%s %.2f/req  ", $3, $1 / n } END { print "" }' "$out/perf.txt"
