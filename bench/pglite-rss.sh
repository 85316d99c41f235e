#!/usr/bin/env bash
# RSS of the gateway with the default embedded store (PGlite in a worker thread), bench/RESULTS.md: idle and after
# a small load, first on a fresh data directory (first start: initdb) and then on the same directory again.
#   bench/pglite-rss.sh            (PROFILE_REF=<commit> measures that commit's src/ instead of the working tree)
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
# shellcheck source=bench/common.sh
. "$root/bench/common.sh"
gwbench="${GWBENCH_DIR:-$root/../shared/gwbench}"
out="$root/.bench-out/pglite-rss"
mock_port="${MOCK_PORT:-9311}" gw_port="${GW_PORT:-8431}"
rm -rf "$out" && mkdir -p "$out/data"
# PROFILE_REF=<commit> builds that commit's src/ instead of the working tree (a before/after pair).
build_under_test "$out"
sed -e 's/^  driver: memory$/  driver: pglite/' "$root/bench/gwbench.yaml" >"$out/config.yaml"
printf '  data_dir: %s\n' "$out/data" >>"$out/config.yaml"
MOCK_QUIET=1 node "$gwbench/mock-upstream.mjs" --port="$mock_port" >"$out/mock.log" 2>&1 &
mock=$!
trap 'kill "$mock" 2>/dev/null || true' EXIT
rss_mb() { echo $(( $(ps -o rss= -p "$1") / 1024 )); }
for start in fresh existing; do
  MOCK_URL="http://127.0.0.1:$mock_port/v1" PORT="$gw_port" SWITCHYARD_CONFIG="$out/config.yaml" NODE_ENV=production \
    node "$out/dist/main.js" >"$out/gateway-$start.log" 2>&1 &
  gateway=$!
  for _ in $(seq 600); do curl -sf "http://127.0.0.1:$gw_port/healthz" >/dev/null && break; sleep 0.1; done
  sleep 2
  idle=$(rss_mb "$gateway")
  node "$root/bench/profile-load.mjs" "http://127.0.0.1:$gw_port" nonstream 4 3 >/dev/null
  node "$root/bench/profile-load.mjs" "http://127.0.0.1:$gw_port" stream 4 3 >/dev/null
  echo "$start data dir: RSS idle $idle MB, after load $(rss_mb "$gateway") MB"
  kill -TERM "$gateway" && wait "$gateway" || true
done
