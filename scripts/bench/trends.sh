#!/usr/bin/env bash
# Trend benchmark: seeds REPORTS (default 1,000,000) and 10,000 reports with a fixed-seed bulk generator
# (25 competitors with 1/k skew, 3 years, 3 segments, 5 regions; direct SQLite bulk inserts, then a read-model
# rebuild), then times the competitor trend (month, 3 years) and the objection trend in-process through their query
# handlers, p50/p95, beside a plain SQL GROUP BY over the raw report tables of the same database, same run.
#   REPORTS=1000000 scripts/bench.sh trends
set -euo pipefail
cd "$(dirname "$0")/../.."
REPORTS=${REPORTS:-1000000}; SMALL=${SMALL:-10000}
dotnet build scripts/bench/TrendsBench -c Release -nologo -v q >/dev/null
work=$(mktemp -d); trap 'rm -rf "$work"' EXIT
run() { dotnet scripts/bench/TrendsBench/bin/Release/net10.0/TrendsBench.dll "$work/trends-$1.db" "$1" | grep '^RESULT'; }
small=$(run "$SMALL"); echo "$small"
big=$(run "$REPORTS"); echo "$big"
get() { sed -n "s/.* $2=\([^ ]*\).*/\1/p" <<<"$1"; }
awk -v n="$REPORTS" -v s="$SMALL" \
    -v c="$(get "$big" comp_p50)" -v o="$(get "$big" obj_p50)" -v rc="$(get "$big" rawcomp_p50)" -v ro="$(get "$big" rawobj_p50)" \
    -v cs="$(get "$small" comp_p50)" -v os="$(get "$small" obj_p50)" 'BEGIN {
  printf "at %d reports: competitor trend %.2f ms vs raw GROUP BY %.1f ms = %.0fx faster (target >= 20x)\n", n, c, rc, rc / c
  printf "at %d reports: objection trend  %.2f ms vs raw GROUP BY %.1f ms = %.0fx faster (target >= 20x)\n", n, o, ro, ro / o
  printf "latency %d vs %d reports: competitor %.2fx, objection %.2fx (target <= 2x)\n", n, s, c / cs, o / os }'
