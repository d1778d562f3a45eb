#!/usr/bin/env bash
# Runs the service on http://localhost:5080 (WINLOSS_URL or ASPNETCORE_URLS to change) with an embedded SQLite database (./data/winloss.db by default).
# On first start it prints the admin API key once and writes it to data/admin.key (mode 0600).
set -euo pipefail
cd "$(dirname "$0")/.."
export WINLOSS_DB="${WINLOSS_DB:-$PWD/data/winloss.db}"
if [ -n "${WINLOSS_URL:-}" ]; then export ASPNETCORE_URLS="$WINLOSS_URL"; fi
exec dotnet run --project src/WinLoss.Api -c Release -- "$@"
