"""PyPortfolioOpt's ``expected_returns`` on AuraVest's estimators.

Annual expected returns from prices (or returns with ``returns_data=True``):
mean historical (geometric or arithmetic), exponentially weighted, CAPM.
``frequency`` is the number of periods a year (252 for daily data).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd  # type: ignore[import-untyped, unused-ignore]

from ... import _native
from . import _common

__all__ = [
    "capm_return",
    "ema_historical_return",
    "mean_historical_return",
    "prices_from_returns",
    "return_model",
    "returns_from_prices",
]

_FREQUENCY = int(_native.OPT_PERIODS_PER_YEAR)
_SPAN = _native.OPT_DEFAULT_EMA_SPAN


def returns_from_prices(prices: pd.DataFrame, log_returns: bool = False) -> pd.DataFrame:
    """Daily returns of each column (NaN where a price is missing); rows with no return dropped."""
    table = _common.call(_common.returns_of, prices, False, None, log_returns)
    return _common.returns_frame(table, prices)


def prices_from_returns(returns: pd.DataFrame, log_returns: bool = False) -> pd.DataFrame:
    """Pseudo-prices: the growth of 1 along ``returns`` (the first row is 1)."""
    table = _common.call(_common.return_table, returns)
    n, t = returns.shape[1], len(returns)
    values = np.frombuffer(table.growth_index(bool(log_returns)), dtype="<f8").reshape((n, t)).T
    return pd.DataFrame(values.copy(), index=returns.index, columns=returns.columns)


def _series(names_values: tuple[list[str], list[float]], labels: pd.Index) -> pd.Series:
    return pd.Series(np.asarray(names_values[1], dtype=np.float64), index=labels)


def mean_historical_return(
    prices: Any,
    returns_data: bool = False,
    compounding: bool = True,
    frequency: float = _FREQUENCY,
    log_returns: bool = False,
) -> pd.Series:
    """Annualised mean historical return: the compound annual growth rate, or the arithmetic mean times ``frequency``."""
    prices = _common.to_frame(prices, "prices are not in a dataframe")
    with _common.translated(prices.columns):
        table = _common.returns_of(prices, returns_data, frequency, log_returns)
        return _series(_native.opt_mean_historical(table, bool(compounding)), prices.columns)


def ema_historical_return(
    prices: Any,
    returns_data: bool = False,
    compounding: bool = True,
    span: float = _SPAN,
    frequency: float = _FREQUENCY,
    log_returns: bool = False,
) -> pd.Series:
    """Annualised exponentially weighted mean return (``span`` in rows)."""
    prices = _common.to_frame(prices, "prices are not in a dataframe")
    with _common.translated(prices.columns):
        table = _common.returns_of(prices, returns_data, frequency, log_returns)
        return _series(_native.opt_ema_historical(table, _common.span(span), bool(compounding)), prices.columns)


def capm_return(
    prices: Any,
    market_prices: pd.DataFrame | None = None,
    returns_data: bool = False,
    risk_free_rate: float = 0.0,
    compounding: bool = True,
    frequency: float = _FREQUENCY,
    log_returns: bool = False,
) -> pd.Series:
    """CAPM expected returns ``rf + beta (E[R_m] - rf)`` against ``market_prices`` (the equal-weight market when None)."""
    prices = _common.to_frame(prices, "prices are not in a dataframe")
    with _common.translated(prices.columns):
        market: list[float] | None = None
        if market_prices is None:
            table = _common.returns_of(prices, returns_data, frequency, log_returns)
        elif returns_data:
            table = _common.returns_of(prices, True, frequency, False)
            mkt = pd.DataFrame(market_prices).iloc[:, 0].reindex(prices.index)
            market = [float(v) for v in mkt.to_numpy(dtype=np.float64, na_value=np.nan)]
        else:
            mkt_frame = pd.DataFrame(market_prices).iloc[:, :1]
            table, market = _native.opt_returns_with_market(
                _common.price_table(prices), _common.price_table(mkt_frame)
            )
            if log_returns:
                table = table.log()
            table = table.with_frequency(float(frequency))
        return _series(
            _native.opt_capm(table, market, float(risk_free_rate), bool(compounding)),
            prices.columns,
        )


_MODELS = {
    "mean_historical_return": mean_historical_return,
    "ema_historical_return": ema_historical_return,
    "capm_return": capm_return,
}


def return_model(prices: Any, method: str = "mean_historical_return", **kwargs: Any) -> pd.Series:
    """The expected-returns model named ``method`` (one of the functions above)."""
    if method not in _MODELS:
        raise NotImplementedError(f"Return model {method} not implemented")
    model: Any = _MODELS[method]
    return model(prices, **kwargs)
