"""Drop-in replacements for other libraries' APIs, on AuraVest's Rust core.

* :mod:`auravest.compat.pypfopt`: PyPortfolioOpt 1.6 (``import
  auravest.compat.pypfopt as pypfopt``, or ``from auravest.compat import pypfopt``).
"""

from __future__ import annotations

from . import pypfopt

__all__ = ["pypfopt"]
