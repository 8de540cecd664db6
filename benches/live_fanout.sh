#!/usr/bin/env bash
# Live events under load on loopback (benches/live_fanout.mjs): CLIENTS
# members connected to GET /api/v1/live, RATE posts a second for DURATION
# seconds; every post must reach every client once, p99 delivery under 1 s.
#
#   bash benches/live_fanout.sh                     # two replicas on PostgreSQL
#   BACKEND=sqlite bash benches/live_fanout.sh      # one SQLite server
#   CLIENTS=1000 RATE=50 DURATION=60 REPLICAS=2     # the defaults
#
# Settings the servers run with: connection limits raised (4,096 in all,
# none per address: every client is on 127.0.0.1), the per-IP, per-user
# and sign-up rate limits raised to 1,000,000/min; the assistant and the
# price refresher off. The community's own posting limit (three a minute
# per member) holds: CLIENTS x 3 per minute must cover RATE.
set -euo pipefail
cd "$(dirname "$0")/.."
CLIENTS=${CLIENTS:-1000}
RATE=${RATE:-50}
DURATION=${DURATION:-60}
BACKEND=${BACKEND:-postgres}
REPLICAS=${REPLICAS:-2}
PG_URL=${DATABASE_URL:-postgres://postgres@127.0.0.1:5432/test}
if [ -z "${AURAVEST_SERVER_BIN:-}" ]; then
  cargo build --release --locked -p auravest-reference-server --bin auravest-server
  AURAVEST_SERVER_BIN="${CARGO_TARGET_DIR:-target}/release/auravest-server"
fi
ulimit -n 65536 2>/dev/null || ulimit -n "$(ulimit -Hn)"
work=$(mktemp -d)
pids=()
db=auravest_live_$$
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  [ "$BACKEND" = postgres ] && psql "$PG_URL" -qc "DROP DATABASE IF EXISTS $db WITH (FORCE)" >/dev/null 2>&1
  rm -rf "$work"
}
trap cleanup EXIT

if [ "$BACKEND" = postgres ]; then
  psql "$PG_URL" -qc "DROP DATABASE IF EXISTS $db" -c "CREATE DATABASE $db" >/dev/null
  url="${PG_URL%/*}/$db"
else
  url="sqlite://$work/auravest.db"
  REPLICAS=1
fi
# One set of keys for every replica, as a deployment shares them.
key=$(head -c 32 /dev/urandom | base64)
bases=()
for r in $(seq "$REPLICAS"); do
  dir="$work/replica-$r"
  mkdir -p "$dir"
  AURAVEST_DATA_DIR="$dir" DATABASE_URL="$url" AURAVEST_ADDR=127.0.0.1:0 AURAVEST_AI=false \
    AURAVEST_MARKET_SOURCES=sample AURAVEST_REFRESHER=false AURAVEST_LOG=warn \
    AURAVEST_JWT_SECRET="$key" AURAVEST_ENCRYPTION_KEY="$key" AURAVEST_HASH_KEY="$key" \
    AURAVEST_MAX_CONNECTIONS=4096 AURAVEST_MAX_CONNECTIONS_PER_IP=0 \
    AURAVEST_RATE_LIMIT_IP_PER_MINUTE=1000000 AURAVEST_RATE_LIMIT_USER_PER_MINUTE=1000000 \
    AURAVEST_RATE_LIMIT_AUTH_PER_MINUTE=1000000 \
    "$AURAVEST_SERVER_BIN" > "$dir/out" 2> "$dir/log" &
  pids+=($!)
  addr=""
  for _ in $(seq 150); do
    addr=$(sed -n 's/^listening on http:\/\/\(.*\)$/\1/p' "$dir/out")
    [ -n "$addr" ] && break
    sleep 0.2
  done
  [ -n "$addr" ] || { cat "$dir/log" >&2; exit 1; }
  bases+=("http://$addr")
done
echo "backend: $BACKEND, $REPLICAS replica(s): ${bases[*]}"
BASES=$(IFS=,; echo "${bases[*]}") CLIENTS=$CLIENTS RATE=$RATE DURATION=$DURATION \
  node benches/live_fanout.mjs
