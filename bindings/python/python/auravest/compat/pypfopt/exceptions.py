"""PyPortfolioOpt's exceptions, plus the ones raised for what the compatibility layer cannot express."""

from __future__ import annotations

__all__ = [
    "InstantiationError",
    "OptimizationError",
    "UnreachableTarget",
    "UnsupportedConstraint",
    "UnsupportedObjective",
]


class OptimizationError(Exception):
    """An optimisation failed: the constraints admit no portfolio, or the solver stopped."""

    def __init__(self, *args: object) -> None:
        message = "Please check your objectives/constraints or use a different solver."
        super().__init__(*(args or (message,)))


class InstantiationError(Exception):
    """An object was used in a way its construction does not allow (a constraint added after solving...)."""


class UnreachableTarget(OptimizationError, ValueError):
    """A target return or volatility no portfolio within the constraints reaches.

    PyPortfolioOpt raises a ``ValueError`` for mean-variance targets and an
    ``OptimizationError`` for CVaR/CDaR ones; this is both.
    """


class UnsupportedObjective(OptimizationError, NotImplementedError):
    """A custom objective that is not one of the supported terms (L2 regularisation, transaction cost).

    AuraVest solves its problems natively rather than through cvxpy, so only
    objective terms the SDK knows can be added.
    """


class UnsupportedConstraint(OptimizationError, NotImplementedError):
    """A constraint that is not linear in the weights (only linear constraints are supported)."""


class UnsupportedConstraintType(UnsupportedConstraint, TypeError):
    """A constraint function returned something other than a linear constraint (a cvxpy PSD constraint...)."""
