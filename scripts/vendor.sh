#!/usr/bin/env bash
# Re-fetches the front-end libraries the web pages ship with (no CDN at run time) from the npm registry,
# at the pinned versions below, into src/WinLoss.Api/wwwroot/app/vendor/. Commit the result.
set -euo pipefail
cd "$(dirname "$0")/.."
CHARTJS_VERSION=4.6.1   # Chart.js, MIT licence — https://www.chartjs.org

vendor="$PWD/src/WinLoss.Api/wwwroot/app/vendor"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mkdir -p "$vendor"

(cd "$work" && npm pack --silent "chart.js@$CHARTJS_VERSION" >/dev/null && tar xzf "chart.js-$CHARTJS_VERSION.tgz")
cp "$work/package/dist/chart.umd.min.js" "$vendor/chart.umd.min.js"
cp "$work/package/LICENSE.md" "$vendor/chart.js.LICENSE.md"
echo "vendored chart.js $CHARTJS_VERSION into $vendor"
