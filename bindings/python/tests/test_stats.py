"""Parity with empyrical: the same anchors the Rust tests use."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import polars as pl
import pytest

from auravest import stats
from auravest.exceptions import InvalidInput

ROOT = Path(__file__).resolve().parents[3]
ANCHORS = json.loads((ROOT / "core" / "tests" / "anchors" / "empyrical_reference.json").read_text())
SHARED = ROOT.parent / "shared" / "data"


def _close(a: float | None, b: float | None) -> bool:
    if a is None or b is None:
        return a is None and b is None
    return abs(a - b) <= 1e-9 * max(1.0, abs(b))


@pytest.fixture(scope="module")
def spy() -> pd.Series:
    df = pd.read_csv(SHARED / "spy_prices.csv", parse_dates=["date"], index_col="date")
    return df["SPY"]


def test_summary_matches_empyrical_on_spy(spy: pd.Series) -> None:
    case = next(c for c in ANCHORS["cases"] if c["case"] == "spy")
    s = stats.summary(spy, kind="prices", risk_free_rate=case["risk_free_rate"])
    for key in ("total_return", "cagr", "volatility", "sharpe", "sortino", "max_drawdown", "calmar", "var_95", "cvar_95"):
        assert _close(getattr(s, key), case[key]), key
    assert str(s.max_drawdown_peak) == case["max_drawdown_peak"]
    assert str(s.max_drawdown_trough) == case["max_drawdown_trough"]
    assert str(s.max_drawdown_recovery) == case["max_drawdown_recovery"]
    assert s.periods == case["n_returns"]
    for month, value in case["monthly_returns"].items():
        assert _close(s.monthly_returns[month], value), month


def test_every_anchor_case() -> None:
    stocks = pd.read_csv(SHARED / "stock_prices.csv", parse_dates=["date"], index_col="date")
    spy = pd.read_csv(SHARED / "spy_prices.csv", parse_dates=["date"], index_col="date")["SPY"]
    frames = {**{c: stocks[c] for c in stocks.columns}, "SPY": spy}
    checked = 0
    for case in ANCHORS["cases"]:
        asset = frames[case["asset"]].dropna()
        bench = None if case["benchmark"] is None else frames[case["benchmark"]].dropna()
        s = stats.summary(asset, benchmark=bench, risk_free_rate=case["risk_free_rate"])
        for key in ("total_return", "cagr", "volatility", "sharpe", "sortino", "max_drawdown", "var_95", "cvar_95", "beta", "alpha"):
            assert _close(getattr(s, key), case[key]), (case["case"], key)
        checked += 1
    assert checked == len(ANCHORS["cases"]) >= 5


def test_single_metrics_match_the_summary(spy: pd.Series) -> None:
    returns = spy.pct_change().dropna()
    s = stats.summary(spy)
    assert _close(stats.total_return(returns), s.total_return)
    assert _close(stats.cagr(returns.to_numpy()), s.cagr)
    assert _close(stats.volatility(pl.Series(returns.to_numpy())), s.volatility)
    assert _close(stats.sharpe(list(returns)), s.sharpe)
    assert _close(stats.sortino(returns), s.sortino)
    assert _close(stats.max_drawdown(returns), s.max_drawdown)
    assert _close(stats.value_at_risk(returns), s.var_95)
    assert _close(stats.conditional_value_at_risk(returns), s.cvar_95)
    assert _close(stats.beta(returns, returns), 1.0)


def test_polars_and_returns_inputs() -> None:
    df = pl.DataFrame({"date": pl.date_range(pl.date(2024, 1, 1), pl.date(2024, 1, 10), eager=True), "r": np.linspace(-0.01, 0.02, 10)})
    s = stats.summary(df, kind="returns")
    assert s.periods == 10
    assert _close(s.total_return, float(np.prod(1 + df["r"].to_numpy()) - 1))


def test_bad_series_are_refused() -> None:
    with pytest.raises(InvalidInput) as err:
        stats.sharpe([0.01, float("nan"), 0.02])
    assert err.value.field == "returns"
    with pytest.raises(InvalidInput):
        stats.beta([0.01, 0.02], [0.01])
    with pytest.raises(InvalidInput) as err:
        stats.summary([1.0, 2.0, 3.0])
    assert err.value.field == "dates"
    assert stats.sharpe([0.01, 0.01, 0.01]) is None
