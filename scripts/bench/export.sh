#!/usr/bin/env bash
# Export benchmark: REPORTS reports (default 1,000,000; fixed SEED) generated straight into SQLite by
# scripts/bench/seed-reports.sh, then in the same run, on the same file:
#   - GET /api/v1/exports/reports?format=csv over HTTP (curl -o /dev/null): full auth, streaming, CSV escaping, audit;
#   - the baseline: sqlite3 -csv dumping the same columns with the same query (pre-joined child rows) to /dev/null.
# Prints both times (median of RUNS), the ratio (target <= 1.5x), rows, bytes, and the service's peak working set
# growth (VmHWM from /proc/PID/status: idle after start vs after the warm-up and all runs; target < 100 MB).
#   REPORTS=1000000 SEED=42 RUNS=3 scripts/bench.sh export
set -euo pipefail
cd "$(dirname "$0")/../.."
REPORTS=${REPORTS:-1000000}; SEED=${SEED:-42}; RUNS=${RUNS:-3}; PORT=${PORT:-5197}
command -v sqlite3 >/dev/null && command -v bc >/dev/null || (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq sqlite3 bc >/dev/null)

dotnet build src/WinLoss.Api -c Release -nologo -v q >/dev/null
work=$(mktemp -d)
KEY=wl_bench_admin_key_0123456789abcdefghijklmnopqrstuvwxyz
URL="http://127.0.0.1:$PORT/api/v1/exports/reports?format=csv"
pid=
start() {
  WINLOSS_DB="$work/bench.db" WINLOSS_ADMIN_KEY=$KEY WINLOSS_RATE_LIMIT=1000000000 \
    ASPNETCORE_URLS="http://127.0.0.1:$PORT" Logging__LogLevel__Default=Warning \
    dotnet src/WinLoss.Api/bin/Release/net10.0/WinLoss.Api.dll --contentRoot "$PWD/src/WinLoss.Api" >>"$work/service.log" 2>&1 &
  pid=$!
  for _ in $(seq 1 150); do curl -sf "http://127.0.0.1:$PORT/health/ready" >/dev/null && return; sleep 0.2; done
  echo "service did not start" >&2; cat "$work/service.log" >&2; exit 1
}
stop() { [ -n "$pid" ] && kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null; pid=; }
trap 'stop; rm -rf "$work"' EXIT

start; stop # migrations and the admin
echo "== export: generating $REPORTS reports (seed $SEED)"
t0=$(date +%s.%N)
bash scripts/bench/seed-reports.sh "$work/bench.db" "$REPORTS" "$SEED"
printf 'generated in %.1f s\n' "$(echo "$(date +%s.%N) - $t0" | bc)"
start

# The same SELECT the service runs (ExportReportsHandler.SelectSql), columns formatted as in the CSV.
BASELINE_SQL="
SELECT r.id, r.deal_id, r.outcome, r.closed_on, printf('%.2f', r.amount_cents / 100.0), r.currency, r.segment, r.stage_reached,
       r.region, r.industry, r.product, r.account_name, r.rep_id, u.display_name,
       (SELECT group_concat(COALESCE(c.name, rc.name), '; ') FROM report_competitors rc LEFT JOIN competitors c ON c.id = rc.competitor_id WHERE rc.report_id = r.id),
       (SELECT COALESCE(c.name, rc.name) FROM report_competitors rc LEFT JOIN competitors c ON c.id = rc.competitor_id WHERE rc.report_id = r.id AND rc.is_primary = 1),
       (SELECT group_concat(rr.category, '; ') FROM report_reasons rr WHERE rr.report_id = r.id),
       (SELECT rr.category FROM report_reasons rr WHERE rr.report_id = r.id AND rr.is_primary = 1),
       (SELECT rr.detail FROM report_reasons rr WHERE rr.report_id = r.id AND rr.is_primary = 1),
       (SELECT group_concat(ro.category, '; ') FROM report_objections ro WHERE ro.report_id = r.id),
       (SELECT group_concat(rm.message_id || ':' || rm.resonance, '; ') FROM report_messages rm WHERE rm.report_id = r.id),
       (SELECT group_concat(rl.collateral_id, '; ') FROM report_collateral rl WHERE rl.report_id = r.id),
       r.lead_source, r.lead_quality, r.notes, r.version, r.created_at, r.updated_at
FROM reports r JOIN users u ON u.id = r.rep_id WHERE r.deleted_at IS NULL ORDER BY r.id;"

hwm() { awk '/VmHWM/ {print $2}' "/proc/$pid/status"; }
median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
export_once() { curl -sf -o /dev/null -w '%{time_total} %{size_download}\n' -H "Authorization: Bearer $KEY" "$URL"; }
sqlite_once() {
  local s; s=$(date +%s.%N)
  sqlite3 -csv -header "$work/bench.db" "$BASELINE_SQL" >/dev/null
  echo "$(date +%s.%N) - $s" | bc
}

# Peak working set before any export (service started and idle), then a warm-up: both read the whole file
# once (page cache), the service JITs the export path. The growth reported covers the warm-up and all runs.
before=$(hwm)
export_once >/dev/null; sqlite_once >/dev/null
svc=(); base=(); bytes=0
for _ in $(seq 1 "$RUNS"); do
  read -r t b < <(export_once); svc+=("$t"); bytes=$b
  base+=("$(sqlite_once)")
done
after=$(hwm)
s=$(printf '%s\n' "${svc[@]}" | median); q=$(printf '%s\n' "${base[@]}" | median)
rows=$(sqlite3 "$work/bench.db" "SELECT COUNT(*) FROM reports WHERE deleted_at IS NULL")
echo "rows exported: $rows; CSV bytes: $bytes; runs: $RUNS (median), $(nproc) cores"
printf '%-44s %8.2f s\n' "sqlite3 -csv, same columns (baseline)" "$q"
printf '%-44s %8.2f s\n' "GET /api/v1/exports/reports?format=csv" "$s"
awk -v s="$s" -v q="$q" 'BEGIN { printf "export/sqlite3 time ratio: %.2fx (target <= 1.5x)\n", s / q }'
awk -v a="$after" -v b="$before" 'BEGIN { printf "service peak working set (VmHWM): %.0f MB before the runs, %.0f MB after; growth %.1f MB (target < 100 MB)\n", b/1024, a/1024, (a-b)/1024 }'
