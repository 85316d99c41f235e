#!/usr/bin/env bash
# A short CPU profile of the request hot path (bench/RESULTS.md, "Profile findings"): gwbench's mock upstream,
# the gateway under `node --cpu-prof` with bench/configs/bare.yaml (or PROFILE_CONFIG), a closed-loop undici load,
# then the top self-time.
#   bench/profile.sh [nonstream|stream] [concurrency] [seconds]
# PROFILE_OUT (default .bench-out/profile) holds the build and the profiles; MOCK_PORT / GW_PORT (9310 / 8430) the ports.
# Builds into .bench-out/profile/dist so that other builds of dist/ do not change the code under test. Extra node
# flags for the gateway go in PROFILE_NODE_FLAGS (e.g. "--trace-gc", or "--import bench/heap-sampling.mjs" with
# PROFILE_RESET_SIGNAL=1 and HEAP_SAMPLING_OUT=<file> for allocations per request).
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
# shellcheck source=bench/common.sh
. "$root/bench/common.sh"
gwbench="${GWBENCH_DIR:-$root/../shared/gwbench}"
mode="${1:-nonstream}" concurrency="${2:-8}" seconds="${3:-10}"
out="${PROFILE_OUT:-$root/.bench-out/profile}"
mock_port="${MOCK_PORT:-9310}" gw_port="${GW_PORT:-8430}"
mkdir -p "$out" && rm -rf "$out/dist" "$out/$mode" && mkdir -p "$out/$mode"
# PROFILE_REF=<commit> builds that commit's src/ instead of the working tree (a before/after pair).
build_under_test "$out"
MOCK_QUIET=1 node "$gwbench/mock-upstream.mjs" --port="$mock_port" >"$out/mock.log" 2>&1 &
mock=$!
trap 'kill "$mock" 2>/dev/null || true' EXIT
MOCK_URL="http://127.0.0.1:$mock_port/v1" PORT="$gw_port" SWITCHYARD_CONFIG="${PROFILE_CONFIG:-$root/bench/configs/bare.yaml}" NODE_ENV=production \
  node --cpu-prof --cpu-prof-dir="$out/$mode" ${PROFILE_NODE_FLAGS:-} "$out/dist/main.js" >"$out/$mode/gateway.log" 2>&1 &
gateway=$!
for _ in $(seq 100); do curl -sf "http://127.0.0.1:$gw_port/healthz" >/dev/null && break; sleep 0.1; done
node "$root/bench/profile-load.mjs" "http://127.0.0.1:$gw_port" "$mode" "$concurrency" 1 >/dev/null # warm-up
# With a preload that resets on SIGUSR2 (bench/heap-sampling.mjs, bench/async-count.mjs): measure after warm-up.
if [ "${PROFILE_RESET_SIGNAL:-0}" = 1 ]; then kill -USR2 "$gateway"; sleep 0.2; fi
cpu_ticks() { awk '{ print $14 + $15 }' "/proc/$gateway/stat"; }
before=$(cpu_ticks)
node "$root/bench/profile-load.mjs" "http://127.0.0.1:$gw_port" "$mode" "$concurrency" "$seconds" | tee "$out/$mode/load.txt"
after=$(cpu_ticks)
ok=$(awk '{ print $3 }' "$out/$mode/load.txt")
# CPU time (user + sys, clock ticks) per request: steadier than rates on a shared machine.
echo "gateway CPU per request: $(awk -v t=$((after - before)) -v n="$ok" -v hz="$(getconf CLK_TCK)" 'BEGIN { printf "%.3f ms", 1000 * t / hz / n }')"
echo "gateway RSS after load: $(( $(ps -o rss= -p "$gateway") / 1024 )) MB"
kill -TERM "$gateway" && wait "$gateway" || true
node "$root/bench/cpuprofile-top.mjs" "$out/$mode"/*.cpuprofile "${ROWS:-30}"
