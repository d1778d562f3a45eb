#!/usr/bin/env bash
# Runs the tests and ends with one line: "N passed, N failed" (both engines' runs summed).
#
#   scripts/test.sh           every test: in-process HTTP tests, real-process tests (kill -9, the README's curl session,
#                             started from another directory) and headless-browser page tests, on SQLite and again on
#                             PostgreSQL (a throwaway cluster started here: scripts/pg.sh). The README's test command.
#   scripts/test.sh --fast    the in-process tier only (no service process, no browser, no real-data-set volume), on
#                             SQLite only unless --engine says otherwise: under a minute on a warm build with the 2 cores
#                             to itself (docs/performance.md).
#   scripts/test.sh --engine sqlite|postgres|both   which write stores to run the suite on (default: both; --fast: sqlite).
#   scripts/test.sh [--fast] [--engine E] -- EXTRA  passes EXTRA to the test runner (e.g. -- --filter-class 'WinLoss.Tests.Trends.*').
#
# Tiers are xunit traits: [Trait("Tier", "Process")] starts the real service as a process, [Trait("Tier", "Browser")]
# also drives Chromium, [Trait("Tier", "Volume")] pushes a whole real data set through an in-process app (the 8,800-row
# CRM sample: seconds of CPU each); --fast leaves all three out. Never run here: "Benchmark" (scripts/bench.sh) and "Screenshots" (scripts/screenshots.sh).
# Engines: the PostgreSQL run sets WINLOSS_TEST_ENGINE=postgres and WINLOSS_TEST_PG (a superuser connection string;
# TestApp creates a database per test app). Tests that need PostgreSQL itself carry [Trait("Engine", "PostgreSql")]
# and run in the PostgreSQL run only; [Trait("Engine", "Sqlite")] marks tests of SQLite itself (its file, WAL, disk-full
# handling), left out of the PostgreSQL run. If the cluster cannot start, the PostgreSQL run counts as failed.
set -uo pipefail
cd "$(dirname "$0")/.."

fast=0
engine=
while [ $# -gt 0 ]; do
  case "$1" in
    --fast) fast=1; shift ;;
    --engine)
      engine=${2:-}; shift 2 || { echo "--engine needs sqlite, postgres or both" >&2; exit 2; } ;;
    --engine=*) engine=${1#--engine=}; shift ;;
    --) shift; break ;;
    *) break ;;
  esac
done
if [ -z "$engine" ]; then
  if [ "$fast" = 1 ]; then engine=sqlite; else engine=both; fi
fi
case "$engine" in
  sqlite) engines=(sqlite) ;;
  postgres) engines=(postgres) ;;
  both) engines=(sqlite postgres) ;;
  *) echo "--engine must be sqlite, postgres or both (got '$engine')" >&2; exit 2 ;;
esac

filters=(--filter-not-trait 'Tier=Benchmark' --filter-not-trait 'Tier=Screenshots')
if [ "$fast" = 1 ]; then
  filters+=(--filter-not-trait 'Tier=Browser' --filter-not-trait 'Tier=Process' --filter-not-trait 'Tier=Volume')
else
  # What the slower tiers need, installed when missing.
  if ! command -v chromium >/dev/null 2>&1; then
    echo "Installing Debian chromium for the browser tests..."
    (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null) \
      || echo "warning: could not install chromium; browser tests will fail"
  fi
fi

# Services the tests need start here; cleanup below stops them.
pgdir=
pg_failed=0
if [[ " ${engines[*]} " == *" postgres "* ]]; then
  pgdir=$(mktemp -d /tmp/winloss-test-pg.XXXXXX)
  chmod 755 "$pgdir"
  if conn=$(scripts/pg.sh start "$pgdir"); then
    export WINLOSS_TEST_PG="$conn"
    echo "PostgreSQL test cluster: ${conn%%;Username=*} (log: $pgdir/log)"
  else
    echo "error: the PostgreSQL test cluster did not start (log: $pgdir/log); the PostgreSQL run counts as failed" >&2
    pg_failed=1
  fi
fi

cleanup() {
  if [ -n "$pgdir" ]; then
    scripts/pg.sh stop "$pgdir" >/dev/null 2>&1 || true
    rm -rf "$pgdir"
  fi
}
trap cleanup EXIT

results="$PWD/tests/TestResults"
rm -rf "$results"
total_passed=0
total_failed=0
rc=0
# Builds once; the runs after the first reuse the build.
build_flag=()
for e in "${engines[@]}"; do
  if [ "$e" = postgres ] && [ "$pg_failed" = 1 ]; then
    total_failed=$((total_failed + 1))
    rc=1
    continue
  fi
  # The PostgreSQL run takes every test; the SQLite run leaves out the ones that need PostgreSQL itself.
  engine_filters=()
  [ "$e" = sqlite ] && engine_filters=(--filter-not-trait 'Engine=PostgreSql')
  [ "$e" = postgres ] && engine_filters=(--filter-not-trait 'Engine=Sqlite')
  echo "== tests on $e"
  WINLOSS_TEST_ENGINE=$e dotnet test --project tests/WinLoss.Tests -c Release "${build_flag[@]}" \
    --results-directory "$results/$e" --report-xunit-trx --report-xunit-trx-filename "results-$e.trx" \
    "${filters[@]}" "${engine_filters[@]}" "$@"
  run_rc=$?
  build_flag=(--no-build)
  trx=$(find "$results/$e" -name '*.trx' 2>/dev/null | head -n 1)
  if [ -n "$trx" ]; then
    counters=$(grep -o '<Counters [^>]*>' "$trx" | head -n 1)
    passed=$(sed -n 's/.* passed="\([0-9]*\)".*/\1/p' <<<"$counters")
    failed=$(sed -n 's/.* failed="\([0-9]*\)".*/\1/p' <<<"$counters")
    echo "$e: ${passed:-0} passed, ${failed:-0} failed"
    total_passed=$((total_passed + ${passed:-0}))
    total_failed=$((total_failed + ${failed:-0}))
    if [ "$run_rc" -ne 0 ] && [ "${failed:-0}" -eq 0 ]; then total_failed=$((total_failed + 1)); fi
  else
    echo "$e: no test results were written"
    total_failed=$((total_failed + 1))
  fi
  [ "$run_rc" -ne 0 ] && rc=$run_rc
done

echo "$total_passed passed, $total_failed failed"
[ "$total_failed" -gt 0 ] && [ "$rc" -eq 0 ] && rc=1
exit $rc
