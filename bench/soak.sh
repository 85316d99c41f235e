#!/usr/bin/env bash
# npm run bench:soak — memory soak: Switchyard with bench/configs/full-embedded.yaml at 500 requests/s for 10
# minutes (non-stream and stream alternating), gateway RSS sampled every 10 s into bench/out/soak-<UTC time>/rss.csv,
# then the curve and its slope (MB/min overall and over the second half). bench/soak.mjs does the work.
# Env: SOAK_DURATION (s, 600), SOAK_RATE (500), SOAK_INTERVAL (10), SOAK_CONNECTIONS (16),
#      SOAK_MODE (mixed | nonstream | stream), SOAK_CONFIG (bench/configs/full-embedded.yaml; full-cluster.yaml
#      needs DATABASE_URL and REDIS_URL as in bench/sitting.sh), BENCH_OUT, BENCH_PORT (8420),
#      BENCH_NO_BUILD=1, GWBENCH_DIR. Exits 1 when any request failed.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
# shellcheck source=bench/common.sh
. "$root/bench/common.sh"
port="${BENCH_PORT:-8420}"
config="${SOAK_CONFIG:-bench/configs/full-embedded.yaml}"
[ -f "$root/$config" ] || [ -f "$config" ] || die "config $config not found"
command -v taskset >/dev/null || die "taskset (util-linux) is needed to pin the gateway"
gwbench_prepare
if [ "${BENCH_NO_BUILD:-0}" != 1 ]; then
  say "npm run build"
  (cd "$root" && npm run build >/dev/null) || die "npm run build failed"
fi
[ -f "$root/dist/main.js" ] || die "dist/main.js is missing: run npm run build"
require_port_free "$port" "Switchyard" BENCH_PORT
out="${BENCH_OUT:-$root/bench/out/soak-$(date -u +%Y%m%dT%H%M%SZ)}"
mkdir -p "$out"
machine_facts >"$out/machine.md"
cd "$root"
# exec: signals reach soak.mjs directly, which stops the gateway and mock it started.
exec node bench/soak.mjs --gwbench "$GWBENCH" --out "$out" --config "$config"
