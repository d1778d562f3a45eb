#!/usr/bin/env bash
# Starts the service with a realistic generated data set so the dashboard has something to show:
# ~4,000 reports over ~2.75 years (fixed seed) from 24 reps, six competitors with aliases, a few unmatched
# names, objections, reasons, messages, lead sources and collateral. Prints the URL and the admin key.
#
#   scripts/demo.sh                 # http://localhost:5080/, data in ./data/demo/
#   scripts/demo.sh --fresh         # throw the demo database away and generate it again
#   WINLOSS_DB=/tmp/demo/winloss.db WINLOSS_URL=http://localhost:5090 DEMO_REPORTS=8000 scripts/demo.sh
#
# Stop with Ctrl-C. By default the demo database is separate from the one scripts/run.sh uses; the admin key is kept
# in admin.key beside it.
set -euo pipefail
cd "$(dirname "$0")/.."

url="${WINLOSS_URL:-${DEMO_URL:-http://localhost:5080}}"
db="$(realpath -m "${WINLOSS_DB:-$PWD/data/demo/winloss.db}")"
dir="$(dirname "$db")"
reports="${DEMO_REPORTS:-4000}"

if [ "${1:-}" = "--fresh" ]; then rm -f "$db" "$db-wal" "$db-shm"; fi
mkdir -p "$dir"
if [ ! -s "$dir/admin.key" ]; then
  (umask 077; python3 -c 'import secrets; print("wl_demo_" + secrets.token_urlsafe(32))' > "$dir/admin.key")
fi
key=$(cat "$dir/admin.key")

echo "Building..."
dotnet build src/WinLoss.Api -c Release -v quiet -nologo >/dev/null

WINLOSS_DB="$db" WINLOSS_ADMIN_KEY="$key" WINLOSS_RATE_LIMIT="${WINLOSS_RATE_LIMIT:-1000000}" ASPNETCORE_URLS="$url" \
  Logging__LogLevel__Default=Warning \
  dotnet src/WinLoss.Api/bin/Release/net10.0/WinLoss.Api.dll --contentRoot "$PWD/src/WinLoss.Api" &
pid=$!
trap 'kill $pid 2>/dev/null || true; wait $pid 2>/dev/null || true' EXIT INT TERM

for _ in $(seq 1 120); do
  if curl -fs "$url/health/ready" >/dev/null 2>&1; then break; fi
  if ! kill -0 $pid 2>/dev/null; then echo "the service did not start" >&2; exit 1; fi
  sleep 0.5
done

cat <<MSG

  WinLoss demo is running.
  Front page: $url/
  Dashboard:  $url/app/trends
  Form:       $url/app/report
  Admin key:  $key
              (paste it on the sign-in screen; also in $dir/admin.key)
  API:        $url/swagger

MSG
have=$(curl -fs "$url/api/v1/reports?limit=1" -H "Authorization: Bearer $key" | python3 -c 'import json,sys; print(len(json.load(sys.stdin).get("items", [])))' 2>/dev/null || echo 0)
if [ "$have" = "0" ]; then
  echo "  Generating $reports reports (fixed seed); the dashboard fills up while they arrive..."
  python3 scripts/demo_data.py "$url" "$key" "$db" --reports "$reports"
  echo "  Demo data complete."
else
  echo "  Demo data already there (scripts/demo.sh --fresh to regenerate)."
fi
echo "  Ctrl-C to stop."
wait $pid
