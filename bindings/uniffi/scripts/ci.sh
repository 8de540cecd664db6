#!/usr/bin/env bash
# The Kotlin and Swift bindings, end to end:
#   1. tools, installed only when missing: kotlinc 2.4.20 (the npm package
#      `kotlin-compiler`, under ~/.cache/auravest-kotlin), JNA and
#      kotlinx-coroutines (Debian's libjna-java, libkotlinx-coroutines-java);
#   2. take the library and the in-repo uniffi-bindgen from the workspace's
#      test build (the command nextest runs: dev profile, the same features,
#      the workspace's target folder; nothing is compiled twice);
#   3. generate the Kotlin and Swift sources from the built library;
#   4. Swift: check the generated files for completeness and against the
#      committed snapshot (bindings/uniffi/swift/generated), since no Swift
#      compiler exists on this machine;
#   5. package the JVM jar (classes plus the native library where JNA looks
#      for it), the classes-only Android jar and the Android layout
#      (android/: jniLibs/<abi>/ and its README with the cargo-ndk recipe);
#   6. compile the README's Kotlin quickstart against that jar (so the
#      README cannot drift), then the Kotlin test program, and run it on the
#      JVM.
#
#   bash bindings/uniffi/scripts/ci.sh                   # check
#   bash bindings/uniffi/scripts/ci.sh --update-swift    # rewrite the Swift snapshot
#
# AURAVEST_UNIFFI_OUT keeps the outputs (dist/, generated/) in that folder.
set -euo pipefail
cd "$(dirname "$0")/../../.."
root=$PWD
shared=${AURAVEST_SHARED:-$root/../shared}
kotlin_home=$HOME/.cache/auravest-kotlin
kotlinc=$kotlin_home/node_modules/kotlin-compiler/bin/kotlinc
started=$(date +%s)

# 1. Tools.
if ! "$kotlinc" -version 2>&1 | grep -q "2.4.20"; then
  echo "uniffi: kotlinc 2.4.20 is missing: installing it from npm"
  mkdir -p "$kotlin_home"
  (cd "$kotlin_home" && npm install --no-audit --no-fund --silent kotlin-compiler@2.4.20)
fi
jna=/usr/share/java/jna.jar
coroutines=/usr/share/java/kotlinx-coroutines-core.jar
atomicfu=/usr/share/java/atomicfu.jar
packages=(libjna-java libkotlinx-coroutines-java libkotlinx-atomicfu-java)
if [ ! -f "$jna" ] || [ ! -f "$coroutines" ] || [ ! -f "$atomicfu" ]; then
  echo "uniffi: JNA or kotlinx-coroutines is missing: installing them from Debian"
  sudo_cmd=""; [ "$(id -u)" -ne 0 ] && sudo_cmd="sudo"
  DEBIAN_FRONTEND=noninteractive $sudo_cmd apt-get install -y "${packages[@]}" >/dev/null 2>&1 \
    || { $sudo_cmd apt-get update >/dev/null 2>&1 \
         && DEBIAN_FRONTEND=noninteractive $sudo_cmd apt-get install -y "${packages[@]}" >/dev/null; }
fi
# The run-time classpath of the generated code: JNA, and kotlinx-coroutines
# 1.0.1 (Debian's; it needs atomicfu at run time).
runtime_cp=$jna:$coroutines:$atomicfu
java -version 2>&1 | head -n1

# 2. The library and the generator, from the workspace's test build: the
# same command nextest runs (in scripts/test-all.sh this is a no-op), so the
# library is compiled once, with the features and profile the tests use;
# its integration tests and uniffi-bindgen's make that build produce both.
step=$(date +%s)
artifacts=$(mktemp)
cargo test --no-run --message-format json-render-diagnostics --workspace --locked >"$artifacts"
read -r lib bindgen < <(python3 - "$artifacts" <<'PY'
import json, sys
lib = bindgen = None
for line in open(sys.argv[1]):
    m = json.loads(line)
    if m.get("reason") != "compiler-artifact" or m["profile"]["test"]:
        continue
    t = m["target"]
    if t["name"] == "auravest_ffi" and "cdylib" in t["crate_types"]:
        lib = next(f for f in m["filenames"] if f.endswith(".so"))
    if t["name"] == "uniffi-bindgen" and "bin" in t["kind"]:
        bindgen = m["executable"]
if not (lib and bindgen):
    sys.exit("the test build produced no auravest_ffi library or uniffi-bindgen")
print(lib, bindgen)
PY
)
rm -f "$artifacts"
echo "uniffi: library and bindgen from the test build in $(( $(date +%s) - step )) s ($(du -h "$lib" | cut -f1) unstripped, dev profile)"

out=${AURAVEST_UNIFFI_OUT:-$(mktemp -d)}
[ -z "${AURAVEST_UNIFFI_OUT:-}" ] && trap 'rm -rf "$out"' EXIT
rm -rf "$out/generated" "$out/dist" "$out/test" "$out/compat" "$out/readme"
mkdir -p "$out/generated" "$out/dist" "$out/test" "$out/compat"

# 3. Generate.
"$bindgen" generate --library "$lib" --language kotlin --no-format --config bindings/uniffi/uniffi.toml --out-dir "$out/generated/kotlin"
"$bindgen" generate --library "$lib" --language swift --no-format --config bindings/uniffi/uniffi.toml --out-dir "$out/generated/swift"

# 4. Swift: completeness and drift.
snapshot=$root/bindings/uniffi/swift/generated
update=""
[ "${1:-}" = "--update-swift" ] && update="--update"
python3 "$root/bindings/uniffi/scripts/check_swift.py" "$out/generated/swift" "$lib" "$snapshot" $update

# 5. Package: the JVM jar with the library inside (JNA loads it from
# linux-x86-64/ on the classpath); for Android the same classes without any
# library (auravest-android.jar: the app ships one library per ABI under
# jniLibs/<abi>/, built with the NDK as android/README.md says; this host's
# library is not an Android one, so none is put there).
step=$(date +%s)
mkdir -p "$out/dist/classes/linux-x86-64" "$out/dist/android/kotlin"
for abi in arm64-v8a armeabi-v7a x86_64; do mkdir -p "$out/dist/android/jniLibs/$abi"; done
cp "$root/bindings/uniffi/android/README.md" "$out/dist/android/README.md"
cp -r "$out/generated/kotlin/." "$out/dist/android/kotlin/"
# The generated code imports kotlinx-coroutines' DelicateCoroutinesApi (new in
# 1.5; never used): a compile-only stand-in supplies it (tests/kotlin/compat).
"$kotlinc" "$root/bindings/uniffi/tests/kotlin/compat/DelicateCoroutinesApi.kt" -cp "$coroutines" \
  -d "$out/compat" 2>&1 | { grep -v '^warning:' || true; }
"$kotlinc" $(find "$out/generated/kotlin" -name '*.kt') -cp "$runtime_cp:$out/compat" -d "$out/dist/classes" 2>&1 \
  | { grep -v '^warning:' || true; }
jar --create --file "$out/dist/auravest-android.jar" -C "$out/dist/classes" .
cp "$lib" "$out/dist/classes/linux-x86-64/libauravest_ffi.so"
jar --create --file "$out/dist/auravest.jar" -C "$out/dist/classes" .
if jar --list --file "$out/dist/auravest-android.jar" | grep -q '\.so$'; then
  echo "uniffi: auravest-android.jar holds a native library" >&2
  exit 1
fi
jar --list --file "$out/dist/auravest.jar" | grep -qx 'linux-x86-64/libauravest_ffi.so' \
  || { echo "uniffi: auravest.jar lacks linux-x86-64/libauravest_ffi.so" >&2; exit 1; }
echo "uniffi: auravest.jar ($(du -h "$out/dist/auravest.jar" | cut -f1)), auravest-android.jar ($(du -h "$out/dist/auravest-android.jar" | cut -f1), classes only) and android/ in $(( $(date +%s) - step )) s"

# The README's Kotlin quickstart (its first kotlin block), compiled against
# the jar: a quickstart that no longer compiles fails the run.
step=$(date +%s)
mkdir -p "$out/readme"
awk '/^```kotlin$/ { inside = 1; next } inside && /^```$/ { exit } inside { print }' \
  "$root/bindings/uniffi/README.md" >"$out/readme/Quickstart.kt"
[ -s "$out/readme/Quickstart.kt" ] || { echo "uniffi: no kotlin block in bindings/uniffi/README.md" >&2; exit 1; }
"$kotlinc" "$out/readme/Quickstart.kt" -cp "$out/dist/auravest.jar:$runtime_cp" -d "$out/readme/classes" 2>&1 \
  | { grep -v '^warning:' || true; }
[ -n "$(find "$out/readme/classes" -name 'QuickstartKt*.class' 2>/dev/null)" ] \
  || { echo "uniffi: the README's Kotlin quickstart does not compile" >&2; exit 1; }
echo "uniffi: the README's Kotlin quickstart compiles ($(( $(date +%s) - step )) s)"

# 6. The Kotlin test program, against the packaged jar (no library path:
# JNA finds the library inside the jar).
step=$(date +%s)
"$kotlinc" "$root"/bindings/uniffi/tests/kotlin/*.kt -cp "$out/dist/auravest.jar:$runtime_cp" \
  -include-runtime -d "$out/test/test.jar" 2>&1 | { grep -v '^warning:' || true; }
echo "uniffi: test program compiled in $(( $(date +%s) - step )) s"
# A fixed, pre-touched heap: the leak check measures native memory. A hang
# (a suspend call that never returns) fails the run after 15 minutes
# instead of holding CI to its limit.
timeout 900 java -Xms256m -Xmx256m -XX:+AlwaysPreTouch -cp "$out/test/test.jar:$out/dist/auravest.jar:$runtime_cp" \
  AuraVestTestKt "$root" "$shared"
echo "uniffi: done in $(( $(date +%s) - started )) s"
