"""PyPortfolioOpt's ``CLA`` (critical line algorithm) on the SDK's exact active-set method.

The SDK's long-only mean-variance solver walks the same critical line:
maximum Sharpe (at a zero risk-free rate, as the CLA's), minimum
volatility and the frontier are its answers.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd  # type: ignore[import-untyped, unused-ignore]

from . import _common, base_optimizer

__all__ = ["CLA"]


class CLA(base_optimizer.BaseOptimizer):
    """The critical line algorithm's portfolios: max Sharpe, min volatility, the frontier.

    ``cov_matrix`` may be replaced after construction (``cla.cov_matrix = ...``).
    """

    def __init__(self, expected_returns: Any, cov_matrix: Any, weight_bounds: Any = (0, 1)) -> None:
        self.mean = np.asarray(expected_returns, dtype=np.float64).reshape((-1, 1))
        self.expected_returns = self.mean.ravel()
        self.cov_matrix = np.asarray(cov_matrix, dtype=np.float64)
        n = len(self.expected_returns)
        if isinstance(weight_bounds[0], (float, int)) or weight_bounds[0] is None:
            lo = -1.0 if weight_bounds[0] is None else weight_bounds[0]
            hi = 1.0 if weight_bounds[1] is None else weight_bounds[1]
            self.lB = np.full((n, 1), float(lo))
            self.uB = np.full((n, 1), float(hi))
        elif len(weight_bounds) == n:
            b = np.asarray(weight_bounds, dtype=np.float64)
            self.lB, self.uB = b[:, :1], b[:, 1:]
        else:
            self.lB = np.asarray(weight_bounds[0], dtype=np.float64).reshape((-1, 1))
            self.uB = np.asarray(weight_bounds[1], dtype=np.float64).reshape((-1, 1))
        if isinstance(expected_returns, pd.Series):
            tickers = list(expected_returns.index)
        elif isinstance(cov_matrix, pd.DataFrame):
            tickers = list(cov_matrix.columns)
        else:
            tickers = list(range(n))
        super().__init__(n, tickers)
        self.frontier_values: tuple[list[float], list[float], list[np.ndarray]] | None = None

    def _problem(self) -> Any:
        from ... import _native

        names = _common.names(self.n_assets)
        with _common.translated():
            p = _native.MeanVarianceProblem(names, [float(v) for v in self.expected_returns], _common.flat(self.cov_matrix))
            return p.with_bounds([float(v) for v in self.lB.ravel()], [float(v) for v in self.uB.ravel()])

    def set_weights(self, input_weights: Any) -> None:
        raise NotImplementedError("set_weights is not available in CLA")

    def max_sharpe(self) -> dict[Any, float]:
        """The maximum-Sharpe portfolio (zero risk-free rate)."""
        self.weights = np.asarray(_common.call(self._problem().max_sharpe, 0.0)[0])
        return self._make_output_weights()

    def min_volatility(self) -> dict[Any, float]:
        """The minimum-volatility portfolio."""
        self.weights = np.asarray(_common.call(self._problem().min_volatility, 0.0)[0])
        return self._make_output_weights()

    def efficient_frontier(self, points: int = 100) -> tuple[list[float], list[float], list[np.ndarray]]:
        """``points`` frontier portfolios from the highest return down: returns, volatilities, weights (column vectors)."""
        sols = _common.call(self._problem().frontier, int(points), 0.0)[::-1]
        mu = [s[1] for s in sols]
        sigma = [s[2] for s in sols]
        weights = [np.asarray(s[0], dtype=np.float64).reshape((-1, 1)) for s in sols]
        self.frontier_values = (mu, sigma, weights)
        return mu, sigma, weights

    def portfolio_performance(
        self, verbose: bool = False, risk_free_rate: float = 0.0
    ) -> tuple[float | None, float, float | None]:
        """Expected return, volatility and Sharpe ratio of the weights."""
        return base_optimizer.portfolio_performance(
            self.weights, self.expected_returns, self.cov_matrix, verbose, risk_free_rate
        )
