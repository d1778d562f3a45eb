#!/usr/bin/env bash
# Runs every test (unit, HTTP integration, kill -9 durability, headless-browser page tests).
# Installs what the tests need first (Debian's chromium for the browser tests).
# Ends with one line: "N passed, N failed".
set -uo pipefail
cd "$(dirname "$0")/.."

if ! command -v chromium >/dev/null 2>&1; then
  echo "Installing Debian chromium for the browser tests..."
  (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null) \
    || echo "warning: could not install chromium; browser tests will fail"
fi

results="$PWD/tests/TestResults"
rm -rf "$results"
dotnet test --project tests/WinLoss.Tests -c Release \
  --results-directory "$results" --report-xunit-trx --report-xunit-trx-filename results.trx "$@"
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
