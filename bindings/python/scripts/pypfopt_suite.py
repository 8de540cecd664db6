#!/usr/bin/env python3
"""Runs PyPortfolioOpt 1.6.0's own test suite against ``auravest.compat.pypfopt``.

    python scripts/pypfopt_suite.py [--keep] [-- extra pytest args]

1. Fetches the sdist from PyPI with pip (``pip download --no-deps
   --no-binary :all: pyportfolioopt==1.6.0``), cached under
   ``~/.cache/auravest-py/pypfopt-sdist``, and copies its ``tests/`` folder.
2. The sdist leaves out the suite's helpers and data: this script writes
   its own ``tests/utilities_for_tests.py`` (the helper names the tests
   import), copies ``stock_prices.csv`` and ``spy_prices.csv`` from
   ``../shared/data`` (byte-for-byte the suite's resources, see the README
   there) and, when the genuine PyPortfolioOpt is installed, writes
   ``weights_hrp.csv`` with it (the test's own comment says that is how
   the file is made). ``cov_matrix.csv`` has no source here.
3. Redirects ``pypfopt``: a shim package first on ``PYTHONPATH`` replaces
   ``pypfopt`` and its submodules with ``auravest.compat.pypfopt`` (also in
   subprocesses, which the README test starts).
4. Runs pytest, prints ``pypfopt suite: P passed, F failed, S skipped`` and
   the failing tests, and exits 1 if a test fails that is not listed in
   ``tests/pypfopt_expected_failures.txt`` (one ``test_file.py::test_name``
   per line, then `` # reason``).
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tarfile
import xml.etree.ElementTree as ET
from pathlib import Path

VERSION = "1.6.0"
HERE = Path(__file__).resolve().parent
PACKAGE = HERE.parent
WORKSPACE = PACKAGE.parent.parent
SHARED_DATA = Path(os.environ.get("AURAVEST_SHARED_DATA", WORKSPACE.parent / "shared" / "data"))
CACHE = Path(os.environ.get("AURAVEST_PY_CACHE", Path.home() / ".cache" / "auravest-py"))
EXPECTED = PACKAGE / "tests" / "pypfopt_expected_failures.txt"

UTILITIES = '''\
"""The helpers PyPortfolioOpt's tests import (written for AuraVest; the sdist does not ship them)."""

import os

import pandas as pd

from pypfopt import expected_returns, risk_models
from pypfopt.cla import CLA
from pypfopt.efficient_frontier import EfficientCDaR, EfficientCVaR, EfficientFrontier, EfficientSemivariance

HERE = os.path.dirname(os.path.abspath(__file__))

# Illustrative market capitalisations used by the Black-Litterman tests.
MARKET_CAPS = {
    "GOOG": 927e9, "AAPL": 1.19e12, "FB": 574e9, "BABA": 533e9, "AMZN": 867e9,
    "GE": 96e9, "AMD": 43e9, "WMT": 339e9, "BAC": 301e9, "GM": 51e9, "T": 61e9,
    "UAA": 78e9, "SHLD": 0, "XOM": 295e9, "RRC": 1e9, "BBY": 22e9, "MA": 288e9,
    "PFE": 212e9, "JPM": 422e9, "SBUX": 102e9,
}


def resource(name):
    return os.path.join(HERE, "resources", name)


def _prices(name):
    return pd.read_csv(resource(name), parse_dates=True, index_col="date")


def get_data():
    return _prices("stock_prices.csv")


def get_benchmark_data():
    return _prices("spy_prices.csv")


def get_market_caps():
    return dict(MARKET_CAPS)


def get_cov_matrix():
    return pd.read_csv(resource("cov_matrix.csv"), index_col=0)


def _mean_and_cov():
    df = get_data()
    return expected_returns.mean_historical_return(df), risk_models.sample_cov(df)


def _mean_and_returns():
    df = get_data().dropna(axis=0, how="any")
    return expected_returns.mean_historical_return(df), expected_returns.returns_from_prices(df)


def setup_efficient_frontier(data_only=False, *args, **kwargs):
    mu, S = _mean_and_cov()
    return (mu, S) if data_only else EfficientFrontier(mu, S, *args, verbose=True, **kwargs)


def setup_efficient_semivariance(data_only=False, *args, **kwargs):
    mu, rets = _mean_and_returns()
    return (mu, rets) if data_only else EfficientSemivariance(mu, rets, *args, verbose=True, **kwargs)


def setup_efficient_cvar(data_only=False, *args, **kwargs):
    mu, rets = _mean_and_returns()
    return (mu, rets) if data_only else EfficientCVaR(mu, rets, *args, verbose=True, **kwargs)


def setup_efficient_cdar(data_only=False, *args, **kwargs):
    mu, rets = _mean_and_returns()
    return (mu, rets) if data_only else EfficientCDaR(mu, rets, *args, verbose=True, **kwargs)


def setup_cla(data_only=False, *args, **kwargs):
    mu, S = _mean_and_cov()
    return (mu, S) if data_only else CLA(mu, S, *args, **kwargs)


def simple_ef_weights(expected_returns, cov_matrix, target_return, weights_sum):
    """Weights on the unconstrained frontier (only the sum fixed), from the KKT system."""
    import numpy as np

    n = len(expected_returns)
    kkt = np.zeros((n + 2, n + 2))
    kkt[:n, :n] = cov_matrix
    kkt[:n, n] = kkt[n, :n] = np.ravel(expected_returns)
    kkt[:n, n + 1] = kkt[n + 1, :n] = 1.0
    rhs = np.zeros(n + 2)
    rhs[n], rhs[n + 1] = target_return, weights_sum
    return np.linalg.solve(kkt, rhs)[:n]
'''

SHIM = '''\
"""Redirects ``pypfopt`` to ``auravest.compat.pypfopt`` (PyPortfolioOpt suite runs)."""

import sys

import auravest.compat.pypfopt as _compat

_compat.__path__ = list(getattr(_compat, "__path__", []))
sys.modules[__name__] = _compat
for _name in (
    "base_optimizer", "black_litterman", "cla", "discrete_allocation", "efficient_frontier",
    "exceptions", "expected_returns", "hierarchical_portfolio", "objective_functions",
    "plotting", "risk_models",
):
    sys.modules[f"{__name__}.{_name}"] = getattr(_compat, _name)
'''

HRP_WEIGHTS = '''\
import sys
import pandas as pd
from pypfopt import HRPOpt
df = pd.read_csv(sys.argv[1], parse_dates=True, index_col="date")
w = HRPOpt(df.pct_change().dropna(how="all")).optimize(linkage_method="single")
pd.Series(w).to_csv(sys.argv[2])
'''


def sdist() -> Path:
    """The unpacked sdist (downloaded once with pip)."""
    root = CACHE / "pypfopt-sdist"
    unpacked = root / f"pyportfolioopt-{VERSION}"
    if (unpacked / "tests").is_dir():
        return unpacked
    root.mkdir(parents=True, exist_ok=True)
    archive = root / f"pyportfolioopt-{VERSION}.tar.gz"
    if not archive.exists():
        subprocess.run(
            [sys.executable, "-m", "pip", "download", "--no-deps", "--no-binary", ":all:",
             f"pyportfolioopt=={VERSION}", "-d", str(root)],
            check=True,
        )
    with tarfile.open(archive) as tar:
        tar.extractall(root, filter="data")
    return unpacked


def prepare(run: Path) -> None:
    src = sdist()
    if run.exists():
        shutil.rmtree(run)
    shutil.copytree(src / "tests", run / "tests")
    shutil.copy(src / "README.md", run / "README.md")
    (run / "tests" / "__init__.py").touch()
    (run / "tests" / "utilities_for_tests.py").write_text(UTILITIES)
    resources = run / "tests" / "resources"
    resources.mkdir()
    for name in ("stock_prices.csv", "spy_prices.csv"):
        shutil.copy(SHARED_DATA / name, resources / name)
    shim = run / "shim" / "pypfopt"
    shim.mkdir(parents=True)
    (shim / "__init__.py").write_text(SHIM)
    # The HRP reference weights, from the genuine PyPortfolioOpt when it is installed.
    subprocess.run(
        [sys.executable, "-c", HRP_WEIGHTS, str(resources / "stock_prices.csv"), str(resources / "weights_hrp.csv")],
        cwd=str(CACHE), capture_output=True, check=False,
    )
    (run / "pytest.ini").write_text("[pytest]\naddopts = -p no:cacheprovider\n")


def expected_failures() -> dict[str, str]:
    out: dict[str, str] = {}
    for line in EXPECTED.read_text().splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        name, _, reason = line.partition("#")
        out[name.strip()] = reason.strip()
    return out


def results(junit: Path) -> dict[str, str]:
    out: dict[str, str] = {}
    for case in ET.parse(junit).getroot().iter("testcase"):
        module = case.get("classname", "").split(".")[-1]
        name = f"{module}.py::{case.get('name')}"
        if case.find("skipped") is not None:
            out[name] = "skipped"
        elif case.find("failure") is not None or case.find("error") is not None:
            out[name] = "failed"
        else:
            out[name] = "passed"
    return out


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("pytest_args", nargs="*", help="extra arguments for pytest (after --)")
    args = ap.parse_args()
    run = CACHE / "pypfopt-suite"
    prepare(run)
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join([str(run / "shim"), str(run), env.get("PYTHONPATH", "")])
    env.setdefault("MPLBACKEND", "Agg")
    junit = run / "junit.xml"
    subprocess.run(
        [sys.executable, "-m", "pytest", "tests", "-q", "-rN", "--tb=line", f"--junitxml={junit}", *args.pytest_args],
        cwd=str(run), env=env, check=False,
    )
    outcome = results(junit)
    expected = expected_failures()
    passed = sum(v == "passed" for v in outcome.values())
    failed = sorted(k for k, v in outcome.items() if v == "failed")
    skipped = sum(v == "skipped" for v in outcome.values())
    print(f"\npypfopt suite: {passed} passed, {len(failed)} failed, {skipped} skipped")
    unexpected = [t for t in failed if t not in expected]
    for t in failed:
        reason = expected.get(t, "NOT EXPECTED")
        print(f"  FAILED {t}  ({reason})")
    fixed = sorted(t for t in expected if outcome.get(t) == "passed")
    if fixed:
        print("listed as expected failures but passing now (remove them from the list):")
        for t in fixed:
            print(f"  {t}")
    if unexpected:
        print(f"{len(unexpected)} unexpected failure(s)")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
