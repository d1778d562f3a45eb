#!/usr/bin/env bash
# Regenerates api-specs/openapi.json from the served document (/swagger/v1/swagger.json).
# The test that compares them rewrites the file when they differ (and fails, as it should: the committed file was stale).
set -euo pipefail
cd "$(dirname "$0")/.."
WINLOSS_UPDATE_OPENAPI=1 dotnet test --project tests/WinLoss.Tests -c Release -- \
  --filter-method 'WinLoss.Tests.Infrastructure.OpenApiDocumentTests.Committed_openapi_json_equals_the_served_document' >/dev/null || true
python3 -c 'import json,sys; json.load(open("api-specs/openapi.json"))' || { echo "api-specs/openapi.json is not valid JSON" >&2; exit 1; }
# Check: the committed file now equals the served document.
dotnet test --project tests/WinLoss.Tests -c Release --no-build -- \
  --filter-method 'WinLoss.Tests.Infrastructure.OpenApiDocumentTests.Committed_openapi_json_equals_the_served_document' >/dev/null
echo "api-specs/openapi.json updated"
