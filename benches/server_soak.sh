#!/usr/bin/env bash
# Soak run of the reference server on PostgreSQL (and Redis for the shared
# limits and quotes): a mixed workload (reads of valuation, insights,
# performance, transactions, goals, the feed and quotes; deposits and posts)
# at RATE requests/s for DURATION, loopback only. Prints the server's RSS
# every minute, and fails unless every request succeeded.
#
#   bash benches/server_soak.sh                 # USERS=500 RATE=200 DURATION=30m
set -euo pipefail
cd "$(dirname "$0")/.."
USERS=${USERS:-500}
RATE=${RATE:-200}
DURATION=${DURATION:-30m}
CONNECTIONS=${CONNECTIONS:-20}
PG_URL=${DATABASE_URL:-postgres://postgres@127.0.0.1:5432/test}
REDIS=${REDIS_URL:-redis://127.0.0.1:6379}
command -v wrk >/dev/null || { echo "wrk is missing: apt-get install -y wrk" >&2; exit 1; }
cargo build --release --locked -p auravest-reference-server
bin=${CARGO_TARGET_DIR:-target}/release/auravest-server
work=$(mktemp -d)
db=auravest_soak_$$
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  psql "$PG_URL" -qc "DROP DATABASE IF EXISTS $db WITH (FORCE)" >/dev/null 2>&1 || true
  rm -rf "$work"
}
trap cleanup EXIT
psql "$PG_URL" -qc "CREATE DATABASE $db" >/dev/null
echo "load average at start: $(cut -d' ' -f1-3 /proc/loadavg)"
AURAVEST_DATA_DIR="$work/data" DATABASE_URL="${PG_URL%/*}/$db" REDIS_URL="$REDIS" \
  AURAVEST_REDIS_NAMESPACE="auravest-soak-$$" AURAVEST_ADDR=127.0.0.1:0 AURAVEST_AI=false \
  AURAVEST_MARKET_SOURCES=sample AURAVEST_REFRESHER=false AURAVEST_LOG=warn \
  AURAVEST_ACCESS_TOKEN_TTL_SECS=86400 \
  AURAVEST_RATE_LIMIT_IP_PER_MINUTE=1000000 AURAVEST_RATE_LIMIT_USER_PER_MINUTE=1000000 \
  AURAVEST_RATE_LIMIT_AUTH_PER_MINUTE=1000000 \
  "$bin" > "$work/out" 2> "$work/log" &
server=$!
pids+=("$server")
addr=""
for _ in $(seq 100); do
  addr=$(sed -n 's/^listening on http:\/\/\(.*\)$/\1/p' "$work/out")
  [ -n "$addr" ] && break
  sleep 0.2
done
[ -n "$addr" ] || { cat "$work/log" >&2; exit 1; }
python3 benches/server/seed.py "http://$addr" "$USERS" "$work/users" examples/data/transactions.csv
rss() { awk '/VmRSS/ {print $2}' "/proc/$server/status"; }
# Warm-up: every user's prices fetched once.
USERS_FILE="$work/users" RATE=$RATE CONNECTIONS=$CONNECTIONS \
  wrk -t2 -c"$CONNECTIONS" -d10s -s benches/server/soak.lua "http://$addr" > /dev/null
start_rss=$(rss)
echo "rss after warm-up: ${start_rss} kB"
(
  while kill -0 "$server" 2>/dev/null; do
    sleep 60
    echo "rss $(date +%T): $(rss) kB"
  done
) &
pids+=($!)
USERS_FILE="$work/users" RATE=$RATE CONNECTIONS=$CONNECTIONS \
  wrk -t2 -c"$CONNECTIONS" -d"$DURATION" --timeout 10s -s benches/server/soak.lua "http://$addr" \
  | tee "$work/result"
end_rss=$(rss)
echo "rss: ${start_rss} kB after warm-up, ${end_rss} kB at the end"
echo "load average at end: $(cut -d' ' -f1-3 /proc/loadavg)"
grep -q '^RESULT ' "$work/result" || { echo "no result" >&2; exit 1; }
errors=$(sed -n 's/.* non2xx=\([0-9]*\) connect=\([0-9]*\) read=\([0-9]*\) write=\([0-9]*\) timeout=\([0-9]*\).*/\1 \2 \3 \4 \5/p' "$work/result" \
  | awk '{print $1 + $2 + $3 + $4 + $5}')
if grep -q '"level":"ERROR"\|ERROR' "$work/log"; then
  echo "the server logged errors:" >&2
  grep 'ERROR' "$work/log" | head -20 >&2
  exit 1
fi
[ "$errors" -eq 0 ] || { echo "soak: $errors failed requests" >&2; exit 1; }
echo "soak: 0 failed requests"
