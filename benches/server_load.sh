#!/usr/bin/env bash
# Load bench of the reference server: 1,000 users, each with the sample
# portfolio and a risk profile; p50/p90/p99 of the valuation and insights
# endpoints at about 200 requests/s (wrk, paced per connection), on SQLite
# and on PostgreSQL. Loopback only.
#
#   bash benches/server_load.sh            # USERS=1000 RATE=200 DURATION=30s
#
# Settings it runs with (printed again at the end): the per-IP and per-user
# rate limits are raised to 1,000,000/min so that the limiter measures as a
# cost but never refuses; the assistant is off; prices come from the shipped
# sample.
set -euo pipefail
cd "$(dirname "$0")/.."
USERS=${USERS:-1000}
RATE=${RATE:-200}
DURATION=${DURATION:-30s}
CONNECTIONS=${CONNECTIONS:-20}
PG_URL=${DATABASE_URL:-postgres://postgres@127.0.0.1:5432/test}
command -v wrk >/dev/null || { echo "wrk is missing: apt-get install -y wrk" >&2; exit 1; }
cargo build --release --locked -p auravest-reference-server
bin=${CARGO_TARGET_DIR:-target}/release/auravest-server
work=$(mktemp -d)
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; rm -rf "$work"; }
trap cleanup EXIT

run_backend() {
  local name=$1 url=$2
  local dir="$work/$name"
  mkdir -p "$dir"
  AURAVEST_DATA_DIR="$dir" DATABASE_URL="$url" AURAVEST_ADDR=127.0.0.1:0 AURAVEST_AI=false \
    AURAVEST_MARKET_SOURCES=sample AURAVEST_REFRESHER=false AURAVEST_LOG=warn \
    AURAVEST_RATE_LIMIT_IP_PER_MINUTE=1000000 AURAVEST_RATE_LIMIT_USER_PER_MINUTE=1000000 \
    AURAVEST_RATE_LIMIT_AUTH_PER_MINUTE=1000000 \
    "$bin" > "$dir/out" 2> "$dir/log" &
  pids+=($!)
  local addr=""
  for _ in $(seq 100); do
    addr=$(sed -n 's/^listening on http:\/\/\(.*\)$/\1/p' "$dir/out")
    [ -n "$addr" ] && break
    sleep 0.2
  done
  [ -n "$addr" ] || { cat "$dir/log" >&2; exit 1; }
  python3 benches/server/seed.py "http://$addr" "$USERS" "$dir/users" examples/data/transactions.csv
  for endpoint in valuation insights; do
    # Warm-up: prices fetched and stored once.
    USERS_FILE="$dir/users" ENDPOINT=$endpoint RATE=$RATE CONNECTIONS=$CONNECTIONS \
      wrk -t2 -c"$CONNECTIONS" -d3s -s benches/server/load.lua "http://$addr" > /dev/null
    USERS_FILE="$dir/users" ENDPOINT=$endpoint RATE=$RATE CONNECTIONS=$CONNECTIONS \
      wrk -t2 -c"$CONNECTIONS" -d"$DURATION" --timeout 10s -s benches/server/load.lua "http://$addr" \
      | sed -n "s/^RESULT /$name /p"
  done
  kill "${pids[-1]}"
}

db=auravest_bench_$$
psql "$PG_URL" -qc "DROP DATABASE IF EXISTS $db" -c "CREATE DATABASE $db" >/dev/null
run_backend sqlite "sqlite://$work/sqlite/auravest.db"
run_backend postgres "${PG_URL%/*}/$db"
psql "$PG_URL" -qc "DROP DATABASE IF EXISTS $db WITH (FORCE)" >/dev/null
echo "settings: users=$USERS target_rate=${RATE}/s connections=$CONNECTIONS duration=$DURATION rate limits raised to 1000000/min (ip, user, auth); assistant off; sample prices"
