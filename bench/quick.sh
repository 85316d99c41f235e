#!/usr/bin/env bash
# npm run bench:quick — a short regression check (~2 minutes): the pass-through ceiling and Switchyard, one after
# the other with the same gwbench options, then the key ratios side by side (bench/summarize-quick.mjs).
# Not a substitute for the full sitting in bench/RESULTS.md: one rep, short runs, c=16 only.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
# shellcheck source=bench/common.sh
. "$root/bench/common.sh"
gwbench_prepare
out="${BENCH_OUT:-$root/.bench-out/quick}"
opts=(--pin --concurrency 16 --reps 1 --modes nonstream,stream --duration 5 --warmup 1 --seq 100)
rm -rf "$out" && mkdir -p "$out"
(cd "$GWBENCH" && CLIENT=undici UNDICI_API=dispatch PARSE=1 ./peers/passthrough.sh "${opts[@]}" --out "$out/passthrough" >/dev/null 2>"$out/passthrough.log")
"$root/bench/gwbench.sh" "${opts[@]}" --out "$out/switchyard" >/dev/null 2>"$out/switchyard.log"
node "$root/bench/summarize-quick.mjs" "$out/passthrough/results.json" "$out/switchyard/results.json"
