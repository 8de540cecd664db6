from __future__ import annotations

import datetime as dt
import pickle
from decimal import Decimal
from pathlib import Path

import polars as pl
import pytest

from auravest import Portfolio
from auravest.exceptions import DataUnavailable, InvalidInput, LedgerError

CSV = """date,type,symbol,quantity,price,fee,currency
2024-01-02,deposit,,,10000,0,USD
2024-01-02,buy,AAPL,10,100,1,USD
2024-02-01,buy,AAPL,10,120,1,USD
2024-03-01,sell,AAPL,15,130,1,USD
"""

PRICES = pl.DataFrame(
    {
        "date": [dt.date(2024, 1, 2), dt.date(2024, 2, 1), dt.date(2024, 3, 1), dt.date(2024, 3, 28)],
        "AAPL": [100.0, 120.0, 130.0, 140.0],
        "SPY": [400.0, 410.0, 420.0, 430.0],
    }
)


def test_fifo_lots_and_realised_pnl() -> None:
    p = Portfolio.from_csv(CSV, today="2024-06-30")
    assert len(p) == 4
    [pos] = p.positions()
    assert pos.symbol == "AAPL" and pos.quantity == Decimal(5)
    # FIFO: the 15 sold take the first lot (10 @ 100.1 with its fee) and 5 of the second.
    [lot] = pos.lots
    assert lot.date == dt.date(2024, 2, 1) and lot.quantity == Decimal(5)
    assert lot.cost == Decimal("600.5")  # 5 of 10 @ 120 + 1 fee
    assert pos.realized_pnl == Decimal("1950") - Decimal("1") - (Decimal("1001") + Decimal("600.5"))
    assert p.cash()["USD"] == Decimal("10000") - 1001 - 1201 + 1949
    assert p.lots("aapl") == list(pos.lots)


def test_valuation_is_exact_and_defaults_to_the_last_price_date() -> None:
    p = Portfolio.from_csv(CSV, today="2024-06-30")
    v = p.valuation(PRICES)
    assert v.as_of == dt.date(2024, 3, 28)
    [pv] = v.positions
    assert pv.price == Decimal(140) and pv.value == Decimal(700)
    assert v.value == v.cash + Decimal(700)
    assert isinstance(v.value, Decimal)
    assert v.to_polars().height == 1
    earlier = p.valuation(PRICES.to_pandas().set_index("date"), as_of="2024-02-01")
    assert earlier.positions[0].quantity == Decimal(20)


def test_performance_with_benchmark_and_series() -> None:
    p = Portfolio.from_csv(CSV, today="2024-06-30")
    perf = p.performance(PRICES, benchmark="SPY")
    assert perf.start == dt.date(2024, 1, 2) and perf.end == dt.date(2024, 3, 28)
    assert perf.benchmark is not None and perf.benchmark.name == "SPY"
    assert perf.benchmark.total_return == pytest.approx(430 / 400 - 1)
    assert perf.stats.beta is not None
    assert "Based on past prices" in perf.basis
    assert perf.series.columns == ["date", "value", "inflow", "outflow"]
    assert perf.series["date"].dtype == pl.Date
    assert perf.series["value"].dtype == pl.Decimal(scale=10)
    # The last value equals the valuation at the same date.
    assert Decimal(str(perf.series["value"][-1])) == p.valuation(PRICES).value


def test_import_errors_carry_line_and_field() -> None:
    bad = CSV + "2024-03-05,buy,AAPL,abc,10,0,USD\n2024-03-06,sell,MSFT,1,10,0,USD\n"
    with pytest.raises(InvalidInput) as err:
        Portfolio.from_csv(bad, today="2024-06-30")
    assert err.value.line == 6 and err.value.field == "quantity"
    assert [(r[0], r[1]) for r in err.value.rows][:1] == [(6, "quantity")]
    assert any(r[0] == 7 for r in err.value.rows)
    p = Portfolio.from_csv(bad, today="2024-06-30", skip_invalid=True)
    assert len(p) == 4 and {s.line for s in p.skipped} == {6, 7}


def test_a_refused_change_changes_nothing() -> None:
    p = Portfolio.from_csv(CSV, today="2024-06-30")
    before = p.transactions()
    with pytest.raises(LedgerError) as err:
        p.add(date="2024-03-02", type="sell", symbol="AAPL", quantity=50, price=130, currency="USD")
    assert err.value.kind == "oversold"
    with pytest.raises(InvalidInput) as err2:
        p.add(date="2024-07-02", type="buy", symbol="AAPL", quantity=1, price=130, currency="USD")
    assert err2.value.field == "date"
    assert p.transactions() == before
    p.add(date="2024-03-02", type="buy", symbol="MSFT", quantity=Decimal("2.5"), price="400", currency="USD")
    assert len(p) == 5
    removed = p.remove(4)
    assert removed.symbol == "MSFT" and removed.quantity == Decimal("2.5")
    with pytest.raises(LedgerError) as err3:
        p.remove(1)  # the first buy: the later sale of 15 would sell more than is held
    assert err3.value.kind == "oversold"
    assert p.transactions() == before


def test_records_csv_path_and_frames(tmp_path: Path) -> None:
    path = tmp_path / "tx.csv"
    path.write_text(CSV)
    a = Portfolio.from_csv(path, today="2024-06-30")
    b = Portfolio.from_records(pl.read_csv(path, infer_schema=False), today="2024-06-30")
    c = Portfolio.from_records([t.to_dict() for t in a.transactions()], today="2024-06-30")
    assert a == b == c
    assert a.transactions_frame().height == 4


def test_pickle_round_trip() -> None:
    p = Portfolio.from_csv(CSV, today="2024-06-30", base_currency="USD")
    q = pickle.loads(pickle.dumps(p))
    assert q == p and q.today == dt.date(2024, 6, 30)
    assert q.valuation(PRICES) == p.valuation(PRICES)


def test_missing_price_is_data_unavailable() -> None:
    p = Portfolio.from_csv(CSV, today="2024-06-30")
    with pytest.raises(DataUnavailable):
        p.valuation(PRICES.select("date", "SPY"))


def test_bad_price_tables_are_refused() -> None:
    p = Portfolio.from_csv(CSV, today="2024-06-30")
    with pytest.raises(InvalidInput) as err:
        p.valuation(PRICES.with_columns(pl.lit(-1.0).alias("AAPL")))
    assert err.value.kind == "invalid_prices" and err.value.field == "AAPL"
    with pytest.raises(InvalidInput) as err:
        p.valuation(PRICES.reverse())
    assert err.value.field == "date"
    with pytest.raises(InvalidInput) as err:
        p.valuation(PRICES.drop("date"))
    assert err.value.field == "date"
    with pytest.raises(InvalidInput):
        p.valuation({"AAPL": [1.0]})  # type: ignore[arg-type]


def test_sample_portfolio(sample_transactions_path: Path, sample_prices: pl.DataFrame) -> None:
    p = Portfolio.from_csv(sample_transactions_path, today="2018-04-11")
    v = p.valuation(sample_prices)
    assert v.value > 0 and abs(sum(x.weight for x in v.positions) + float(v.cash / v.value) - 1) < 1e-9
    perf = p.performance(sample_prices, benchmark="SPY")
    assert -1 < perf.time_weighted_return < 10 and perf.stats.volatility > 0
