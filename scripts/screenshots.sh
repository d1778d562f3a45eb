#!/usr/bin/env bash
# Regenerates the screenshots in docs/images/: both pages (dashboard, report form) at 390x844 and 1440x900, on the
# demo data set (scripts/demo_data.py, fixed seed) filed into a fresh service. Needs chromium (scripts/test.sh installs it).
set -euo pipefail
cd "$(dirname "$0")/.."
WINLOSS_SCREENSHOTS="$PWD/docs/images" dotnet test --project tests/WinLoss.Tests -c Release -- \
  --filter-class 'WinLoss.Tests.Browser.DocsScreenshots' >/dev/null
ls -1 docs/images/*.png
