"""Delayed market data through the SDK's fallback chain.

A :class:`Market` asks its sources in order (Yahoo Finance, Alpha Vantage
with a key, Stooq; local CSV folders with ``file:DIR``), with circuit
breakers, quotas and validation of every row. Every call has an ``async``
twin (``quote_async``...) that runs in a worker thread, so it can be
awaited from ``asyncio`` or Jupyter's running loop without blocking it.

>>> from auravest.market import Market
>>> m = Market("file:/path/to/csv/folder")  # doctest: +SKIP
>>> m.prices(["AAPL", "MSFT"], "2024-01-01", "2024-06-30")  # doctest: +SKIP

Quotes are delayed (``delayed=True``) and say which source answered.
"""

from __future__ import annotations

import asyncio
import datetime as _dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import polars as pl

from . import _native
from ._frames import from_table, to_date
from ._records import Record
from .exceptions import InvalidInput

__all__ = [
    "History",
    "Market",
    "Quote",
    "history",
    "history_async",
    "prices",
    "prices_async",
    "quote",
    "quote_async",
]


def _timestamp(text: str) -> _dt.datetime:
    return _dt.datetime.fromisoformat(text)


@dataclass(frozen=True)
class Quote(Record):
    """A delayed quote: the price, its time, which source answered and what failed before it."""

    symbol: str
    price: float
    currency: str | None
    market_time: _dt.datetime
    fetched_at: _dt.datetime
    source: str
    delayed: bool
    stale: bool
    attempts: tuple[tuple[str, str], ...]

    @classmethod
    def _from(cls, d: Mapping[str, Any]) -> Quote:
        return cls(
            symbol=str(d["symbol"]),
            price=float(d["price"]),
            currency=d.get("currency"),
            market_time=_timestamp(d["market_time"]),
            fetched_at=_timestamp(d["fetched_at"]),
            source=str(d["source"]),
            delayed=bool(d["delayed"]),
            stale=bool(d["stale"]),
            attempts=tuple((str(a["source"]), str(a["error"])) for a in d["attempts"]),
        )


@dataclass(frozen=True)
class History(Record):
    """Validated bars (a polars DataFrame: date, open, high, low, close,
    adj_close, volume) with what validation dropped or flagged, splits and
    dividends."""

    symbol: str
    source: str
    currency: str | None
    delayed: bool
    stale: bool
    bars: pl.DataFrame
    dropped: tuple[Mapping[str, Any], ...]
    flagged: tuple[Mapping[str, Any], ...]
    splits: tuple[Mapping[str, Any], ...]
    dividends: tuple[Mapping[str, Any], ...]

    @classmethod
    def _from(cls, d: Mapping[str, Any]) -> History:
        bars = pl.DataFrame(
            {
                "date": np.asarray(d["date"], dtype=np.int64).astype("datetime64[D]"),
                "open": pl.Series(d["open"], dtype=pl.Float64),
                "high": pl.Series(d["high"], dtype=pl.Float64),
                "low": pl.Series(d["low"], dtype=pl.Float64),
                "close": pl.Series(d["close"], dtype=pl.Float64),
                "adj_close": pl.Series(d["adj_close"], dtype=pl.Float64),
                "volume": pl.Series(d["volume"], dtype=pl.UInt64),
            }
        ).with_columns(pl.col("date").cast(pl.Date))
        return cls(
            symbol=str(d["symbol"]),
            source=str(d["source"]),
            currency=d.get("currency"),
            delayed=bool(d["delayed"]),
            stale=bool(d["stale"]),
            bars=bars,
            dropped=tuple(d["dropped"]),
            flagged=tuple(d["flagged"]),
            splits=tuple(d["splits"]),
            dividends=tuple(d["dividends"]),
        )


def _required(value: _dt.date | str, field: str) -> str:
    text = to_date(value, field)
    if text is None:
        raise InvalidInput(f"{field}: a date is required", kind="invalid_argument", field=field)
    return text


class Market:
    """Market data through a chain of sources.

    ``sources``: a comma-separated list of ``network`` (every HTTP source
    configured), ``yahoo``, ``alphavantage``, ``stooq`` and ``file:DIR``
    (CSV files, one per symbol); ``network`` by default. HTTP settings are
    the ``AURAVEST_*`` environment variables (base URLs, the Alpha Vantage
    key), overridden by ``settings``.
    """

    def __init__(self, sources: str | None = None, *, settings: Mapping[str, str] | None = None) -> None:
        self._client = _native.MarketClient(sources, dict(settings) if settings else None)

    def __repr__(self) -> str:
        return repr(self._client).replace("MarketClient", "Market")

    def quote(self, symbol: str) -> Quote:
        """The latest delayed quote of ``symbol``."""
        return Quote._from(self._client.quote(symbol))

    def quotes(self, symbols: Sequence[str]) -> dict[str, Quote | str]:
        """Quotes of several symbols: each symbol's quote, or the error's text."""
        out: dict[str, Quote | str] = {}
        for entry in self._client.quotes(list(symbols)):
            out[str(entry["symbol"])] = Quote._from(entry["quote"]) if "quote" in entry else str(entry["error"])
        return out

    def history(
        self, symbol: str, start: _dt.date | str, end: _dt.date | str, *, interval: str | None = None
    ) -> History:
        """Validated bars of ``symbol`` from ``start`` to ``end`` (``daily`` by default, ``weekly``, ``monthly``)."""
        return History._from(self._client.history(symbol, _required(start, "start"), _required(end, "end"), interval))

    def prices(
        self, symbols: Sequence[str], start: _dt.date | str, end: _dt.date | str, *, adjusted: bool = True
    ) -> pl.DataFrame:
        """Daily closes of ``symbols`` aligned on their dates: a polars DataFrame
        (``date`` plus one column per symbol) ready for every function that takes prices."""
        table = self._client.prices(list(symbols), _required(start, "start"), _required(end, "end"), adjusted)
        return from_table(table)

    async def quote_async(self, symbol: str) -> Quote:
        """:meth:`quote`, awaitable."""
        return await asyncio.to_thread(self.quote, symbol)

    async def quotes_async(self, symbols: Sequence[str]) -> dict[str, Quote | str]:
        """:meth:`quotes`, awaitable."""
        return await asyncio.to_thread(self.quotes, symbols)

    async def history_async(
        self, symbol: str, start: _dt.date | str, end: _dt.date | str, *, interval: str | None = None
    ) -> History:
        """:meth:`history`, awaitable."""
        return await asyncio.to_thread(self.history, symbol, start, end, interval=interval)

    async def prices_async(
        self, symbols: Sequence[str], start: _dt.date | str, end: _dt.date | str, *, adjusted: bool = True
    ) -> pl.DataFrame:
        """:meth:`prices`, awaitable."""
        return await asyncio.to_thread(self.prices, symbols, start, end, adjusted=adjusted)




def quote(symbol: str, *, sources: str | None = None) -> Quote:
    """The latest delayed quote of ``symbol`` (see :class:`Market` for ``sources``)."""
    return Market(sources).quote(symbol)


def history(
    symbol: str, start: _dt.date | str, end: _dt.date | str, *, interval: str | None = None, sources: str | None = None
) -> History:
    """Validated bars of ``symbol`` (see :meth:`Market.history`)."""
    return Market(sources).history(symbol, start, end, interval=interval)


def prices(
    symbols: Sequence[str], start: _dt.date | str, end: _dt.date | str, *, adjusted: bool = True, sources: str | None = None
) -> pl.DataFrame:
    """Aligned daily closes of ``symbols`` (see :meth:`Market.prices`)."""
    return Market(sources).prices(symbols, start, end, adjusted=adjusted)


async def quote_async(symbol: str, *, sources: str | None = None) -> Quote:
    """:func:`quote`, awaitable."""
    return await asyncio.to_thread(quote, symbol, sources=sources)


async def history_async(
    symbol: str, start: _dt.date | str, end: _dt.date | str, *, interval: str | None = None, sources: str | None = None
) -> History:
    """:func:`history`, awaitable."""
    return await asyncio.to_thread(history, symbol, start, end, interval=interval, sources=sources)


async def prices_async(
    symbols: Sequence[str], start: _dt.date | str, end: _dt.date | str, *, adjusted: bool = True, sources: str | None = None
) -> pl.DataFrame:
    """:func:`prices`, awaitable."""
    return await asyncio.to_thread(prices, symbols, start, end, adjusted=adjusted, sources=sources)
