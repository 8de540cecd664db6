"""Conversions shared by the PyPortfolioOpt compatibility modules.

pandas objects cross into the native module as buffers under stand-in
names (``C0``, ``C1``...): PyPortfolioOpt's tickers may be any hashable
(integers, lower-case names), and the labels are put back on the way out.
Nothing is computed here.
"""

from __future__ import annotations

import contextlib
import re
from collections.abc import Callable, Iterator, Sequence
from typing import Any, TypeVar

import numpy as np
import pandas as pd  # type: ignore[import-untyped, unused-ignore]

from ... import _native
from ...exceptions import AuraVestError
from . import exceptions

T = TypeVar("T")

#: The missing-data policy of every estimator here: PyPortfolioOpt 1.6's.
POLICY = "py_portfolio_opt"

#: Days since 1970-01-01 of the first stand-in date (used when the index holds no dates).
_EPOCH = np.datetime64("1970-01-01", "D")

#: Largest span the native estimators take (any larger span weighs rows equally).
MAX_SPAN = 2**62


def names(n: int) -> list[str]:
    """Stand-in ticker names for ``n`` columns."""
    return [f"C{i}" for i in range(n)]


def span(value: float) -> int:
    """A span as the whole number of rows the native estimators take."""
    return int(min(float(value), MAX_SPAN))


def _day_numbers(index: pd.Index) -> np.ndarray:
    if isinstance(index, pd.DatetimeIndex):
        days = index.values.astype("datetime64[D]").astype(np.int64)
        if len(days) < 2 or np.all(np.diff(days) > 0):
            return np.ascontiguousarray(days, dtype=np.int32)
    # No dates (a RangeIndex, numpy input) or several rows a day: stand-in days.
    return np.arange(len(index), dtype=np.int32)


_STAND_IN = re.compile(r"\bC(\d+)\b")


@contextlib.contextmanager
def labelled(labels: Sequence[Any]) -> Iterator[None]:
    """Puts the caller's column labels back into an SDK error about stand-in names.

    ``labels`` (a list or a pandas Index) is read only when an error is raised.
    """
    try:
        yield
    except AuraVestError as e:
        found = list(labels)

        def real(m: re.Match[str]) -> str:
            i = int(m.group(1))
            return str(found[i]) if i < len(found) else m.group(0)

        e.message = _STAND_IN.sub(real, e.message)
        e.args = (e.message,)
        if e.field is not None:
            e.field = _STAND_IN.sub(real, e.field)
        e.rows = [(line, _STAND_IN.sub(real, f), _STAND_IN.sub(real, r)) for line, f, r in e.rows]
        raise


def price_table(prices: pd.DataFrame) -> _native.PriceTable:
    """A native price table of a price DataFrame (stand-in names)."""
    values = np.ascontiguousarray(prices.to_numpy(dtype=np.float64, na_value=np.nan).ravel(order="F"))
    with labelled(prices.columns):
        return _native.PriceTable(_day_numbers(prices.index), names(prices.shape[1]), values)


def return_table(returns: pd.DataFrame, frequency: float | None = None) -> _native.ReturnTable:
    """A native return table of a returns DataFrame (stand-in names)."""
    values = np.ascontiguousarray(returns.to_numpy(dtype=np.float64, na_value=np.nan).ravel(order="F"))
    with labelled(returns.columns):
        return _native.ReturnTable(_day_numbers(returns.index), names(returns.shape[1]), values, frequency)


def returns_of(
    data: Any,
    returns_data: bool,
    frequency: float | None,
    log_returns: bool,
) -> _native.ReturnTable:
    """The native returns of prices (or of returns when ``returns_data``)."""
    if returns_data:
        table = return_table(data)
    else:
        values = np.ascontiguousarray(data.to_numpy(dtype=np.float64, na_value=np.nan).ravel(order="F"))
        with labelled(data.columns):
            table = _native.ReturnTable.from_price_values(_day_numbers(data.index), names(data.shape[1]), values)
        if log_returns:
            table = table.log()
    if frequency is None or float(frequency) == table.frequency:
        return table
    return table.with_frequency(float(frequency))


def returns_frame(table: _native.ReturnTable, prices: pd.DataFrame) -> pd.DataFrame:
    """A native return table as a DataFrame labelled like ``prices``."""
    rows = len(table)
    cols = prices.shape[1]
    values = np.frombuffer(table.value_bytes(), dtype="<f8").reshape((cols, rows)).T
    price_days = _day_numbers(prices.index)
    days = np.frombuffer(table.date_bytes(), dtype="<i4")
    positions = np.searchsorted(price_days, days)
    return pd.DataFrame(values.copy(), index=prices.index[positions], columns=prices.columns)


def matrix(raw: bytes, n: int) -> np.ndarray:
    """Row-major bytes as an ``n x n`` array."""
    return np.frombuffer(raw, dtype="<f8").reshape((n, n)).copy()


def frame(values: np.ndarray, labels: Sequence[Any] | pd.Index) -> pd.DataFrame:
    """A square DataFrame with ``labels`` on both axes."""
    return pd.DataFrame(values, index=labels, columns=labels)


def to_frame(data: Any, message: str) -> pd.DataFrame:
    """``data`` as a DataFrame, warning (as PyPortfolioOpt does) when it was not one."""
    if isinstance(data, pd.DataFrame):
        return data
    import warnings

    warnings.warn(message, RuntimeWarning, stacklevel=3)
    return pd.DataFrame(data)


def flat(matrix_like: Any) -> np.ndarray:
    """A square matrix as a contiguous row-major float64 array."""
    return np.ascontiguousarray(np.asarray(matrix_like, dtype=np.float64))


@contextlib.contextmanager
def translated(labels: Sequence[Any] | None = None) -> Iterator[None]:
    """Raises SDK errors the way PyPortfolioOpt raises them.

    With ``labels`` (the caller's columns), stand-in names in the error
    are put back first (see :func:`labelled`).

    Unreachable targets are ``ValueError`` s there (as here, with the SDK's
    message); constraints that admit no portfolio and solver failures are
    :class:`~auravest.compat.pypfopt.exceptions.OptimizationError`.
    Argument errors stay :class:`auravest.exceptions.InvalidInput` (a
    ``ValueError``).
    """
    try:
        if labels is None:
            yield
        else:
            with labelled(labels):
                yield
    except AuraVestError as e:
        kind = e.kind or ""
        if kind in ("target_return_unreachable", "target_volatility_unreachable"):
            raise exceptions.UnreachableTarget(str(e)) from e
        if kind == "no_return_above_risk_free":
            raise ValueError(str(e)) from e
        if kind in ("infeasible_bounds", "infeasible", "solver", "undiversifiable", "not_positive_semi_definite"):
            raise exceptions.OptimizationError(str(e)) from e
        raise


def call(fn: Callable[..., T], *args: Any) -> T:
    """``fn(*args)`` with SDK errors raised PyPortfolioOpt's way."""
    with translated():
        return fn(*args)
