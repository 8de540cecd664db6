"""Medians and ratios of two LLM probes' JSON lines (benches/compare_llamacpp.sh).

    python3 llm_table.py DIR RUNS A B [B_LABEL]

reads DIR/A.{1..RUNS}.json and DIR/B.{1..RUNS}.json.
"""
import json
import statistics
import sys

out, runs, a_name, b_name = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4]
b_label = sys.argv[5] if len(sys.argv) > 5 else b_name
data = {s: [json.load(open(f"{out}/{s}.{i}.json")) for i in range(1, runs + 1)]
        for s in (a_name, b_name)}


def get(d, path):
    for k in path.split("."):
        d = d.get(k) if isinstance(d, dict) else None
    return d


def values(side, path):
    return [v for v in (get(d, path) for d in data[side]) if v is not None]


def med(side, path):
    v = values(side, path)
    return statistics.median(v) if v else None


a0 = data[a_name][0]
pt, dt = a0["answer"]["prompt_tokens"], a0["answer"]["decode_tokens"]
rt = a0["rag"]["prompt_tokens"] if a0.get("rag") else None
# label, path, format, higher is better
rows = [
    ("load s", "load_s", "{:.2f}", False),
    ("peak RSS MB", "rss_peak_mb", "{:.0f}", False),
    (f"prefill tok/s ({pt} tokens)", "answer.prefill_tok_s", "{:.1f}", True),
    (f"decode tok/s ({dt} tokens)", "answer.decode_tok_s", "{:.1f}", True),
    (f"e2e s ({pt}-token prompt + {dt} tokens)", "answer.total_s", "{:.2f}", False),
]
if rt is not None:
    rows += [
        (f"RAG e2e s ({rt}-token prompt + {dt} tokens)", "rag.total_s", "{:.2f}", False),
        ("  RAG prefill tok/s", "rag.prefill_tok_s", "{:.1f}", True),
        ("  RAG decode tok/s", "rag.decode_tok_s", "{:.1f}", True),
    ]
print(f"\nmedians of {runs} run(s) per side, fresh process each; "
      f"{a0.get('threads')} threads; 'ours ahead' = speed ratio ours/{b_label} "
      f"(for times and memory {b_label}/ours), above 1 means ours is better")
print(f"{'':<44}{'ours':>9}{'(min-max)':>17}{b_label:>11}{'ours ahead':>12}")
for label, path, fmt, higher in rows:
    a, b = med(a_name, path), med(b_name, path)
    av = values(a_name, path)
    span = f"({fmt.format(min(av))}-{fmt.format(max(av))})" if av else ""
    ratio = ""
    if a and b:
        ratio = f"{(a / b if higher else b / a):.2f}x"
    fa = fmt.format(a) if a is not None else "-"
    fb = fmt.format(b) if b is not None else "-"
    print(f"{label:<44}{fa:>9}{span:>17}{fb:>11}{ratio:>12}")


def agree(x, y):
    n = 0
    for p, q in zip(x, y):
        if p != q:
            break
        n += 1
    return n


for case in ("answer", "rag"):
    x = get(data[a_name][0], f"{case}.ids")
    y = get(data[b_name][0], f"{case}.ids")
    if x and y:
        print(f"greedy tokens agreeing from the start ({case}): {agree(x, y)} of {len(x)}")


for case in ("answer", "rag"):
    d = [get(r, f"{case}.drafted") for r in data[a_name]]
    acc = [get(r, f"{case}.accepted") for r in data[a_name]]
    if d and d[0] is not None:
        print(f"prompt lookup ({case}): {acc[0]} of {d[0]} drafted tokens confirmed "
              f"({(acc[0] / d[0] if d[0] else 0):.0%}); "
              f"{acc[0]} of {get(data[a_name][0], case + '.decode_tokens')} tokens came from drafts")
