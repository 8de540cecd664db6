"""Portfolio optimisation: estimators, every objective, the frontier, whole shares and the recommendation.

Everything here forwards to the Rust crate ``auravest-optimize``: the
formulas, defaults and checks are the SDK's (an argument left at ``None``
takes the SDK's default), and the solvers run without the GIL, so other
Python threads keep going and Ctrl-C interrupts a long call.

Prices are a polars DataFrame (a ``date`` column and one column per ticker),
a pandas DataFrame (a DatetimeIndex and one column per ticker) or an
:class:`auravest.PriceTable`. Tickers come back upper-cased (the SDK's
symbols). Missing prices (late listings) are kept as missing: each
estimator uses pairwise-complete data unless ``compat="pypfopt"`` asks for
PyPortfolioOpt 1.6's exact behaviour.

>>> import auravest.optimize as opt                     # doctest: +SKIP
>>> best = opt.optimize(prices, "max_sharpe")           # doctest: +SKIP
>>> best.weights["AAPL"], best.performance.sharpe       # doctest: +SKIP
>>> opt.allocate(best.weights, prices, 10_000).shares   # doctest: +SKIP

Errors are the classes of :mod:`auravest.exceptions`: ``InvalidInput``
(with ``field``) for bad arguments and data, ``Infeasible`` for targets
and bounds no portfolio meets, ``DataUnavailable`` for too short a
history, ``SolverError`` when a solver stops without a solution.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any, Literal, Protocol

import numpy as np
import polars as pl

from . import _native
from ._frames import PriceInput, to_table
from .exceptions import InvalidInput

__all__ = [
    "Allocation",
    "BlackLittermanResult",
    "ExpectedReturns",
    "Objective",
    "OptimizationResult",
    "Performance",
    "Recommendation",
    "RiskModel",
    "allocate",
    "black_litterman",
    "expected_returns",
    "frontier",
    "latest_prices",
    "optimize",
    "portfolio_performance",
    "recommend",
    "risk_model",
]

Objective = Literal[
    "max_sharpe",
    "min_volatility",
    "efficient_risk",
    "efficient_return",
    "max_utility",
    "hrp",
    "risk_parity",
    "inverse_volatility",
    "equal_weight",
    "min_cvar",
    "min_cdar",
]
"""The objectives :func:`optimize` solves (the SDK's ``Objective``)."""

ReturnsMethod = Literal["mean", "mean-arithmetic", "ema", "capm"]
RiskMethod = Literal[
    "sample",
    "semicovariance",
    "exp-cov",
    "ledoit-wolf",
    "ledoit-wolf-single-factor",
    "ledoit-wolf-constant-correlation",
    "oas",
    "shrunk",
]
MissingData = Literal["pairwise", "py_portfolio_opt"]
Compat = Literal["native", "pypfopt"]


class _HasCategory(Protocol):
    @property
    def category(self) -> str: ...


# ---------------------------------------------------------------- results


@dataclass(frozen=True)
class Performance:
    """Expected annual return, annual volatility and Sharpe ratio of a portfolio."""

    expected_return: float
    volatility: float
    sharpe: float | None

    def to_dict(self) -> dict[str, Any]:
        """The fields as a dict."""
        return asdict(self)


@dataclass(frozen=True)
class OptimizationResult:
    """Weights (in ticker order) with their performance.

    ``method`` names the solver path (``active-set``, ``clarabel``, ``hrp``...);
    ``tail_risk`` is ``(measure, value)`` for the CVaR/CDaR objectives.
    """

    weights: dict[str, float]
    performance: Performance
    method: str
    tail_risk: tuple[str, float] | None = None

    def to_dict(self) -> dict[str, Any]:
        """The result as plain dicts, lists and numbers."""
        return {
            "weights": dict(self.weights),
            "performance": self.performance.to_dict(),
            "method": self.method,
            "tail_risk": self.tail_risk,
        }


@dataclass(frozen=True)
class ExpectedReturns:
    """Annual expected returns by ticker (``shrinkage`` for James-Stein)."""

    values: dict[str, float]
    method: str
    shrinkage: float | None = None

    def to_dict(self) -> dict[str, Any]:
        """The estimate as a dict."""
        return {"values": dict(self.values), "method": self.method, "shrinkage": self.shrinkage}

    def to_polars(self) -> pl.DataFrame:
        """A ``ticker``/``expected_return`` DataFrame."""
        return pl.DataFrame({"ticker": list(self.values), "expected_return": list(self.values.values())})


@dataclass(frozen=True)
class RiskModel:
    """An annual covariance matrix (read-only numpy array) with its tickers."""

    tickers: tuple[str, ...]
    matrix: np.ndarray = field(repr=False)
    method: str
    shrinkage: float | None = None

    def to_dict(self) -> dict[str, Any]:
        """``{"tickers", "matrix" (nested lists), "method", "shrinkage"}``."""
        return {
            "tickers": list(self.tickers),
            "matrix": self.matrix.tolist(),
            "method": self.method,
            "shrinkage": self.shrinkage,
        }

    def to_polars(self) -> pl.DataFrame:
        """The matrix as a DataFrame: a ``ticker`` column and one column per ticker."""
        data: dict[str, Any] = {"ticker": list(self.tickers)}
        for j, t in enumerate(self.tickers):
            data[t] = self.matrix[:, j]
        return pl.DataFrame(data)


@dataclass(frozen=True)
class Allocation:
    """Whole shares for a cash amount: ``shares`` held, ``leftover`` cash."""

    shares: dict[str, int]
    leftover: float
    trades: dict[str, int]
    fees: float

    def to_dict(self) -> dict[str, Any]:
        """The allocation as a dict."""
        return asdict(self)


@dataclass(frozen=True)
class BlackLittermanResult:
    """A Black-Litterman posterior: returns, covariance and (optionally) weights."""

    expected_returns: dict[str, float]
    cov: RiskModel
    omega: np.ndarray = field(repr=False)
    weights: dict[str, float] | None = None

    def to_dict(self) -> dict[str, Any]:
        """The posterior as plain dicts and lists."""
        return {
            "expected_returns": dict(self.expected_returns),
            "cov": self.cov.to_dict(),
            "omega": self.omega.tolist(),
            "weights": None if self.weights is None else dict(self.weights),
        }


@dataclass(frozen=True)
class Recommendation:
    """The recommended portfolio for a risk category, with the reasons for it.

    ``weights`` include the ``CASH`` line; ``expected_return_range`` is the
    estimate plus and minus one standard error; ``basis`` says how the
    figures were made; ``gaps`` what the universe lacks; ``reasoning`` one
    plain-language sentence per decision. Illustrative, not advice.
    """

    category: str
    weights: dict[str, float]
    performance: Performance
    expected_return_range: tuple[float, float]
    basis: str
    shrinkage: float | None
    allocation: dict[str, Any]
    gaps: list[dict[str, Any]]
    left_out: list[dict[str, Any]]
    reasoning: list[str]

    def to_dict(self) -> dict[str, Any]:
        """The recommendation as plain dicts and lists."""
        out = asdict(self)
        out["expected_return_range"] = list(self.expected_return_range)
        return out


# ---------------------------------------------------------------- helpers


def _returns(prices: PriceInput, frequency: float | None) -> _native.ReturnTable:
    table = _native.ReturnTable.from_prices(to_table(prices))
    return table if frequency is None else table.with_frequency(frequency)


def _matrix(names: list[str], raw: bytes) -> np.ndarray:
    n = len(names)
    m = np.frombuffer(raw, dtype="<f8").reshape((n, n)).copy()
    m.flags.writeable = False
    return m


def _perf(ret: float, vol: float, sharpe: float | None) -> Performance:
    return Performance(ret, vol, sharpe)


def _objective(
    objective: str,
    target_volatility: float | None,
    target_return: float | None,
    risk_aversion: float | None,
) -> dict[str, dict[str, float]]:
    params = {
        k: v
        for k, v in (
            ("target_volatility", target_volatility),
            ("target_return", target_return),
            ("risk_aversion", risk_aversion),
        )
        if v is not None
    }
    return {objective: params}


def _bounds(bounds: tuple[float, float] | None) -> tuple[float, float] | None:
    return None if bounds is None else (float(bounds[0]), float(bounds[1]))


def _clean(clean: bool | tuple[float | None, int | None] | None) -> tuple[float | None, int | None] | None:
    if clean is None or clean is False:
        return None
    if clean is True:
        return (None, None)
    return (clean[0], clean[1])


# ---------------------------------------------------------------- estimators


def expected_returns(
    prices: PriceInput,
    method: ReturnsMethod | Literal["james-stein"] | None = None,
    *,
    risk_free_rate: float | None = None,
    frequency: float | None = None,
) -> ExpectedReturns:
    """Annual expected returns from daily closes.

    ``method``: ``mean`` (compound annual growth, the default),
    ``mean-arithmetic``, ``ema`` (span 500 rows), ``capm`` (against the
    equal-weight market, at ``risk_free_rate``) or ``james-stein``
    (arithmetic means shrunk toward their grand mean; ``shrinkage`` says
    how far). ``frequency``: periods a year (252 for daily prices).
    """
    returns = _returns(prices, frequency)
    if method == "james-stein":
        names, values, c = _native.opt_james_stein(returns)
        return ExpectedReturns(dict(zip(names, values)), "james-stein", c)
    rf = _native.OPT_DEFAULT_RISK_FREE_RATE if risk_free_rate is None else risk_free_rate
    names, values = _native.opt_expected_returns(returns, method, rf)
    return ExpectedReturns(dict(zip(names, values)), method or "mean")


def risk_model(
    prices: PriceInput,
    method: RiskMethod | None = None,
    *,
    frequency: float | None = None,
    missing_data: MissingData | None = None,
) -> RiskModel:
    """An annual covariance matrix from daily closes.

    ``method``: ``sample`` (the default), ``semicovariance``, ``exp-cov``,
    ``ledoit-wolf`` (and its ``-single-factor`` / ``-constant-correlation``
    targets), ``oas`` or ``shrunk``. Ledoit-Wolf and OAS report their
    shrinkage intensity. ``missing_data``: ``pairwise`` (the default) or
    ``py_portfolio_opt`` (zero-filled, as PyPortfolioOpt 1.6).
    """
    returns = _returns(prices, frequency)
    shrinkage: float | None = None
    if method in ("ledoit-wolf", "ledoit-wolf-single-factor", "ledoit-wolf-constant-correlation"):
        target = {
            "ledoit-wolf": "constant_variance",
            "ledoit-wolf-single-factor": "single_factor",
            "ledoit-wolf-constant-correlation": "constant_correlation",
        }[method]
        names, raw, shrinkage = _native.opt_ledoit_wolf(returns, target, missing_data)
    elif method == "oas":
        names, raw, shrinkage = _native.opt_oracle_approximating(returns, missing_data)
    else:
        names, raw = _native.opt_risk_model(returns, method, missing_data)
    return RiskModel(tuple(names), _matrix(names, raw), method or "sample", shrinkage)


# ---------------------------------------------------------------- optimisation


def optimize(
    prices: PriceInput,
    objective: Objective = "max_sharpe",
    *,
    returns: ReturnsMethod | None = None,
    risk_model: RiskMethod | None = None,
    risk_free_rate: float | None = None,
    bounds: tuple[float, float] | None = None,
    max_holdings: int | None = None,
    clean: bool | tuple[float | None, int | None] | None = None,
    target_volatility: float | None = None,
    target_return: float | None = None,
    risk_aversion: float | None = None,
    compat: Compat | None = None,
) -> OptimizationResult:
    """Optimal weights for ``objective`` from daily closes.

    Objectives: ``max_sharpe``, ``min_volatility``, ``efficient_risk``
    (needs ``target_volatility``), ``efficient_return`` (needs
    ``target_return``), ``max_utility`` (needs ``risk_aversion``), ``hrp``,
    ``risk_parity``, ``inverse_volatility``, ``equal_weight``, ``min_cvar``
    and ``min_cdar`` (95%, optionally at ``target_return``). For
    Black-Litterman see :func:`black_litterman`.

    ``returns``/``risk_model`` name the estimators (see
    :func:`expected_returns` and :func:`risk_model`); ``risk_free_rate``
    (annual, default 0.02) is used for Sharpe ratios; ``bounds`` apply to
    every asset (default ``(0, 1)``; a negative low allows shorts);
    ``max_holdings`` caps the number of assets held (mean-variance only);
    ``clean=True`` (or ``(cutoff, decimals)``) zeroes tiny weights and
    rounds the rest; ``compat="pypfopt"`` reproduces PyPortfolioOpt 1.6.

    Performance is reported under the expected returns and the sample
    covariance for the objectives that do not optimise one of their own.
    """
    names, weights, ret, vol, sharpe, tail, method = _native.opt_solve(
        to_table(prices),
        _objective(objective, target_volatility, target_return, risk_aversion),
        returns,
        risk_model,
        risk_free_rate,
        _bounds(bounds),
        max_holdings,
        _clean(clean),
        compat,
    )
    return OptimizationResult(dict(zip(names, weights)), _perf(ret, vol, sharpe), method, tail)


def frontier(
    prices: PriceInput,
    points: int = 20,
    *,
    returns: ReturnsMethod | None = None,
    risk_model: RiskMethod | None = None,
    risk_free_rate: float | None = None,
    bounds: tuple[float, float] | None = None,
    compat: Compat | None = None,
) -> pl.DataFrame:
    """``points`` efficient portfolios from minimum volatility to maximum return.

    A polars DataFrame with ``volatility``, ``return`` and ``sharpe``
    columns and one weight column per ticker, one row per point (20 by
    default, as the command line's ``auravest frontier``).
    """
    names, sols = _native.opt_frontier(
        to_table(prices), points, returns, risk_model, risk_free_rate, _bounds(bounds), compat
    )
    data: dict[str, Any] = {
        "volatility": [s[2] for s in sols],
        "return": [s[1] for s in sols],
        "sharpe": [s[3] for s in sols],
    }
    w = np.array([s[0] for s in sols], dtype=np.float64).reshape((len(sols), len(names)))
    for j, name in enumerate(names):
        data[name] = w[:, j]
    return pl.DataFrame(data, schema_overrides={"sharpe": pl.Float64})


def portfolio_performance(
    weights: Mapping[str, float],
    expected_returns: Mapping[str, float] | ExpectedReturns,
    cov: RiskModel,
    *,
    risk_free_rate: float | None = None,
) -> Performance:
    """Expected return, volatility and Sharpe ratio of ``weights``.

    The tickers of ``cov`` set the order; ``weights`` and
    ``expected_returns`` must name the same tickers.
    """
    mu = expected_returns.values if isinstance(expected_returns, ExpectedReturns) else expected_returns
    tickers = list(cov.tickers)
    w = [_lookup(weights, t, "weights") for t in tickers]
    m = [_lookup(mu, t, "expected_returns") for t in tickers]
    rf = _native.OPT_DEFAULT_RISK_FREE_RATE if risk_free_rate is None else risk_free_rate
    return _perf(*_native.opt_portfolio_performance(tickers, w, m, np.ascontiguousarray(cov.matrix), rf))


def _lookup(values: Mapping[str, float], ticker: str, where: str) -> float:
    for key in (ticker, ticker.lower()):
        if key in values:
            return float(values[key])
    for key, v in values.items():
        if str(key).upper() == ticker:
            return float(v)
    raise InvalidInput(f"{where}: no value for {ticker}", kind="unknown_ticker", field=where)


def black_litterman(
    prices: PriceInput,
    views: Mapping[str, float] | None = None,
    *,
    market_caps: Mapping[str, float],
    market_prices: PriceInput | None = None,
    picking: np.ndarray | Sequence[Sequence[float]] | None = None,
    view_returns: Sequence[float] | None = None,
    confidences: Sequence[float] | None = None,
    tau: float | None = None,
    risk_aversion: float | None = None,
    risk_model: RiskMethod | None = None,
    risk_free_rate: float | None = None,
) -> BlackLittermanResult:
    """The Black-Litterman posterior of a universe under views.

    The prior is the market-implied one from ``market_caps`` at
    ``risk_aversion``, or at the risk aversion implied by
    ``market_prices`` (a one-column price table such as SPY); one of the
    two is needed.
    Views are absolute (``{"AAPL": 0.10}``) or a picking matrix with
    ``view_returns``; ``confidences`` (one per view, 0..1) switch to
    Idzorek's method. ``weights`` are the posterior-implied weights.
    """
    table = to_table(prices)
    cov = globals()["risk_model"](table, risk_model)
    tickers = list(cov.tickers)
    rf = _native.OPT_DEFAULT_RISK_FREE_RATE if risk_free_rate is None else risk_free_rate
    delta = risk_aversion
    if delta is None and market_prices is not None:
        mkt = to_table(market_prices)
        values = np.frombuffer(mkt.value_bytes(), dtype="<f8")
        delta = _native.opt_market_implied_risk_aversion(values[~np.isnan(values)], _native.OPT_PERIODS_PER_YEAR, rf)
    if delta is None:
        raise InvalidInput(
            "risk_aversion: give risk_aversion or market_prices", kind="invalid_argument", field="risk_aversion"
        )
    caps = [(str(k), float(v)) for k, v in market_caps.items()]
    prior = _native.opt_market_implied_prior_returns(caps, delta, tickers, np.ascontiguousarray(cov.matrix), rf)
    p = None if picking is None else np.ascontiguousarray(picking, dtype=np.float64).ravel().tolist()
    post = _native.BlackLittermanPosterior(
        tickers,
        np.ascontiguousarray(cov.matrix),
        prior,
        None if views is None else [(str(k), float(v)) for k, v in views.items()],
        p,
        None if view_returns is None else [float(q) for q in view_returns],
        tau,
        None if confidences is None else [float(c) for c in confidences],
        None,
    )
    k = len(views) if views is not None else (0 if view_returns is None else len(view_returns))
    omega = np.frombuffer(post.omega(), dtype="<f8").reshape((k, k)).copy()
    return BlackLittermanResult(
        dict(zip(tickers, post.posterior_returns())),
        RiskModel(tuple(tickers), _matrix(tickers, post.posterior_covariance()), "black-litterman"),
        omega,
        dict(zip(tickers, post.weights(delta))),
    )


# ---------------------------------------------------------------- shares


def latest_prices(prices: PriceInput) -> dict[str, float]:
    """The last known price of every column, in column order (columns with no price left out)."""
    table = to_table(prices)
    last = dict(_native.opt_latest_prices(table))
    return {c: last[c] for c in table.columns if c in last}


def allocate(
    weights: Mapping[str, float] | OptimizationResult,
    prices: PriceInput | Mapping[str, float],
    total: float,
    *,
    method: Literal["greedy", "exact"] | None = None,
) -> Allocation:
    """Whole shares of each ticker for ``total`` in cash.

    ``prices``: the latest price of each ticker (a mapping) or a price
    table whose last known prices are used. ``method``: ``greedy`` (the
    default, PyPortfolioOpt's greedy_portfolio) or ``exact`` (the optimum
    of its integer programme).
    """
    w = weights.weights if isinstance(weights, OptimizationResult) else weights
    last = dict(prices) if isinstance(prices, Mapping) else latest_prices(prices)
    tickers = [str(t) for t in w]
    out = _native.opt_allocate(
        tickers,
        [float(v) for v in w.values()],
        [(str(k), float(v)) for k, v in last.items()],
        float(total),
        method,
    )
    return Allocation(
        {str(k): int(v) for k, v in out["shares"].items()},
        float(out["leftover"]),
        {str(k): int(v) for k, v in out["trades"].items()},
        float(out["fees"]),
    )


# ---------------------------------------------------------------- recommendation


def recommend(
    profile: str | _HasCategory,
    prices: PriceInput,
    *,
    instruments: str | os.PathLike[str] | None = None,
    risk_free_rate: float | None = None,
    returns: Literal["james_stein", "historical"] | None = None,
    min_observations: int | None = None,
    bond_target_volatility: float | None = None,
) -> Recommendation:
    """The recommended portfolio for a risk profile from daily closes.

    ``profile``: a category (``"conservative"``, ``"moderately_conservative"``,
    ``"moderate"``, ``"growth"``, ``"aggressive"``) or any object with a
    ``category`` attribute, such as :func:`auravest.risk.score`'s profile.
    ``instruments``: a mapping CSV text or path
    (``symbol,name,asset_class,sector,country,currency``) over the shipped
    table of common ETFs. The other options override the SDK's defaults.
    """
    category = profile if isinstance(profile, str) else str(profile.category)
    csv = None
    if instruments is not None:
        text = str(instruments)
        if isinstance(instruments, os.PathLike) or "\n" not in text:  # a path; CSV text has lines
            with open(text, encoding="utf-8") as fh:
                text = fh.read()
        csv = text
    options = {
        k: v
        for k, v in (
            ("risk_free_rate", risk_free_rate),
            ("returns", returns),
            ("min_observations", min_observations),
            ("bond_target_volatility", bond_target_volatility),
        )
        if v is not None
    }
    raw = _native.opt_recommend(category, to_table(prices), csv, options or None)
    perf = raw["performance"]
    lo, hi = raw["expected_return_range"]
    return Recommendation(
        category=str(raw["category"]),
        weights={str(k): float(v) for k, v in raw["weights"].items()},
        performance=_perf(perf["expected_return"], perf["volatility"], perf["sharpe"]),
        expected_return_range=(float(lo), float(hi)),
        basis=str(raw["basis"]),
        shrinkage=raw["shrinkage"],
        allocation=dict(raw["allocation"]),
        gaps=list(raw["gaps"]),
        left_out=list(raw["left_out"]),
        reasoning=[str(r) for r in raw["reasoning"]],
    )

