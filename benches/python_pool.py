"""Fan-out speed-up: 1,000 portfolio analyses (valuation, performance
statistics, nudges) serially and over a process pool, in one run.

    python benches/python_pool.py [--workers 2] [--n 1000]

Prints the load average first, then both times and the speed-up. The
portfolios and the check that both runs agree are the ones of
bindings/python/tests/test_pool.py.
"""

from __future__ import annotations

import argparse
import multiprocessing
import os
import sys
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import polars as pl

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "bindings" / "python" / "tests"))

import auravest  # noqa: E402
import test_pool  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 2)
    parser.add_argument("--n", type=int, default=1000)
    args = parser.parse_args()
    print(f"load average: {' '.join(f'{x:.2f}' for x in os.getloadavg())} on {os.cpu_count()} cores")
    prices = pl.read_csv(ROOT / "examples" / "data" / "prices.csv", try_parse_dates=True).tail(300)
    table = auravest.price_table(prices)
    test_pool.N = args.n
    portfolios = test_pool._portfolios(prices)
    test_pool._init(table)
    started = time.perf_counter()
    serial = [test_pool.analyse(p) for p in portfolios]
    t_serial = time.perf_counter() - started
    context = multiprocessing.get_context("spawn")
    started = time.perf_counter()
    with ProcessPoolExecutor(args.workers, mp_context=context, initializer=test_pool._init, initargs=(table,)) as pool:
        parallel = list(pool.map(test_pool.analyse, portfolios, chunksize=max(1, args.n // (8 * args.workers))))
    t_pool = time.perf_counter() - started
    assert parallel == serial
    print(f"{args.n} analyses: serial {t_serial:.2f} s, {args.workers} processes {t_pool:.2f} s "
          f"(pool start-up included): {t_serial / t_pool:.2f}x")


if __name__ == "__main__":
    main()
