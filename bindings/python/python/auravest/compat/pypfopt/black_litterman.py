"""PyPortfolioOpt's ``black_litterman``: the model and its market-implied helpers, on the SDK's posterior."""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np
import pandas as pd  # type: ignore[import-untyped, unused-ignore]

from ... import _native
from . import _common, base_optimizer

__all__ = ["BlackLittermanModel", "market_implied_prior_returns", "market_implied_risk_aversion"]

_FREQUENCY = int(_native.OPT_PERIODS_PER_YEAR)


def market_implied_prior_returns(
    market_caps: Any, risk_aversion: float, cov_matrix: pd.DataFrame, risk_free_rate: float = 0.0
) -> pd.Series:
    """The returns that make the market portfolio optimal: ``rf + delta S w_mkt``."""
    if not isinstance(cov_matrix, pd.DataFrame):
        warnings.warn("If cov_matrix is not a dataframe, market cap index must be aligned to cov_matrix", RuntimeWarning, stacklevel=2)
    labels = list(pd.DataFrame(cov_matrix).columns)
    names = _common.names(len(labels))
    caps = pd.Series(market_caps)
    if isinstance(cov_matrix, pd.DataFrame):
        pairs = [(n, float(caps[t])) for n, t in zip(names, labels) if t in caps.index]
    else:  # aligned by position, as the warning says
        pairs = [(n, float(v)) for n, v in zip(names, caps.to_numpy(dtype=np.float64))]
    if isinstance(risk_aversion, (pd.Series, pd.DataFrame, np.ndarray)):
        risk_aversion = float(np.asarray(risk_aversion).ravel()[0])
    prior = _common.call(
        _native.opt_market_implied_prior_returns,
        pairs,
        float(risk_aversion),
        names,
        _common.flat(cov_matrix),
        float(risk_free_rate),
    )
    return pd.Series(prior, index=labels)


def market_implied_risk_aversion(
    market_prices: Any, frequency: float = _FREQUENCY, risk_free_rate: float = 0.0
) -> Any:
    """The market's implied risk aversion ``(R - rf) / sigma²`` from its prices."""
    if not isinstance(market_prices, (pd.Series, pd.DataFrame)):
        raise TypeError("Please format market_prices as a pd.Series")
    if isinstance(market_prices, pd.DataFrame):
        return pd.Series(
            {c: market_implied_risk_aversion(market_prices[c], frequency, risk_free_rate) for c in market_prices.columns}
        )
    values = market_prices.dropna().to_numpy(dtype=np.float64)
    return _common.call(_native.opt_market_implied_risk_aversion, values, float(frequency), float(risk_free_rate))


class BlackLittermanModel(base_optimizer.BaseOptimizer):
    """A Black-Litterman posterior from a covariance matrix, a prior and views.

    ``pi``: prior returns (a Series or array), ``"market"`` (with
    ``market_caps=``), ``"equal"``, or None (zero). Views: ``absolute_views``
    (a dict or Series), or ``Q`` with picking matrix ``P``. ``omega``: None
    or ``"default"`` (proportional to the prior), ``"idzorek"`` (with
    ``view_confidences``) or a matrix.
    """

    def __init__(
        self,
        cov_matrix: Any,
        pi: Any = None,
        absolute_views: Any = None,
        Q: Any = None,  # noqa: N803 - PyPortfolioOpt's names
        P: Any = None,  # noqa: N803
        omega: Any = None,
        view_confidences: Any = None,
        tau: float = _native.OPT_DEFAULT_TAU,
        risk_aversion: float = 1,
        **kwargs: Any,
    ) -> None:
        self.cov_matrix = np.asarray(cov_matrix, dtype=np.float64)
        tickers = list(cov_matrix.columns) if isinstance(cov_matrix, pd.DataFrame) else list(range(len(cov_matrix)))
        super().__init__(len(tickers), tickers)
        if absolute_views is not None:
            self.Q, self.P = self._parse_absolute(absolute_views)
        else:
            self._set_q_p(Q, P)
        self._set_pi(pi, risk_aversion=risk_aversion, **kwargs)
        self._check_attribute_dimensions()
        if not (0 < tau <= 1):
            raise ValueError("tau should be between 0 and 1")
        if risk_aversion <= 0:
            raise ValueError("risk_aversion should be a positive float")
        self.tau = tau
        self.risk_aversion = risk_aversion
        self._omega_arg = omega
        self.view_confidences = view_confidences
        if isinstance(omega, str) and omega not in ("default", "idzorek"):
            raise ValueError("omega must be a square array, dataframe, 'default', or 'idzorek'")
        if omega is not None and not isinstance(omega, (str, np.ndarray, pd.DataFrame)):
            raise TypeError("omega must be a square array, dataframe, 'default', or 'idzorek'")
        self._model = self._posterior()
        k = len(self.Q)
        self.omega = np.frombuffer(self._model.omega(), dtype="<f8").reshape((k, k)).copy()
        self.posterior_rets: pd.Series | None = None
        self.posterior_cov: pd.DataFrame | None = None

    # ---- inputs

    def _parse_absolute(self, views: Any) -> tuple[np.ndarray, np.ndarray]:
        if not isinstance(views, (dict, pd.Series)):
            raise TypeError("views should be a dict or pd.Series")
        views = pd.Series(views)
        k = len(views)
        q = views.to_numpy(dtype=np.float64).reshape(-1, 1)
        p = np.zeros((k, self.n_assets))
        for i, t in enumerate(views.index):
            try:
                p[i, self.tickers.index(t)] = 1
            except ValueError:
                raise ValueError("Providing a view on an asset not in the universe") from None
        return q, p

    def _set_q_p(self, q: Any, p: Any) -> None:
        if isinstance(q, (pd.Series, pd.DataFrame)):
            self.Q = q.to_numpy(dtype=np.float64).reshape(-1, 1)
        elif isinstance(q, np.ndarray):
            self.Q = q.astype(np.float64).reshape(-1, 1)
        else:
            raise TypeError("Q must be an array or dataframe")
        if p is None:
            if len(self.Q) != self.n_assets:
                raise ValueError("TypeError: must provide P if not all assets are specified")
            self.P = np.eye(self.n_assets)
        elif isinstance(p, pd.DataFrame):
            self.P = p.to_numpy(dtype=np.float64)
        elif isinstance(p, np.ndarray):
            self.P = p.astype(np.float64)
        elif len(self.Q) == self.n_assets:
            raise TypeError("P must be an array or dataframe")
        else:
            raise TypeError("P must be an array or dataframe")

    def _set_pi(self, pi: Any, **kwargs: Any) -> None:
        if pi is None:
            warnings.warn("Running Black-Litterman with no prior.", stacklevel=3)
            self.pi = np.zeros((self.n_assets, 1))
        elif isinstance(pi, (pd.Series, pd.DataFrame)):
            self.pi = pi.to_numpy(dtype=np.float64).reshape(-1, 1)
        elif isinstance(pi, np.ndarray):
            self.pi = pi.astype(np.float64).reshape(-1, 1)
        elif isinstance(pi, str):
            if pi == "market":
                if "market_caps" not in kwargs:
                    raise ValueError("Please pass a series/array of market caps via the market_caps keyword argument")
                prior = market_implied_prior_returns(
                    kwargs["market_caps"],
                    kwargs.get("risk_aversion", 1),
                    pd.DataFrame(self.cov_matrix, index=self.tickers, columns=self.tickers),
                    kwargs.get("risk_free_rate", 0.0),
                )
                self.pi = prior.to_numpy().reshape(-1, 1)
            elif pi == "equal":
                self.pi = np.full((self.n_assets, 1), 1.0 / self.n_assets)
            else:
                raise TypeError("pi must be 'market', 'equal', an array or a series")
        else:
            raise TypeError("pi must be either an array or a series")

    def _check_attribute_dimensions(self) -> None:
        n = self.n_assets
        k = len(self.Q)
        assert self.pi.shape == (n, 1), "pi must have dimensions nx1"
        assert self.P.shape == (k, n), "P must have dimensions KxN"
        assert self.cov_matrix.shape == (n, n), "cov_matrix must have shape NxN"

    def _posterior(self) -> Any:
        names = _common.names(self.n_assets)
        confidences = None
        omega_matrix = None
        if isinstance(self._omega_arg, str) and self._omega_arg == "idzorek":
            if self.view_confidences is None:
                raise ValueError("To use Idzorek's method, please supply a vector of percentage confidence levels for each view.")
            confidences = [float(c) for c in np.asarray(self.view_confidences, dtype=np.float64).ravel()]
        elif isinstance(self._omega_arg, (np.ndarray, pd.DataFrame)):
            om = np.asarray(self._omega_arg, dtype=np.float64)
            assert om.shape == (len(self.Q), len(self.Q)), "omega must have dimensions KxK"
            omega_matrix = [float(v) for v in om.ravel()]
        with _common.translated():
            return _native.BlackLittermanPosterior(
                names,
                _common.flat(self.cov_matrix),
                [float(v) for v in self.pi.ravel()],
                None,
                [float(v) for v in self.P.ravel()],
                [float(v) for v in self.Q.ravel()],
                float(self.tau),
                confidences,
                omega_matrix,
            )

    # ---- outputs

    def bl_returns(self) -> pd.Series:
        """Posterior expected returns."""
        self.posterior_rets = pd.Series(self._model.posterior_returns(), index=self.tickers)
        return self.posterior_rets

    def bl_cov(self) -> pd.DataFrame:
        """Posterior covariance."""
        m = _common.matrix(self._model.posterior_covariance(), self.n_assets)
        self.posterior_cov = pd.DataFrame(m, index=self.tickers, columns=self.tickers)
        return self.posterior_cov

    def bl_weights(self, risk_aversion: float | None = None) -> dict[Any, float]:
        """The unconstrained weights implied by the posterior returns."""
        delta = self.risk_aversion if risk_aversion is None else risk_aversion
        if isinstance(delta, (pd.Series, np.ndarray)):
            delta = float(np.asarray(delta).ravel()[0])
        self.weights = np.asarray(_common.call(self._model.weights, float(delta)))
        if self.posterior_rets is None:
            self.bl_returns()
        return self._make_output_weights()

    def optimize(self, risk_aversion: float | None = None) -> dict[Any, float]:
        """Alias of :meth:`bl_weights`."""
        return self.bl_weights(risk_aversion)

    def portfolio_performance(
        self, verbose: bool = False, risk_free_rate: float = 0.0
    ) -> tuple[float | None, float, float | None]:
        """Expected return, volatility and Sharpe ratio under the posterior."""
        if self.posterior_cov is None:
            self.bl_cov()
        if self.posterior_rets is None:
            self.bl_returns()
        return base_optimizer.portfolio_performance(
            self.weights, self.posterior_rets, self.posterior_cov, verbose, risk_free_rate
        )
