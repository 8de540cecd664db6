#!/usr/bin/env bash
# First load of the web dashboard with 100 holdings in headless Chromium:
# bytes transferred and time until usable, against the issue's budgets
# (200 KB, 1 s). Builds the release server; needs Chromium and the web
# tests' node_modules (reference-server/web/run-ui-tests.sh installs both)
# and the WebAssembly package's web build (bindings/wasm/scripts/ci.sh).
#
#   bash benches/web_first_load.sh         # RUNS=5 HOLDINGS=100
set -euo pipefail
cd "$(dirname "$0")/.."
if [ -z "${AURAVEST_SERVER_BIN:-}" ]; then
  cargo build --release --locked -p auravest-reference-server --bin auravest-server
  export AURAVEST_SERVER_BIN="${CARGO_TARGET_DIR:-target}/release/auravest-server"
fi
exec node benches/web_first_load.mjs
