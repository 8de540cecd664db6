#!/usr/bin/env bash
# Times vector search over 10,000 seeded random 384-d unit vectors in
# AuraVest (usearch HNSW at M=16 and M=32, usearch exact scan,
# BruteForceIndex) and in faiss-cpu (IndexHNSWFlat at M=16 and M=32 with
# efConstruction/efSearch matched to ours, IndexFlatIP) on the same vectors,
# in one run (peer, ours, peer), and prints ours/peer ratios of build time
# and of per-query p50/p99 latency (below 1 means AuraVest is faster),
# with each side's recall@10.
#
#   benches/compare_ai_index.sh          # uses /root/faiss-venv, created on first use
#   PEER_PYTHON=/path/to/python benches/compare_ai_index.sh
#   PEER_THREADS=2 benches/compare_ai_index.sh   # faiss on 2 OpenMP threads (default 1, like ours)
#   BUILDS=1 benches/compare_ai_index.sh         # builds per index and side (default 3)
set -euo pipefail
cd "$(dirname "$0")/.."
data=${CARGO_TARGET_DIR:-target}/bench-data/ai_index
builds=${BUILDS:-3}
py=${PEER_PYTHON:-}
if [ -z "$py" ]; then
  venv=/root/faiss-venv
  if [ ! -x "$venv/bin/python" ] || ! "$venv/bin/python" -c 'import faiss, numpy' 2>/dev/null; then
    python3 -m venv "$venv"
    PIP_ROOT_USER_ACTION=ignore "$venv/bin/pip" install -q 'faiss-cpu==1.15.1' numpy
  fi
  py=$venv/bin/python
fi
ours() { cargo run -q --release -p auravest-benches --bin ai_index_data -- "$@"; }
ours write "$data" >/dev/null
peer1=$("$py" benches/peer/faiss_index.py "$data" "$builds")
mine=$(ours time "$data" "$builds")
peer2=$("$py" benches/peer/faiss_index.py "$data" "$builds")
python3 - "$mine" "$peer1" "$peer2" <<'PY'
import json, sys
mine, p1, p2 = (json.loads(a) for a in sys.argv[1:4])
def peer(case, key):
    return sorted([p1[case][key], p2[case][key]])[0]  # the better of the two peer runs
print(f"10,000 x 384-d random unit vectors, top-10, one query per call; "
      f"ef_add {mine['expansion_add']}, ef_search {mine['expansion_search']} on both sides; "
      f"{p1['peer']} on {p1['threads']} thread(s); AuraVest single-threaded")
head = f"{'ours vs peer':<30}{'build s':>16}{'ratio':>7}{'p50 ms':>18}{'ratio':>7}{'p99 ms':>18}{'ratio':>7}{'recall@10':>13}"
print(head)
pairs = [("hnsw_m16", "hnsw_m16"), ("hnsw_m32", "hnsw_m32"), ("exact", "flat_ip"), ("brute_force", "flat_ip")]
for ours_case, peer_case in pairs:
    o = mine[ours_case]
    cells = []
    for key in ("build_s", "p50_ms", "p99_ms"):
        p = peer(peer_case, key)
        cells.append(f"{o[key]:>8.3f}/{p:<7.3f}{o[key] / p:>7.2f}" if p > 0 else f"{o[key]:>8.3f}/{p:<7.3f}{'-':>7}")
    rec = f"{o['recall']:.3f}/{min(p1[peer_case]['recall'], p2[peer_case]['recall']):.3f}"
    label = f"{ours_case} vs {peer_case}"
    print(f"{label:<30}{cells[0]:>23}{cells[1]:>25}{cells[2]:>25}{rec:>13}")
print("(exact: its build time includes usearch's HNSW graph, which exact search does not use)")
PY
