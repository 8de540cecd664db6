#!/usr/bin/env bash
# The pure crates (no I/O) must not pull tokio, reqwest or sqlx, directly or
# through any normal dependency. Fails listing each offending crate and path.
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
exit $status
