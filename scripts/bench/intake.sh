#!/usr/bin/env bash
# Intake benchmark: sustained POST /api/v1/reports (unique deals, Idempotency-Key, full auth and validation,
# durable group commit) against a bare endpoint in the same process that only returns 201, under wrk with
# 32 concurrent connections on loopback. Prints throughput, p50/p99 and the ratio.
# Each endpoint is first driven for WARMUP under the same load: the intake path (auth, validation, JSON, SQL) runs
# at about half speed for its first ~10 s after a start while the JIT tiers its code up; the figure wanted is the
# sustained one. Then ROUNDS rounds of bare and intake back to back, each intake round beside the bare round just
# before it (this shared machine's speed drifts by ±20% over minutes); the figure is the median ratio.
#   DURATION=15s WARMUP=10s ROUNDS=3 CONNS=32 THREADS=2 scripts/bench.sh intake
set -euo pipefail
cd "$(dirname "$0")/../.."
DURATION=${DURATION:-15s}; WARMUP=${WARMUP:-10s}; ROUNDS=${ROUNDS:-3}; CONNS=${CONNS:-32}; THREADS=${THREADS:-2}; PORT=${PORT:-5199}
command -v wrk >/dev/null || (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk >/dev/null)

dotnet build src/WinLoss.Api -c Release -nologo -v q >/dev/null
work=$(mktemp -d)
KEY=wl_bench_admin_key_0123456789abcdefghijklmnopqrstuvwxyz
WINLOSS_BENCH=1 WINLOSS_DB="$work/bench.db" WINLOSS_ADMIN_KEY=$KEY WINLOSS_RATE_LIMIT=1000000000 \
  ASPNETCORE_URLS="http://127.0.0.1:$PORT" Logging__LogLevel__Default=Warning \
  dotnet src/WinLoss.Api/bin/Release/net10.0/WinLoss.Api.dll --contentRoot "$PWD/src/WinLoss.Api" >"$work/service.log" 2>&1 &
pid=$!
trap 'kill $pid 2>/dev/null; wait $pid 2>/dev/null; rm -rf "$work"' EXIT
for _ in $(seq 1 100); do curl -sf "http://127.0.0.1:$PORT/health/ready" >/dev/null && break; sleep 0.2; done

source scripts/bench/intake-post.lib # post.lua, to_ms

warm() { wrk -t"$THREADS" -c"$CONNS" -d"$WARMUP" -s "$work/post.lua" "$1" -- "warm$2" >/dev/null; }
measure() { # url label -> "rps p50 p99 non2xx"
  local out; out=$(wrk -t"$THREADS" -c"$CONNS" -d"$DURATION" --latency -s "$work/post.lua" "$1" -- "$2")
  local rps p50 p99 bad
  rps=$(awk '/^Requests\/sec/ {printf "%.0f", $2}' <<<"$out")
  p50=$(awk '$1=="50%" {print $2}' <<<"$out" | to_ms)
  p99=$(awk '$1=="99%" {print $2}' <<<"$out" | to_ms)
  bad=$(awk '/Non-2xx/ {print $NF}' <<<"$out"); bad=${bad:-0}
  echo "$rps $p50 $p99 $bad"
}

echo "== intake: wrk -t$THREADS -c$CONNS on loopback, $(nproc) cores; each endpoint warmed up for $WARMUP, then $ROUNDS rounds of $DURATION bare + $DURATION intake"
warm "http://127.0.0.1:$PORT/bench/bare" bare
warm "http://127.0.0.1:$PORT/api/v1/reports" reports
printf '%-6s %12s %12s %8s %12s %12s %8s\n' round "bare req/s" "intake req/s" ratio "intake p50" "intake p99" non-2xx
ratios=(); worst_p99=0; bad_total=0
for round in $(seq 1 "$ROUNDS"); do
  read -r b_rps _ _ b_bad < <(measure "http://127.0.0.1:$PORT/bench/bare" "bare$round")
  read -r r_rps r_p50 r_p99 r_bad < <(measure "http://127.0.0.1:$PORT/api/v1/reports" "r$round")
  ratio=$(awk -v r="$r_rps" -v b="$b_rps" 'BEGIN {printf "%.1f", 100 * r / b}')
  ratios+=("$ratio"); bad_total=$((bad_total + b_bad + r_bad))
  worst_p99=$(awk -v a="$worst_p99" -v b="$r_p99" 'BEGIN {print (b > a ? b : a)}')
  printf '%-6s %12s %12s %7s%% %9s ms %9s ms %8s\n' "$round" "$b_rps" "$r_rps" "$ratio" "$r_p50" "$r_p99" "$((b_bad + r_bad))"
done
median=$(printf '%s\n' "${ratios[@]}" | sort -n | awk '{v[NR]=$1} END {print (NR % 2 ? v[(NR+1)/2] : (v[NR/2] + v[NR/2+1]) / 2)}')
stored=$(sqlite3 "$work/bench.db" "SELECT COUNT(*) FROM reports WHERE deal_id GLOB 'r[0-9]*-*'")
echo "intake/bare throughput ratio, median of $ROUNDS rounds: ${median}% (target >= 15%); worst intake p99 ${worst_p99} ms (target < 50 ms); non-2xx: $bad_total"
echo "reports stored in the measured rounds: $stored (each acknowledged with 201 after a durable commit)"
