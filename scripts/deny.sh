#!/usr/bin/env bash
# cargo deny over the workspace (deny.toml): licences, banned crates and
# duplicate-free sources. Advisories need the RustSec database from GitHub,
# which this project's machines cannot reach; when a copy exists at
# $AURAVEST_ADVISORY_DB (or ~/.cargo/advisory-db) it is checked too.
set -euo pipefail
cd "$(dirname "$0")/.."
checks=(bans licenses sources)
db=${AURAVEST_ADVISORY_DB:-$HOME/.cargo/advisory-db}
if [ -d "$db/crates" ]; then
  checks+=(advisories)
  export CARGO_DENY_ADVISORY_DB="$db"
else
  echo "deny: advisories not checked (no RustSec database at $db; it comes from GitHub, which is unreachable here)"
fi
cargo deny --locked check "${checks[@]}"
echo "deny: ${checks[*]} ok"
