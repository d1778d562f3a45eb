#!/usr/bin/env bash
# Trend queries over HTTP, answered by the read side, at REPORTS (default 1,000,000) seeded reports.
# Seeds the write store with scripts/bench/seed-reports.sh, starts the service (Release), which rebuilds the read side
# from the write store (time and RSS reported), then times every trend endpoint and the competitor profile with 0-3
# filters, week/month/quarter and cut periods (RUNS per query, p50/p95), beside a raw SQL GROUP BY on the write store
# (sqlite3, same run) and beside the figures of the code before the read side (issue 15, same machine class).
# "CPU ms/query" is the service's own CPU time per query (utime + stime): on a shared, loaded machine wall time
# mostly measures the other tenants; CPU time says what a query costs.
#   REPORTS=1000000 RUNS=7 scripts/bench.sh trends
# ONLY=regex times only the queries whose name matches (e.g. ONLY='^competitors').
# RAW_RUNS=n: runs of each raw SQL GROUP BY, best kept (default 3; at 10M one run takes about a minute).
# WARMUP=n: untimed passes over all the queries before the timed runs (default 20), as a service that has been running
# answers: .NET compiles each code path optimised (tiered, profile-guided) only after it has run a few dozen times. The
# "first ms" column is each query's first answer after start, before any warm-up.
# KEEP=dir keeps the seeded database in dir and reuses it on the next run (seeding 1M takes a minute or two).
# ENGINE=postgres: the same, with the service on PostgreSQL (a durable throwaway cluster, scripts/pg.sh --durable) holding a
# copy of the seeded reports; the read side is rebuilt from PostgreSQL. The raw GROUP BY stays on the SQLite copy.
set -euo pipefail
cd "$(dirname "$0")/../.."
REPORTS=${REPORTS:-1000000}; RUNS=${RUNS:-7}; PORT=${PORT:-5191}
command -v sqlite3 >/dev/null || (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq sqlite3 >/dev/null)
dotnet build src/WinLoss.Api -c Release -nologo -v q >/dev/null
work=$(mktemp -d); pid=""
trap '[ -n "$pid" ] && kill "$pid" 2>/dev/null; rm -rf "$work"' EXIT
store=${KEEP:-$work}; mkdir -p "$store"
db=$store/winloss-$REPORTS.db; key=wl_bench_admin_key_0123456789abcdefghijklmnopqrstuv
export WINLOSS_DB=$db WINLOSS_ADMIN_KEY=$key WINLOSS_RATE_LIMIT=1000000 ASPNETCORE_URLS=http://127.0.0.1:$PORT
base=http://127.0.0.1:$PORT

start() {
  dotnet src/WinLoss.Api/bin/Release/net10.0/WinLoss.Api.dll >"$work/service.log" 2>&1 & pid=$!
  for _ in $(seq 1 3600); do grep -q 'Read side ready' "$work/service.log" && return 0; sleep 0.5; done
  echo "service did not get ready" >&2; tail -20 "$work/service.log" >&2; exit 1
}
stop() { kill "$pid"; wait "$pid" 2>/dev/null || true; pid=""; }

seed=0
if [ ! -f "$db" ]; then
  start; stop                                    # migrations and the admin
  t=$(date +%s.%N); bash scripts/bench/seed-reports.sh "$db" "$REPORTS"; seed=$(awk -v a="$t" -v b="$(date +%s.%N)" 'BEGIN { printf "%.0f", b - a }')
fi
rm -f "$db.readside"                             # the seeded rows bypassed the change log: rebuild from the write store
if [ "${ENGINE:-sqlite}" = postgres ]; then
  trap '[ -n "$pid" ] && kill "$pid" 2>/dev/null; bash scripts/pg.sh stop "$work/pg" >/dev/null 2>&1; rm -rf "$work"' EXIT
  chmod 755 "$work"                              # the cluster runs as another user
  pgurl=$(bash scripts/pg.sh start "$work/pg" --durable)
  psqlc() { PGPASSWORD=$(cat "$work/pg/password") psql -h 127.0.0.1 -p "$(cat "$work/pg/port")" -U winloss -v ON_ERROR_STOP=1 -q "$@"; }
  psqlc -d postgres -c "CREATE DATABASE bench"
  sqlite_db=$db
  export WINLOSS_DB="${pgurl/Database=postgres/Database=bench}" WINLOSS_DATA_DIR="$work/pgdata"
  start; stop                                    # migrations and the admin (user 1, the same key)
  t=$(date +%s.%N)
  for table in users competitors competitor_aliases reports report_competitors report_reasons report_objections report_messages report_collateral; do
    cols=$(sqlite3 "$sqlite_db" "SELECT group_concat(name, ',') FROM pragma_table_info('$table')")
    where=""; [ "$table" = users ] && where="WHERE id <> 1"
    sqlite3 -csv -cmd '.nullvalue @NULL@' "$sqlite_db" "SELECT $cols FROM $table $where" \
      | psqlc -d bench -c "\\copy $table ($cols) FROM STDIN WITH (FORMAT csv, NULL '@NULL@')"
  done
  for table in users competitors reports report_competitors report_reasons report_objections report_messages report_collateral; do
    psqlc -d bench -c "SELECT setval(pg_get_serial_sequence('$table', 'id'), (SELECT COALESCE(MAX(id), 0) + 1 FROM $table), false)" >/dev/null 2>&1 || true
  done
  psqlc -d bench -c "ANALYZE"
  copied=$(awk -v a="$t" -v b="$(date +%s.%N)" 'BEGIN { printf "%.0f", b - a }')
  rm -f "$work"/pgdata/readside-*                 # the snapshot saved by the first stop predates the copied rows
  echo "copied the seeded reports into PostgreSQL in $copied s"
fi
start
rebuild=$(sed -n 's/.*Read side rebuilt at change [0-9]* in \([0-9.]*\) s.*/\1/p' "$work/service.log" | tail -1)
# The seeded rows bypassed the change log, so a loaded snapshot would answer from an empty or stale projection.
[ -n "$rebuild" ] || { echo "the read side was not rebuilt from the write store (a snapshot was loaded): no figures" >&2; exit 1; }
rss_start=$(( $(ps -o rss= -p "$pid") / 1024 ))

queries=(
  "competitors, month, no filter|/api/v1/trends/competitors"
  "competitors, month, segment + region|/api/v1/trends/competitors?segment=smb&region=EMEA"
  "competitors, week, segment|/api/v1/trends/competitors?granularity=week&segment=enterprise"
  "competitors, quarter, 3 filters, cut|/api/v1/trends/competitors?granularity=quarter&segment=mid_market&region=APAC&product=Analytics&from=2024-02-15&to=2026-05-20"
  "competitors, primaryOnly, cut month|/api/v1/trends/competitors?primaryOnly=true&from=2025-03-10&to=2025-09-17"
  "objections, no filter|/api/v1/trends/objections"
  "objections, competitor + segment|/api/v1/trends/objections?competitor=1&segment=smb"
  "objections, week, industry, cut|/api/v1/trends/objections?granularity=week&industry=Finance&from=2025-01-08&to=2025-12-03"
  "objections, quarter, 3 filters|/api/v1/trends/objections?granularity=quarter&segment=enterprise&region=NA%20East&stage=demo"
  "reasons by competitor|/api/v1/trends/reasons"
  "reasons by segment, region|/api/v1/trends/reasons?by=segment&region=LATAM"
  "reasons by stage, won, cut|/api/v1/trends/reasons?by=stage&outcome=won&from=2024-06-15&to=2025-06-14"
  "messages, all deals|/api/v1/trends/messages"
  "messages by segment|/api/v1/trends/messages?by=segment"
  "messages by stage, 2 filters|/api/v1/trends/messages?by=stage&region=EMEA&industry=Retail"
  "lead sources|/api/v1/trends/lead-sources"
  "lead sources, 3 filters|/api/v1/trends/lead-sources?segment=smb&region=APAC&product=Platform"
  "collateral|/api/v1/trends/collateral"
  "alerts, month|/api/v1/trends/alerts?to=2026-10-31"
  "alerts, week, segment|/api/v1/trends/alerts?granularity=week&segment=smb&to=2026-10-28"
  "competitor profile|/api/v1/competitors/1/profile"
  "profile, quarter, 2 filters, cut|/api/v1/competitors/2/profile?granularity=quarter&segment=enterprise&region=EMEA&from=2024-01-20&to=2026-02-10"
  "competitors CSV, 2 filters|/api/v1/trends/competitors?format=csv&segment=smb&stage=proposal"
)
declare -A before=(
  ["competitors, month, no filter"]=60 ["competitors, month, segment + region"]=19700 ["competitors, week, segment"]=25600
  ["objections, competitor + segment"]=29500 ["messages by segment"]=7100 ["competitor profile"]=6000
  ["lead sources"]=2500 ["reasons by competitor"]=2000
)
ms() { curl -s -o /dev/null -w '%{time_total}\n' -H "Authorization: Bearer $key" "$base$1" | awk '{ printf "%.1f\n", $1 * 1000 }'; }
pct() { sort -n | awk -v p="$1" '{ a[NR] = $1 } END { i = int(p * (NR - 1) + 0.999999); if (i < 1) i = 1; if (p == 0.5) i = int((NR + 1) / 2); print a[i] }'; }
all="$work/all.txt"; : >"$all"
tck=$(getconf CLK_TCK)
cpu() { awk '{ print $14 + $15 }' "/proc/$pid/stat"; }
declare -A first=()
for q in "${queries[@]}"; do                    # each query's first answer after start (cold), and a 200 check
  name=${q%%|*}; path=${q#*|}
  [[ -z "${ONLY:-}" || "$name" =~ $ONLY ]] || continue
  out=$(curl -s -o /dev/null -w '%{http_code} %{time_total}' -H "Authorization: Bearer $key" "$base$path")
  [ "${out%% *}" = 200 ] || { echo "$name: HTTP ${out%% *}" >&2; exit 1; }
  first[$name]=$(awk -v t="${out#* }" 'BEGIN { printf "%.0f", t * 1000 }')
done
w0=$(date +%s)
for _ in $(seq 1 "${WARMUP:-20}"); do
  for q in "${queries[@]}"; do
    name=${q%%|*}; [[ -z "${ONLY:-}" || "$name" =~ $ONLY ]] || continue
    code=$(curl -s -o /dev/null -w '%{http_code}' -H "Authorization: Bearer $key" "$base${q#*|}" || true)
    [ "$code" = 200 ] || { echo "$name: HTTP $code during the warm-up" >&2; exit 1; }
  done
done
echo "warm-up: ${WARMUP:-20} untimed passes over the queries in $(( $(date +%s) - w0 )) s"
printf '\n%-44s %9s %9s %9s %12s %14s\n' "query (over HTTP, $REPORTS reports)" "p50 ms" "p95 ms" "first ms" "CPU ms/query" "before (ms)"
for q in "${queries[@]}"; do
  name=${q%%|*}; path=${q#*|}
  [[ -z "${ONLY:-}" || "$name" =~ $ONLY ]] || continue
  c0=$(cpu)
  times=$(for _ in $(seq 1 "$RUNS"); do ms "$path"; done)
  c1=$(cpu)
  echo "$times" >>"$all"
  printf '%-44s %9s %9s %9s %12s %14s\n' "$name" "$(pct 0.5 <<<"$times")" "$(pct 0.95 <<<"$times")" "${first[$name]}" \
    "$(( (c1 - c0) * 1000 / tck / RUNS ))" "${before[$name]:--}"
done
printf '%-44s %9s %9s\n' "ALL QUERIES" "$(pct 0.5 <"$all")" "$(pct 0.95 <"$all")"

# The same questions as plain SQL over the write store (sqlite3 on the same file, best of RAW_RUNS).
raw() {
  local best=999999
  for _ in $(seq 1 "${RAW_RUNS:-3}"); do
    local t0 t1 e
    t0=$(date +%s%N); sqlite3 "${sqlite_db:-$db}" "$1" >/dev/null; t1=$(date +%s%N)
    e=$(( (t1 - t0) / 1000000 ))
    if [ "$e" -lt "$best" ]; then best=$e; fi
  done
  printf '%-44s %9s\n' "$2" "$best"
}
printf '\n%-44s %9s\n' "raw SQL GROUP BY on the write store" "best ms"
raw "SELECT substr(r.closed_on,1,7), c.competitor_id, count(*), sum(r.outcome='won') FROM reports r LEFT JOIN report_competitors c ON c.report_id = r.id WHERE r.deleted_at IS NULL GROUP BY 1, 2" "competitors, month, no filter"
raw "SELECT substr(r.closed_on,1,7), c.competitor_id, count(*), sum(r.outcome='won') FROM reports r LEFT JOIN report_competitors c ON c.report_id = r.id WHERE r.deleted_at IS NULL AND r.segment='smb' AND r.region='EMEA' GROUP BY 1, 2" "competitors, month, segment + region"
raw "SELECT substr(r.closed_on,1,7), o.category, count(*), count(DISTINCT r.id) FROM reports r JOIN report_objections o ON o.report_id = r.id WHERE r.deleted_at IS NULL GROUP BY 1, 2" "objections, no filter"
rss_end=$(( $(ps -o rss= -p "$pid") / 1024 ))
rss_peak=$(( $(awk '/^VmHWM/ { print $2 }' "/proc/$pid/status") / 1024 ))
echo
echo "write store: ${ENGINE:-sqlite}; seeded $REPORTS reports in ${seed%.*} s; read side rebuilt from the write store in $rebuild s (target <= 60 s at 1M)"
echo "service RSS: $rss_start MB after the rebuild, $rss_end MB after the queries, $rss_peak MB at most (rebuild included) (target <= 1024 MB at 1M, <= 4096 MB at 10M)"
