"""AuraVest for Python.

The whole AuraVest SDK on its Rust core, in modules that mirror its crates:

- :mod:`auravest.risk`: the risk questionnaire and profile;
- :mod:`auravest.portfolio`: portfolios with FIFO lots, valuation, performance;
- :mod:`auravest.stats`: empyrical-parity statistics;
- :mod:`auravest.optimize`: every optimiser, the estimators, the frontier,
  share allocation and the risk-based recommendation;
- :mod:`auravest.bias`: behavioural nudges, goals, badges, the checklist;
- :mod:`auravest.market`: delayed quotes and history through a fallback chain;
- :mod:`auravest.ai`: the grounded assistant;
- :mod:`auravest.social`: the community's text rules;
- :mod:`auravest.compat.pypfopt`: a drop-in for PyPortfolioOpt.

Price tables are polars DataFrames (a ``date`` column and one column per
ticker) or pandas DataFrames (a DatetimeIndex); time series come back as
polars DataFrames; small results are frozen dataclasses with ``to_dict()``.
Errors are the classes of :mod:`auravest.exceptions`. Long calls release
the GIL and stop on Ctrl-C.
"""

from __future__ import annotations

from . import _native, ai, bias, exceptions, market, optimize, portfolio, risk, social, stats
from ._frames import from_table as prices_to_polars
from ._frames import to_table as price_table
from ._native import AI_DISCLAIMER, DISCLAIMER, PriceTable
from .portfolio import Portfolio

__version__: str = _native.__version__

__all__ = [
    "AI_DISCLAIMER",
    "DISCLAIMER",
    "Portfolio",
    "PriceTable",
    "__version__",
    "ai",
    "bias",
    "exceptions",
    "market",
    "optimize",
    "portfolio",
    "price_table",
    "prices_to_polars",
    "risk",
    "social",
    "stats",
]
