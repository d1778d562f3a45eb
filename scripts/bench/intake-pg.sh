#!/usr/bin/env bash
# Intake on PostgreSQL, 1 and 2 instances, beside SQLite — same run, same load. POST /api/v1/reports (unique deals,
# Idempotency-Key, full auth and validation, durable commit) under wrk with CONNS connections in total (split evenly
# over the instances), each configuration beside the bare 201 endpoint of one instance measured just before it (the
# machine's speed drifts). PostgreSQL is a durable throwaway cluster (scripts/pg.sh --durable: fsync on, defaults).
# On 2 cores the instances, PostgreSQL and wrk share the same CPUs: a second instance adds availability, not
# throughput, here; the figure shows what it costs.
#   DURATION=10s WARMUP=8s CONNS=32 THREADS=2 scripts/bench.sh intake-pg
set -euo pipefail
cd "$(dirname "$0")/../.."
DURATION=${DURATION:-10s}; WARMUP=${WARMUP:-8s}; CONNS=${CONNS:-32}; THREADS=${THREADS:-2}
command -v wrk >/dev/null || (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk >/dev/null)

dotnet build src/WinLoss.Api -c Release -nologo -v q >/dev/null
work=$(mktemp -d); chmod 755 "$work" # the cluster runs as another user
KEY=wl_bench_admin_key_0123456789abcdefghijklmnopqrstuvwxyz
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  bash scripts/pg.sh stop "$work/pg" >/dev/null 2>&1 || true
  rm -rf "$work"
}
trap cleanup EXIT

server=$(bash scripts/pg.sh start "$work/pg" --durable)
psql_db() { PGPASSWORD=$(cat "$work/pg/password") psql -h 127.0.0.1 -p "$(cat "$work/pg/port")" -U winloss -d "$1" -Atqc "$2"; }
psql_db postgres "CREATE DATABASE bench"
pgdb="${server/Database=postgres/Database=bench}"

start() { # port db datadir
  mkdir -p "$3"
  WINLOSS_BENCH=1 WINLOSS_DB="$2" WINLOSS_DATA_DIR="$3" WINLOSS_ADMIN_KEY=$KEY WINLOSS_RATE_LIMIT=1000000000 \
    ASPNETCORE_URLS="http://127.0.0.1:$1" Logging__LogLevel__Default=Warning \
    dotnet src/WinLoss.Api/bin/Release/net10.0/WinLoss.Api.dll --contentRoot "$PWD/src/WinLoss.Api" >"$3/service.log" 2>&1 &
  pids+=($!)
  for _ in $(seq 1 150); do curl -sf "http://127.0.0.1:$1/health/ready" >/dev/null && return; sleep 0.2; done
  echo "instance on port $1 did not start: $(tail -5 "$3/service.log")" >&2; exit 1
}

source scripts/bench/intake-post.lib # post.lua, to_ms

# wrk against each URL at once, CONNS split between them; prints "total-rps worst-p50 worst-p99 non2xx"
drive() { # duration label url...
  local duration=$1 label=$2; shift 2
  local per=$((CONNS / $#)) i=0 outs=() runs=()
  for url in "$@"; do
    i=$((i + 1))
    wrk -t"$THREADS" -c"$per" -d"$duration" --latency -s "$work/post.lua" "$url" -- "$label-$i" >"$work/wrk-$i.out" &
    runs+=($!)
    outs+=("$work/wrk-$i.out")
  done
  wait "${runs[@]}"
  cat "${outs[@]}" | awk '
    /^Requests\/sec/ {rps += $2}
    $1 == "50%" {p50 = $2}
    $1 == "99%" {p99 = $2}
    /Non-2xx/ {bad += $NF}
    END {printf "%.0f %s %s %d\n", rps, p50, p99, bad}'
}
measure() { # label urls...
  local label=$1; shift
  read -r rps p50 p99 bad < <(drive "$DURATION" "$label" "$@")
  echo "$rps $(to_ms <<<"$p50") $(to_ms <<<"$p99") $bad"
}

start 5301 "$work/sqlite/bench.db" "$work/sqlite"
start 5302 "$pgdb" "$work/pg-a"
start 5303 "$pgdb" "$work/pg-b"

echo "== intake on SQLite and PostgreSQL 15 (durable), wrk $CONNS connections in total, $(nproc) cores; warm-up $WARMUP each"
for u in "http://127.0.0.1:5301" "http://127.0.0.1:5302" "http://127.0.0.1:5303"; do
  drive "$WARMUP" warm "$u/api/v1/reports" >/dev/null
  drive 3s warmbare "$u/bench/bare" >/dev/null
done
printf '%-28s %12s %12s %8s %12s %12s %8s\n' configuration "bare req/s" "intake req/s" ratio "intake p50" "intake p99" non-2xx
row() { # tag name bare-url intake-urls...   (tag: the deal-id prefix, letters and digits only)
  local tag=$1 name=$2 bare=$3; shift 3
  read -r b_rps _ _ _ < <(measure "bare$tag" "$bare")
  read -r r_rps r_p50 r_p99 r_bad < <(measure "r$tag" "$@")
  printf '%-28s %12s %12s %7s%% %9s ms %9s ms %8s\n' "$name" "$b_rps" "$r_rps" \
    "$(awk -v r="$r_rps" -v b="$b_rps" 'BEGIN {printf "%.1f", 100 * r / b}')" "$r_p50" "$r_p99" "$r_bad"
}
row sqlite1 "SQLite, 1 instance" "http://127.0.0.1:5301/bench/bare" "http://127.0.0.1:5301/api/v1/reports"
row pg1 "PostgreSQL, 1 instance" "http://127.0.0.1:5302/bench/bare" "http://127.0.0.1:5302/api/v1/reports"
row pg2 "PostgreSQL, 2 instances" "http://127.0.0.1:5302/bench/bare" "http://127.0.0.1:5302/api/v1/reports" "http://127.0.0.1:5303/api/v1/reports"
stored=$(psql_db bench "SELECT COUNT(*) FROM reports WHERE deal_id LIKE 'rpg%'")
dupes=$(psql_db bench "SELECT COUNT(*) FROM (SELECT deal_id FROM reports GROUP BY deal_id HAVING COUNT(*) > 1) d")
echo "PostgreSQL: $stored reports stored, $dupes deals stored twice; ratio = intake req/s over the bare endpoint of one instance just before"
