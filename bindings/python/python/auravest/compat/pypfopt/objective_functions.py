"""PyPortfolioOpt's ``objective_functions``.

On numbers (numpy arrays, pandas objects) each function evaluates the
term with the SDK (``auravest_optimize::objectives``). Passed to
``add_objective``, :func:`L2_reg` and :func:`transaction_cost` become the
optimiser's L2 regularisation and turnover cost; other terms (and custom
cvxpy expressions) cannot be added, since AuraVest does not solve through
cvxpy, and raise :class:`~auravest.compat.pypfopt.exceptions.UnsupportedObjective`.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ... import _native
from . import _common

__all__ = [
    "L2_reg",
    "ex_ante_tracking_error",
    "ex_post_tracking_error",
    "portfolio_return",
    "portfolio_variance",
    "quadratic_utility",
    "sharpe_ratio",
    "transaction_cost",
]


def _vec(x: Any) -> list[float]:
    return [float(v) for v in np.asarray(x, dtype=np.float64).ravel()]


def portfolio_variance(w: Any, cov_matrix: Any) -> float:
    """``w' S w``."""
    return _common.call(_native.opt_portfolio_variance, _vec(w), _common.flat(cov_matrix))


def portfolio_return(w: Any, expected_returns: Any, negative: bool = True) -> float:
    """``w · mu`` (negated when ``negative``, as a term to minimise)."""
    mu = _common.call(_native.opt_portfolio_return, _vec(w), _vec(expected_returns))
    return -mu if negative else mu


def sharpe_ratio(
    w: Any, expected_returns: Any, cov_matrix: Any, risk_free_rate: float = 0.0, negative: bool = True
) -> float:
    """``(w · mu - rf) / sqrt(w' S w)`` (negated when ``negative``)."""
    sr = _common.call(
        _native.opt_sharpe_ratio, _vec(w), _vec(expected_returns), _common.flat(cov_matrix), float(risk_free_rate)
    )
    return -sr if negative else sr


def L2_reg(w: Any, gamma: float = 1) -> float:  # noqa: N802 - PyPortfolioOpt's name
    """``gamma ‖w‖²``: pulls the weights toward equal (more assets held)."""
    return _native.opt_l2_regularisation(_vec(w), float(gamma))


def quadratic_utility(
    w: Any, expected_returns: Any, cov_matrix: Any, risk_aversion: float, negative: bool = True
) -> float:
    """``w · mu - (delta/2) w' S w`` (negated when ``negative``)."""
    u = _common.call(
        _native.opt_quadratic_utility, _vec(w), _vec(expected_returns), _common.flat(cov_matrix), float(risk_aversion)
    )
    return -u if negative else u


def transaction_cost(w: Any, w_prev: Any, k: float = 0.001) -> float:
    """``k Σ|w - w_prev|``: a proportional cost per unit of turnover."""
    return _common.call(_native.opt_transaction_cost, _vec(w), _vec(w_prev), float(k))


def ex_ante_tracking_error(w: Any, cov_matrix: Any, benchmark_weights: Any) -> float:
    """``(w - b)' S (w - b)``: squared tracking error against benchmark weights."""
    return _common.call(
        _native.opt_ex_ante_tracking_error, _vec(w), _common.flat(cov_matrix), _vec(benchmark_weights)
    )


def ex_post_tracking_error(w: Any, historic_returns: Any, benchmark_returns: Any) -> float:
    """Variance of the portfolio's returns minus the benchmark's."""
    r = np.ascontiguousarray(np.asarray(historic_returns, dtype=np.float64))
    return _common.call(_native.opt_ex_post_tracking_error, _vec(w), r, _vec(benchmark_returns))
