#!/usr/bin/env bash
# Bench Switchyard with ../shared/gwbench (same harness and options as its peers/passthrough.sh and peers/portkey.sh).
#   bench/gwbench.sh [extra bench.mjs options, e.g. --pin --concurrency 16,64 --reps 3]
# Builds dist/ first; the gateway runs `node dist/main.js` with bench/gwbench.yaml pointed at gwbench's mock.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
# shellcheck source=bench/common.sh
. "$root/bench/common.sh"
gwbench_prepare # GWBENCH: ../shared/gwbench, or a copy with its dependencies installed (the shared folder stays untouched)
(cd "$root" && npm run build >/dev/null)
exec "$GWBENCH/run.sh" \
  --label "switchyard-$(git -C "$root" rev-parse --short HEAD)" \
  --gateway-cwd "$root" \
  --gateway-cmd "exec node dist/main.js" \
  --gateway-env "SWITCHYARD_CONFIG=$root/bench/gwbench.yaml" \
  --gateway-env NODE_ENV=production \
  --gateway-url "http://127.0.0.1:8420" \
  "$@"
