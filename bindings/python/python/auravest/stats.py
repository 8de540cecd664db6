"""Performance statistics with empyrical's definitions.

Every figure matches empyrical to floating-point precision on the same
daily returns (the SDK's parity tests check it against empyrical's own
output). Series go in as a polars or pandas Series, a numpy array or a
list; :func:`summary` also takes prices and a dated series.

>>> import polars as pl
>>> from auravest import stats
>>> r = [0.01, -0.02, 0.015, 0.003, -0.007]
>>> round(stats.total_return(r), 6)
0.000524

Based on past prices: figures describe the period given, not the future.
"""

from __future__ import annotations

import datetime as _dt
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
import polars as pl

from . import _native
from ._frames import _day_numbers, is_pandas
from ._records import Record, date
from .exceptions import InvalidInput

__all__ = [
    "Stats",
    "alpha",
    "beta",
    "cagr",
    "conditional_value_at_risk",
    "max_drawdown",
    "sharpe",
    "sortino",
    "summary",
    "total_return",
    "value_at_risk",
    "volatility",
]

ArrayLike = Any  # a polars/pandas Series, a numpy array or a sequence of floats


@dataclass(frozen=True)
class Stats(Record):
    """The statistics of a daily return series (empyrical's definitions, 252 days a year).

    ``sharpe``/``sortino``/``calmar`` are None where undefined (no
    deviation, no downside, no drawdown); ``beta``/``alpha`` only with a
    benchmark. ``monthly_returns`` maps ``YYYY-MM`` to that month's return.
    """

    total_return: float
    cagr: float
    volatility: float
    sharpe: float | None
    sortino: float | None
    max_drawdown: float
    max_drawdown_peak: _dt.date
    max_drawdown_trough: _dt.date
    max_drawdown_recovery: _dt.date | None
    calmar: float | None
    var_95: float
    cvar_95: float
    monthly_returns: Mapping[str, float]
    beta: float | None = None
    alpha: float | None = None
    periods: int | None = None

    @classmethod
    def _from(cls, d: Mapping[str, Any]) -> Stats:
        def opt(key: str) -> float | None:
            v = d.get(key)
            return None if v is None else float(v)

        return cls(
            total_return=float(d["total_return"]),
            cagr=float(d["cagr"]),
            volatility=float(d["volatility"]),
            sharpe=opt("sharpe"),
            sortino=opt("sortino"),
            max_drawdown=float(d["max_drawdown"]),
            max_drawdown_peak=date(d["max_drawdown_peak"]),  # type: ignore[arg-type]
            max_drawdown_trough=date(d["max_drawdown_trough"]),  # type: ignore[arg-type]
            max_drawdown_recovery=date(d.get("max_drawdown_recovery")),
            calmar=opt("calmar"),
            var_95=float(d["var_95"]),
            cvar_95=float(d["cvar_95"]),
            monthly_returns={str(k): float(v) for k, v in d["monthly_returns"].items()},
            beta=opt("beta"),
            alpha=opt("alpha"),
            periods=None if d.get("periods") is None else int(d["periods"]),
        )


def _values(x: ArrayLike, field: str) -> np.ndarray:
    if isinstance(x, pl.DataFrame):
        raise InvalidInput(f"{field}: expected a series, got a DataFrame", kind="invalid_argument", field=field)
    if isinstance(x, pl.Series):
        arr = x.cast(pl.Float64).to_numpy()
    elif is_pandas(x):
        arr = np.asarray(x.to_numpy(dtype=np.float64, na_value=np.nan))
    else:
        try:
            arr = np.asarray(x, dtype=np.float64)
        except (TypeError, ValueError) as exc:
            raise InvalidInput(f"{field}: {exc}", kind="invalid_argument", field=field) from None
    if arr.ndim != 1:
        raise InvalidInput(f"{field}: expected one dimension, got {arr.ndim}", kind="invalid_argument", field=field)
    return np.ascontiguousarray(arr, dtype=np.float64)


def _dated(x: Any, field: str, dates: Any) -> tuple[np.ndarray, np.ndarray]:
    """Day numbers and values of a dated series."""
    if isinstance(x, pl.DataFrame):
        if "date" not in x.columns or x.width != 2:
            raise InvalidInput(
                f"{field}: expected a DataFrame with a date column and one value column",
                kind="invalid_argument",
                field=field,
            )
        value_col = next(c for c in x.columns if c != "date")
        return _dated(x.get_column(value_col), field, x.get_column("date"))
    if dates is None and is_pandas(x) and hasattr(x, "index"):
        dates = x.index
    if dates is None:
        raise InvalidInput(
            f"{field}: dates are needed (a pandas Series with a DatetimeIndex, a polars DataFrame with a date column, or dates=...)",
            kind="invalid_argument",
            field="dates",
        )
    if isinstance(dates, pl.Series):
        stamps = dates.cast(pl.Date).to_numpy().astype("datetime64[D]")
    else:
        stamps = np.asarray(dates, dtype="datetime64[D]") if not is_pandas(dates) else np.asarray(
            dates.to_numpy(dtype="datetime64[ns]")
        )
    return _day_numbers(np.asarray(stamps), "dates"), _values(x, field)


def summary(
    series: Any,
    *,
    kind: Literal["prices", "returns"] = "prices",
    dates: Any = None,
    benchmark: Any = None,
    benchmark_dates: Any = None,
    risk_free_rate: float | None = None,
) -> Stats:
    """Every statistic of a dated price (``kind="prices"``) or daily return series.

    ``series``: a pandas Series with a DatetimeIndex, a polars DataFrame with
    ``date`` and one value column, or values with ``dates=``. A price
    benchmark is aligned on the dates both series share; a return benchmark
    must have the same dates. ``risk_free_rate`` is annual (the SDK's
    default, 0, when None).
    """
    days, values = _dated(series, "series", dates)
    bd = bv = None
    if benchmark is not None:
        bd, bv = _dated(benchmark, "benchmark", benchmark_dates)
    return Stats._from(_native.stats_summary(days, values, kind, bd, bv, risk_free_rate))


def _metric(name: str, returns: ArrayLike, **kw: Any) -> float | None:
    bench = kw.pop("benchmark", None)
    b = None if bench is None else _values(bench, "benchmark")
    return _native.stats_metric(name, _values(returns, "returns"), benchmark=b, **kw)


def total_return(returns: ArrayLike) -> float:
    """Cumulative return ``prod(1 + r) - 1`` (empyrical ``cum_returns_final``)."""
    return float(_metric("total_return", returns) or 0.0)


def cagr(returns: ArrayLike) -> float:
    """Compound annual growth rate over ``len(r) / 252`` years (empyrical ``annual_return``)."""
    return float(_metric("cagr", returns) or 0.0)


def volatility(returns: ArrayLike) -> float:
    """Annualised volatility ``std(r, ddof=1) * sqrt(252)`` (empyrical ``annual_volatility``)."""
    return float(_metric("volatility", returns) or 0.0)


def sharpe(returns: ArrayLike, risk_free: float = 0.0) -> float | None:
    """Annualised Sharpe ratio; ``risk_free`` per period, as empyrical. None without deviation."""
    return _metric("sharpe", returns, risk_free=risk_free)


def sortino(returns: ArrayLike, risk_free: float = 0.0) -> float | None:
    """Annualised Sortino ratio; ``risk_free`` per period. None without downside."""
    return _metric("sortino", returns, risk_free=risk_free)


def max_drawdown(returns: ArrayLike) -> float:
    """The deepest fall of compounded wealth, as a negative fraction."""
    return float(_metric("max_drawdown", returns) or 0.0)


def value_at_risk(returns: ArrayLike, cutoff: float = 0.05) -> float:
    """Historical VaR: the ``cutoff`` percentile of the returns, interpolated."""
    return float(_metric("value_at_risk", returns, cutoff=cutoff) or 0.0)


def conditional_value_at_risk(returns: ArrayLike, cutoff: float = 0.05) -> float:
    """Historical CVaR (expected shortfall) at ``cutoff``, as empyrical."""
    return float(_metric("conditional_value_at_risk", returns, cutoff=cutoff) or 0.0)


def beta(returns: ArrayLike, benchmark: ArrayLike, risk_free: float = 0.0) -> float | None:
    """Beta against benchmark returns of the same length."""
    return _metric("beta", returns, benchmark=benchmark, risk_free=risk_free)


def alpha(returns: ArrayLike, benchmark: ArrayLike, risk_free: float = 0.0) -> float | None:
    """Annualised alpha against benchmark returns of the same length."""
    return _metric("alpha", returns, benchmark=benchmark, risk_free=risk_free)


