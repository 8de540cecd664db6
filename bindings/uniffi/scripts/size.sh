#!/usr/bin/env bash
# The release size check of the mobile library (not part of CI: CI builds
# the crates once, with the test profile; this builds them again under the
# `mobile` profile, which takes minutes on two cores).
#
# Builds `libauravest_ffi` with the workspace's `mobile` profile without and
# with the local model (feature `local-model`), strips each copy, prints the
# sizes in MiB and exits 1 when one is over its budget:
#
#   without the model  SIZE_BUDGET_MIB        (default 8)
#   with the model     SIZE_BUDGET_MODEL_MIB  (default 12)
#
#   bash bindings/uniffi/scripts/size.sh
#
# The build goes to its own target folder ($HOME/.cache/auravest-mobile-target
# unless CARGO_TARGET_DIR says otherwise), so the test build's artifacts are
# neither replaced nor invalidated.
set -euo pipefail
cd "$(dirname "$0")/../../.."

budget=${SIZE_BUDGET_MIB:-8}
budget_model=${SIZE_BUDGET_MODEL_MIB:-12}
export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-$HOME/.cache/auravest-mobile-target}
# The lints ran in the test build; this one only compiles.
unset RUSTC_WORKSPACE_WRAPPER CLIPPY_ARGS
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT

# Builds with the given feature flags, strips a copy, prints its line and
# returns 1 when it is over `budget_mib`.
measure() {
  local name=$1 budget_mib=$2
  shift 2
  local started lib bytes
  started=$(date +%s)
  cargo build --locked --profile mobile -p auravest-uniffi --lib "$@" >&2
  lib=$CARGO_TARGET_DIR/mobile/libauravest_ffi.so
  cp "$lib" "$out/$name.so"
  strip --strip-all "$out/$name.so"
  bytes=$(stat -c %s "$out/$name.so")
  awk -v n="$name" -v b="$bytes" -v max="$budget_mib" -v s="$(( $(date +%s) - started ))" 'BEGIN {
    mib = b / 1048576
    printf "size: %-16s %11d B  %6.2f MiB  (budget %s MiB, built in %d s)  %s\n", n, b, mib, max, s, (mib <= max ? "ok" : "OVER")
    exit (mib <= max ? 0 : 1)
  }'
}

status=0
measure without-model "$budget" --no-default-features || status=1
measure with-model "$budget_model" --features local-model || status=1
if [ "$status" -ne 0 ]; then
  echo "size: over budget" >&2
fi
exit "$status"
