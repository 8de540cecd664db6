"""Portfolios: a validated transaction log, positions with FIFO lots,
valuation at delayed or historical prices, and performance.

>>> from auravest.portfolio import Portfolio
>>> p = Portfolio.from_csv('''date,type,symbol,quantity,price,fee,currency
... 2024-01-02,deposit,,,10000,0,USD
... 2024-01-02,buy,AAPL,10,185.64,1,USD
... ''', today="2024-06-28")
>>> [pos.symbol for pos in p.positions()]
['AAPL']

Amounts are exact decimals (:class:`decimal.Decimal`); every change is
checked against the whole log (selling more than is held raises
:class:`~auravest.exceptions.LedgerError` and changes nothing). Import
errors carry the line and field of every bad row.
"""

from __future__ import annotations

import datetime as _dt
import os
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

import polars as pl

from . import _native
from ._frames import PriceInput, is_pandas, series_frame, to_date, to_table
from ._records import Record, date, decimal
from .exceptions import InvalidInput
from .stats import Stats

__all__ = [
    "BenchmarkReturn",
    "Lot",
    "Performance",
    "Portfolio",
    "Position",
    "PositionValue",
    "SkippedRow",
    "Transaction",
    "Valuation",
]


@dataclass(frozen=True)
class Transaction(Record):
    """A transaction in its record form (amounts as exact decimals)."""

    date: _dt.date
    type: str
    symbol: str | None
    quantity: Decimal | None
    price: Decimal | None
    fee: Decimal | None
    currency: str

    @classmethod
    def _from(cls, d: Mapping[str, Any]) -> Transaction:
        return cls(
            date=date(d["date"]),  # type: ignore[arg-type]
            type=str(d["type"]),
            symbol=d.get("symbol"),
            quantity=decimal(d.get("quantity")),
            price=decimal(d.get("price")),
            fee=decimal(d.get("fee")),
            currency=str(d["currency"]),
        )


@dataclass(frozen=True)
class Lot(Record):
    """An open FIFO lot: when it was bought, what is left of it and its remaining cost."""

    date: _dt.date
    quantity: Decimal
    cost: Decimal


@dataclass(frozen=True)
class Position(Record):
    """A position with its FIFO lots, cost and realised results."""

    symbol: str
    currency: str
    quantity: Decimal
    cost_basis: Decimal
    avg_cost: Decimal | None
    realized_pnl: Decimal
    dividends: Decimal
    lots: tuple[Lot, ...]

    @classmethod
    def _from(cls, d: Mapping[str, Any]) -> Position:
        return cls(
            symbol=str(d["symbol"]),
            currency=str(d["currency"]),
            quantity=Decimal(d["quantity"]),
            cost_basis=Decimal(d["cost_basis"]),
            avg_cost=decimal(d.get("avg_cost")),
            realized_pnl=Decimal(d["realized_pnl"]),
            dividends=Decimal(d["dividends"]),
            lots=tuple(
                Lot(date=date(lot["date"]), quantity=Decimal(lot["quantity"]), cost=Decimal(lot["cost"]))  # type: ignore[arg-type]
                for lot in d["lots"]
            ),
        )


@dataclass(frozen=True)
class PositionValue(Record):
    """One position valued: price used (and its date), value, weight and P&L in the base currency."""

    symbol: str
    currency: str
    quantity: Decimal
    avg_cost: Decimal
    price: Decimal
    price_date: _dt.date
    value: Decimal
    weight: float
    unrealized_pnl: Decimal
    realized_pnl: Decimal


@dataclass(frozen=True)
class Valuation(Record):
    """A portfolio valued at the end of ``as_of``: total value, cash and positions."""

    as_of: _dt.date
    base_currency: str
    value: Decimal
    cash: Decimal
    positions: tuple[PositionValue, ...]

    @classmethod
    def _from(cls, d: Mapping[str, Any]) -> Valuation:
        return cls(
            as_of=date(d["as_of"]),  # type: ignore[arg-type]
            base_currency=str(d["base_currency"]),
            value=Decimal(d["value"]),
            cash=Decimal(d["cash"]),
            positions=tuple(
                PositionValue(
                    symbol=str(p["symbol"]),
                    currency=str(p["currency"]),
                    quantity=Decimal(p["quantity"]),
                    avg_cost=Decimal(p["avg_cost"]),
                    price=Decimal(p["price"]),
                    price_date=date(p["price_date"]),  # type: ignore[arg-type]
                    value=Decimal(p["value"]),
                    weight=float(p["weight"]),
                    unrealized_pnl=Decimal(p["unrealized_pnl"]),
                    realized_pnl=Decimal(p["realized_pnl"]),
                )
                for p in d["positions"]
            ),
        )

    def to_polars(self) -> pl.DataFrame:
        """The positions as a polars DataFrame (money columns as exact decimals)."""
        rows = [p.to_dict() for p in self.positions]
        if not rows:
            return pl.DataFrame(schema={"symbol": pl.String, "value": pl.Decimal(38, 10), "weight": pl.Float64})
        return pl.DataFrame(rows)


@dataclass(frozen=True)
class BenchmarkReturn(Record):
    """The benchmark's total return over the same days as the portfolio's returns."""

    name: str
    total_return: float


@dataclass(frozen=True)
class Performance(Record):
    """Performance over a period.

    ``time_weighted_return`` (not annualised) links the daily sub-period
    returns; ``money_weighted_return`` is the annual IRR of the external
    cash flows; ``stats`` are the daily returns' statistics; ``series`` is a
    polars DataFrame of the daily values (``date``, ``value``, ``inflow``,
    ``outflow`` as exact decimals). ``basis`` says how the figures were
    computed, for display beside them.
    """

    start: _dt.date
    end: _dt.date
    base_currency: str
    time_weighted_return: float
    money_weighted_return: float
    stats: Stats
    benchmark: BenchmarkReturn | None
    basis: str
    series: pl.DataFrame


@dataclass(frozen=True)
class SkippedRow(Record):
    """A row an import skipped (``skip_invalid=True``): its line, field and why."""

    line: int
    field: str
    reason: str


def _plain(value: Any) -> Any:
    """A record value the SDK reads: decimals and dates as text."""
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, (_dt.date, _dt.datetime)):
        return to_date(value, "date")
    return value


def _record(record: Mapping[str, Any]) -> dict[str, Any]:
    return {str(k): _plain(v) for k, v in record.items()}


def _read_text(source: str | os.PathLike[str]) -> str:
    """A file's text, or ``source`` itself when it is the content."""
    if isinstance(source, os.PathLike):
        return Path(source).read_text(encoding="utf-8")
    if "\n" not in source and Path(source).is_file():
        return Path(source).read_text(encoding="utf-8")
    return source


class Portfolio:
    """A portfolio: a transaction log checked as a whole, with its holdings.

    ``base_currency`` is the reporting currency (the SDK's default, USD,
    when None); transactions dated after ``today`` (the current date by
    default) are refused. Portfolios pickle (for process pools, Dask, Ray)
    and compare equal when their logs are equal.
    """

    __slots__ = ("_ledger", "skipped")

    def __init__(self, base_currency: str | None = None, *, today: _dt.date | str | None = None) -> None:
        day = to_date(today, "today") or _dt.date.today().isoformat()
        self._ledger = _native.Ledger(day, base_currency)
        #: Rows the last import skipped (with ``skip_invalid=True``).
        self.skipped: list[SkippedRow] = []

    # -- construction ------------------------------------------------------
    @classmethod
    def from_csv(
        cls,
        source: str | os.PathLike[str],
        *,
        base_currency: str | None = None,
        today: _dt.date | str | None = None,
        skip_invalid: bool = False,
    ) -> Portfolio:
        """A portfolio from a transactions CSV: a path or the CSV text itself.

        Columns ``date,type,symbol,quantity,price,fee,currency`` in any
        order (``fee`` optional). All or nothing: a bad row raises
        :class:`~auravest.exceptions.InvalidInput` whose ``rows`` list every
        bad row as ``(line, field, reason)``, unless ``skip_invalid``.
        """
        p = cls(base_currency, today=today)
        p._import(_read_text(source), "csv", skip_invalid)
        return p

    @classmethod
    def from_json(
        cls,
        source: str | os.PathLike[str],
        *,
        base_currency: str | None = None,
        today: _dt.date | str | None = None,
        skip_invalid: bool = False,
    ) -> Portfolio:
        """A portfolio from a JSON array of transaction records (a path or the text)."""
        p = cls(base_currency, today=today)
        p._import(_read_text(source), "json", skip_invalid)
        return p

    @classmethod
    def from_records(
        cls,
        records: Iterable[Mapping[str, Any]] | Any,
        *,
        base_currency: str | None = None,
        today: _dt.date | str | None = None,
        skip_invalid: bool = False,
    ) -> Portfolio:
        """A portfolio from records: dicts, or a polars/pandas DataFrame with the CSV's columns.

        Lines in errors count records from 1.
        """
        rows: Sequence[Mapping[str, Any]]
        if isinstance(records, pl.DataFrame):
            rows = records.to_dicts()
        elif is_pandas(records) and hasattr(records, "to_dict"):
            frame: Any = records
            rows = frame.astype(object).where(frame.notna(), None).to_dict("records")
        else:
            rows = list(records)
        p = cls(base_currency, today=today)
        skipped = p._ledger.import_records([_record(r) for r in rows], skip_invalid)
        p.skipped = [SkippedRow(*s) for s in skipped]
        return p

    def _import(self, text: str, fmt: str, skip_invalid: bool) -> None:
        skipped = self._ledger.import_text(text, fmt, skip_invalid)
        self.skipped = [SkippedRow(*s) for s in skipped]

    # -- changes -----------------------------------------------------------
    def add(self, record: Mapping[str, Any] | None = None, /, **fields: Any) -> None:
        """Adds a transaction (a record dict and/or keyword fields).

        ``p.add(date="2024-03-01", type="buy", symbol="MSFT", quantity=5,
        price="410.5", currency="USD")``. Checked against the whole log:
        nothing changes when it is refused.
        """
        merged = {**(record or {}), **fields}
        self._ledger.insert(_record(merged))

    def remove(self, index: int) -> Transaction:
        """Removes the transaction at ``index`` (log order) and returns it."""
        return Transaction._from(self._ledger.remove(index))

    def replace(self, index: int, record: Mapping[str, Any] | None = None, /, **fields: Any) -> Transaction:
        """Replaces the transaction at ``index``; returns the old one."""
        merged = {**(record or {}), **fields}
        return Transaction._from(self._ledger.replace(index, _record(merged)))

    # -- reading -----------------------------------------------------------
    @property
    def base_currency(self) -> str:
        """The reporting currency."""
        return self._ledger.base_currency

    @property
    def today(self) -> _dt.date:
        """The date after which transactions are refused."""
        return _dt.date.fromisoformat(self._ledger.today)

    def __len__(self) -> int:
        return len(self._ledger)

    def __repr__(self) -> str:
        return f"Portfolio({len(self)} transactions, base_currency={self.base_currency!r})"

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Portfolio):
            return NotImplemented
        return (
            self.base_currency == other.base_currency
            and self._ledger.records() == other._ledger.records()
        )

    __hash__ = None  # type: ignore[assignment]

    def __getstate__(self) -> dict[str, Any]:
        return {"ledger": self._ledger, "skipped": self.skipped}

    def __setstate__(self, state: dict[str, Any]) -> None:
        self._ledger = state["ledger"]
        self.skipped = state["skipped"]

    def transactions(self) -> list[Transaction]:
        """The log, in date order."""
        return [Transaction._from(r) for r in self._ledger.records()]

    def transactions_frame(self) -> pl.DataFrame:
        """The log as a polars DataFrame (the CSV's columns)."""
        return pl.DataFrame(
            self._ledger.records(),
            schema={c: pl.String for c in ("date", "type", "symbol", "quantity", "price", "fee", "currency")},
        )

    def positions(self, *, include_closed: bool = False) -> list[Position]:
        """Open positions (and closed ones with ``include_closed``), with their FIFO lots."""
        return [Position._from(d) for d in self._ledger.positions(include_closed)]

    def lots(self, symbol: str) -> list[Lot]:
        """The open FIFO lots of ``symbol``, oldest first (empty when not held)."""
        for pos in self.positions():
            if pos.symbol == symbol.upper() or pos.symbol == symbol:
                return list(pos.lots)
        return []

    def cash(self) -> dict[str, Decimal]:
        """Cash by currency."""
        return {str(m["currency"]): Decimal(m["amount"]) for m in self._ledger.cash()}

    def valuation(self, prices: PriceInput, as_of: _dt.date | str | None = None) -> Valuation:
        """The portfolio valued at the end of ``as_of`` (the last date of ``prices`` by default).

        ``prices``: a polars DataFrame (``date`` plus one column per ticker)
        or a pandas DataFrame with a DatetimeIndex. Each position takes its
        last price on or before ``as_of``; a held symbol without one raises
        :class:`~auravest.exceptions.DataUnavailable`.
        """
        return Valuation._from(self._ledger.valuation(to_table(prices), to_date(as_of, "as_of")))

    def performance(
        self,
        prices: PriceInput,
        *,
        start: _dt.date | str | None = None,
        end: _dt.date | str | None = None,
        benchmark: str | None = None,
        risk_free_rate: float | None = None,
    ) -> Performance:
        """Time- and money-weighted returns and the statistics from ``start`` to ``end``.

        Defaults: from the first transaction to the last price date, with a
        risk-free rate of 0. ``benchmark`` names a column of ``prices`` (an
        index fund) for its return, beta and alpha over the same days.
        """
        summary, dates, values, inflows, outflows = self._ledger.performance(
            to_table(prices), to_date(start, "start"), to_date(end, "end"), benchmark, risk_free_rate
        )
        series = series_frame(dates, {}).with_columns(
            pl.Series("value", values).str.to_decimal(scale=10),
            pl.Series("inflow", inflows).str.to_decimal(scale=10),
            pl.Series("outflow", outflows).str.to_decimal(scale=10),
        )
        bench = summary.get("benchmark")
        return Performance(
            start=date(summary["start"]),  # type: ignore[arg-type]
            end=date(summary["end"]),  # type: ignore[arg-type]
            base_currency=str(summary["base_currency"]),
            time_weighted_return=float(summary["time_weighted_return"]),
            money_weighted_return=float(summary["money_weighted_return"]),
            stats=Stats._from(summary["stats"]),
            benchmark=None if bench is None else BenchmarkReturn(str(bench["name"]), float(bench["total_return"])),
            basis=str(summary["basis"]),
            series=series,
        )
