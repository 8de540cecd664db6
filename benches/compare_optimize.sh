#!/usr/bin/env bash
# Times mean-variance optimisation, HRP and the estimators in AuraVest
# (criterion) and in PyPortfolioOpt 1.6 on identical inputs, in one run
# (peer, ours, peer), and prints each case's ratio of medians.
#
#   benches/compare_optimize.sh          # uses .venv-peer, created on first use
#   PEER_PYTHON=/path/to/python benches/compare_optimize.sh
set -euo pipefail
cd "$(dirname "$0")/.."
data=target/bench-data/optimize
py=${PEER_PYTHON:-}
if [ -z "$py" ]; then
  if [ ! -x .venv-peer/bin/python ] || ! .venv-peer/bin/python -c 'import pypfopt' 2>/dev/null; then
    python3 -m venv .venv-peer
    .venv-peer/bin/pip install -q 'pyportfolioopt==1.6.0' packaging 'empyrical-reloaded==0.7.1'
  fi
  py=.venv-peer/bin/python
fi
cargo build -q --release -p auravest-benches --bin gen_optimize_data
target/release/gen_optimize_data "$data" >/dev/null
peer1=$("$py" benches/peer/pypfopt_optimize.py "$data" 7)
cargo bench -q -p auravest-benches --bench optimize -- --noplot >/dev/null
peer2=$("$py" benches/peer/pypfopt_optimize.py "$data" 7)
python3 - "$peer1" "$peer2" <<'PY'
import glob, json, os, sys
p1, p2 = json.loads(sys.argv[1]), json.loads(sys.argv[2])
print(f"{'case':<22}{'auravest ms':>12}{'pypfopt clarabel ms':>21}{'ratio':>8}{'pypfopt default ms':>20}{'ratio':>8}")
for est in sorted(glob.glob("target/criterion/optimize/*/*/new/estimates.json")):
    parts = est.split(os.sep)
    case, n = parts[-4], parts[-3]
    ours = json.load(open(est))["median"]["point_estimate"] / 1e6
    def peer(solver):
        key = f"{case}/{n}/{solver}"
        entries = [p[key] for p in (p1, p2) if key in p]
        if not entries:
            return "n/a"
        vals = sorted(e["ms"] for e in entries if "ms" in e)
        return vals[len(vals) // 2] if vals else "failed"
    cl, de = peer("clarabel"), peer("default")
    cell = lambda v, w: (v if isinstance(v, str) else f"{v:.3f}").rjust(w)
    r = lambda v: ("-" if isinstance(v, str) else f"{v / ours:.1f}x").rjust(8)
    print(f"{case + '/' + n:<22}{ours:>12.3f}{cell(cl, 21)}{r(cl)}{cell(de, 20)}{r(de)}")
PY
