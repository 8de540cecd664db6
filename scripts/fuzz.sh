#!/usr/bin/env bash
# The fuzz targets in fuzz/ (cargo fuzz, libFuzzer, nightly toolchain).
#
#   bash scripts/fuzz.sh ci             # each target for FUZZ_SECONDS (5) on a copy of its corpus
#   bash scripts/fuzz.sh long 600       # each target for 600 s, growing a corpus under
#                                       # ~/.cache/auravest-fuzz-corpus/<target> seeded
#                                       # from fuzz/corpus/<target> (which stays as committed)
#   bash scripts/fuzz.sh long 600 NAME  # one target
#
# Builds once into a target folder under the home folder (kept between runs)
# with no sanitizer: the targets are safe Rust, and what they hunt is panics,
# overflows (debug assertions are on) and broken invariants. A crash leaves
# its input under fuzz/artifacts/<target>/; each one found so far is kept in
# fuzz/regressions/<target>/ (replayed by every run) and as a regression
# test in the crate it belongs to.
set -euo pipefail
cd "$(dirname "$0")/.."
mode=${1:-ci}
target_dir=${AURAVEST_FUZZ_TARGET_DIR:-$HOME/.cache/auravest-fuzz-target}
flags=(--sanitizer none --target-dir "$target_dir")
targets=$(cargo +nightly fuzz list)
if [ -n "${3:-}" ]; then targets=$3; fi
cargo +nightly fuzz build "${flags[@]}"
for t in $targets; do
  mkdir -p "fuzz/corpus/$t"
  case "$mode" in
    ci)
      work=$(mktemp -d)
      cp -r "fuzz/corpus/$t/." "$work/"
      # Every input that ever crashed a target is replayed first.
      if [ -d "fuzz/regressions/$t" ]; then cp -r "fuzz/regressions/$t/." "$work/"; fi
      seconds=${FUZZ_SECONDS:-5}
      log=$(cargo +nightly fuzz run "${flags[@]}" "$t" "$work" -- \
        -max_total_time="$seconds" -rss_limit_mb=2048 -print_final_stats=1 2>&1) || {
        echo "$log" | tail -40
        echo "fuzz: $t FAILED" >&2
        rm -rf "$work"
        exit 1
      }
      rm -rf "$work"
      runs=$(echo "$log" | sed -n 's/^stat::number_of_executed_units: *//p' | tail -n1)
      cov=$(echo "$log" | sed -n 's/.* cov: \([0-9]*\) ft: \([0-9]*\).*/\1/p' | tail -n1)
      echo "fuzz: $t ${runs:-?} runs in ${seconds}s, coverage ${cov:-?} ok"
      ;;
    long)
      seconds=${2:-600}
      grown=${AURAVEST_FUZZ_CORPUS:-$HOME/.cache/auravest-fuzz-corpus}/$t
      mkdir -p "$grown"
      # New inputs go to the first folder; the committed seeds and the
      # regressions are read only.
      seeds=("fuzz/corpus/$t")
      if [ -d "fuzz/regressions/$t" ]; then seeds+=("fuzz/regressions/$t"); fi
      log=$(cargo +nightly fuzz run "${flags[@]}" "$t" "$grown" "${seeds[@]}" -- \
        -max_total_time="$seconds" -rss_limit_mb=2048 -print_final_stats=1 2>&1) || {
        echo "$log" | tail -60
        echo "fuzz: $t FAILED" >&2
        exit 1
      }
      runs=$(echo "$log" | sed -n 's/^stat::number_of_executed_units: *//p' | tail -n1)
      cov=$(echo "$log" | sed -n 's/.* cov: \([0-9]*\) ft: \([0-9]*\).*/\1 \2/p' | tail -n1)
      echo "fuzz: $t ${runs:-?} runs in ${seconds}s, coverage (cov ft) ${cov:-?} ok"
      ;;
    *)
      echo "usage: scripts/fuzz.sh ci | long SECONDS [TARGET]" >&2
      exit 2
      ;;
  esac
done
