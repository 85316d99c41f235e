#!/usr/bin/env bash
# Where the gateway's memory goes over a load (bench/RESULTS.md, "Memory"): gwbench's mock upstream, the gateway with
# bench/configs/bare.yaml (or PROFILE_CONFIG) and bench/memory-report.mjs preloaded, then closed-loop loads like
# gwbench's (c16 and c64, non-stream and stream), printing process.memoryUsage() and VmRSS/VmHWM at listen, idle and
# after load; RSS_TRACE_MODULES=1 also lists the ES modules loaded at listen (its loader thread adds ~30 MB of RSS).
#   bench/rss-trace.sh [seconds per load (10)]
# PROFILE_OUT / MOCK_PORT / GW_PORT / PROFILE_REF / PROFILE_NODE_FLAGS as in bench/profile.sh.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
# shellcheck source=bench/common.sh
. "$root/bench/common.sh"
gwbench="${GWBENCH_DIR:-$root/../shared/gwbench}"
seconds="${1:-10}"
out="${PROFILE_OUT:-$root/.bench-out/profile}/rss"
mock_port="${MOCK_PORT:-9310}" gw_port="${GW_PORT:-8430}"
rm -rf "$out" && mkdir -p "$out"
# PROFILE_REF=<commit> builds that commit's src/ instead of the working tree (a before/after pair).
build_under_test "$out"
MOCK_QUIET=1 node "$gwbench/mock-upstream.mjs" --port="$mock_port" >"$out/mock.log" 2>&1 &
mock=$!
gateway=
trap 'kill "$mock" 2>/dev/null || true; [ -n "$gateway" ] && kill "$gateway" 2>/dev/null || true' EXIT
MEMORY_REPORT_OUT="$out/memory.jsonl" MEMORY_REPORT_MODULES="${RSS_TRACE_MODULES:-0}" MEMORY_REPORT_MS=500 \
MOCK_URL="http://127.0.0.1:$mock_port/v1" PORT="$gw_port" SWITCHYARD_CONFIG="${PROFILE_CONFIG:-$root/bench/configs/bare.yaml}" NODE_ENV=production \
  node --import "$root/bench/memory-report.mjs" ${PROFILE_NODE_FLAGS:-} "$out/dist/main.js" >"$out/gateway.log" 2>&1 &
gateway=$!
for _ in $(seq 100); do curl -sf "http://127.0.0.1:$gw_port/healthz" >/dev/null && break; sleep 0.1; done
status() { awk '/^VmRSS|^VmHWM/ { printf "%s %d MB  ", $1, $2 / 1024 }' "/proc/$gateway/status"; tail -n 1 "$out/memory.jsonl"; }
sleep 0.6
if [ "${RSS_TRACE_MODULES:-0}" = 1 ]; then kill -USR1 "$gateway"; sleep 0.2; echo "ES modules at listen: $(wc -l <"$out/memory.jsonl.modules") ($out/memory.jsonl.modules)"; fi
echo "at listen: $(status)"
for _ in 1 2 3; do curl -sf -o /dev/null "http://127.0.0.1:$gw_port/v1/models"; done; sleep 2
echo "idle:      $(status)"
cpu_ticks() { awk '{ print $14 + $15 }' "/proc/$gateway/stat"; }
requests=0
for load in "nonstream 16" "nonstream 64" "stream 16" "stream 64"; do
  set -- $load
  before=$(cpu_ticks)
  result=$(node "$root/bench/profile-load.mjs" "http://127.0.0.1:$gw_port" "$1" "$2" "$seconds")
  ticks=$(( $(cpu_ticks) - before ))
  requests=$(( requests + $(awk '{ print $3 }' <<<"$result") ))
  echo "after $1 c$2 ($result, $(awk -v t="$ticks" -v hz="$(getconf CLK_TCK)" -v n="$(awk '{ print $3 }' <<<"$result")" 'BEGIN { printf "%.3f ms CPU/req", 1000 * t / hz / n }')): $(status)"
done
sleep 2
echo "after load + 2 s: $(status)"
kill -TERM "$gateway"; wait "$gateway" || true; gateway=
# With PROFILE_NODE_FLAGS=--trace-gc: GC pauses over the whole run (start-up included), per request served.
grep -q Scavenge "$out/gateway.log" && awk -v n="$requests" '/Scavenge|Mark-Compact/ {
    for (i = 1; i <= NF; i++) if ($(i+1) == "/" && $(i+3) == "ms") { ms += $i; if (/Scavenge/) s++; else m++ } }
  END { printf "GC: %d scavenges, %d mark-compacts, %.0f ms paused, %.1f us per request (%d requests)\n", s, m, ms, 1000 * ms / n, n }' "$out/gateway.log"
