"""Peer side of benches/benches/optimize.rs: PyPortfolioOpt 1.6 on the same inputs.

For each universe folder written by `gen_optimize_data DIR` (mu.csv, cov.csv,
returns.csv, params.json), times from (mu, S) in memory to weights:
EfficientFrontier(mu, S).max_sharpe(0.02), .min_volatility(),
.efficient_risk(target) with solver="CLARABEL" and with the default solver,
and HRPOpt(returns).optimize() and the estimators (sample_cov, Ledoit-Wolf,
mean_historical_return) from the returns in memory. Prints one JSON
object: median milliseconds per case, plus the weights' performance so the
caller can check both sides agree.

Usage: python pypfopt_optimize.py DIR [REPEATS] [CASE]
(CASE, e.g. efficient_risk, times that case only.)
"""
import json
import statistics
import sys
import time
import warnings

import pandas as pd
from pypfopt import CovarianceShrinkage, EfficientFrontier, HRPOpt, expected_returns, risk_models

warnings.filterwarnings("ignore")


def timed(fn, repeats):
    times, out = [], None
    for _ in range(repeats):
        t0 = time.perf_counter()
        out = fn()
        times.append((time.perf_counter() - t0) * 1e3)
    return statistics.median(times), out


def main():
    root = sys.argv[1]
    repeats = int(sys.argv[2]) if len(sys.argv) > 2 else 7
    only = sys.argv[3] if len(sys.argv) > 3 else None
    result = {}
    for name in ("shared20", "syn100", "syn500"):
        d = f"{root}/{name}"
        mu = pd.read_csv(f"{d}/mu.csv", index_col=0)["mu"]
        S = pd.read_csv(f"{d}/cov.csv")
        S.index = S.columns
        rets = pd.read_csv(f"{d}/returns.csv")
        params = json.load(open(f"{d}/params.json"))
        target = params["target_volatility"]
        n = len(mu)
        cases = {
            "max_sharpe": lambda ef: ef.max_sharpe(risk_free_rate=0.02),
            "min_volatility": lambda ef: ef.min_volatility(),
            "efficient_risk": lambda ef: ef.efficient_risk(target_volatility=target),
        }
        for case, call in cases.items():
            if only and case != only:
                continue
            for solver in ("CLARABEL", None):
                def run(call=call, solver=solver):
                    ef = EfficientFrontier(mu, S, solver=solver)
                    call(ef)
                    return ef
                key = f"{case}/{n}/" + ("clarabel" if solver else "default")
                try:
                    ms, ef = timed(run, repeats)
                except Exception as e:  # the peer's solver gave up: record it
                    result[key] = {"error": str(e)}
                    continue
                perf = ef.portfolio_performance(risk_free_rate=0.02)
                result[key] = {"ms": ms, "return": perf[0], "volatility": perf[1]}
        if not only or only == "hrp":
            ms, _ = timed(lambda: HRPOpt(rets).optimize(linkage_method="single"), max(3, repeats // 2))
            result[f"hrp/{n}/default"] = {"ms": ms}
        if name != "shared20":
            est = {
                "sample_cov": lambda: risk_models.sample_cov(rets, returns_data=True),
                "ledoit_wolf": lambda: CovarianceShrinkage(rets, returns_data=True).ledoit_wolf(),
                "mean_historical": lambda: expected_returns.mean_historical_return(rets, returns_data=True),
            }
            for case, fn in est.items():
                if only and case != only:
                    continue
                ms, _ = timed(fn, repeats)
                result[f"{case}/{n}/default"] = {"ms": ms}
    print(json.dumps(result))


if __name__ == "__main__":
    main()
