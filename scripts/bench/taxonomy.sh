#!/usr/bin/env bash
# Taxonomy benchmark at scale: REPORTS reports (default 1,000,000) seeded straight into SQLite, 25 competitors,
# 12% of reports naming a competitor nobody has mapped yet (200 "Newco N" names and one misspelling "Competitr 1"
# on 2%). Times, beside a trivial authenticated read in the same process as the baseline:
#   GET /competitors (the rep form loads it), GET /competitors/unmatched (triage), and two one-off writes that
#   re-attribute history in one writer job: mapping "Competitr 1" (REPORTS/50 reports) and a merge (REPORTS/25).
#   REPORTS=1000000 RUNS=7 scripts/bench.sh taxonomy
set -euo pipefail
cd "$(dirname "$0")/../.."
REPORTS=${REPORTS:-1000000}; RUNS=${RUNS:-7}; PORT=${PORT:-5198}
command -v sqlite3 >/dev/null || (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq sqlite3 >/dev/null)

dotnet build src/WinLoss.Api -c Release -nologo -v q >/dev/null
work=$(mktemp -d)
KEY=wl_bench_admin_key_0123456789abcdefghijklmnopqrstuvwxyz
API="http://127.0.0.1:$PORT/api/v1"
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
echo "== taxonomy: seeding $REPORTS reports"
sqlite3 "$work/bench.db" <<SQL
PRAGMA synchronous = OFF;
BEGIN;
INSERT INTO users (email, display_name, role, created_at) VALUES ('bench-rep@example.com', 'Bench rep', 'rep', '2026-01-01T00:00:00.000Z');
WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 25)
INSERT INTO competitors (id, name, created_at) SELECT 1000 + i, 'Competitor ' || i, '2026-01-01T00:00:00.000Z' FROM n;
INSERT INTO competitor_aliases (normalized, alias, competitor_id) SELECT 'competitor' || (id - 1000), name, id FROM competitors WHERE id > 1000;
WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < $REPORTS)
INSERT INTO reports (id, deal_id, rep_id, outcome, closed_on, amount_cents, currency, segment, version, created_at, created_by, updated_at)
SELECT i, 'B-' || i, (SELECT id FROM users WHERE role = 'rep'), CASE i % 3 WHEN 0 THEN 'won' WHEN 1 THEN 'lost' ELSE 'no_decision' END,
       date('2023-01-01', '+' || (i % 1095) || ' days'), 1000000, 'USD', 'smb', 1, '2026-01-01T00:00:00.000Z', 1, '2026-01-01T00:00:00.000Z'
FROM n;
INSERT INTO report_competitors (report_id, position, name, normalized, competitor_id, is_primary)
SELECT id, 0,
       CASE WHEN id % 50 = 0 THEN 'Competitr 1' WHEN id % 10 = 1 THEN 'Newco ' || (id % 997 % 200) ELSE 'Competitor ' || (id % 25 + 1) END,
       CASE WHEN id % 50 = 0 THEN 'competitr1' WHEN id % 10 = 1 THEN 'newco' || (id % 997 % 200) ELSE 'competitor' || (id % 25 + 1) END,
       CASE WHEN id % 50 = 0 OR id % 10 = 1 THEN NULL ELSE 1000 + id % 25 + 1 END, 1
FROM reports;
COMMIT;
SQL
start

median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
time_get() { # path -> median ms over RUNS (after one warm-up)
  curl -sf -o /dev/null -H "Authorization: Bearer $KEY" "$API$1"
  for _ in $(seq 1 "$RUNS"); do
    curl -sf -o /dev/null -w '%{time_total}\n' -H "Authorization: Bearer $KEY" "$API$1"
  done | awk '{printf "%.1f\n", $1 * 1000}' | median
}
time_post() { # path body -> "ms response"
  local out; out=$(curl -sf -w '\n%{time_total}' -H "Authorization: Bearer $KEY" -H 'Content-Type: application/json' -d "$2" "$API$1")
  echo "$(tail -n1 <<<"$out" | awk '{printf "%.1f", $1 * 1000}') $(head -n1 <<<"$out" | grep -o '"reportsReattributed":[0-9]*' || true)"
}

base=$(time_get /taxonomy/reasons)
list=$(time_get /competitors)
unmatched=$(time_get "/competitors/unmatched?limit=100")
printf '%-46s %10s %8s\n' request "median ms" "x base"
printf '%-46s %10s %8s\n' "GET /taxonomy/reasons (baseline)" "$base" "1.0"
for row in "GET /competitors|$list" "GET /competitors/unmatched?limit=100|$unmatched"; do
  printf '%-46s %10s %8s\n' "${row%%|*}" "${row##*|}" "$(awk -v a="${row##*|}" -v b="$base" 'BEGIN {printf "%.1f", a / b}')"
done
read -r map_ms map_body < <(time_post /competitors/unmatched/map '{"name":"Competitr 1","competitorId":1001}')
printf '%-46s %10s   %s\n' "POST unmatched/map ($((REPORTS / 50)) reports)" "$map_ms" "$map_body"
read -r merge_ms _ < <(time_post /competitors/1002/merge '{"intoId":1003}')
printf '%-46s %10s\n' "POST /competitors/1002/merge ($((REPORTS / 25)) reports)" "$merge_ms"
left=$(sqlite3 "$work/bench.db" "SELECT COUNT(*) FROM report_competitors WHERE competitor_id = 1002 OR normalized = 'competitr1' AND competitor_id IS NOT 1001")
echo "rows still on the merged competitor or unmapped misspelling after the writes: $left (expected 0)"
