#!/usr/bin/env bash
# Young-generation bytes freed by scavenges in a `node --trace-gc` log: a rough measure of what the run allocated.
#   bench/gc-summary.sh <gateway.log> [requests]
log="$1" requests="${2:-}"
awk -v requests="$requests" '/Scavenge/ {
    for (i = 1; i <= NF; i++) if ($i == "->") { before = $(i-2); after = $(i+1); freed += before - after; n++ }
  }
  /Mark-Compact/ { mc++ }
  END {
    printf "scavenges %d, mark-compacts %d, young MB freed %.0f", n, mc, freed
    if (requests > 0) printf ", KB per request %.1f", freed * 1024 / requests
    printf "\n"
  }' "$log"
