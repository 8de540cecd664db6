"""PyPortfolioOpt's ``discrete_allocation``: whole shares for a portfolio value.

:meth:`DiscreteAllocation.greedy_portfolio` and
:meth:`DiscreteAllocation.lp_portfolio` run the SDK's greedy and exact
(branch-and-bound on the same integer programme) allocations. Negative
weights form a short book of ``total_portfolio_value`` times the sum of
their magnitudes, as PyPortfolioOpt does without ``short_ratio``.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd  # type: ignore[import-untyped, unused-ignore]

from ... import _native
from . import _common

__all__ = ["DiscreteAllocation", "get_latest_prices"]


def get_latest_prices(prices: pd.DataFrame) -> pd.Series:
    """The last known price of every column (named by its date, as pandas' ``ffill().iloc[-1]``)."""
    if not isinstance(prices, pd.DataFrame):
        raise TypeError("prices not in a dataframe")
    table = _common.price_table(prices)
    last = dict(_native.opt_latest_prices(table))
    names = _common.names(prices.shape[1])
    values = [last.get(n, np.nan) for n in names]
    return pd.Series(values, index=prices.columns, name=prices.index[-1], dtype=np.float64)


class DiscreteAllocation:
    """Whole shares of each asset for ``total_portfolio_value`` from weights and latest prices."""

    def __init__(
        self,
        weights: dict[Any, float],
        latest_prices: pd.Series,
        total_portfolio_value: float = 10000,
        short_ratio: float | None = None,
    ) -> None:
        if not isinstance(weights, dict):
            raise TypeError("weights should be a dictionary of {ticker: weight}")
        if any(np.isnan(val) for val in weights.values()):
            raise ValueError("weights should have no NaNs")
        if not isinstance(latest_prices, pd.Series):
            raise TypeError("latest_prices should be a pd.Series")
        if total_portfolio_value <= 0:
            raise ValueError("total_portfolio_value must be greater than zero")
        if short_ratio is not None and short_ratio < 0:
            raise ValueError("short_ratio must be non-negative")
        self.weights = list(weights.items())
        self.latest_prices = latest_prices
        self.total_portfolio_value = total_portfolio_value
        self.short_ratio = short_ratio
        self.allocation: dict[Any, int] | None = None

    @staticmethod
    def _remove_zero_positions(allocation: dict[Any, int]) -> dict[Any, int]:
        return {k: v for k, v in allocation.items() if v != 0}

    def _run(self, method: str, verbose: bool) -> tuple[dict[Any, int], float]:
        labels = [t for t, _ in self.weights]
        names = _common.names(len(labels))
        prices = [
            (n, float(self.latest_prices[t])) for n, t in zip(names, labels) if t in self.latest_prices.index
        ]
        with _common.translated():
            out = _native.opt_allocate(
                names, [float(w) for _, w in self.weights], prices, float(self.total_portfolio_value), method
            )
        by_name = dict(zip(names, labels))
        shares = {by_name[k]: int(v) for k, v in out["shares"].items()}
        # Greedy lists the largest weights first, the exact method in the weights' order (as PyPortfolioOpt).
        order = labels
        if method == "greedy":
            w = dict(self.weights)
            order = sorted(labels, key=lambda t: -abs(w[t]))
        self.allocation = {t: shares[t] for t in order if shares.get(t, 0) != 0}
        leftover = float(out["leftover"])
        if verbose:
            print(f"Funds remaining: {leftover:.2f}")
            self._allocation_rmse_error(verbose=True)
        return self.allocation, leftover

    def greedy_portfolio(self, reinvest: bool = False, verbose: bool = False) -> tuple[dict[Any, int], float]:
        """The greedy allocation: buy down the list of weights, then fill the largest shortfalls."""
        return self._run("greedy", verbose)

    def lp_portfolio(
        self, reinvest: bool = False, verbose: bool = False, solver: str | None = None
    ) -> tuple[dict[Any, int], float]:
        """The exact allocation: the least total shortfall from the target values."""
        return self._run("exact", verbose)

    def _allocation_rmse_error(self, verbose: bool = True) -> float:
        """Root-mean-square difference between the target weights and the allocation's."""
        if self.allocation is None:
            raise ValueError("no allocation yet")
        labels = [t for t, _ in self.weights]
        names = _common.names(len(labels))
        by_label = dict(zip(labels, names))
        prices = [(n, float(self.latest_prices[t])) for n, t in zip(names, labels) if t in self.latest_prices.index]
        shares = [(by_label[t], int(v)) for t, v in self.allocation.items()]
        rmse = _common.call(
            _native.opt_allocation_rmse, names, [float(w) for _, w in self.weights], prices, shares
        )
        if verbose:
            print(f"Allocation has RMSE: {rmse:.3f}")
        return rmse
