#!/usr/bin/env bash
# Times mean-variance optimisation, HRP and the estimators in AuraVest
# (criterion) and in PyPortfolioOpt 1.6 on identical inputs, in one run
# (peer, ours, peer), and prints each case's ratio of medians.
#
#   benches/compare_optimize.sh          # uses .venv-peer, created on first use
#   PEER_PYTHON=/path/to/python benches/compare_optimize.sh
#   benches/compare_optimize.sh efficient_risk   # one case only
#
# Build output goes to $CARGO_TARGET_DIR when it is set (else target/).
# The peer's BLAS runs on one thread, as ours does: on a busy machine a
# threaded OpenBLAS can spend 10x longer in one small SVD than the whole
# solve takes (set PEER_BLAS_THREADS to change it).
set -euo pipefail
export OPENBLAS_NUM_THREADS=${PEER_BLAS_THREADS:-1} OMP_NUM_THREADS=${PEER_BLAS_THREADS:-1} MKL_NUM_THREADS=${PEER_BLAS_THREADS:-1}
cd "$(dirname "$0")/.."
case_filter=${1:-}
target_dir=${CARGO_TARGET_DIR:-target}
data=$target_dir/bench-data/optimize
py=${PEER_PYTHON:-}
if [ -z "$py" ]; then
  if [ ! -x .venv-peer/bin/python ] || ! .venv-peer/bin/python -c 'import pypfopt' 2>/dev/null; then
    python3 -m venv .venv-peer
    .venv-peer/bin/pip install -q 'pyportfolioopt==1.6.0' packaging 'empyrical-reloaded==0.7.1'
  fi
  py=.venv-peer/bin/python
fi
cargo build -q --release -p auravest-benches --bin gen_optimize_data
"$target_dir"/release/gen_optimize_data "$data" >/dev/null
peer1=$("$py" benches/peer/pypfopt_optimize.py "$data" 7 $case_filter)
cargo bench -q -p auravest-benches --bench optimize -- --noplot ${case_filter:+"optimize/$case_filter/"} >/dev/null
peer2=$("$py" benches/peer/pypfopt_optimize.py "$data" 7 $case_filter)
python3 - "$peer1" "$peer2" "$target_dir" "${case_filter:-*}" <<'PY'
import glob, json, os, sys
p1, p2 = json.loads(sys.argv[1]), json.loads(sys.argv[2])
target_dir, case_glob = sys.argv[3], sys.argv[4]
print(f"{'case':<22}{'auravest ms':>12}{'pypfopt clarabel ms':>21}{'ratio':>8}{'pypfopt default ms':>20}{'ratio':>8}")
for est in sorted(glob.glob(f"{target_dir}/criterion/optimize/{case_glob}/*/new/estimates.json")):
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
