#!/usr/bin/env bash
# Runs the tests and ends with one line: "N passed, N failed".
#
#   scripts/test.sh           every test: in-process HTTP tests, real-process tests (kill -9, the README's curl session,
#                             started from another directory) and headless-browser page tests. The README's test command.
#   scripts/test.sh --fast    the in-process tier only (no service process, no browser): under a minute on a warm build.
#   scripts/test.sh [--fast] -- EXTRA   passes EXTRA to the test runner (e.g. -- --filter-class 'WinLoss.Tests.Trends.*').
#
# Tiers are xunit traits: [Trait("Tier", "Process")] starts the real service as a process, [Trait("Tier", "Browser")]
# also drives Chromium. Never run here: "Benchmark" (scripts/bench.sh) and "Screenshots" (scripts/screenshots.sh).
set -uo pipefail
cd "$(dirname "$0")/.."

fast=0
if [ "${1:-}" = "--fast" ]; then fast=1; shift; fi
if [ "${1:-}" = "--" ]; then shift; fi

filters=(--filter-not-trait 'Tier=Benchmark' --filter-not-trait 'Tier=Screenshots')
if [ "$fast" = 1 ]; then
  filters+=(--filter-not-trait 'Tier=Browser' --filter-not-trait 'Tier=Process')
else
  # What the slower tiers need, installed when missing.
  if ! command -v chromium >/dev/null 2>&1; then
    echo "Installing Debian chromium for the browser tests..."
    (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null) \
      || echo "warning: could not install chromium; browser tests will fail"
  fi
  # Services the tests need start here (e.g. PostgreSQL once WINLOSS_DB may name one); stop them in cleanup below.
fi

cleanup() {
  : # stop what was started above
}
trap cleanup EXIT

results="$PWD/tests/TestResults"
rm -rf "$results"
dotnet test --project tests/WinLoss.Tests -c Release \
  --results-directory "$results" --report-xunit-trx --report-xunit-trx-filename results.trx "${filters[@]}" "$@"
rc=$?

trx=$(find "$results" -name '*.trx' 2>/dev/null | head -n 1)
if [ -n "$trx" ]; then
  counters=$(grep -o '<Counters [^>]*>' "$trx" | head -n 1)
  passed=$(sed -n 's/.* passed="\([0-9]*\)".*/\1/p' <<<"$counters")
  failed=$(sed -n 's/.* failed="\([0-9]*\)".*/\1/p' <<<"$counters")
  echo "${passed:-0} passed, ${failed:-0} failed"
else
  echo "0 passed, 1 failed (no test results were written)"
  [ "$rc" -eq 0 ] && rc=1
fi
exit $rc
