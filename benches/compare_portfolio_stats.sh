#!/usr/bin/env bash
# Times the portfolio valuation + statistics workload in AuraVest (criterion)
# and in empyrical-reloaded (pandas) on the same generated data, in one run,
# peer - ours - peer, and prints the ratio of medians.
#
#   benches/compare_portfolio_stats.sh            # uses .venv-peer, created on first use
#   PEER_PYTHON=/path/to/python benches/compare_portfolio_stats.sh
set -euo pipefail
cd "$(dirname "$0")/.."
data=target/bench-data/portfolio_100x2520
py=${PEER_PYTHON:-}
if [ -z "$py" ]; then
  if [ ! -x .venv-peer/bin/python ]; then
    python3 -m venv .venv-peer
    .venv-peer/bin/pip install -q 'empyrical-reloaded==0.7.1'
  fi
  py=.venv-peer/bin/python
fi
cargo build -q --release -p auravest-benches --bin gen_bench_data
ours_check=$(target/release/gen_bench_data "$data")
peer1=$("$py" benches/peer/empyrical_portfolio_stats.py "$data" 5)
cargo bench -q -p auravest-benches --bench portfolio_stats -- --noplot >/dev/null
peer2=$("$py" benches/peer/empyrical_portfolio_stats.py "$data" 5)
est=target/criterion/portfolio_stats/value_and_stats_100x2520/new/estimates.json
python3 - "$ours_check" "$peer1" "$peer2" "$est" <<'PY'
import json, sys
ours_check, p1, p2 = (json.loads(a) for a in sys.argv[1:4])
ours_ms = json.load(open(sys.argv[4]))["median"]["point_estimate"] / 1e6
peer_ms = sorted(p1["times_ms"] + p2["times_ms"])[len(p1["times_ms"] + p2["times_ms"]) // 2]
for key in ("portfolio_total_return", "portfolio_volatility"):
    a, b = ours_check[key], p1[key]
    assert abs(a - b) <= 1e-9 * max(abs(b), 1e-12), f"{key}: ours {a} vs peer {b}"
print(f"workload: value 100 holdings x 2520 days + statistics of the portfolio and 100 holdings vs an index")
print(f"answers agree: total return {ours_check['portfolio_total_return']:.12f}, volatility {ours_check['portfolio_volatility']:.12f}")
print(f"auravest (criterion median): {ours_ms:9.3f} ms")
print(f"{p1['peer']} (median of {len(p1['times_ms']) * 2}): {peer_ms:9.3f} ms")
print(f"ratio: auravest is {peer_ms / ours_ms:.1f}x faster")
PY
