"""Conversions between DataFrames and the native price table.

Everything here is vectorised (numpy/polars kernels, no Python loop over
rows): a price table crosses into Rust as three buffers, dates as ``int32``
days since 1970-01-01, names, and column-major ``float64`` prices with NaN
for a missing price. The Rust side (the SDK's ``PriceFrame``) validates it.
"""

from __future__ import annotations

import datetime as _dt
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any, Union

import numpy as np
import polars as pl

from . import _native
from .exceptions import InvalidInput

if TYPE_CHECKING:
    import pandas as pd

    PriceInput = Union[pl.DataFrame, "pd.DataFrame", _native.PriceTable]
else:
    PriceInput = Any

_EPOCH = np.datetime64("1970-01-01", "D")
_I32 = np.iinfo(np.int32)


def is_pandas(obj: object) -> bool:
    """Whether ``obj`` is a pandas object (checked without importing pandas)."""
    return type(obj).__module__.split(".")[0] == "pandas"


def _day_numbers(values: np.ndarray, where: str) -> np.ndarray:
    """``datetime64`` values as int32 day numbers."""
    if values.dtype.kind != "M":
        raise InvalidInput(f"{where}: expected dates, got {values.dtype}", kind="invalid_argument", field=where)
    if np.isnat(values).any():
        raise InvalidInput(f"{where}: a date is missing", kind="invalid_argument", field=where)
    days = values.astype("datetime64[D]").astype(np.int64)
    if days.size and (days.min() < _I32.min or days.max() > _I32.max):
        raise InvalidInput(f"{where}: a date is out of range", kind="invalid_argument", field=where)
    return np.ascontiguousarray(days, dtype=np.int32)


def _polars_table(df: pl.DataFrame, date_column: str) -> _native.PriceTable:
    if date_column not in df.columns:
        raise InvalidInput(
            f"prices: no {date_column!r} column (expected a {date_column!r} column and one column per ticker)",
            kind="invalid_argument",
            field=date_column,
        )
    dates = df.get_column(date_column)
    if dates.dtype == pl.String:
        try:
            dates = dates.str.to_date("%Y-%m-%d")
        except Exception as exc:  # polars raises its own error type
            raise InvalidInput(f"{date_column}: {exc}", kind="invalid_argument", field=date_column) from None
    elif dates.dtype == pl.Datetime:
        dates = dates.dt.date()
    if dates.dtype != pl.Date:
        raise InvalidInput(
            f"{date_column}: expected dates, got {dates.dtype}", kind="invalid_argument", field=date_column
        )
    if dates.null_count():
        raise InvalidInput(f"{date_column}: a date is missing", kind="invalid_argument", field=date_column)
    names = [c for c in df.columns if c != date_column]
    for name in names:
        if not df.schema[name].is_numeric():
            raise InvalidInput(
                f"{name}: expected prices, got {df.schema[name]}", kind="invalid_argument", field=name
            )
    day_numbers = np.ascontiguousarray(dates.cast(pl.Int32).to_numpy(), dtype=np.int32)
    if names:
        matrix = df.select(pl.col(names).cast(pl.Float64)).to_numpy(order="fortran")
        values = np.ascontiguousarray(matrix.ravel(order="F"), dtype=np.float64)
    else:
        values = np.empty(0, dtype=np.float64)
    return _native.PriceTable(day_numbers, names, values)


def _pandas_table(df: pd.DataFrame, date_column: str) -> _native.PriceTable:
    if date_column in df.columns:
        df = df.set_index(date_column)
    index = df.index
    try:
        stamps = np.asarray(index.to_numpy(dtype="datetime64[ns]"))
    except (TypeError, ValueError):
        import pandas as pd  # only reached with pandas input

        try:
            stamps = np.asarray(pd.to_datetime(index).to_numpy(dtype="datetime64[ns]"))
        except (TypeError, ValueError) as exc:
            raise InvalidInput(
                f"prices: the index must hold dates: {exc}", kind="invalid_argument", field=date_column
            ) from None
    names = [str(c) for c in df.columns]
    try:
        matrix = df.to_numpy(dtype=np.float64, na_value=np.nan)
    except (TypeError, ValueError) as exc:
        raise InvalidInput(f"prices: {exc}", kind="invalid_argument", field="prices") from None
    values = np.ascontiguousarray(matrix.ravel(order="F"), dtype=np.float64)
    return _native.PriceTable(_day_numbers(stamps, date_column), names, values)


def to_table(prices: PriceInput, *, date_column: str = "date") -> _native.PriceTable:
    """A native price table from a polars or pandas DataFrame.

    polars: a ``date`` column (Date, Datetime or ISO text) and one numeric
    column per ticker. pandas: a DatetimeIndex (as PyPortfolioOpt and
    yfinance use) or a ``date`` column, and one column per ticker.
    Missing prices are nulls/NaN.
    """
    if isinstance(prices, _native.PriceTable):
        return prices
    if isinstance(prices, pl.DataFrame):
        return _polars_table(prices, date_column)
    if isinstance(prices, pl.LazyFrame):
        return _polars_table(prices.collect(), date_column)
    if is_pandas(prices) and hasattr(prices, "columns"):
        return _pandas_table(prices, date_column)
    raise InvalidInput(
        f"prices: expected a polars or pandas DataFrame, got {type(prices).__name__}",
        kind="invalid_argument",
        field="prices",
    )


def from_table(table: _native.PriceTable) -> pl.DataFrame:
    """A native price table as a polars DataFrame (``date`` plus one column per ticker)."""
    days = np.frombuffer(table.date_bytes(), dtype="<i4")
    names = table.columns
    values = np.frombuffer(table.value_bytes(), dtype="<f8").reshape((len(names), len(days)))
    frame = pl.DataFrame({"date": (days.astype("datetime64[D]"))}).with_columns(pl.col("date").cast(pl.Date))
    if names:
        data = pl.DataFrame({name: values[j] for j, name in enumerate(names)}).fill_nan(None)
        frame = pl.concat([frame, data], how="horizontal")
    return frame


def series_frame(dates: Sequence[int] | np.ndarray, columns: Mapping[str, Sequence[float] | np.ndarray]) -> pl.DataFrame:
    """A time series as a polars DataFrame: ``date`` plus the named columns."""
    day_numbers = np.asarray(dates, dtype=np.int64)
    data: dict[str, Any] = {"date": day_numbers.astype("datetime64[D]")}
    for name, values in columns.items():
        data[name] = np.asarray(values, dtype=np.float64)
    return pl.DataFrame(data).with_columns(pl.col("date").cast(pl.Date))


def to_date(value: _dt.date | str | None, field: str) -> str | None:
    """A date argument as ISO text for the SDK (which validates its range)."""
    if value is None:
        return None
    if isinstance(value, _dt.datetime):
        return value.date().isoformat()
    if isinstance(value, _dt.date):
        return value.isoformat()
    if isinstance(value, str):
        return value
    if hasattr(value, "date") and callable(value.date):  # pandas.Timestamp, numpy-ish
        return str(value.date().isoformat())
    raise InvalidInput(f"{field}: expected a date, got {type(value).__name__}", kind="invalid_argument", field=field)
