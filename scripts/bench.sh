#!/usr/bin/env bash
# Benchmarks. Each prints its figures beside a baseline measured in the same run (the machine is shared and noisy).
#   scripts/bench.sh intake    report intake throughput/latency vs a bare 201 endpoint (wrk, 32 connections)
#   scripts/bench.sh trends    every trend endpoint over HTTP at 1M reports (read side) vs raw GROUP BY; rebuild time, RSS
#   scripts/bench.sh export    CSV export of 1M reports vs sqlite3 -csv, and memory growth
#   scripts/bench.sh taxonomy  competitor list, unmatched triage and re-attributing writes at 1M reports
#   scripts/bench.sh writer    writer CPU per filed report vs a minimal durable write
#   scripts/bench.sh report-form  time-to-interactive of the rep form on a slowed phone profile
#   scripts/bench.sh all
set -euo pipefail
cd "$(dirname "$0")/.."
what=${1:-all}
shift || true
case "$what" in
  all)
    for b in scripts/bench/*.sh; do bash "$b" "$@"; done ;;
  *)
    [ -f "scripts/bench/$what.sh" ] || { echo "unknown benchmark: $what (have: $(ls scripts/bench | sed 's/\.sh$//' | tr '\n' ' '))" >&2; exit 2; }
    bash "scripts/bench/$what.sh" "$@" ;;
esac
