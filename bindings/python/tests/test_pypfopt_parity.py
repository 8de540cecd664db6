"""Parity with PyPortfolioOpt 1.6 on the shared price data (../shared/anchors/pypfopt_reference.json).

The same reference the Rust crate's parity tests use, with their
tolerances: estimators to 1e-9 relative (1e-12 absolute floor), HRP to
1e-12 relative, mean-variance and tail-risk weights to 1e-4 and their
performance to 1e-6. Everything goes through the Python surface:
``auravest.compat.pypfopt`` with pandas, and ``auravest.optimize`` with
polars and ``compat="pypfopt"``.
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import polars as pl
import pytest

import auravest.optimize as opt
from auravest.compat import pypfopt
from auravest.compat.pypfopt import (
    BlackLittermanModel,
    CovarianceShrinkage,
    DiscreteAllocation,
    EfficientCDaR,
    EfficientCVaR,
    EfficientFrontier,
    HRPOpt,
    expected_returns,
    market_implied_prior_returns,
    market_implied_risk_aversion,
    objective_functions,
    risk_models,
)

SHARED = Path(__file__).resolve().parents[4] / "shared"
REF: dict[str, Any] = json.loads((SHARED / "anchors" / "pypfopt_reference.json").read_text())
REL_TOL, ABS_FLOOR = 1e-9, 1e-12
RF = REF["meta"]["risk_free_rate_for_sharpe"]


@pytest.fixture(scope="module")
def prices() -> pd.DataFrame:
    return pd.read_csv(SHARED / "data" / "stock_prices.csv", parse_dates=True, index_col="date")


@pytest.fixture(scope="module")
def spy() -> pd.DataFrame:
    return pd.read_csv(SHARED / "data" / "spy_prices.csv", parse_dates=True, index_col="date")


def close(got: float, want: float, rel: float = REL_TOL, floor: float = ABS_FLOOR) -> bool:
    return abs(got - want) <= max(rel * abs(want), floor)


def check_series(got: pd.Series | dict[str, float], want: dict[str, float], rel: float = REL_TOL) -> None:
    got = dict(got)
    assert set(got) == set(want)
    bad = {t: (got[t], w) for t, w in want.items() if not close(got[t], w, rel)}
    assert not bad, bad


def check_matrix(got: pd.DataFrame, block: dict[str, Any]) -> None:
    assert list(got.columns) == block["tickers"]
    want = np.array(block["values"], dtype=float)
    err = np.abs(got.to_numpy() - want) - np.maximum(REL_TOL * np.abs(want), ABS_FLOOR)
    assert (err <= 0).all(), float(err.max())


# ---------------------------------------------------------------- estimators


def test_expected_returns(prices: pd.DataFrame, spy: pd.DataFrame) -> None:
    ref = REF["expected_returns"]
    check_series(expected_returns.mean_historical_return(prices), ref["mean_historical_return"])
    check_series(
        expected_returns.mean_historical_return(prices, compounding=False), ref["mean_historical_return_arithmetic"]
    )
    check_series(expected_returns.ema_historical_return(prices, span=500), ref["ema_historical_return_span500"])
    check_series(expected_returns.capm_return(prices), ref["capm_return_equal_weight_market"])
    common = spy.reindex(prices.index).dropna()
    check_series(
        expected_returns.capm_return(prices.loc[common.index], market_prices=common),
        ref["capm_return_spy_market_common_dates"]["values"],
    )


def test_public_module_expected_returns_match(prices: pd.DataFrame) -> None:
    frame = pl.from_pandas(prices.reset_index()).with_columns(pl.col("date").cast(pl.Date))
    mu = opt.expected_returns(frame, "mean")
    check_series(mu.values, REF["expected_returns"]["mean_historical_return"])
    arith = opt.expected_returns(frame, "mean-arithmetic")
    check_series(arith.values, REF["expected_returns"]["mean_historical_return_arithmetic"])


def test_risk_models(prices: pd.DataFrame) -> None:
    ref = REF["risk_models"]
    check_matrix(risk_models.sample_cov(prices), ref["sample_cov"])
    check_matrix(risk_models.semicovariance(prices), ref["semicovariance_benchmark_0.000079"])
    check_matrix(risk_models.exp_cov(prices), ref["exp_cov_span180"])
    cs = CovarianceShrinkage(prices)
    check_matrix(cs.shrunk_covariance(0.2), ref["shrunk_covariance_delta_0.2"])
    for target in ("constant_variance", "single_factor", "constant_correlation"):
        block = ref[f"ledoit_wolf_{target}"]
        check_matrix(cs.ledoit_wolf(target), block)
        assert cs.delta is not None and close(cs.delta, block["shrinkage"])
    check_matrix(cs.oracle_approximating(), ref["oracle_approximating"])
    assert cs.delta is not None and close(cs.delta, ref["oracle_approximating"]["shrinkage"])


def test_public_module_ledoit_wolf_matches_with_pypfopt_policy(prices: pd.DataFrame) -> None:
    lw = opt.risk_model(prices, "ledoit-wolf", missing_data="py_portfolio_opt")
    block = REF["risk_models"]["ledoit_wolf_constant_variance"]
    check_matrix(pd.DataFrame(lw.matrix, columns=list(lw.tickers)), block)
    assert lw.shrinkage is not None and close(lw.shrinkage, block["shrinkage"])
    # The native policy differs on this ragged data: late listings are not zero-filled.
    native = opt.risk_model(prices, "ledoit-wolf")
    assert native.shrinkage is not None and not close(native.shrinkage, block["shrinkage"], 1e-3)


# ---------------------------------------------------------------- mean-variance


def check_solution(name: str, weights: dict[str, float], perf: tuple[Any, ...]) -> None:
    want = REF["mean_variance"][name]
    for t, w in want["weights"].items():
        assert abs(weights[t] - w) <= 1e-4, (name, t, weights[t], w)
    p = want["performance_rf_0.02"]
    for got, key in zip(perf, ("expected_return", "volatility", "sharpe")):
        assert abs(got - p[key]) <= 1e-6 * max(abs(p[key]), 1.0), (name, key, got, p[key])
    assert abs(sum(weights.values()) - 1) < 1e-9


@pytest.fixture(scope="module")
def mu_s(prices: pd.DataFrame) -> tuple[pd.Series, pd.DataFrame]:
    return expected_returns.mean_historical_return(prices), risk_models.sample_cov(prices)


@pytest.mark.parametrize(
    ("name", "call"),
    [
        ("max_sharpe_rf_0.02", lambda ef: ef.max_sharpe(risk_free_rate=RF)),
        ("min_volatility", lambda ef: ef.min_volatility()),
        ("efficient_risk_0.25", lambda ef: ef.efficient_risk(0.25)),
        ("efficient_risk_0.19", lambda ef: ef.efficient_risk(0.19)),
        ("efficient_return_0.2", lambda ef: ef.efficient_return(0.2)),
        ("efficient_return_0.25", lambda ef: ef.efficient_return(0.25)),
        ("max_quadratic_utility_ra_1", lambda ef: ef.max_quadratic_utility(risk_aversion=1)),
    ],
)
def test_efficient_frontier(mu_s: tuple[pd.Series, pd.DataFrame], name: str, call: Any) -> None:
    ef = EfficientFrontier(*mu_s)
    w = call(ef)
    check_solution(name, w, ef.portfolio_performance(risk_free_rate=RF))


def test_efficient_frontier_with_terms_and_constraints(mu_s: tuple[pd.Series, pd.DataFrame]) -> None:
    ef = EfficientFrontier(*mu_s)
    ef.add_objective(objective_functions.L2_reg, gamma=1)
    check_solution("min_volatility_L2_gamma_1", ef.min_volatility(), ef.portfolio_performance(risk_free_rate=RF))

    ef = EfficientFrontier(*mu_s)
    ef.add_constraint(lambda w: w <= 0.10)
    check_solution("max_sharpe_max_weight_0.10", ef.max_sharpe(RF), ef.portfolio_performance(risk_free_rate=RF))

    block = REF["mean_variance"]["max_sharpe_sector_constraints"]
    ef = EfficientFrontier(*mu_s)
    ef.add_sector_constraints(block["sector_mapper"], block["sector_lower"], block["sector_upper"])
    check_solution("max_sharpe_sector_constraints", ef.max_sharpe(RF), ef.portfolio_performance(risk_free_rate=RF))

    ef = EfficientFrontier(*mu_s, weight_bounds=(-1, 1))
    check_solution(
        "max_sharpe_long_short_bounds_-1_1", ef.max_sharpe(RF), ef.portfolio_performance(risk_free_rate=RF)
    )


def test_efficient_frontier_on_ledoit_wolf(prices: pd.DataFrame, mu_s: tuple[pd.Series, pd.DataFrame]) -> None:
    s_lw = CovarianceShrinkage(prices).ledoit_wolf()
    ef = EfficientFrontier(mu_s[0], s_lw)
    check_solution("max_sharpe_rf_0.02_ledoit_wolf_cov", ef.max_sharpe(RF), ef.portfolio_performance(risk_free_rate=RF))
    ef = EfficientFrontier(mu_s[0], s_lw)
    check_solution("min_volatility_ledoit_wolf_cov", ef.min_volatility(), ef.portfolio_performance(risk_free_rate=RF))


def test_public_module_max_sharpe_matches(prices: pd.DataFrame) -> None:
    out = opt.optimize(prices, "max_sharpe", risk_free_rate=RF, compat="pypfopt")
    perf = out.performance
    check_solution("max_sharpe_rf_0.02", out.weights, (perf.expected_return, perf.volatility, perf.sharpe))


# ---------------------------------------------------------------- HRP, tail risk


def test_hrp(prices: pd.DataFrame) -> None:
    ref = REF["hrp"]
    hrp = HRPOpt(expected_returns.returns_from_prices(prices))
    w = hrp.optimize(linkage_method="single")
    check_series(w, ref["weights"], rel=1e-12)
    perf = hrp.portfolio_performance(risk_free_rate=RF)
    own = ref["performance_own_rf_0.02"]
    for got, key in zip(perf, ("expected_return", "volatility", "sharpe")):
        assert close(got, own[key], 1e-12)
    order = [hrp.tickers[i] for i in opt_leaf_order(hrp)]
    assert order == ref["leaf_order"]


def opt_leaf_order(hrp: HRPOpt) -> list[int]:
    return list(hrp._hrp.order)


def test_public_module_hrp_matches(prices: pd.DataFrame) -> None:
    out = opt.optimize(prices, "hrp", risk_free_rate=RF, compat="pypfopt")
    check_series(out.weights, REF["hrp"]["weights"], rel=1e-12)
    assert close(out.performance.volatility, REF["hrp"]["performance_own_rf_0.02"]["volatility"], 1e-12)


@pytest.mark.parametrize(("cls", "method", "key"), [(EfficientCVaR, "min_cvar", "min_cvar"), (EfficientCDaR, "min_cdar", "min_cdar")])
def test_tail_risk(prices: pd.DataFrame, cls: Any, method: str, key: str) -> None:
    df = prices.dropna(how="any")
    mu = expected_returns.mean_historical_return(df)
    returns = expected_returns.returns_from_prices(df)
    opt_ = cls(mu, returns)
    w = getattr(opt_, method)()
    want = REF["cvar_cdar"][key]
    for t, v in want["weights"].items():
        assert abs(w[t] - v) <= 1e-4, (t, w[t], v)
    ret, risk = opt_.portfolio_performance()
    assert abs(ret - want["performance_return_" + key[4:]][0]) <= 1e-6
    assert abs(risk - want["performance_return_" + key[4:]][1]) <= 1e-6


# ---------------------------------------------------------------- Black-Litterman, allocation


def test_black_litterman(prices: pd.DataFrame, spy: pd.DataFrame) -> None:
    ref = REF["black_litterman"]
    inputs = ref["inputs"]
    delta = market_implied_risk_aversion(spy["SPY"], risk_free_rate=RF)
    assert close(delta, ref["market_implied_risk_aversion_spy"])
    s_lw = CovarianceShrinkage(prices).ledoit_wolf()
    prior = market_implied_prior_returns(inputs["market_caps"], delta, s_lw, risk_free_rate=RF)
    check_series(prior, ref["prior"])
    bl = BlackLittermanModel(s_lw, pi=prior, absolute_views=inputs["absolute_views"])
    check_series(bl.bl_returns(), ref["posterior_returns"])
    check_matrix(bl.bl_cov(), ref["posterior_cov"])
    check_series(bl.bl_weights(delta), ref["bl_weights_unconstrained"])


@pytest.mark.parametrize(("method", "key"), [("greedy_portfolio", "greedy_10000"), ("lp_portfolio", "lp_10000")])
def test_discrete_allocation(prices: pd.DataFrame, method: str, key: str) -> None:
    ref = REF["discrete_allocation"]
    latest = pypfopt.get_latest_prices(prices)
    check_series(latest, ref["latest_prices"])
    weights = REF["mean_variance"]["max_sharpe_rf_0.02"]["weights"]
    da = DiscreteAllocation(dict(weights), latest, total_portfolio_value=10000)
    alloc, leftover = getattr(da, method)()
    assert alloc == ref[key]["allocation"]
    assert math.isclose(leftover, ref[key]["leftover"], abs_tol=1e-6)
    assert math.isclose(da._allocation_rmse_error(verbose=False), ref[key]["rmse"], rel_tol=1e-9)


def test_bad_prices_are_refused_with_the_callers_labels(prices: pd.DataFrame) -> None:
    """Prices cross as one dense buffer: the table's rules still hold, and the error names the caller's column and line."""
    from auravest.exceptions import AuraVestError, InvalidInput

    bad = prices.iloc[:, :3].copy()
    label = bad.columns[1]
    bad.iloc[4, 1] = -2.0
    for estimate in (expected_returns.mean_historical_return, risk_models.sample_cov):
        with pytest.raises(InvalidInput) as caught:
            estimate(bad)
        assert str(label) in str(caught.value)
        assert caught.value.rows and caught.value.rows[0][0] == 6  # data row 5 is line 6
        assert caught.value.rows[0][1] == str(label)
    # Errors from the estimators name the caller's columns too, never a stand-in.
    thin = prices.dropna(axis=1).iloc[:40, :3].copy()
    thin.iloc[1:, 2] = np.nan
    for estimate in (expected_returns.mean_historical_return, risk_models.sample_cov):
        with pytest.raises(AuraVestError) as caught:
            estimate(thin)
        assert str(thin.columns[2]) in str(caught.value), caught.value
        assert "C2" not in str(caught.value)
