#!/usr/bin/env bash
# The pure crates (no I/O) must not pull tokio, reqwest or sqlx, directly or
# through any normal dependency, nor read the clock, the environment or the
# file system (the caller passes dates and data in: the crates run the same
# in a browser, a phone and a test). Fails listing each offending crate,
# path or source line.
set -euo pipefail
cd "$(dirname "$0")/.."
pure=(auravest-core auravest-risk auravest-optimize auravest-bias auravest-social)
forbidden='^(tokio|reqwest|sqlx|sqlx-[a-z-]+|hyper|mio)$'
status=0
for crate in "${pure[@]}"; do
  deps=$(cargo tree -q -p "$crate" -e normal --prefix none --no-dedupe --all-features | awk '{print $1}' | sort -u)
  bad=$(printf '%s\n' "$deps" | grep -E "$forbidden" || true)
  if [ -n "$bad" ]; then
    echo "pure crate $crate depends on: $(echo "$bad" | tr '\n' ' ')" >&2
    cargo tree -q -p "$crate" -e normal --all-features -i "$(echo "$bad" | head -n1)" >&2 || true
    status=1
  else
    echo "ok: $crate pulls no tokio/reqwest/sqlx ($(printf '%s\n' "$deps" | grep -c .) crates)"
  fi
done
# The clock, the environment and the file system, in the pure crates' own
# sources (tests and examples, which run on a developer's machine, may).
io_calls='(Utc|Local)::now|SystemTime::now|Instant::now|std::env::|env::var|env!\(|std::fs\b|fs::(read|write|File|create|remove|open)|File::(open|create)|std::net\b|std::process\b'
for crate in "${pure[@]}"; do
  dir=${crate#auravest-}
  hits=$(grep -rnE "$io_calls" "$dir/src" | grep -vE '^[^:]+:[0-9]+:\s*//' || true)
  if [ -n "$hits" ]; then
    echo "pure crate $crate reads the clock, environment or file system:" >&2
    echo "$hits" >&2
    status=1
  fi
  # chrono's clock, turned on by any normal dependency of the crate.
  if cargo tree -q -p "$crate" -e normal,features --prefix none --all-features \
    | grep -qE '^chrono feature "(now|clock)"'; then
    echo "pure crate $crate builds chrono with its clock (feature now/clock):" >&2
    cargo tree -q -p "$crate" -e normal,features --all-features -i chrono >&2 || true
    status=1
  fi
done
[ $status -eq 0 ] && echo "ok: no clock, environment or file-system access in ${pure[*]}"
exit $status
