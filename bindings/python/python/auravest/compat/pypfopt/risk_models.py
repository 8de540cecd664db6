"""PyPortfolioOpt's ``risk_models`` on AuraVest's estimators.

Annual covariance matrices from prices (or returns with ``returns_data=True``):
sample, semicovariance, exponentially weighted, and the shrinkage
estimators of :class:`CovarianceShrinkage`. Missing returns follow
PyPortfolioOpt 1.6 exactly (the SDK's ``py_portfolio_opt`` policy).
"""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np
import pandas as pd  # type: ignore[import-untyped, unused-ignore]

from ... import _native
from . import _common
from .expected_returns import returns_from_prices

__all__ = [
    "CovarianceShrinkage",
    "corr_to_cov",
    "cov_to_corr",
    "exp_cov",
    "fix_nonpositive_semidefinite",
    "min_cov_determinant",
    "returns_from_prices",
    "risk_matrix",
    "sample_cov",
    "semicovariance",
]

_FREQUENCY = int(_native.OPT_PERIODS_PER_YEAR)
_REPAIRS = {"spectral": "spectral", "diag": "diagonal"}


def _is_positive_semidefinite(matrix: Any) -> bool:
    """Whether ``matrix`` is positive semidefinite (the SDK's check)."""
    m = _common.flat(matrix)
    return _native.opt_is_psd(_common.names(m.shape[0]), m)


def fix_nonpositive_semidefinite(matrix: Any, fix_method: str = "spectral") -> Any:
    """``matrix`` repaired to be positive semidefinite (``spectral``: clip eigenvalues; ``diag``: raise the diagonal)."""
    if _is_positive_semidefinite(matrix):
        return matrix
    warnings.warn(
        "The covariance matrix is non positive semidefinite. Amending eigenvalues.",
        UserWarning,
        stacklevel=2,
    )
    if fix_method not in _REPAIRS:
        raise NotImplementedError(f"Method {fix_method} not implemented")
    m = _common.flat(matrix)
    _, raw = _native.opt_fix_psd(_common.names(m.shape[0]), m, _REPAIRS[fix_method])
    fixed = _common.matrix(raw, m.shape[0])
    if isinstance(matrix, pd.DataFrame):
        return pd.DataFrame(fixed, index=matrix.index, columns=matrix.columns)
    return fixed


def _cov_frame(result: tuple[list[str], bytes], labels: pd.Index) -> pd.DataFrame:
    return _common.frame(_common.matrix(result[1], len(labels)), labels)


def sample_cov(
    prices: Any,
    returns_data: bool = False,
    frequency: float = _FREQUENCY,
    log_returns: bool = False,
    **kwargs: Any,
) -> pd.DataFrame:
    """Annualised sample covariance (pairwise-complete, as pandas)."""
    prices = _common.to_frame(prices, "data is not in a dataframe")
    with _common.translated(prices.columns):
        table = _common.returns_of(prices, returns_data, frequency, log_returns)
        return _cov_frame(_native.opt_sample_cov(table, _common.POLICY), prices.columns)


def semicovariance(
    prices: Any,
    returns_data: bool = False,
    benchmark: float = _native.OPT_DEFAULT_SEMICOVARIANCE_BENCHMARK,
    frequency: float = _FREQUENCY,
    log_returns: bool = False,
    **kwargs: Any,
) -> pd.DataFrame:
    """Annualised semicovariance: co-movements below ``benchmark`` (a daily return) only."""
    prices = _common.to_frame(prices, "data is not in a dataframe")
    with _common.translated(prices.columns):
        table = _common.returns_of(prices, returns_data, frequency, log_returns)
        return _cov_frame(_native.opt_semicovariance(table, float(benchmark), _common.POLICY), prices.columns)


def exp_cov(
    prices: Any,
    returns_data: bool = False,
    span: float = _native.OPT_DEFAULT_EXP_COV_SPAN,
    frequency: float = _FREQUENCY,
    log_returns: bool = False,
    **kwargs: Any,
) -> pd.DataFrame:
    """Annualised exponentially weighted covariance (``span`` in rows)."""
    prices = _common.to_frame(prices, "data is not in a dataframe")
    if span < 10:
        warnings.warn("it is recommended to use a higher span, e.g 30 days", UserWarning, stacklevel=2)
    with _common.translated(prices.columns):
        table = _common.returns_of(prices, returns_data, frequency, log_returns)
        return _cov_frame(_native.opt_exp_cov(table, _common.span(span), _common.POLICY), prices.columns)


def min_cov_determinant(*args: Any, **kwargs: Any) -> pd.DataFrame:
    """Not provided: PyPortfolioOpt deprecated it and AuraVest has no MCD estimator."""
    raise NotImplementedError("min_cov_determinant is not available in auravest.compat.pypfopt")


def cov_to_corr(cov_matrix: Any) -> pd.DataFrame:
    """The correlation matrix of a covariance matrix."""
    cov_matrix = _common.to_frame(cov_matrix, "cov_matrix is not a dataframe")
    m = _common.flat(cov_matrix)
    raw = _common.call(_native.opt_cov_to_corr, _common.names(m.shape[0]), m)
    return pd.DataFrame(_common.matrix(raw, m.shape[0]), index=cov_matrix.index, columns=cov_matrix.columns)


def corr_to_cov(corr_matrix: Any, stdevs: Any) -> pd.DataFrame:
    """The covariance matrix of a correlation matrix and standard deviations."""
    corr_matrix = _common.to_frame(corr_matrix, "corr_matrix is not a dataframe")
    m = _common.flat(corr_matrix)
    sd = [float(v) for v in np.asarray(stdevs, dtype=np.float64)]
    _, raw = _common.call(_native.opt_corr_to_cov, _common.names(m.shape[0]), m, sd)
    return pd.DataFrame(_common.matrix(raw, m.shape[0]), index=corr_matrix.index, columns=corr_matrix.columns)


class CovarianceShrinkage:
    """Shrinkage estimators of the covariance: fixed, Ledoit-Wolf (three targets) and OAS.

    ``S`` is the daily sample covariance; ``delta`` the intensity of the
    last estimate.
    """

    def __init__(self, prices: Any, returns_data: bool = False, frequency: float = _FREQUENCY) -> None:
        prices = _common.to_frame(prices, "data is not in a dataframe")
        self.frequency = frequency
        self._labels = prices.columns
        with _common.translated(self._labels):
            self._returns = _common.returns_of(prices, returns_data, frequency, False)
        self._daily: np.ndarray | None = None
        self.delta: float | None = None

    @property
    def S(self) -> np.ndarray:  # noqa: N802 - PyPortfolioOpt's name
        """The daily sample covariance (computed on first use)."""
        if self._daily is None:
            with _common.translated(self._labels):
                daily = self._returns.with_frequency(1.0)
                self._daily = _common.matrix(_native.opt_sample_cov(daily, _common.POLICY)[1], len(self._labels))
        return self._daily

    def _frame(self, raw: bytes) -> pd.DataFrame:
        return _common.frame(_common.matrix(raw, len(self._labels)), self._labels)

    def shrunk_covariance(self, delta: float = _native.OPT_DEFAULT_SHRINKAGE) -> pd.DataFrame:
        """``(1 - delta) S + delta mu I`` (``mu`` the average variance), annualised."""
        self.delta = delta
        with _common.translated(self._labels):
            _, raw = _native.opt_shrunk_covariance(self._returns, float(delta), _common.POLICY)
        return self._frame(raw)

    def ledoit_wolf(self, shrinkage_target: str = "constant_variance") -> pd.DataFrame:
        """Ledoit-Wolf shrinkage toward ``constant_variance``, ``single_factor`` or ``constant_correlation``."""
        if shrinkage_target not in ("constant_variance", "single_factor", "constant_correlation"):
            raise NotImplementedError(f"Shrinkage target {shrinkage_target} not recognised")
        with _common.translated(self._labels):
            _, raw, self.delta = _native.opt_ledoit_wolf(self._returns, shrinkage_target, _common.POLICY)
        return self._frame(raw)

    def oracle_approximating(self) -> pd.DataFrame:
        """Oracle approximating shrinkage (Chen et al. 2010)."""
        with _common.translated(self._labels):
            _, raw, self.delta = _native.opt_oracle_approximating(self._returns, _common.POLICY)
        return self._frame(raw)


def risk_matrix(prices: Any, method: str = "sample_cov", **kwargs: Any) -> pd.DataFrame:
    """The risk model named ``method``."""
    returns_data = kwargs.pop("returns_data", False)
    frequency = kwargs.pop("frequency", _FREQUENCY)
    if method == "sample_cov":
        return sample_cov(prices, returns_data=returns_data, frequency=frequency, **kwargs)
    if method == "semicovariance":
        return semicovariance(prices, returns_data=returns_data, frequency=frequency, **kwargs)
    if method == "exp_cov":
        return exp_cov(prices, returns_data=returns_data, frequency=frequency, **kwargs)
    targets = {
        "ledoit_wolf": "constant_variance",
        "ledoit_wolf_constant_variance": "constant_variance",
        "ledoit_wolf_single_factor": "single_factor",
        "ledoit_wolf_constant_correlation": "constant_correlation",
    }
    if method in targets:
        return CovarianceShrinkage(prices, returns_data=returns_data, frequency=frequency).ledoit_wolf(
            targets[method]
        )
    if method == "oracle_approximating":
        return CovarianceShrinkage(prices, returns_data=returns_data, frequency=frequency).oracle_approximating()
    raise NotImplementedError(f"Risk model {method} not implemented")
