#!/usr/bin/env bash
# Time-to-interactive of the rep form on a phone profile (headless Chromium, 390x844 touch, CPU 4x slower, "Fast 3G"),
# first visit and from the service worker. Runs the measurement test (trait Tier=Benchmark, which scripts/test.sh skips)
# and prints its figures; nothing is written into the repository.
set -euo pipefail
cd "$(dirname "$0")/../.."
out=$(mktemp)
trap 'rm -f "$out"' EXIT
WINLOSS_BENCH_OUT="$out" dotnet test --project tests/WinLoss.Tests -c Release -- \
  --filter-method 'WinLoss.Tests.Browser.ReportFormTests.Measure_time_to_interactive_on_a_phone' >/dev/null
cat "$out"
