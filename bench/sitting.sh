#!/usr/bin/env bash
# npm run bench:sitting [-- --record] [-- --only NAME,NAME]
#
# One benchmark sitting with ../shared/gwbench, every target one after another with the same options
# (`--pin`: gateway alone on CPU1, load generator + mock on CPU0):
#   passthrough    gwbench/peers/passthrough.sh (undici dispatch, JSON parse): the ceiling for a Node gateway
#   portkey        gwbench/peers/portkey.sh (Portkey gateway 1.15.2): a peer
#   bare           Switchyard, bench/configs/bare.yaml
#   full-embedded  Switchyard, bench/configs/full-embedded.yaml (key created first: bench/provision.mjs)
#   full-cluster   Switchyard, bench/configs/full-cluster.yaml (PostgreSQL + Redis; fresh schema and prefix)
# Each: non-stream and stream at c16 and c64, unloaded latency (alternating direct/gateway, one at a time) and
# stream first byte, gateway RSS at listen / idle / after load. Raw output in bench/out/<UTC time>/ (gitignored):
# <name>/results.json + gateway.log, <name>.md (gwbench's table), <name>.log, commands.sh, machine.md, SUMMARY.md.
# bench/summarize-sitting.mjs compares each target with the pass-through of this sitting against the issue 6
# targets. --record inserts SUMMARY.md into bench/RESULTS.md (newest first).
#
# Env: BENCH_DURATION (s per measured run, default 10), BENCH_WARMUP (2), BENCH_REPS (3), BENCH_SEQ (200),
#      BENCH_CONCURRENCY (16,64), BENCH_OUT (output folder), BENCH_NO_BUILD=1 (skip `npm run build`),
#      BENCH_PORT (Switchyard, 8420), PT_PORT (pass-through, 8790), PORTKEY_PORT (8787),
#      DATABASE_URL (default postgres://postgres@127.0.0.1:5432/test: the bench uses database switchyard_bench on
#      that server when it may create it, else that database, with schema switchyard_bench), REDIS_URL
#      (default redis://127.0.0.1:6379; keys under sy:bench:), GWBENCH_DIR (default ../shared/gwbench).
# A full sitting takes about 35 minutes with the defaults; run it on a quiet machine.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
# shellcheck source=bench/common.sh
. "$root/bench/common.sh"

record=0
only="passthrough,portkey,bare,full-embedded,full-cluster"
while [ $# -gt 0 ]; do
  case "$1" in
    --record) record=1 ;;
    --only) only="${2:?--only needs a comma list}"; shift ;;
    -h | --help) sed -n '2,25p' "$0"; exit 0 ;;
    *) die "unknown argument $1 (see --help)" ;;
  esac
  shift
done
for name in ${only//,/ }; do
  case "$name" in passthrough | portkey | bare | full-embedded | full-cluster) ;; *) die "--only: unknown target $name" ;; esac
done
wants() { [[ ",$only," == *",$1,"* ]]; }

duration="${BENCH_DURATION:-10}"
warmup="${BENCH_WARMUP:-2}"
reps="${BENCH_REPS:-3}"
seq="${BENCH_SEQ:-200}"
concurrency="${BENCH_CONCURRENCY:-16,64}"
port="${BENCH_PORT:-8420}"
export PT_PORT="${PT_PORT:-8790}" PORTKEY_PORT="${PORTKEY_PORT:-8787}"
export DATABASE_URL="${DATABASE_URL:-postgres://postgres@127.0.0.1:5432/test}"
export REDIS_URL="${REDIS_URL:-redis://127.0.0.1:6379}"
export BENCH_REDIS_PREFIX="${BENCH_REDIS_PREFIX:-sy:bench:}" BENCH_PG_SCHEMA="${BENCH_PG_SCHEMA:-switchyard_bench}"
opts=(--pin --concurrency "$concurrency" --reps "$reps" --modes nonstream,stream --duration "$duration" --warmup "$warmup" --seq "$seq")

stamp="$(date -u +%Y%m%dT%H%M%SZ)"
out="${BENCH_OUT:-$root/bench/out/$stamp}"
mkdir -p "$out"
out="$(cd "$out" && pwd)"

# --- every process this script starts is stopped on exit ---
child=""       # the gwbench or provisioning process running now
child_log=""   # its stderr: gwbench writes "gateway pid N" / "mock upstream pid N" there
cleanup() {
  local rc=$?
  trap - EXIT INT TERM
  if [ -n "$child" ] && kill -0 "$child" 2>/dev/null; then
    say "stopping $child (and what it started)"
    kill -TERM "$child" 2>/dev/null || true
    for _ in $(seq 1 100); do kill -0 "$child" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$child" 2>/dev/null || true
  fi
  # Safety net: gwbench stops its gateway (own process group) and mock itself; if it died first, do it here.
  if [ -n "$child_log" ] && [ -f "$child_log" ]; then
    local pid
    for pid in $(sed -n 's/.*gateway pid \([0-9][0-9]*\).*/\1/p' "$child_log"); do
      kill -0 "$pid" 2>/dev/null && { say "stopping leftover gateway group $pid"; kill -TERM -- "-$pid" 2>/dev/null || true; }
    done
    for pid in $(sed -n 's/.*mock upstream pid \([0-9][0-9]*\).*/\1/p' "$child_log"); do
      kill -0 "$pid" 2>/dev/null && { say "stopping leftover mock $pid"; kill -TERM "$pid" 2>/dev/null || true; }
    done
  fi
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# run_logged LOG CMD...: runs CMD in the background (so a signal reaches cleanup at once) with stderr to LOG.
run_logged() {
  local log="$1"; shift
  child_log="$log"
  "$@" 2>"$log" &
  child=$!
  local rc=0
  wait "$child" || rc=$?
  child=""
  return "$rc"
}

# --- preparation: fail fast, before any measured run ---
command -v taskset >/dev/null || die "taskset (util-linux) is needed for --pin"
[ "$(nproc)" -ge 2 ] || say "WARNING: fewer than 2 CPUs: gwbench ignores --pin, numbers are not comparable with earlier sittings"
gwbench_prepare
if [ "${BENCH_NO_BUILD:-0}" != 1 ]; then
  say "npm run build"
  (cd "$root" && npm run build >"$out/build.log" 2>&1) || die "npm run build failed, see $out/build.log"
fi
[ -f "$root/dist/main.js" ] || die "dist/main.js is missing: run npm run build"
wants passthrough && require_port_free "$PT_PORT" "pass-through" PT_PORT
wants portkey && require_port_free "$PORTKEY_PORT" "Portkey" PORTKEY_PORT
if wants bare || wants full-embedded || wants full-cluster; then require_port_free "$port" "Switchyard" BENCH_PORT; fi
cluster_url=""
if wants full-cluster; then
  say "preparing PostgreSQL + Redis for full-cluster"
  cluster_url="$(run_logged "$out/full-cluster.provision.log" node "$root/bench/provision.mjs" cluster-store)" ||
    die "could not prepare PostgreSQL/Redis for full-cluster: $(tail -1 "$out/full-cluster.provision.log")"
fi
commit="$(git -C "$root" rev-parse --short HEAD)"
{
  echo "### Machine"
  echo
  machine_facts
  echo "- gwbench options: \`${opts[*]}\`"
} >"$out/machine.md"

# --- the commands, written down as run (the key is a placeholder; it is made fresh each sitting) ---
{
  echo "# bench/sitting.sh $stamp: every command in order, run from the repository root"
  echo "GWBENCH=$GWBENCH"
  echo "OUT=$out"
  echo "OPTS='${opts[*]}'"
} >"$out/commands.sh"
note() { echo "$*" >>"$out/commands.sh"; }
# cmdline ARGS...: ARGS as one shell-quoted line, with $GWBENCH and $BENCH_KEY in place of their values.
cmdline() {
  local line
  line="$(printf '%q ' "$@")"
  line="${line//$GWBENCH/\$GWBENCH}"
  [ -n "${key:-}" ] && line="${line//$key/\$BENCH_KEY}"
  echo "${line% }"
}

failed=()
# bench NAME CMD...: one gwbench run (CMD + the sitting's options); table to NAME.md, log to NAME.log, raw
# results in NAME/.
bench() {
  local name="$1"; shift
  note "$(cmdline "$@") \$OPTS --out \$OUT/$name"
  say "[$name] $(date -u +%H:%M:%S) start"
  local rc=0
  run_logged "$out/$name.log" "$@" "${opts[@]}" --out "$out/$name" >"$out/$name.md" || rc=$?
  if [ "$rc" -ne 0 ]; then
    failed+=("$name")
    say "[$name] FAILED (exit $rc): $(grep -m1 'ERROR' "$out/$name.log" || tail -1 "$out/$name.log")"
  else
    say "[$name] $(tail -1 "$out/$name.md")"
  fi
  return 0
}

switchyard() { # switchyard NAME [KEY]
  local name="$1" key="${2:-}"
  local args=(--label "switchyard-$commit-$name" --gateway-cwd "$root" --gateway-cmd "exec node dist/main.js"
    --gateway-env "SWITCHYARD_CONFIG=$root/bench/configs/$name.yaml" --gateway-env NODE_ENV=production
    --gateway-env "PORT=$port" --gateway-url "http://127.0.0.1:$port")
  [ -n "$key" ] && args+=(--header "authorization: Bearer $key")
  bench "$name" "$GWBENCH/run.sh" "${args[@]}"
  wait_port_free "$port" 15 || say "WARNING: port $port still in use after the $name run"
}

provision() { # provision NAME: prints the new key's secret
  local name="$1"
  note "BENCH_KEY=\$(node bench/provision.mjs key --config bench/configs/$name.yaml --port $port --log \$OUT/$name.provision-gateway.log)"
  run_logged "$out/$name.provision.log" node "$root/bench/provision.mjs" key --config "$root/bench/configs/$name.yaml" --port "$port" --log "$out/$name.provision-gateway.log"
}

if wants passthrough; then
  bench passthrough env CLIENT=undici UNDICI_API=dispatch PARSE=1 "PT_PORT=$PT_PORT" "$GWBENCH/peers/passthrough.sh"
fi
if wants portkey; then
  bench portkey env "PORTKEY_PORT=$PORTKEY_PORT" "$GWBENCH/peers/portkey.sh"
fi
if wants bare; then
  switchyard bare
fi
if wants full-embedded; then
  export BENCH_DATA_DIR="$out/full-embedded/data"
  note "export BENCH_DATA_DIR=\$OUT/full-embedded/data   # the embedded PGlite store, fresh each sitting"
  if key="$(provision full-embedded)"; then
    switchyard full-embedded "$key"
  else
    failed+=(full-embedded)
    say "[full-embedded] FAILED to create the bench key: $(tail -1 "$out/full-embedded.provision.log")"
  fi
  unset BENCH_DATA_DIR
fi
if wants full-cluster; then
  note "export REDIS_URL=$REDIS_URL BENCH_PG_SCHEMA=$BENCH_PG_SCHEMA BENCH_REDIS_PREFIX=$BENCH_REDIS_PREFIX"
  note "export DATABASE_URL=\$(DATABASE_URL=$DATABASE_URL node bench/provision.mjs cluster-store)   # $cluster_url; run before the first target (fail fast): fresh schema, Redis keys under the prefix deleted"
  if key="$(DATABASE_URL="$cluster_url" provision full-cluster)"; then
    DATABASE_URL="$cluster_url" switchyard full-cluster "$key"
  else
    failed+=(full-cluster)
    say "[full-cluster] FAILED to create the bench key: $(tail -1 "$out/full-cluster.provision.log")"
  fi
fi
child_log=""

node "$root/bench/summarize-sitting.mjs" "$out" >"$out/SUMMARY.md" || die "summarize-sitting.mjs failed (raw results are in $out)"
cat "$out/SUMMARY.md"
if [ "$record" = 1 ]; then
  node "$root/bench/summarize-sitting.mjs" --record "$out/SUMMARY.md" "$root/bench/RESULTS.md"
  say "recorded in bench/RESULTS.md"
fi
say "raw results: $out"
[ "${#failed[@]}" -eq 0 ] || die "failed: ${failed[*]}"
