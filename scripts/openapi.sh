#!/usr/bin/env bash
# Regenerates api-specs/openapi.json from the served document (/swagger/v1/swagger.json).
set -euo pipefail
cd "$(dirname "$0")/.."
WINLOSS_UPDATE_OPENAPI=1 dotnet test --project tests/WinLoss.Tests -- --filter-class WinLoss.Tests.Infrastructure.OpenApiDocumentTests >/dev/null
echo "api-specs/openapi.json updated"
