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

step "format"
cargo fmt --all -- --check

step "clippy (all targets, -D warnings)"
cargo clippy --workspace --all-targets --locked -- -D warnings

step "pure crates pull no I/O stack"
bash scripts/check-pure-crates.sh

step "tests (nextest)"
cargo nextest run --workspace --locked --profile ci

step "doctests"
cargo test --workspace --doc --locked

step "benches once, in test mode"
cargo test --workspace --benches --locked
