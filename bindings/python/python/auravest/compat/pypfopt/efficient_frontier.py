"""PyPortfolioOpt's efficient frontiers: mean-variance, CVaR and CDaR, on AuraVest's optimisers.

:class:`EfficientFrontier` runs on the SDK's mean-variance optimiser (an
exact active-set method for long-only box-bounded problems, Clarabel
otherwise); :class:`EfficientCVaR` and :class:`EfficientCDaR` on its
tail-risk linear programmes. Constraints are linear (see
:mod:`.base_optimizer`); the objective terms are L2 regularisation and a
turnover cost.
"""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np
import pandas as pd  # type: ignore[import-untyped, unused-ignore]

from ... import _native
from . import _common, base_optimizer, exceptions

__all__ = ["EfficientCDaR", "EfficientCVaR", "EfficientFrontier", "EfficientSemivariance"]

_PARAMETRISED = ("efficient_risk", "efficient_return", "max_quadratic_utility")


class EfficientFrontier(base_optimizer.BaseConvexOptimizer):
    """Mean-variance optimisation: max Sharpe, min volatility, efficient risk and return, max utility.

    ``expected_returns`` (a Series, list or array; ``None`` for min
    volatility only) and ``cov_matrix`` (a DataFrame or array) are annual.
    ``weight_bounds`` is a ``(low, high)`` pair for every asset, a list of
    pairs, or a pair of arrays; ``None`` in a pair means -1 or 1.
    """

    def __init__(
        self,
        expected_returns: Any,
        cov_matrix: Any,
        weight_bounds: Any = (0, 1),
        solver: str | None = None,
        verbose: bool = False,
        solver_options: dict[str, Any] | None = None,
    ) -> None:
        self.cov_matrix = self._validate_cov_matrix(cov_matrix)
        self.expected_returns = self._validate_expected_returns(expected_returns)
        self._max_return_value: float | None = None
        self._market_neutral: bool | None = None
        self._last: str | None = None
        num_assets = len(cov_matrix) if self.expected_returns is None else len(expected_returns)
        if isinstance(expected_returns, pd.Series):
            tickers = list(expected_returns.index)
        elif isinstance(cov_matrix, pd.DataFrame):
            tickers = list(cov_matrix.columns)
        else:
            tickers = list(range(num_assets))
        if expected_returns is not None and cov_matrix is not None:
            if np.shape(cov_matrix) != (num_assets, num_assets):
                raise ValueError("Covariance matrix does not match expected returns")
        super().__init__(
            len(tickers), tickers, weight_bounds, solver=solver, verbose=verbose, solver_options=solver_options
        )

    @staticmethod
    def _validate_expected_returns(expected_returns: Any) -> np.ndarray | None:
        if expected_returns is None:
            return None
        if isinstance(expected_returns, pd.Series):
            return np.asarray(expected_returns.to_numpy(dtype=np.float64), dtype=np.float64)
        if isinstance(expected_returns, list):
            return np.array(expected_returns, dtype=np.float64)
        if isinstance(expected_returns, np.ndarray):
            return expected_returns.astype(np.float64).ravel()
        raise TypeError("expected_returns is not a series, list or array")

    @staticmethod
    def _validate_cov_matrix(cov_matrix: Any) -> np.ndarray:
        if cov_matrix is None:
            raise ValueError("cov_matrix must be provided")
        if isinstance(cov_matrix, pd.DataFrame):
            return np.asarray(cov_matrix.to_numpy(dtype=np.float64), dtype=np.float64)
        if isinstance(cov_matrix, np.ndarray):
            return cov_matrix.astype(np.float64)
        raise TypeError("cov_matrix is not a dataframe or array")

    def _validate_returns(self, returns: Any) -> pd.DataFrame:
        if not isinstance(returns, (pd.DataFrame, np.ndarray)):
            raise TypeError("returns should be a pd.DataFrame or np.ndarray")
        returns_df = pd.DataFrame(returns)
        if returns_df.isnull().to_numpy().any():
            warnings.warn("Removing NaNs from returns", UserWarning, stacklevel=3)
            returns_df = returns_df.dropna(axis=0, how="any")
        if self.expected_returns is not None and returns_df.shape[1] != len(self.expected_returns):
            raise ValueError("returns columns do not match expected_returns. Please check your tickers.")
        return returns_df

    # ---- solving

    def _mu(self) -> np.ndarray:
        # Minimum volatility does not use expected returns; zeros stand in when there are none.
        return np.zeros(self.n_assets) if self.expected_returns is None else self.expected_returns

    def _neutral(self, market_neutral: bool, objective: str) -> bool:
        if self._last == objective and self._market_neutral is not None and self._market_neutral != market_neutral:
            raise exceptions.InstantiationError("A new instance must be created when changing market_neutral.")
        if market_neutral and not np.any(self._lower_bounds < 0):
            warnings.warn(
                "Market neutrality requires shorting - bounds have been amended", RuntimeWarning, stacklevel=3
            )
            self._map_bounds_to_constraints((-1, 1))
        self._market_neutral = market_neutral
        self._last = objective
        return market_neutral

    def _guard(self, objective: str) -> None:
        # PyPortfolioOpt adds its sum constraint to the problem at each solve, so a second
        # objective on a solved instance fails there; re-solving a parametrised one is allowed.
        if self._solved and not (objective == self._last and objective in _PARAMETRISED):
            raise exceptions.InstantiationError(
                "Adding constraints to an already solved problem might have unintended consequences. "
                "A new instance should be created for the new set of constraints."
            )

    def _finish(self, solution: tuple[list[float], float, float, float | None, str]) -> dict[Any, float]:
        self.weights = np.asarray(solution[0], dtype=np.float64)
        self._solved = True
        return self._make_output_weights()

    def min_volatility(self) -> dict[Any, float]:
        """The minimum-volatility portfolio."""
        self._guard("min_volatility")
        p = self._problem(self._mu(), self.cov_matrix)
        return self._finish(_common.call(p.min_volatility, 0.0))

    def _max_return(self, return_value: bool = True) -> Any:
        """The highest expected return within the constraints (or its weights)."""
        if self.expected_returns is None:
            raise ValueError("no expected returns provided")
        self._guard("_max_return")
        p = self._problem(self.expected_returns, self.cov_matrix)
        top = _common.call(p.max_return)
        out = self._finish(_common.call(p.efficient_return, top, 0.0))
        return top if return_value else out

    def max_sharpe(self, risk_free_rate: float = 0.0) -> dict[Any, float]:
        """The maximum-Sharpe (tangency) portfolio at ``risk_free_rate``."""
        if not isinstance(risk_free_rate, (int, float)):
            raise ValueError("risk_free_rate should be numeric")
        if self.expected_returns is None:
            raise ValueError("no expected returns provided")
        self._risk_free_rate = risk_free_rate
        if self._additional_objectives:
            warnings.warn(
                "max_sharpe transforms the optimization problem so additional objectives may not work as expected.",
                stacklevel=2,
            )
        try:
            p = self._problem(self.expected_returns, self.cov_matrix)
        except exceptions.UnsupportedConstraint:
            # PyPortfolioOpt judges the risk-free rate before the constraints: so does the SDK
            # on the bare problem, and only then is the constraint refused.
            bare = base_optimizer.BaseConvexOptimizer(self.n_assets, self.tickers)
            _common.call(bare._problem(self.expected_returns, self.cov_matrix).max_sharpe, float(risk_free_rate))
            raise
        return self._finish(_common.call(p.max_sharpe, float(risk_free_rate)))

    def max_quadratic_utility(self, risk_aversion: float = 1, market_neutral: bool = False) -> dict[Any, float]:
        """The portfolio maximising ``w·mu - (risk_aversion/2) w'Sw``."""
        if risk_aversion <= 0:
            raise ValueError("risk aversion coefficient must be greater than zero")
        self._guard("max_quadratic_utility")
        neutral = self._neutral(market_neutral, "max_quadratic_utility")
        p = self._problem(self._mu(), self.cov_matrix, neutral)
        return self._finish(_common.call(p.max_quadratic_utility, float(risk_aversion), 0.0))

    def efficient_risk(self, target_volatility: float, market_neutral: bool = False) -> dict[Any, float]:
        """The highest-return portfolio whose volatility is at most ``target_volatility``."""
        if not isinstance(target_volatility, (float, int)) or target_volatility < 0:
            raise ValueError("target_volatility should be a positive float")
        self._guard("efficient_risk")
        neutral = self._neutral(market_neutral, "efficient_risk")
        p = self._problem(self._mu(), self.cov_matrix, neutral)
        return self._finish(_common.call(p.efficient_risk, float(target_volatility), 0.0))

    def efficient_return(self, target_return: float, market_neutral: bool = False) -> dict[Any, float]:
        """The minimum-volatility portfolio whose expected return is at least ``target_return``."""
        if not isinstance(target_return, float):
            raise ValueError("target_return should be a float")
        self._guard("efficient_return")
        neutral = self._neutral(market_neutral, "efficient_return")
        p = self._problem(self._mu(), self.cov_matrix, neutral)
        return self._finish(_common.call(p.efficient_return, target_return, 0.0))

    def portfolio_performance(
        self, verbose: bool = False, risk_free_rate: float = 0.0
    ) -> tuple[float | None, float, float | None]:
        """Expected return, volatility and Sharpe ratio of the optimised weights."""
        if self._risk_free_rate is not None:
            if risk_free_rate != self._risk_free_rate:
                warnings.warn(
                    "The risk_free_rate provided to portfolio_performance is different"
                    " to the one used by max_sharpe. Using the previous value.",
                    UserWarning,
                    stacklevel=2,
                )
            risk_free_rate = self._risk_free_rate
        return base_optimizer.portfolio_performance(
            self.weights, self.expected_returns, self.cov_matrix, verbose, risk_free_rate
        )


class _TailRisk(EfficientFrontier):
    """CVaR/CDaR: the SDK's tail-risk programmes over the complete rows of ``returns``."""

    _measure = "cvar"
    _name = "CVaR"
    _size_from_returns = True

    def __init__(
        self,
        expected_returns: Any,
        returns: Any,
        beta: float = 0.95,
        weight_bounds: Any = (0, 1),
        solver: str | None = None,
        verbose: bool = False,
        solver_options: dict[str, Any] | None = None,
    ) -> None:
        # As PyPortfolioOpt: EfficientCVaR sizes the problem from returns.shape (a list of
        # rows has none: AttributeError), EfficientCDaR from the expected returns.
        n = returns.shape[1] if self._size_from_returns or expected_returns is None else len(expected_returns)
        super().__init__(
            expected_returns,
            cov_matrix=np.zeros((n, n)),
            weight_bounds=weight_bounds,
            solver=solver,
            verbose=verbose,
            solver_options=solver_options,
        )
        self.returns = self._validate_returns(returns)
        self._beta = self._validate_beta(beta)
        self._risk: float | None = None

    @staticmethod
    def _validate_beta(beta: float) -> float:
        if not (0 <= beta < 1):
            raise ValueError("beta must be between 0 and 1")
        if beta <= 0.2:
            warnings.warn(
                "Warning: beta is the confidence-level, not the quantile. Typical values are 80%, 90%, 95%.",
                UserWarning,
                stacklevel=3,
            )
        return beta

    def set_weights(self, input_weights: Any) -> None:
        raise NotImplementedError(f"Method not available in Efficient{self._name}.")

    def min_volatility(self) -> dict[Any, float]:
        raise NotImplementedError(f"Please use min_{self._measure} instead.")

    def max_sharpe(self, risk_free_rate: float = 0.0) -> dict[Any, float]:
        raise NotImplementedError(f"Method not available in Efficient{self._name}.")

    def max_quadratic_utility(self, risk_aversion: float = 1, market_neutral: bool = False) -> dict[Any, float]:
        raise NotImplementedError(f"Method not available in Efficient{self._name}.")

    def _solve(self, target_return: float | None, market_neutral: bool) -> dict[Any, float]:
        if market_neutral:
            raise exceptions.UnsupportedConstraint(
                f"market-neutral {self._name} is not available: the SDK's tail-risk programmes are long/short "
                "within one pair of bounds with weights summing to 1"
            )
        if self._constraints or self._additional_objectives:
            raise exceptions.UnsupportedConstraint(
                f"{self._name} optimisation takes bounds and a target return only (no added constraints or objectives)"
            )
        lo, hi = self._lower_bounds, self._upper_bounds
        if np.ptp(lo) > 0 or np.ptp(hi) > 0:
            raise exceptions.UnsupportedConstraint(f"{self._name} optimisation takes the same bounds for every asset")
        table = _common.return_table(self.returns)
        mu = [float(v) for v in self._mu()]
        with _common.translated():
            w, _ret, risk = _native.opt_min_tail_risk(
                self._measure, table, mu, float(self._beta), (float(lo[0]), float(hi[0])), target_return
            )
        self._risk = risk
        self.weights = np.asarray(w, dtype=np.float64)
        self._solved = True
        return self._make_output_weights()

    def efficient_return(self, target_return: float, market_neutral: bool = False) -> dict[Any, float]:
        """The lowest-tail-risk portfolio with expected return at least ``target_return``."""
        if not isinstance(target_return, float) or target_return < 0:
            raise ValueError("target_return should be a positive float")
        return self._solve(target_return, market_neutral)

    def efficient_risk(self, target: float, market_neutral: bool = False) -> dict[Any, float]:
        raise NotImplementedError(
            f"efficient_risk is not available for {self._name} in auravest.compat.pypfopt "
            "(the SDK minimises tail risk, optionally at a target return)"
        )

    def portfolio_performance(self, verbose: bool = False, risk_free_rate: float = 0.0) -> tuple[float, float]:  # type: ignore[override]
        """Expected return and the portfolio's tail risk."""
        if self.weights is None or self._risk is None:
            raise ValueError("Weights not calculated yet")
        mu = float(_native.opt_portfolio_return([float(v) for v in self.weights], [float(v) for v in self._mu()]))
        if verbose:
            print(f"Expected annual return: {100 * mu:.1f}%")
            print(f"Conditional {'Value' if self._measure == 'cvar' else 'Drawdown'} at Risk: {100 * self._risk:.2f}%")
        return mu, self._risk


class EfficientCVaR(_TailRisk):
    """Minimum conditional value at risk (CVaR at confidence ``beta``) from historical returns."""

    _measure = "cvar"
    _name = "CVaR"

    def min_cvar(self, market_neutral: bool = False) -> dict[Any, float]:
        """The minimum-CVaR portfolio."""
        return self._solve(None, market_neutral)


class EfficientCDaR(_TailRisk):
    """Minimum conditional drawdown at risk (CDaR at confidence ``beta``) from historical returns."""

    _measure = "cdar"
    _name = "CDaR"
    _size_from_returns = False

    def min_cdar(self, market_neutral: bool = False) -> dict[Any, float]:
        """The minimum-CDaR portfolio."""
        return self._solve(None, market_neutral)


class EfficientSemivariance(EfficientFrontier):
    """Not available: AuraVest has no semivariance optimiser (use ``risk_models.semicovariance`` with :class:`EfficientFrontier`)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        raise NotImplementedError(
            "EfficientSemivariance is not available in auravest.compat.pypfopt; "
            "use EfficientFrontier with risk_models.semicovariance"
        )
