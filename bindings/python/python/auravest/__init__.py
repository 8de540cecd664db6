"""AuraVest for Python.

The whole AuraVest SDK, on its Rust core: risk profiles (:mod:`auravest.risk`),
portfolios with FIFO lots, valuation and performance (:mod:`auravest.portfolio`),
empyrical-parity statistics (:mod:`auravest.stats`), every optimiser of
PyPortfolioOpt and the risk-based recommendation (:mod:`auravest.optimize`),
behavioural nudges, goals and badges (:mod:`auravest.bias`), delayed market
data through a fallback chain (:mod:`auravest.market`), the grounded
assistant (:mod:`auravest.ai`) and the community's text rules
(:mod:`auravest.social`). ``auravest.compat.pypfopt`` is a drop-in for
PyPortfolioOpt.

Price tables are polars DataFrames (a ``date`` column and one column per
ticker) or pandas DataFrames (a DatetimeIndex); time series come back as
polars DataFrames; small results are frozen dataclasses with ``to_dict()``.
Errors are the classes of :mod:`auravest.exceptions`.
"""

from __future__ import annotations

from . import _native
from ._frames import from_table as prices_to_polars
from ._frames import to_table as price_table
from ._native import AI_DISCLAIMER, DISCLAIMER, PriceTable

__version__: str = _native.__version__

__all__ = [
    "AI_DISCLAIMER",
    "DISCLAIMER",
    "PriceTable",
    "__version__",
    "price_table",
    "prices_to_polars",
]
