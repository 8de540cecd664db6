#!/usr/bin/env bash
# Gemma 3 270M on the CPU: our model (auravest_ai::llm::gemma3, through
# llm_probe) against llama.cpp (npm node-llama-cpp 3.21.1, its prebuilt CPU
# build), on the same GGUF file, the same token ids and greedy decoding.
# Runs each side RUNS times (default 3) in fresh processes, alternating, and
# prints the medians of load, peak RSS, prefill and decode speed, and the two
# end-to-end cases (the 300-token answer prompt and the ~1,300-token
# retrieval-augmented one, 64 tokens each), with ours/llama.cpp ratios
# ("ours ahead" above 1 means ours is better) and how many leading greedy
# tokens the two engines agree on. Ours runs twice per round: the plain
# greedy loop, and the product path with prompt-lookup drafting (whose
# drafted/accepted counts are printed, and whose text must equal the plain
# loop's). A fourth side is ours with the opt-in options that are faster
# but not bit-identical to the default (`--fast`: the vectorised GELU and
# attention to the visible keys only).
#
#   bash benches/compare_llamacpp.sh
#   RUNS=5 THREADS=2 bash benches/compare_llamacpp.sh
#
# node-llama-cpp is installed from the npm registry into
# ${LLAMACPP_DIR:-$HOME/.cache/auravest-llamacpp} when missing; the weights
# come from scripts/fetch-models.sh. Figures mean something only on an idle
# machine: the load average is printed before and after.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
target=${CARGO_TARGET_DIR:-target}
runs=${RUNS:-3}
threads=${THREADS:-2}
peer=${LLAMACPP_DIR:-$HOME/.cache/auravest-llamacpp}

eval "$(bash scripts/fetch-models.sh | sed -n 's/^ *\(export .*\)/\1/p')"
model=${AURAVEST_GEMMA_GGUF:-${AURAVEST_MODELS_DIR:-$HOME/.cache/auravest/models}/gemma-3-270m/gemma-3-270m-q4_k_m.gguf}
[ -f "$model" ] || { echo "no GGUF at $model" >&2; exit 1; }
export AURAVEST_GEMMA_GGUF=$model

if [ ! -d "$peer/node_modules/node-llama-cpp" ]; then
  mkdir -p "$peer"
  [ -f "$peer/package.json" ] || echo '{"name":"auravest-llamacpp-peer","private":true}' >"$peer/package.json"
  (cd "$peer" && npm install --no-audit --no-fund --silent node-llama-cpp@3.21.1)
fi
cp benches/peer/llamacpp_probe.mjs "$peer/probe.mjs"

cargo build -q --release -p auravest-benches --bin llm_probe
probe=$target/release/llm_probe
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
"$probe" ids >"$out/ids.json"
echo "start: $(uptime)"
busy=$(pgrep -c -x rustc || true)
if [ "${busy:-0}" -gt 0 ]; then
  echo "warning: $busy rustc process(es) running; the figures will be low"
fi
for i in $(seq 1 "$runs"); do
  "$probe" ours >"$out/ours.$i.json"
  (cd "$peer" && node probe.mjs "$model" "$out/ids.json" --threads "$threads") >"$out/llama.$i.json"
  "$probe" lookup --draft-tokens 8 >"$out/lookup.$i.json"
  "$probe" ours --fast >"$out/fast.$i.json"
done
echo "end:   $(uptime)"
echo
echo "== ours, plain greedy decoding (the same loop as llm_probe's other sides)"
python3 "$root/benches/peer/llm_table.py" "$out" "$runs" ours llama "llama.cpp"
echo
echo "== ours with the opt-in fast options (fast_gelu, skip_masked_keys; not the same bits as the default)"
python3 "$root/benches/peer/llm_table.py" "$out" "$runs" fast llama "llama.cpp"
echo
echo "== ours through the product path (LocalGemma::generate_blocking) with prompt lookup, 8 draft tokens"
python3 "$root/benches/peer/llm_table.py" "$out" "$runs" lookup llama "llama.cpp"
python3 - "$out" <<'PY'
import json, sys
out = sys.argv[1]
a, b = json.load(open(f"{out}/ours.1.json")), json.load(open(f"{out}/lookup.1.json"))
for case in ("answer", "rag"):
    if a.get(case) and b.get(case):
        same = a[case]["text"] == b[case]["text"]
        print(f"prompt lookup's text equals plain greedy decoding's ({case}): {'yes' if same else 'NO'}")
PY
