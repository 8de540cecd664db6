#!/usr/bin/env bash
# The API against its own OpenAPI document: schemathesis (from PyPI, pinned,
# in a virtualenv under ~/.cache) generates requests for every operation,
# signed in as the demo user, and fails on any 5xx answer and on any answer
# that breaks the document (status, content type, body schema). The example
# count is bounded so the run takes a few minutes.
#
#   AURAVEST_SERVER_BIN=target/debug/auravest-server bash scripts/schemathesis.sh
#
# Deleting the account (`DELETE /me`) would sign the run out, so it runs last,
# on an account of its own. `GET /live` is a stream that stays open for as
# long as the client listens, which a request-and-response checker cannot
# wait out; the integration tests cover it (reference-server/tests/it/live.rs).
set -euo pipefail
cd "$(dirname "$0")/.."

version=4.32.5
venv=${AURAVEST_SCHEMATHESIS_VENV:-$HOME/.cache/auravest-venv/schemathesis}
if ! "$venv/bin/schemathesis" --version 2>/dev/null | grep -q "$version"; then
  echo "installing schemathesis $version into $venv"
  python3 -m venv "$venv"
  "$venv/bin/pip" install --quiet --disable-pip-version-check "schemathesis==$version"
fi
st="$venv/bin/schemathesis"

bin=${AURAVEST_SERVER_BIN:-target/debug/auravest-server}
if [ ! -x "$bin" ]; then
  cargo build -p auravest-reference-server --bin auravest-server
  bin=${CARGO_TARGET_DIR:-target}/debug/auravest-server
fi
examples=${AURAVEST_SCHEMATHESIS_EXAMPLES:-25}

work=$(mktemp -d)
server_pid=""
cleanup() {
  if [ -n "$server_pid" ]; then kill "$server_pid" 2>/dev/null || true; wait "$server_pid" 2>/dev/null || true; fi
  rm -rf "$work"
}
trap cleanup EXIT

# The server on its own SQLite file, offline (the shipped sample prices), the
# assistant on the hashing embedder, limits high enough for the generator.
env -u DATABASE_URL -u REDIS_URL \
  AURAVEST_DATA_DIR="$work/data" AURAVEST_ADDR=127.0.0.1:0 \
  AURAVEST_MARKET_SOURCES=sample AURAVEST_REFRESHER=false \
  AURAVEST_AI=true AURAVEST_AI_EMBEDDER=hash AURAVEST_AI_DAILY_LIMIT=100000 \
  AURAVEST_RATE_LIMIT_IP_PER_MINUTE=1000000 AURAVEST_RATE_LIMIT_USER_PER_MINUTE=1000000 \
  AURAVEST_RATE_LIMIT_AUTH_PER_MINUTE=1000000 AURAVEST_RATE_LIMIT_REFRESH_PER_MINUTE=1000000 \
  AURAVEST_LOGIN_MAX_FAILURES=1000000 AURAVEST_LOG=warn \
  "$bin" --demo >"$work/stdout" 2>"$work/stderr" &
server_pid=$!
for _ in $(seq 100); do
  grep -q '^demo login:' "$work/stdout" 2>/dev/null && break
  kill -0 "$server_pid" 2>/dev/null || { cat "$work/stderr" >&2; exit 1; }
  sleep 0.2
done
addr=$(sed -n 's#^listening on http://##p' "$work/stdout")
login=$(sed -n 's#^demo login: ##p' "$work/stdout")
email=${login% / *}
password=${login#* / }
base="http://$addr"
echo "server at $base"

token() {
  curl -sf -X POST "$base/api/v1/auth/login" -H 'content-type: application/json' \
    -d "{\"email\":\"$1\",\"password\":\"$2\"}" | python3 -c 'import json,sys; print(json.load(sys.stdin)["access_token"])'
}

run() {
  local phases=$1
  shift
  "$st" run "$base/api/v1/openapi.json" \
    --checks not_a_server_error,status_code_conformance,content_type_conformance,response_schema_conformance \
    --max-examples "$examples" --workers 1 --phases "$phases" \
    --suppress-health-check all --no-color --seed 20261206 "$@"
}

access=$(token "$email" "$password")
# Every other operation, and sequences of them along the document's links
# (create a portfolio, then add to it, value it, ...).
run examples,coverage,fuzzing,stateful --header "Authorization: Bearer $access" \
  --exclude-operation-id delete_me --exclude-operation-id live 2>&1 | tee "$work/main.log"

# Deleting an account, on an account of its own.
other="schemathesis-$RANDOM@example.org"
curl -sf -X POST "$base/api/v1/auth/register" -H 'content-type: application/json' \
  -d "{\"email\":\"$other\",\"password\":\"$password\",\"accepted_terms_version\":\"$(curl -sf "$base/api/v1/legal" | python3 -c 'import json,sys; print(json.load(sys.stdin)["terms_version"])')\"}" >/dev/null
access=$(token "$other" "$password")
run examples,coverage,fuzzing --header "Authorization: Bearer $access" \
  --include-operation-id delete_me 2>&1 | tee "$work/delete.log"

operations=$(sed -n 's/^ *Tested: \([0-9]*\).*/\1/p' "$work/main.log" "$work/delete.log" | awk '{n += $1} END {print n + 0}')
cases=$(grep -ohE '[0-9]+ generated, [0-9]+ passed' "$work/main.log" "$work/delete.log" | awk '{n += $3} END {print n + 0}')
echo "schemathesis: $operations operations passed ($cases test cases)"
