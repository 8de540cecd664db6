"""auravest.optimize: every objective, the estimators, the frontier, whole shares, the recommendation, typed errors."""

from __future__ import annotations

import datetime as dt
import math
import pickle
import threading
import time
from pathlib import Path

import numpy as np
import pandas as pd
import polars as pl
import pytest

import auravest
import auravest.optimize as opt
from auravest import _native
from auravest.exceptions import DataUnavailable, Infeasible, InvalidInput

SHARED = Path(__file__).resolve().parents[4] / "shared"


@pytest.fixture(scope="module")
def pd_prices() -> pd.DataFrame:
    # The ten tickers listed since 2004 or earlier, over the last four years.
    df = pd.read_csv(SHARED / "data" / "stock_prices.csv", parse_dates=True, index_col="date")
    cols = ["AAPL", "AMZN", "GE", "AMD", "WMT", "BAC", "T", "XOM", "PFE", "JPM"]
    return df.loc["2014-04-01":, cols]


@pytest.fixture(scope="module")
def prices(pd_prices: pd.DataFrame) -> pl.DataFrame:
    return pl.from_pandas(pd_prices.reset_index()).with_columns(pl.col("date").cast(pl.Date))


def three_assets() -> pl.DataFrame:
    rng = np.random.default_rng(7)
    n = 400
    common = rng.normal(0, 0.01, n)
    cols = {}
    for i, (drift, beta, noise) in enumerate([(0.0008, 0.5, 0.010), (0.0004, 1.0, 0.006), (0.0002, 0.2, 0.003)]):
        r = drift + beta * common + rng.normal(0, noise, n)
        cols[f"S{i}"] = 100 * np.cumprod(1 + r)
    dates = pl.date_range(dt.date(2020, 1, 1), dt.date(2020, 1, 1) + dt.timedelta(days=n - 1), eager=True)
    return pl.DataFrame({"date": dates, **cols})


# ---------------------------------------------------------------- estimators


def test_expected_returns_on_polars_and_pandas_agree(prices: pl.DataFrame, pd_prices: pd.DataFrame) -> None:
    a = opt.expected_returns(prices)
    b = opt.expected_returns(pd_prices)
    assert a.method == "mean" and list(a.values) == list(pd_prices.columns)
    assert a.values == b.values
    # Compound annual growth rate of AAPL over its own returns.
    r = pd_prices["AAPL"].pct_change().dropna()
    cagr = float(np.prod(1 + r) ** (252 / len(r)) - 1)
    assert math.isclose(a.values["AAPL"], cagr, rel_tol=1e-12)
    arith = opt.expected_returns(prices, "mean-arithmetic")
    assert math.isclose(arith.values["AAPL"], float(r.mean() * 252), rel_tol=1e-12)
    weekly = opt.expected_returns(prices, "mean-arithmetic", frequency=52)
    assert math.isclose(weekly.values["AAPL"], float(r.mean() * 52), rel_tol=1e-12)
    js = opt.expected_returns(prices, "james-stein")
    assert js.shrinkage is not None and 0 <= js.shrinkage <= 1
    spread = max(js.values.values()) - min(js.values.values())
    assert spread <= max(arith.values.values()) - min(arith.values.values()) + 1e-12
    assert set(opt.expected_returns(prices, "ema").values) == set(a.values)
    assert a.to_polars().height == 10


def test_risk_models(prices: pl.DataFrame, pd_prices: pd.DataFrame) -> None:
    s = opt.risk_model(prices)
    assert s.method == "sample" and s.tickers[0] == "AAPL"
    want = pd_prices.pct_change().dropna().cov().to_numpy() * 252
    np.testing.assert_allclose(s.matrix, want, rtol=1e-10)
    assert not s.matrix.flags.writeable
    lw = opt.risk_model(prices, "ledoit-wolf")
    assert lw.shrinkage is not None and 0 < lw.shrinkage < 1
    # Shrinkage toward the average variance keeps the trace (of the biased, 1/T, covariance).
    t = len(pd_prices) - 1
    assert math.isclose(np.trace(lw.matrix), np.trace(s.matrix) * (t - 1) / t, rel_tol=1e-9)
    df = lw.to_polars()
    assert df.columns[0] == "ticker" and df.shape == (10, 11)
    for method in ("semicovariance", "exp-cov", "oas", "shrunk", "ledoit-wolf-single-factor"):
        m = opt.risk_model(prices, method).matrix
        assert m.shape == (10, 10) and np.allclose(m, m.T)
        assert np.linalg.eigvalsh(m).min() > -1e-12


def test_unknown_estimator_names_the_field(prices: pl.DataFrame) -> None:
    with pytest.raises(InvalidInput) as e:
        opt.risk_model(prices, "magic")  # type: ignore[arg-type]
    assert e.value.field == "risk model"
    with pytest.raises(InvalidInput) as e:
        opt.expected_returns(prices, "magic")  # type: ignore[arg-type]
    assert e.value.field == "returns"


# ---------------------------------------------------------------- objectives


@pytest.mark.parametrize(
    ("objective", "kwargs"),
    [
        ("max_sharpe", {}),
        ("min_volatility", {}),
        ("efficient_risk", {"target_volatility": 0.22}),
        ("efficient_return", {"target_return": 0.15}),
        ("max_utility", {"risk_aversion": 2.0}),
        ("hrp", {}),
        ("risk_parity", {}),
        ("inverse_volatility", {}),
        ("equal_weight", {}),
        ("min_cvar", {}),
        ("min_cdar", {"target_return": 0.1}),
    ],
)
def test_every_objective(prices: pl.DataFrame, objective: str, kwargs: dict[str, float]) -> None:
    out = opt.optimize(prices, objective, **kwargs)  # type: ignore[arg-type]
    w = np.array(list(out.weights.values()))
    assert list(out.weights) == ["AAPL", "AMZN", "GE", "AMD", "WMT", "BAC", "T", "XOM", "PFE", "JPM"]
    assert abs(w.sum() - 1) < 1e-8 and (w >= -1e-9).all()
    assert out.performance.volatility > 0
    if objective == "equal_weight":
        assert np.allclose(w, 0.1)
    if objective == "efficient_risk":
        assert out.performance.volatility <= 0.22 + 1e-7
    if objective == "efficient_return":
        assert out.performance.expected_return >= 0.15 - 1e-7
    if objective in ("min_cvar", "min_cdar"):
        assert out.tail_risk is not None and out.tail_risk[0] == objective[4:] and out.tail_risk[1] > 0
    assert out.to_dict()["weights"] == out.weights


def test_objectives_are_consistent(prices: pl.DataFrame) -> None:
    ms = opt.optimize(prices, "max_sharpe")
    mv = opt.optimize(prices, "min_volatility")
    assert mv.performance.volatility < ms.performance.volatility
    assert ms.performance.sharpe is not None and mv.performance.sharpe is not None
    assert ms.performance.sharpe > mv.performance.sharpe
    inv = opt.optimize(prices, "inverse_volatility")
    s = opt.risk_model(prices)
    vols = np.sqrt(np.diag(s.matrix))
    np.testing.assert_allclose(list(inv.weights.values()), (1 / vols) / (1 / vols).sum(), rtol=1e-12)
    rp = opt.optimize(prices, "risk_parity")
    w = np.array(list(rp.weights.values()))
    contrib = w * (s.matrix @ w)
    np.testing.assert_allclose(contrib, contrib.mean(), rtol=1e-6)


def test_bounds_holdings_and_cleaning(prices: pl.DataFrame) -> None:
    capped = opt.optimize(prices, "max_sharpe", bounds=(0.0, 0.2))
    assert max(capped.weights.values()) <= 0.2 + 1e-9
    few = opt.optimize(prices, "min_volatility", max_holdings=3)
    assert sum(v > 1e-9 for v in few.weights.values()) <= 3
    cleaned = opt.optimize(prices, "max_sharpe", clean=True)
    assert all(v == 0 or abs(v) >= 1e-4 for v in cleaned.weights.values())
    assert all(round(v, 5) == v for v in cleaned.weights.values())
    shorts = opt.optimize(prices, "min_volatility", bounds=(-1.0, 1.0))
    assert shorts.performance.volatility <= opt.optimize(prices, "min_volatility").performance.volatility + 1e-12


def test_black_litterman(prices: pl.DataFrame) -> None:
    caps = {t: 1e9 * (i + 1) for i, t in enumerate(["AAPL", "AMZN", "GE", "AMD", "WMT", "BAC", "T", "XOM", "PFE", "JPM"])}
    out = opt.black_litterman(prices, {"AAPL": 0.30, "GE": -0.05}, market_caps=caps, risk_aversion=2.5)
    no_views = opt.black_litterman(prices, None, market_caps=caps, risk_aversion=2.5)
    # A bullish view pulls AAPL up, a bearish one GE down.
    assert out.expected_returns["AAPL"] > no_views.expected_returns["AAPL"]
    assert out.expected_returns["GE"] < no_views.expected_returns["GE"]
    assert out.omega.shape == (2, 2)
    assert out.weights is not None and abs(sum(out.weights.values()) - 1) < 1e-9
    with pytest.raises(InvalidInput) as e:
        opt.black_litterman(prices, {"AAPL": 0.3}, market_caps=caps)
    assert e.value.field == "risk_aversion"


# ---------------------------------------------------------------- frontier, allocation, recommendation


def test_frontier(prices: pl.DataFrame) -> None:
    f = opt.frontier(prices, points=12)
    assert f.columns[:3] == ["volatility", "return", "sharpe"] and f.height == 12
    assert (f["return"].diff().drop_nulls() >= -1e-12).all()
    assert (f["volatility"].diff().drop_nulls() >= -1e-12).all()
    mv = opt.optimize(prices, "min_volatility")
    assert math.isclose(f["volatility"][0], mv.performance.volatility, rel_tol=1e-9)
    w = f.select(["AAPL", "AMZN", "GE", "AMD", "WMT", "BAC", "T", "XOM", "PFE", "JPM"]).to_numpy()
    np.testing.assert_allclose(w.sum(axis=1), 1.0, atol=1e-9)
    with pytest.raises(InvalidInput) as e:
        opt.frontier(prices, points=1)
    assert e.value.field == "points"


def test_allocate(prices: pl.DataFrame) -> None:
    best = opt.optimize(prices, "max_sharpe")
    last = opt.latest_prices(prices)
    assert list(last) == list(best.weights) and last["AAPL"] == prices["AAPL"][-1]
    a = opt.allocate(best, prices, 10_000)
    spent = sum(n * last[t] for t, n in a.shares.items())
    assert 0 <= a.leftover < max(last.values()) and math.isclose(spent + a.leftover, 10_000, rel_tol=1e-9)
    exact = opt.allocate(best.weights, last, 10_000, method="exact")
    assert exact.leftover <= a.leftover + 1e-6 or exact.shares != a.shares
    assert a.to_dict()["shares"] == a.shares
    with pytest.raises(InvalidInput):
        opt.allocate({"AAPL": 0.5, "GE": 0.5}, last, -5)


def test_recommend_from_a_category_or_a_profile(pd_prices: pd.DataFrame) -> None:
    class Profile:
        category = "moderate"

    spy = pd.read_csv(SHARED / "data" / "spy_prices.csv", parse_dates=True, index_col="date")
    prices = pd_prices.join(spy, how="inner")
    # Single stocks alone cannot meet the diversification limits: the error says what to add.
    with pytest.raises(Infeasible) as e:
        opt.recommend("moderate", pd_prices)
    assert e.value.kind == "undiversifiable" and "SPY" in str(e.value)

    a = opt.recommend("moderate", prices)
    b = opt.recommend(Profile(), prices)
    assert a == b
    assert a.category == "moderate" and "CASH" in a.weights
    assert math.isclose(sum(a.weights.values()), 1.0, abs_tol=1e-6)
    lo, hi = a.expected_return_range
    assert lo <= a.performance.expected_return <= hi
    assert a.reasoning and isinstance(a.basis, str)
    aggressive = opt.recommend("aggressive", prices)
    assert aggressive.weights.get("CASH", 0) <= a.weights["CASH"] + 1e-9
    with pytest.raises(InvalidInput) as e:
        opt.recommend("reckless", prices)
    assert e.value.field == "category"


# ---------------------------------------------------------------- errors


def test_typed_errors(prices: pl.DataFrame) -> None:
    with pytest.raises(Infeasible) as e:
        opt.optimize(prices, "efficient_return", target_return=5.0)
    assert e.value.kind == "target_return_unreachable"
    with pytest.raises(Infeasible) as e:
        opt.optimize(prices, "efficient_risk", target_volatility=0.01)
    assert e.value.kind == "target_volatility_unreachable"
    with pytest.raises(InvalidInput) as e:
        opt.optimize(prices, "efficient_risk")
    assert e.value.field == "objective"
    with pytest.raises(InvalidInput) as e:
        opt.optimize(prices, "max_sharpe", bounds=(0.5, 0.1))
    assert e.value.field == "bounds"
    with pytest.raises(Infeasible) as e:
        opt.optimize(prices, "max_sharpe", bounds=(0.0, 0.05))
    assert e.value.kind == "infeasible_bounds"
    with pytest.raises(InvalidInput) as e:
        opt.optimize(prices, "hrp", max_holdings=3)
    assert e.value.field == "max_holdings"
    with pytest.raises(InvalidInput) as e:
        opt.optimize(prices, "max_sharpe", risk_free_rate=float("nan"))
    assert e.value.field == "risk_free_rate"


def test_bad_data_is_refused_with_the_field(prices: pl.DataFrame) -> None:
    bad = prices.with_columns(pl.when(pl.int_range(pl.len()) == 5).then(-1.0).otherwise(pl.col("GE")).alias("GE"))
    with pytest.raises(InvalidInput) as e:
        opt.optimize(bad, "min_volatility")
    assert e.value.field == "GE" and e.value.line is not None
    with pytest.raises(DataUnavailable):
        opt.optimize(prices.head(1), "min_volatility")
    with pytest.raises(InvalidInput):
        opt.portfolio_performance({"AAPL": 1.0}, {"AAPL": 0.1}, opt.risk_model(prices))


def test_pandas_input_and_pickling(pd_prices: pd.DataFrame) -> None:
    out = opt.optimize(pd_prices, "min_volatility")
    assert pickle.loads(pickle.dumps(out)) == out
    returns = _native.ReturnTable.from_prices(auravest.price_table(pd_prices))
    again = pickle.loads(pickle.dumps(returns.with_frequency(52.0)))
    assert again.frequency == 52.0 and again.columns == returns.columns and len(again) == len(returns)


def test_three_assets_exact_values() -> None:
    p = three_assets()
    mv = opt.optimize(p, "min_volatility", bounds=(-2.0, 2.0))
    s = opt.risk_model(p).matrix
    inv = np.linalg.inv(s)
    w_closed = inv.sum(axis=1) / inv.sum()
    assert (np.abs(w_closed) < 2).all()  # the bounds do not bind: the closed form applies
    np.testing.assert_allclose(list(mv.weights.values()), w_closed, atol=1e-9)
    long_only = opt.optimize(p, "min_volatility")
    assert long_only.performance.volatility >= mv.performance.volatility - 1e-12
    assert math.isclose(mv.performance.volatility, math.sqrt(w_closed @ s @ w_closed), rel_tol=1e-9)


def test_long_calls_release_the_gil() -> None:
    rng = np.random.default_rng(1)
    n, t = 300, 600
    r = rng.normal(0.0004, 0.01, (t, n)) + rng.normal(0, 0.01, (t, 1))
    levels = 100 * np.cumprod(1 + r, axis=0)
    dates = pl.date_range(dt.date(2020, 1, 1), dt.date(2020, 1, 1) + dt.timedelta(days=t - 1), eager=True)
    frame = pl.DataFrame({"date": dates, **{f"A{i}": levels[:, i] for i in range(n)}})
    ticks = []
    stop = threading.Event()

    def count() -> None:
        while not stop.is_set():
            ticks.append(1)
            time.sleep(0.001)

    th = threading.Thread(target=count)
    th.start()
    start = time.perf_counter()
    opt.optimize(frame, "max_sharpe", risk_model="ledoit-wolf")
    elapsed = time.perf_counter() - start
    stop.set()
    th.join()
    # The counter kept ticking while Rust worked (it would stall on a held GIL).
    assert len(ticks) >= max(1, int(elapsed / 0.001 * 0.2))


def test_recommend_reads_an_instruments_mapping(pd_prices: pd.DataFrame, tmp_path: Path) -> None:
    spy = pd.read_csv(SHARED / "data" / "spy_prices.csv", parse_dates=True, index_col="date")
    prices = pd_prices.join(spy, how="inner")
    csv = "symbol,name,asset_class,sector,country,currency\nXOM,Exxon,equity,Energy,US,USD\n"
    (tmp_path / "instruments.csv").write_text(csv)
    from_text = opt.recommend("growth", prices, instruments=csv)
    from_path = opt.recommend("growth", prices, instruments=tmp_path / "instruments.csv")
    assert from_text == from_path
    bad = "symbol,name,asset_class\nXOM,Exxon,spaceship\n"
    with pytest.raises(InvalidInput) as e:
        opt.recommend("growth", prices, instruments=bad)
    assert e.value.field == "asset_class" and e.value.line == 2


def test_compat_errors_name_the_callers_columns(pd_prices: pd.DataFrame) -> None:
    from auravest.compat.pypfopt import EfficientFrontier, exceptions, expected_returns, risk_models

    bad = pd_prices.copy()
    bad.iloc[3, 2] = -1.0
    with pytest.raises(InvalidInput) as e:
        expected_returns.mean_historical_return(bad)
    assert e.value.field == "GE" and e.value.line == 5 and "GE" in str(e.value)
    mu, s = expected_returns.mean_historical_return(pd_prices), risk_models.sample_cov(pd_prices)
    ef = EfficientFrontier(mu, s)
    with pytest.raises(ValueError):  # PyPortfolioOpt's type for an unreachable target
        ef.efficient_return(5.0)
    ef = EfficientFrontier(mu, s)
    ef.add_constraint(lambda w: w[0] * w[1] <= 0.1)
    with pytest.raises(exceptions.UnsupportedConstraint):
        ef.min_volatility()
    ef = EfficientFrontier(mu, s)
    ef.add_constraint(lambda w: w[0] >= 0.3)
    ef.add_constraint(lambda w: w[1] + w[2] == 0.2)
    w = ef.min_volatility()
    assert w["AAPL"] >= 0.3 - 1e-9 and abs(w["AMZN"] + w["GE"] - 0.2) < 1e-9
