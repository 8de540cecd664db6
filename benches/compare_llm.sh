#!/usr/bin/env bash
# Gemma 3 270M on the CPU: our model (auravest_ai::llm::gemma3) against
# candle's quantized_gemma3 on the same GGUF file, tokens and greedy
# decoding. Builds llm_probe in release, runs each side RUNS times (default
# 3) in fresh processes, one at a time and alternating, and prints the
# medians: load time, peak RSS, prefill and decode speed on a 300-token
# prompt, the end-to-end 64-token answer, and the retrieval-augmented case
# (eight passages, about 1,300 tokens), each with ours/upstream and whether
# the issue's target is met.
#
#   benches/compare_llm.sh
#   RUNS=1 benches/compare_llm.sh
#   benches/compare_llm.sh --prompt-tokens 200 --decode 32   # passed to llm_probe
#
# Timings only mean something on an idle machine: candle's worker threads
# spin-wait, and a concurrent build slows decoding several times over. The
# load average is printed at the start and the end.
set -euo pipefail
cd "$(dirname "$0")/.."
target=${CARGO_TARGET_DIR:-target}
runs=${RUNS:-3}
cargo build -q --release -p auravest-benches --bin llm_probe
probe=$target/release/llm_probe
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
echo "start: $(uptime)"
busy=$(pgrep -c -x rustc || true)
if [ "${busy:-0}" -gt 0 ]; then
  echo "warning: $busy rustc process(es) running; the figures will be low"
fi
for i in $(seq 1 "$runs"); do
  for side in ours upstream; do
    "$probe" "$side" "$@" >"$out/$side.$i.json"
  done
done
echo "end:   $(uptime)"
python3 - "$out" "$runs" <<'PY'
import json, statistics, sys
out, runs = sys.argv[1], int(sys.argv[2])
data = {s: [json.load(open(f"{out}/{s}.{i}.json")) for i in range(1, runs + 1)]
        for s in ("ours", "upstream")}
def get(d, path):
    for k in path.split("."):
        d = d.get(k) if isinstance(d, dict) else None
    return d
def values(side, path):
    return [v for v in (get(d, path) for d in data[side]) if v is not None]
def med(side, path):
    v = values(side, path)
    return statistics.median(v) if v else None
a = data["ours"][0]
pt, dt = a["answer"]["prompt_tokens"], a["answer"]["decode_tokens"]
rt = a["rag"]["prompt_tokens"] if a.get("rag") else None
# label, path, unit format, target (op, bound) or None
rows = [
    ("load s (total)", "load_s", "{:.2f}", ("<=", 3.5)),
    ("  GGUF header s", "header_s", "{:.2f}", None),
    ("  tokenizer s", "tokenizer_s", "{:.2f}", None),
    ("  weights s", "weights_s", "{:.2f}", None),
    ("peak RSS MB", "rss_peak_mb", "{:.0f}", ("<=", 1500)),
    ("  RSS after load MB", "rss_load_mb", "{:.0f}", None),
    (f"prefill tok/s ({pt} tokens)", "answer.prefill_tok_s", "{:.1f}", (">=", 150)),
    (f"decode tok/s ({dt} tokens)", "answer.decode_tok_s", "{:.1f}", (">=", 45)),
    (f"e2e s ({pt}-token prompt, {dt} tokens)", "answer.total_s", "{:.2f}", ("<", 3.5)),
]
if rt is not None:
    rows += [
        (f"RAG s ({rt}-token prompt, {dt} tokens)", "rag.total_s", "{:.2f}", ("<", 13)),
        (f"  RAG prefill tok/s", "rag.prefill_tok_s", "{:.1f}", None),
        (f"  RAG decode tok/s", "rag.decode_tok_s", "{:.1f}", None),
    ]
def meets(v, t):
    if t is None or v is None:
        return ""
    op, bound = t
    ok = {"<=": v <= bound, "<": v < bound, ">=": v >= bound}[op]
    return "yes" if ok else "NO"
print(f"\nmedians of {runs} run(s) per side, fresh process each; "
      f"{a['threads']} threads; ratio = ours/upstream")
head = (f"{'':<40}{'ours':>9}{'(min-max)':>17}{'upstream':>10}{'ratio':>8}"
        f"{'target':>9}{'ours met':>10}{'upstr. met':>12}")
print(head)
print("-" * len(head))
for label, path, fmt, t in rows:
    o, u = med("ours", path), med("upstream", path)
    ov = values("ours", path)
    rng = f"({fmt.format(min(ov))}-{fmt.format(max(ov))})" if ov else ""
    ratio = f"{o / u:.2f}" if o is not None and u else "-"
    tgt = f"{t[0]}{t[1]:g}" if t else ""
    fo = fmt.format(o) if o is not None else "-"
    fu = fmt.format(u) if u is not None else "-"
    print(f"{label:<40}{fo:>9}{rng:>17}{fu:>10}{ratio:>8}{tgt:>9}{meets(o, t):>10}{meets(u, t):>12}")
print("\n(e2e and RAG: text in to text out, load excluded: tokenizing, prefill, "
      "greedy decoding of the full count, detokenizing)")
for side in ("ours", "upstream"):
    r = data[side][-1]
    print(f"{side} answer: {r['answer']['text'][:100]!r}")
    if r.get("rag"):
        print(f"{side} RAG:    {r['rag']['text'][:100]!r}")
PY
