#!/usr/bin/env bash
# Runs the web UI's browser tests: Debian's Chromium driven by playwright-core
# against the real auravest-server binary. The exit code is the tests'.
#
#   reference-server/web/run-ui-tests.sh
#
# Honours CARGO_TARGET_DIR (where the binary is built and looked for) and
# AURAVEST_SERVER_BIN (a binary to use instead of building one).
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo="$(cd "$here/../.." && pwd)"

if [ ! -x /usr/bin/chromium ]; then
  echo "run-ui-tests: installing Chromium from apt" >&2
  sudo_cmd=""
  if [ "$(id -u)" -ne 0 ] && command -v sudo >/dev/null 2>&1; then sudo_cmd="sudo"; fi
  $sudo_cmd apt-get update
  DEBIAN_FRONTEND=noninteractive $sudo_cmd apt-get install -y chromium
fi

if [ ! -d "$here/node_modules/playwright-core" ] || [ ! -d "$here/node_modules/axe-core" ]; then
  echo "run-ui-tests: npm ci" >&2
  (cd "$here" && npm ci --no-audit --no-fund)
fi

# The UI loads the WebAssembly package's web build for its instant feedback.
if [ -z "${AURAVEST_WASM_DIR:-}" ] && [ ! -f "$repo/bindings/wasm/pkg/web/slim.js" ]; then
  echo "run-ui-tests: building the WebAssembly package" >&2
  bash "$repo/bindings/wasm/scripts/ci.sh"
fi

if [ -z "${AURAVEST_SERVER_BIN:-}" ]; then
  target="${CARGO_TARGET_DIR:-$repo/target}"
  (cd "$repo" && cargo build -p auravest-reference-server --bin auravest-server)
  export AURAVEST_SERVER_BIN="$target/debug/auravest-server"
fi

cd "$here"
exec node --test tests/
