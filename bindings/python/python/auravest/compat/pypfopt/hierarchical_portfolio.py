"""PyPortfolioOpt's ``HRPOpt``: hierarchical risk parity on the SDK's clustering and bisection."""

from __future__ import annotations

import collections
from typing import Any

import numpy as np
import pandas as pd  # type: ignore[import-untyped, unused-ignore]

from ... import _native
from . import _common, base_optimizer

__all__ = ["HRPOpt"]

_FREQUENCY = int(_native.OPT_PERIODS_PER_YEAR)


class HRPOpt(base_optimizer.BaseOptimizer):
    """Hierarchical risk parity from daily ``returns`` (a DataFrame) or an annual ``cov_matrix``.

    After :meth:`optimize`, ``clusters`` holds SciPy's linkage matrix.
    """

    def __init__(self, returns: pd.DataFrame | None = None, cov_matrix: pd.DataFrame | None = None) -> None:
        if returns is None and cov_matrix is None:
            raise ValueError("Either returns or cov_matrix must be provided")
        if returns is not None and not isinstance(returns, pd.DataFrame):
            raise TypeError("returns are not a dataframe")
        self.returns = returns
        self.cov_matrix = cov_matrix
        self.clusters: np.ndarray | None = None
        self._hrp: Any = None
        tickers = list(returns.columns) if returns is not None else list(pd.DataFrame(cov_matrix).columns)
        super().__init__(len(tickers), tickers)

    def optimize(self, linkage_method: str = "single") -> collections.OrderedDict[Any, float]:
        """The HRP weights under ``linkage_method`` (``single``, ``complete``, ``average`` or ``ward``)."""
        with _common.translated():
            if self.returns is not None:
                self._hrp = _native.HrpPortfolio.from_returns(_common.return_table(self.returns), linkage_method)
            else:
                cov = _common.flat(self.cov_matrix)
                self._hrp = _native.HrpPortfolio.from_covariance(
                    _common.names(cov.shape[0]), cov, linkage_method
                )
        self.clusters = np.array([[a, b, d, s] for a, b, d, s in self._hrp.merges], dtype=np.float64)
        self.weights = np.asarray(self._hrp.weights, dtype=np.float64)
        # PyPortfolioOpt lists HRP weights by ticker name.
        pairs = list(zip(self.tickers, (float(v) for v in self.weights)))
        try:
            pairs.sort(key=lambda kv: kv[0])
        except TypeError:  # tickers of mixed types keep their order
            pass
        return collections.OrderedDict(pairs)

    def portfolio_performance(
        self, verbose: bool = False, risk_free_rate: float = 0.0, frequency: float = _FREQUENCY
    ) -> tuple[float | None, float, float | None]:
        """Expected return (arithmetic mean), volatility and Sharpe ratio of the weights.

        From returns, the figures are annualised at ``frequency``; from a
        covariance matrix only the volatility is known.
        """
        if self.weights is None:
            raise ValueError("Weights is None")
        if self.returns is None:
            return base_optimizer.portfolio_performance(self.weights, None, self.cov_matrix, verbose, risk_free_rate)
        if frequency == _FREQUENCY and self._hrp is not None:
            ret, vol, sharpe = self._hrp.performance(float(risk_free_rate))
            if verbose:
                print(f"Expected annual return: {100 * ret:.1f}%")
                print(f"Annual volatility: {100 * vol:.1f}%")
                print(f"Sharpe Ratio: {sharpe:.2f}")
            return ret, vol, sharpe
        table = _common.return_table(self.returns, float(frequency))
        mu = _native.opt_mean_historical(table, False)[1]
        _, raw = _native.opt_sample_cov(table, "pairwise")
        cov = _common.matrix(raw, self.n_assets)
        return base_optimizer.portfolio_performance(self.weights, np.asarray(mu), cov, verbose, risk_free_rate)
