"""A drop-in for PyPortfolioOpt 1.6 on AuraVest's Rust optimisers.

Switch a notebook with one line::

    import auravest.compat.pypfopt as pypfopt
    from auravest.compat.pypfopt import EfficientFrontier, expected_returns, risk_models

The public names, signatures, pandas inputs and outputs, warnings and
exceptions follow PyPortfolioOpt's. What differs:

* constraints must be linear in the weights (``lambda w: w[0] >= 0.2``,
  sums, weighted sums, sector bounds); cvxpy atoms are not available;
* the objective terms that can be added are ``L2_reg`` and
  ``transaction_cost``; custom convex and non-convex objectives raise
  :class:`~auravest.compat.pypfopt.exceptions.UnsupportedObjective`;
* ``EfficientSemivariance`` and CVaR/CDaR ``efficient_risk`` are not
  available; CVaR/CDaR take one pair of bounds and a target return;
* the SDK validates its inputs (non-positive prices, non-finite values)
  and raises :mod:`auravest.exceptions` errors naming the field;
* solvers are the SDK's: ``solver``/``solver_options`` are ignored.
"""

from __future__ import annotations

from . import (
    base_optimizer,
    black_litterman,
    cla,
    discrete_allocation,
    efficient_frontier,
    exceptions,
    expected_returns,
    hierarchical_portfolio,
    objective_functions,
    plotting,
    risk_models,
)
from .black_litterman import BlackLittermanModel, market_implied_prior_returns, market_implied_risk_aversion
from .cla import CLA
from .discrete_allocation import DiscreteAllocation, get_latest_prices
from .efficient_frontier import EfficientCDaR, EfficientCVaR, EfficientFrontier, EfficientSemivariance
from .hierarchical_portfolio import HRPOpt
from .risk_models import CovarianceShrinkage

__version__ = "1.6.0"

__all__ = [
    "CLA",
    "BlackLittermanModel",
    "CovarianceShrinkage",
    "DiscreteAllocation",
    "EfficientCDaR",
    "EfficientCVaR",
    "EfficientFrontier",
    "EfficientSemivariance",
    "HRPOpt",
    "base_optimizer",
    "black_litterman",
    "cla",
    "discrete_allocation",
    "efficient_frontier",
    "exceptions",
    "expected_returns",
    "get_latest_prices",
    "hierarchical_portfolio",
    "market_implied_prior_returns",
    "market_implied_risk_aversion",
    "objective_functions",
    "plotting",
    "risk_models",
]
