#!/usr/bin/env bash
# The WebAssembly package, end to end: the toolchain (installed only when
# missing), the full and slim .wasm, wasm-bindgen for `web` and `nodejs` into
# one npm package folder (bindings/wasm/pkg), sizes against the budgets, the
# tests in Node and in headless Chromium, and the TypeScript consumer under
# `tsc --strict`.
#
#   bash bindings/wasm/scripts/ci.sh
#
# The compiler is Debian's rustc-web with its std source (rustup cannot add
# wasm32 here; ../../../shared/docs/BINDINGS.md): cargo runs from
# bindings/wasm, whose rust-toolchain.toml and .cargo/config.toml select it,
# with a target directory of its own (AURAVEST_WASM_TARGET) because it is a
# different compiler from the workspace's.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$here"

WASM_BINDGEN_VERSION=0.2.130
TYPESCRIPT_VERSION=5.9.3
# Brotli sizes the package may not exceed (bytes): the full SDK (352 KB
# when set) and the slim entry pages load for the questionnaire and the post
# composer (74 KB when set), each with about 15% to grow.
BUDGET_FULL=${AURAVEST_WASM_BUDGET_FULL:-400000}
BUDGET_SLIM=${AURAVEST_WASM_BUDGET_SLIM:-90000}

started=$(date +%s)
last=$started
timings=""
step() {
  local now
  now=$(date +%s)
  if [ -n "${current:-}" ]; then
    timings+=$(printf '%6ss  %s' "$((now - last))" "$current")$'\n'
  fi
  last=$now
  current="$*"
  printf '\n--> [wasm %s] %s\n' "$(date +%T)" "$*"
}

step "toolchain (Debian rustc-web + std source, lld, brotli; wasm-bindgen-cli)"
missing=()
for p in rustc-web cargo-web rust-web-src rust-web-llvm lld-22 brotli; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" || missing+=("$p")
done
if [ "${#missing[@]}" -gt 0 ]; then
  echo "installing from Debian: ${missing[*]}"
  sudo_cmd=""; [ "$(id -u)" -ne 0 ] && sudo_cmd="sudo"
  $sudo_cmd apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo_cmd apt-get install -y -qq "${missing[@]}" >/dev/null
fi
if [ "$(wasm-bindgen --version 2>/dev/null)" != "wasm-bindgen $WASM_BINDGEN_VERSION" ]; then
  echo "installing wasm-bindgen-cli $WASM_BINDGEN_VERSION from crates.io"
  # Not --locked: its lock file wants a webpki-roots the registry here lacks.
  env -u RUSTC_WORKSPACE_WRAPPER -u CLIPPY_ARGS -u CARGO_TARGET_DIR \
    cargo install wasm-bindgen-cli --version "$WASM_BINDGEN_VERSION"
fi
# rustup's environment (a CI wrapper, its toolchain variable, a host target
# dir) must not leak into Debian's cargo.
unset RUSTC_WORKSPACE_WRAPPER CLIPPY_ARGS RUSTUP_TOOLCHAIN RUSTFLAGS
export CARGO_TARGET_DIR="${AURAVEST_WASM_TARGET:-$HOME/.cache/auravest-wasm-target}"
cargo --version
wasm-bindgen --version

out="$CARGO_TARGET_DIR/wasm32-unknown-unknown/wasm/auravest_wasm.wasm"
pkg="$here/pkg"
raw="$CARGO_TARGET_DIR/auravest-raw"
rm -rf "$pkg"
mkdir -p "$pkg/node" "$pkg/web" "$raw"

step "build: the full and slim .wasm (profile wasm: opt-level z, fat LTO)"
cargo build --locked --profile wasm
cp "$out" "$raw/auravest.wasm"
cargo build --locked --profile wasm --no-default-features
cp "$out" "$raw/slim.wasm"

# No wasm-opt: Debian's binaryen (108) predates the externref table
# wasm-bindgen emits, and the module it writes fails to instantiate in Node
# 20; it also made the brotli size larger here (376 KB against 352 KB).
step "wasm-bindgen: web and nodejs, one package folder"
for name in auravest slim; do
  for target in web nodejs; do
    dir=$target; [ "$target" = nodejs ] && dir=node
    wasm-bindgen --target "$target" --remove-name-section --remove-producers-section \
      --out-dir "$pkg/$dir" --out-name "$name" "$raw/$name.wasm"
  done
done
# The declarations of the raw wasm exports (the web entry's InitOutput and
# the *_bg.wasm.d.ts files) type values passed by reference as `any`; they
# are opaque handles, so they are declared `unknown`.
sed -i -E '/^ *(readonly|export const) [A-Za-z_0-9]+: \(/s/\bany\b/unknown/g' \
  "$pkg"/web/*.d.ts "$pkg"/node/*_bg.wasm.d.ts
version=$(sed -n 's/^version = "\(.*\)"/\1/p' ../../Cargo.toml | head -n1)
# The web folder's version is what the reference server checks before
# serving it (a package from another release is not served).
echo "{ \"type\": \"module\", \"version\": \"$version\" }" >"$pkg/web/package.json"
echo '{ "type": "commonjs" }' >"$pkg/node/package.json"
sed "s/\"version\": \"[^\"]*\"/\"version\": \"$version\"/" npm/package.json >"$pkg/package.json"
cp npm/README.md "$pkg/README.md"

step "compressed copies for the server, and sizes (bytes) against the brotli budgets"
# The reference server sends these copies to browsers that accept them.
for f in "$pkg"/web/auravest.js "$pkg"/web/slim.js "$pkg"/web/*_bg.wasm; do
  gzip -9 -n -c "$f" >"$f.gz"
  brotli -q 11 -f -o "$f.br" "$f"
done
over=0
printf '%-12s %10s %10s %10s %10s\n' wasm raw gzip brotli budget
for name in auravest slim; do
  f="$pkg/web/${name}_bg.wasm"
  raw_size=$(stat -c %s "$f")
  gzip_size=$(stat -c %s "$f.gz")
  brotli_size=$(stat -c %s "$f.br")
  budget=$BUDGET_FULL; [ "$name" = slim ] && budget=$BUDGET_SLIM
  printf '%-12s %10s %10s %10s %10s\n' "$name" "$raw_size" "$gzip_size" "$brotli_size" "$budget"
  if [ "$brotli_size" -gt "$budget" ]; then
    echo "$name.wasm is $brotli_size bytes brotli-compressed, over its budget of $budget" >&2
    over=1
  fi
done
[ "$over" -eq 0 ] || exit 1

step "npm pack: the package ships both builds and no compressed copies"
(cd "$pkg" && npm pack --dry-run --json 2>/dev/null) | node -e '
  const [p] = JSON.parse(require("fs").readFileSync(0, "utf8"));
  const paths = p.files.map((f) => f.path);
  const bad = paths.filter((f) => /\.(br|gz)$/.test(f));
  const missing = ["web/auravest_bg.wasm", "node/auravest_bg.wasm", "web/slim_bg.wasm", "package.json"]
    .filter((f) => !paths.includes(f));
  console.log(`${p.name}@${p.version}: ${paths.length} files, ${p.size} bytes packed`);
  if (bad.length || missing.length) {
    console.error(`compressed copies in the package: ${bad}; missing: ${missing}`);
    process.exit(1);
  }'

step "Node: node --test over the nodejs build"
node --test tests/node.test.mjs

step "Chromium: the same checks against the web build (playwright-core)"
# The reference server's browser-test setup: Debian's Chromium and the
# playwright-core pinned in reference-server/web, installed when missing.
if [ ! -x "${CHROMIUM:-/usr/bin/chromium}" ]; then
  echo "installing Chromium from Debian"
  sudo_cmd=""; [ "$(id -u)" -ne 0 ] && sudo_cmd="sudo"
  $sudo_cmd apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo_cmd apt-get install -y -qq chromium >/dev/null
fi
if [ ! -d ../../reference-server/web/node_modules/playwright-core ]; then
  (cd ../../reference-server/web && npm ci --no-audit --no-fund)
fi
node --test tests/browser.test.mjs

step "TypeScript: the consumer under tsc --noEmit --strict (typescript $TYPESCRIPT_VERSION)"
npm_cache="$HOME/.cache/auravest-npm"
tsc="$npm_cache/node_modules/.bin/tsc"
if [ "$("$tsc" --version 2>/dev/null)" != "Version $TYPESCRIPT_VERSION" ]; then
  echo "installing typescript $TYPESCRIPT_VERSION into $npm_cache"
  mkdir -p "$npm_cache"
  npm install --prefix "$npm_cache" --no-audit --no-fund --no-save "typescript@$TYPESCRIPT_VERSION" >/dev/null
fi
# The consumer imports the package by name, through its exports map.
mkdir -p tests/node_modules/@auravest
ln -sfn "$pkg" tests/node_modules/@auravest/wasm
"$tsc" --version
"$tsc" -p tests/tsconfig.json
echo "tsc: the consumer type-checks under --strict"

step "done"
echo "time per wasm step:"
printf '%s' "$timings"
echo "wasm: $(( $(date +%s) - started )) s"
