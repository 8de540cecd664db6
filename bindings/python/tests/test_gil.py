"""Long calls release the GIL and stop on Ctrl-C.

The long call is a mean-variance problem over 1,000 assets (synthetic
prices, a fixed seed): a second Python thread must keep running while it
is solved, and a SIGINT must raise KeyboardInterrupt within about a second.
"""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
import threading
import time

import numpy as np
import polars as pl

from auravest import optimize

ASSETS = 1000


def prices(assets: int = ASSETS, days: int = 1500) -> pl.DataFrame:
    rng = np.random.default_rng(7)
    market = rng.normal(0.0003, 0.01, size=(days, 1))
    daily = 0.0002 + 0.8 * market + rng.normal(0, 0.015, size=(days, assets))
    closes = 100 * np.exp(np.cumsum(daily, axis=0))
    dates = pl.date_range(pl.date(2015, 1, 1), pl.date(2015, 1, 1) + pl.duration(days=days - 1), eager=True)
    return pl.DataFrame({"date": dates, **{f"A{j:04d}": closes[:, j] for j in range(assets)}})


def test_another_thread_runs_during_a_1000_asset_optimisation() -> None:
    table = prices()
    done = threading.Event()
    result: dict[str, object] = {}

    def solve() -> None:
        started = time.perf_counter()
        result["weights"] = optimize.optimize(table, "min_volatility").weights
        result["seconds"] = time.perf_counter() - started
        done.set()

    worker = threading.Thread(target=solve)
    ticks = 0
    worker.start()
    while not done.is_set():
        # Pure-Python work on this thread: it only runs while the solver has let the GIL go.
        sum(range(1000))
        ticks += 1
    worker.join()
    weights = result["weights"]
    assert isinstance(weights, dict) and len(weights) == ASSETS
    assert abs(sum(weights.values()) - 1) < 1e-6
    seconds = float(result["seconds"])  # type: ignore[arg-type]
    # Thousands of loop iterations a second while the solver ran.
    assert ticks > 1000 * seconds, (ticks, seconds)


SCRIPT = textwrap.dedent(
    """
    import os, signal, sys, threading, time
    sys.path.insert(0, {tests!r})
    from test_gil import prices
    from auravest import optimize
    table = prices()
    # A frontier long enough to interrupt: more points until one call takes 1.5 s.
    for points in (4, 8, 16, 32, 64):
        started = time.perf_counter()
        optimize.frontier(table, points=points)
        full = time.perf_counter() - started
        if full > 1.5:
            break
    timer = threading.Timer(0.5, lambda: os.kill(os.getpid(), signal.SIGINT))
    timer.start()
    sent = time.perf_counter() + 0.5
    try:
        optimize.frontier(table, points=points)
        print("finished", full, flush=True)
    except KeyboardInterrupt:
        print("interrupted", full, time.perf_counter() - sent, flush=True)
    """
)


def test_ctrl_c_interrupts_a_long_call_within_a_second() -> None:
    here = os.path.dirname(os.path.abspath(__file__))
    out = subprocess.run(
        [sys.executable, "-c", SCRIPT.format(tests=here)], capture_output=True, text=True, timeout=600, check=True
    )
    words = out.stdout.split()
    assert words[0] == "interrupted", out.stdout + out.stderr
    full, latency = float(words[1]), float(words[2])
    assert full > 1.0, f"the call must be long enough to interrupt ({full:.2f} s)"
    assert latency < 1.0, f"KeyboardInterrupt came {latency:.2f} s after SIGINT"
