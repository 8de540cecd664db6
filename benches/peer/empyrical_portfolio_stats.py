"""Peer side of benches/portfolio_stats.rs: the same work in pandas + empyrical-reloaded.

Reads DIR/prices.csv and DIR/transactions.csv (written by `gen_bench_data DIR`),
then, timed: derives daily holdings and cash from the transactions, values the
portfolio on every price date, and computes the portfolio's statistics and those
of every holding against the BENCH column (risk-free 2% a year, daily R/252).
Prints one JSON line: median and all timings in milliseconds, and the answers
used to check that both sides computed the same thing.

Usage: python empyrical_portfolio_stats.py DIR [REPEATS]
"""
import json
import statistics
import sys
import time

import empyrical as ep
import numpy as np
import pandas as pd

RF = 0.02 / 252


def stats(r, bench):
    return {
        "total_return": ep.cum_returns_final(r),
        "cagr": ep.annual_return(r),
        "volatility": ep.annual_volatility(r),
        "sharpe": ep.sharpe_ratio(r, risk_free=RF),
        "sortino": ep.sortino_ratio(r, required_return=RF),
        "max_drawdown": ep.max_drawdown(r),
        "calmar": ep.calmar_ratio(r),
        "var_95": ep.value_at_risk(r, 0.05),
        "cvar_95": ep.conditional_value_at_risk(r, 0.05),
        "monthly": ep.aggregate_returns(r, "monthly"),
        "beta": ep.beta(r, bench, risk_free=RF),
        "alpha": ep.alpha(r, bench, risk_free=RF),
    }


def workload(prices, tx):
    sign = tx["type"].map({"buy": 1.0, "sell": -1.0}).fillna(0.0)
    trades = tx[sign != 0]
    qty = (trades["quantity"] * sign[sign != 0]).groupby([trades["date"], trades["symbol"]]).sum().unstack(fill_value=0.0)
    holdings = qty.reindex(prices.index, fill_value=0.0).cumsum()
    gross = tx["quantity"].fillna(0.0) * tx["price"]
    cash_delta = np.select(
        [tx["type"] == "buy", tx["type"] == "sell", tx["type"] == "deposit", tx["type"] == "withdrawal"],
        [-gross - tx["fee"], gross - tx["fee"], tx["price"] - tx["fee"], -tx["price"] - tx["fee"]],
        default=-tx["price"] - tx["fee"],
    )
    cash = pd.Series(cash_delta, index=tx["date"]).groupby(level=0).sum().reindex(prices.index, fill_value=0.0).cumsum()
    value = (holdings * prices[holdings.columns]).sum(axis=1) + cash
    returns = value.pct_change().iloc[1:]
    bench = prices["BENCH"].pct_change().iloc[1:]
    out = {"portfolio": stats(returns, bench), "holdings": []}
    for col in prices.columns:
        if col != "BENCH":
            out["holdings"].append(stats(prices[col].pct_change().iloc[1:], bench))
    return out


def main():
    folder = sys.argv[1]
    repeats = int(sys.argv[2]) if len(sys.argv) > 2 else 10
    prices = pd.read_csv(f"{folder}/prices.csv", index_col="date", parse_dates=True)
    tx = pd.read_csv(f"{folder}/transactions.csv", parse_dates=["date"])
    times = []
    result = None
    for _ in range(repeats):
        t0 = time.perf_counter()
        result = workload(prices, tx)
        times.append((time.perf_counter() - t0) * 1e3)
    p = result["portfolio"]
    print(json.dumps({
        "peer": "empyrical-reloaded " + getattr(ep, "__version__", "?"),
        "median_ms": statistics.median(times),
        "times_ms": times,
        "portfolio_total_return": float(p["total_return"]),
        "portfolio_volatility": float(p["volatility"]),
        "holdings": len(result["holdings"]),
    }))


if __name__ == "__main__":
    main()
