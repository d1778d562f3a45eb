#!/usr/bin/env bash
# Measures the figures in docs/faults.md: kill -9 under load, disk full (needs root: mounts a 64 MB tmpfs), malformed
# uploads and requests. Builds the Release service first.   ROUNDS=5 CONNS=64 LOAD_SECONDS=4 scripts/faults.sh
set -euo pipefail
cd "$(dirname "$0")/.."
dotnet build src/WinLoss.Api -c Release -nologo -v q >/dev/null
exec python3 scripts/faults.py "$@"
