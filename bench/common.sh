# Shared by the bench scripts (sourced, not run). Expects $root (the repository) to be set.

die() { echo "bench: ERROR: $*" >&2; exit 1; }
say() { echo "bench: $*" >&2; }

# GWBENCH=<a runnable gwbench>. ../shared/gwbench (or GWBENCH_DIR) is used as is when its node_modules holds
# autocannon; otherwise it is copied to $BENCH_CACHE/gwbench (default ~/.cache/switchyard-bench; outside the
# repository so ESLint never sees it) and `npm ci` runs there, so the shared folder is never written to. The copy is refreshed from the source on every call (node_modules kept while
# package-lock.json is unchanged).
gwbench_prepare() {
  local src="${GWBENCH_DIR:-$root/../shared/gwbench}"
  [ -f "$src/bench.mjs" ] || die "gwbench not found at $src (set GWBENCH_DIR to its folder)"
  src="$(cd "$src" && pwd)"
  if [ -d "$src/node_modules/autocannon" ]; then GWBENCH="$src"; return; fi
  local dst="${BENCH_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/switchyard-bench}/gwbench"
  mkdir -p "$dst"
  chmod -R u+w "$dst"
  find "$dst" -mindepth 1 -maxdepth 1 ! -name node_modules -exec rm -rf {} +
  cp -R "$src/." "$dst/"
  chmod -R u+w "$dst"
  if [ ! -d "$dst/node_modules/autocannon" ] || ! cmp -s "$dst/package-lock.json" "$dst/node_modules/.gwbench-lock"; then
    say "installing gwbench's dependencies (npm ci) in $dst"
    (cd "$dst" && npm ci --no-audit --no-fund >&2) || die "npm ci failed in $dst"
    cp "$dst/package-lock.json" "$dst/node_modules/.gwbench-lock"
  fi
  GWBENCH="$dst"
  GWBENCH_SOURCE="$src (copied to $dst)"
}

# True when nothing accepts TCP connections on 127.0.0.1:$1.
port_free() { ! (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

# require_port_free PORT WHAT ENVVAR: fail with a clear message when the port is taken.
require_port_free() {
  port_free "$1" && return 0
  local who=""
  command -v ss >/dev/null && who="$(ss -ltnpH "sport = :$1" 2>/dev/null | head -3)"
  die "port $1 ($2) is already in use${who:+: $who}. Stop what listens there, or pick another port with $3=<port>."
}

# wait_port_free PORT SECONDS: after a run, the gateway's port must be released (it was stopped).
wait_port_free() {
  local i
  for ((i = 0; i < $2 * 10; i++)); do port_free "$1" && return 0; sleep 0.1; done
  return 1
}

# Machine facts in Markdown (one bullet each).
machine_facts() {
  local cpu mem
  cpu="$(lscpu 2>/dev/null | sed -n 's/^Model name: *//p' | head -1)"
  mem="$(awk '/MemTotal/ { printf "%.1f GiB", $2 / 1048576 }' /proc/meminfo)"
  echo "- date: $(date -u '+%Y-%m-%d %H:%M:%S UTC')"
  echo "- host: $(hostname), $(uname -sr), $(nproc) CPUs (${cpu:-unknown model}), $mem RAM"
  echo "- loadavg at start: $(cut -d' ' -f1-3 /proc/loadavg); processes above 5% CPU (ps, averaged over their lifetime): $(ps -eo pcpu=,comm= --sort=-pcpu | awk '$1 > 5 { printf "%s(%s%%) ", $2, $1 }' | head -c 300)"
  echo "- node $(node --version), npm $(npm --version 2>/dev/null)"
  echo "- switchyard: commit $(git -C "$root" rev-parse --short HEAD)$(git -C "$root" diff --quiet HEAD -- src package.json package-lock.json 2>/dev/null || echo ' + uncommitted changes in src/')"
  echo "- gwbench: ${GWBENCH_SOURCE:-$GWBENCH}, autocannon $(node -p "require('$GWBENCH/node_modules/autocannon/package.json').version" 2>/dev/null || echo '?')"
  if [ -n "${DATABASE_URL:-}" ] && command -v psql >/dev/null; then
    echo "- PostgreSQL server $(psql "$DATABASE_URL" -XAtc 'show server_version' 2>/dev/null || echo '(not reachable)') at ${DATABASE_URL%%\?*}"
  fi
  if [ -n "${REDIS_URL:-}" ] && command -v redis-cli >/dev/null; then
    echo "- Redis server $(redis-cli -u "$REDIS_URL" info server 2>/dev/null | sed -n 's/^redis_version:\([^[:space:]]*\).*/\1/p') at $REDIS_URL"
  fi
}

# Builds the code under test into "$1/dist": the working tree's src/, or PROFILE_REF's (a before/after pair; its
# sources go to "$1/ref"). tsc emits even with type errors elsewhere in a shared working tree; those are reported,
# not fatal here.
build_under_test() {
  local out="$1" src_root="$root"
  if [ -n "${PROFILE_REF:-}" ]; then
    src_root="$out/ref" && rm -rf "$src_root" && mkdir -p "$src_root"
    git -C "$root" archive "$PROFILE_REF" src tsconfig.json tsconfig.build.json | tar -x -C "$src_root"
  fi
  (cd "$src_root" && { npx tsc -p tsconfig.build.json --outDir "$out/dist" >"$out/tsc.log" || echo "tsc reported errors (see $out/tsc.log)" >&2; } && cp -r src/stores/sql/migrations "$out/dist/stores/sql/")
}
