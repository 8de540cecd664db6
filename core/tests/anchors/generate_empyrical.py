#!/usr/bin/env python3
"""Generate empyrical_reference.json: empyrical-reloaded 0.7.1 statistics that
core/tests/it/stats_parity.rs checks auravest-core's PerformanceStats against.

Usage (from anywhere):

    python core/tests/anchors/generate_empyrical.py [DATA_DIR] [--output PATH]

DATA_DIR holds spy_prices.csv and stock_prices.csv. It defaults to
``../shared/data`` relative to the repository root, resolved from this file's
location (never from the working directory). The JSON is written next to this
script unless --output is given.

Requires: pip install empyrical-reloaded==0.7.1 (pulls in pandas, numpy,
bottleneck, scipy).
"""

from __future__ import annotations

import argparse
import datetime as dt
import hashlib
import json
import math
import sys
from pathlib import Path

import numpy as np
import pandas as pd

import empyrical as ep

EMPYRICAL_VERSION = "0.7.1"
SCRIPT_DIR = Path(__file__).resolve().parent
REPO_ROOT = SCRIPT_DIR.parent.parent.parent  # core/tests/anchors -> repo root
DEFAULT_DATA_DIR = REPO_ROOT / ".." / "shared" / "data"
DEFAULT_OUTPUT = SCRIPT_DIR / "empyrical_reference.json"

# Annual risk-free rates; the daily rate is rate / 252.
RISK_FREE_RATES = (0.0, 0.02)
PERIODS_PER_YEAR = 252
CUTOFF = 0.05

# (case name, asset column, benchmark column or None)
CASES = (
    ("spy", "SPY", None),
    ("aapl_vs_spy", "AAPL", "SPY"),
    ("goog_vs_spy", "GOOG", "SPY"),
)


def read_prices(path: Path) -> pd.DataFrame:
    # Cells are parsed with Python's float(), which gives the correctly rounded
    # double as Rust's str::parse::<f64> does, so both sides start from the same
    # bits whatever CSV float parser this pandas version defaults to.
    raw = pd.read_csv(path, index_col="date", dtype=str, keep_default_na=False)
    df = raw.apply(lambda col: col.map(lambda s: float(s) if s.strip() else np.nan))
    df = df.astype("float64")
    df.index = pd.to_datetime(df.index, format="%Y-%m-%d")
    if not df.index.is_monotonic_increasing or df.index.has_duplicates:
        raise SystemExit(f"{path.name}: dates are not strictly increasing")
    return df


def simple_returns(prices: pd.Series) -> pd.Series:
    return prices.pct_change().iloc[1:]


def finite(x) -> float | None:
    """A statistic as a JSON number, or null when empyrical gives NaN/inf."""
    x = float(x)
    return x if math.isfinite(x) else None


def day(ts) -> str:
    return pd.Timestamp(ts).strftime("%Y-%m-%d")


def drawdown_dates(returns: pd.Series, start: pd.Timestamp) -> dict:
    """Peak, trough and recovery of the maximum drawdown, the pyfolio way.

    Wealth is 1.0 on ``start`` (the first price date, the day before the
    first return) and compounds the returns after it.
    """
    wealth = pd.concat([pd.Series([1.0], index=[start]), (1.0 + returns).cumprod()])
    running_max = wealth.cummax()
    underwater = wealth / running_max - 1.0
    trough = underwater.idxmin()  # first occurrence of the minimum
    upto = underwater.loc[:trough]
    peak = upto[upto == 0].index[-1]  # last date at the running max on or before the trough
    recovery = None
    if underwater.loc[trough] < 0:
        after = wealth[wealth.index > trough]
        back = after[after >= wealth.loc[peak]]
        if len(back):
            recovery = day(back.index[0])
    return {
        "min_underwater": float(underwater.loc[trough]),
        "peak": day(peak),
        "trough": day(trough),
        "recovery": recovery,
    }


def monthly(returns: pd.Series) -> dict:
    agg = ep.aggregate_returns(returns, "monthly")
    return {f"{int(y):04d}-{int(m):02d}": float(v) for (y, m), v in agg.items()}


def case_record(name: str, asset: str, bench: str | None, rate: float,
                returns: pd.Series, bench_returns: pd.Series | None,
                start: pd.Timestamp) -> dict:
    rf = rate / PERIODS_PER_YEAR
    dd = drawdown_dates(returns, start)
    max_dd = float(ep.max_drawdown(returns))
    # Same definition, independent code: the dates refer to empyrical's drawdown.
    if not math.isclose(max_dd, dd["min_underwater"], rel_tol=1e-12, abs_tol=1e-15):
        raise SystemExit(f"{name}: drawdown mismatch {max_dd} vs {dd['min_underwater']}")
    rec = {
        "case": name,
        "asset": asset,
        "benchmark": bench,
        "risk_free_rate": rate,
        "daily_risk_free": rf,
        "n_returns": int(len(returns)),
        "start_date": day(start),
        "first_return_date": day(returns.index[0]),
        "last_return_date": day(returns.index[-1]),
        "total_return": finite(ep.cum_returns_final(returns)),
        "cagr": finite(ep.annual_return(returns)),
        "volatility": finite(ep.annual_volatility(returns)),
        "sharpe": finite(ep.sharpe_ratio(returns, risk_free=rf)),
        "sortino": finite(ep.sortino_ratio(returns, required_return=rf)),
        "max_drawdown": finite(max_dd),
        "max_drawdown_peak": dd["peak"],
        "max_drawdown_trough": dd["trough"],
        "max_drawdown_recovery": dd["recovery"],
        "calmar": finite(ep.calmar_ratio(returns)),
        "var_95": finite(ep.value_at_risk(returns, cutoff=CUTOFF)),
        "cvar_95": finite(ep.conditional_value_at_risk(returns, cutoff=CUTOFF)),
        "beta": None,
        "alpha": None,
    }
    if bench_returns is not None:
        rec["beta"] = finite(ep.beta(returns, bench_returns, risk_free=rf))
        rec["alpha"] = finite(ep.alpha(returns, bench_returns, risk_free=rf))
    rec["monthly_returns"] = monthly(returns)
    return rec


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("data_dir", nargs="?", type=Path, default=DEFAULT_DATA_DIR,
                        help="directory with spy_prices.csv and stock_prices.csv "
                             "(default: ../shared/data relative to the repository root)")
    parser.add_argument("--output", type=Path, default=DEFAULT_OUTPUT,
                        help="JSON to write (default: empyrical_reference.json next to this script)")
    args = parser.parse_args()

    if ep.__version__ != EMPYRICAL_VERSION:
        raise SystemExit(f"empyrical-reloaded {EMPYRICAL_VERSION} required, found {ep.__version__}")
    data_dir = args.data_dir.resolve()
    spy_csv, stock_csv = data_dir / "spy_prices.csv", data_dir / "stock_prices.csv"
    for p in (spy_csv, stock_csv):
        if not p.is_file():
            raise SystemExit(f"missing {p} (pass the data directory as the first argument)")

    spy = read_prices(spy_csv)["SPY"]
    stocks = read_prices(stock_csv)

    cases = []
    for name, asset, bench in CASES:
        if bench is None:
            prices = spy.dropna()
            returns, bench_returns = simple_returns(prices), None
        else:
            joined = pd.concat([stocks[asset], spy.rename("SPY")], axis=1, join="inner").dropna()
            prices = joined[asset]
            returns = simple_returns(joined[asset])
            bench_returns = simple_returns(joined[bench])
        assert not returns.isna().any()
        start = prices.index[0]
        for rate in RISK_FREE_RATES:
            cases.append(case_record(name, asset, bench, rate, returns, bench_returns, start))

    try:
        import bottleneck
        bn_version = bottleneck.__version__
    except ImportError:  # empyrical falls back to numpy's nan-functions
        bn_version = None

    doc = {
        "meta": {
            "generator": "core/tests/anchors/generate_empyrical.py",
            "empyrical_reloaded": ep.__version__,
            "pandas": pd.__version__,
            "numpy": np.__version__,
            "bottleneck": bn_version,
            "python": sys.version.split()[0],
            "generated": dt.datetime.now(dt.timezone.utc).date().isoformat(),
            "data_dir": "../shared/data (relative to the repository root)",
            "inputs": {
                "spy_prices.csv": {"sha256": sha256(spy_csv)},
                "stock_prices.csv": {"sha256": sha256(stock_csv)},
            },
            "conventions": {
                "returns": "pct_change of adjusted closes, first NaN dropped; pairs are "
                           "inner-joined on dates where both prices exist before pct_change",
                "periods_per_year": PERIODS_PER_YEAR,
                "daily_risk_free": "risk_free_rate / 252, passed as risk_free to sharpe_ratio, "
                                   "beta, alpha and as required_return to sortino_ratio",
                "calmar": "calmar_ratio(returns) (no risk-free adjustment)",
                "var_95": "value_at_risk(returns, cutoff=0.05)",
                "cvar_95": "conditional_value_at_risk(returns, cutoff=0.05)",
                "monthly_returns": "aggregate_returns(returns, 'monthly'), keyed YYYY-MM",
                "max_drawdown_dates": "wealth = 1.0 on start_date, compounded; trough = first "
                                      "argmin of wealth/cummax - 1; peak = last date at the "
                                      "running max on or before the trough; recovery = first "
                                      "date after the trough with wealth >= peak wealth, or null",
                "null": "a statistic empyrical returns as NaN, or one that does not apply",
            },
        },
        "cases": cases,
    }
    text = json.dumps(doc, indent=1, allow_nan=False) + "\n"
    args.output.write_text(text, encoding="utf-8")
    print(f"wrote {len(cases)} cases to {args.output}")


if __name__ == "__main__":
    main()
