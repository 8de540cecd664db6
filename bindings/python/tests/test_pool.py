"""Fan-out: 1,000 portfolio analyses (valuation, statistics, nudges) over a
process pool give exactly the serial results; portfolios, price tables and
results pickle."""

from __future__ import annotations

import multiprocessing
import pickle
import random
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import Any

import polars as pl

import auravest
from auravest import Portfolio, bias

SAMPLE = Path(__file__).resolve().parents[3] / "examples" / "data" / "prices.csv"
N = 1000
TICKERS = ["AAPL", "AMZN", "GOOG", "JPM", "XOM", "PFE"]


def _portfolios(prices: pl.DataFrame) -> list[Portfolio]:
    rng = random.Random(20261207)
    dates = prices["date"].to_list()
    out = []
    for _ in range(N):
        day = dates[rng.randrange(0, len(dates) // 2)]
        picks = rng.sample(TICKERS, rng.randint(1, 4))
        records = [{"date": day, "type": "deposit", "price": "100000", "currency": "USD"}]
        row = prices.filter(pl.col("date") == day)
        for t in picks:
            records.append(
                {"date": day, "type": "buy", "symbol": t, "quantity": rng.randint(1, 50), "price": str(round(row[t][0], 2)), "currency": "USD"}
            )
        out.append(Portfolio.from_records(records, today="2018-04-11"))
    return out


_PRICES: Any = None


def _init(table: auravest.PriceTable) -> None:
    global _PRICES
    _PRICES = table


def analyse(p: Portfolio) -> tuple[str, float, float, tuple[str, ...]]:
    v = p.valuation(_PRICES)
    perf = p.performance(_PRICES)
    a = bias.analyze(p, _PRICES)
    return (str(v.value), perf.time_weighted_return, perf.stats.volatility, tuple(n.kind for n in a.findings))


def test_pool_equals_serial() -> None:
    prices = pl.read_csv(SAMPLE, try_parse_dates=True).tail(300)
    table = auravest.price_table(prices)
    assert pickle.loads(pickle.dumps(table)).columns == table.columns
    portfolios = _portfolios(prices)
    _init(table)
    serial = [analyse(p) for p in portfolios]
    # "spawn", as polars asks: a forked child inherits its thread pool's locks.
    context = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(max_workers=2, mp_context=context, initializer=_init, initargs=(table,)) as pool:
        parallel = list(pool.map(analyse, portfolios, chunksize=50))
    assert parallel == serial
    assert len({s[0] for s in serial}) > N // 2, "the portfolios differ"
