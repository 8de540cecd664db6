"""PyPortfolioOpt's ``base_optimizer``: weights bookkeeping, bounds, constraints and objectives.

Constraints are given as PyPortfolioOpt's are, as functions of the
weights (``ef.add_constraint(lambda w: w[0] >= 0.2)``), but ``w`` is a
small symbolic vector rather than a cvxpy variable: indexing, sums,
``+ - * /`` by numbers, ``@`` with a vector and comparisons build linear
constraints, which the SDK's optimiser takes as they are. Anything else
(cvxpy atoms, products of weights) raises
:class:`~auravest.compat.pypfopt.exceptions.UnsupportedConstraint`.
"""

from __future__ import annotations

import collections
import copy
import json
import warnings
from collections.abc import Callable, Mapping
from typing import Any

import numpy as np
import pandas as pd  # type: ignore[import-untyped, unused-ignore]

from ... import _native
from . import _common, exceptions, objective_functions

__all__ = ["BaseConvexOptimizer", "BaseOptimizer", "portfolio_performance"]


# ---------------------------------------------------------------- symbolic weights


class LinearExpression:
    """``A w + b``: one or more affine expressions of the weights (rows of ``A``)."""

    __array_ufunc__ = None  # numpy defers to the operators below
    __hash__ = None  # type: ignore[assignment]  # == builds a constraint

    def __init__(self, a: np.ndarray, b: np.ndarray) -> None:
        self.a = np.atleast_2d(np.asarray(a, dtype=np.float64))
        self.b = np.atleast_1d(np.asarray(b, dtype=np.float64))

    @classmethod
    def weights(cls, n: int) -> LinearExpression:
        """The weight vector itself."""
        return cls(np.eye(n), np.zeros(n))

    @property
    def shape(self) -> tuple[int, ...]:
        return (self.a.shape[0],)

    def __len__(self) -> int:
        return int(self.a.shape[0])

    def __getitem__(self, key: Any) -> LinearExpression:
        idx = np.arange(self.a.shape[0])[key]
        return LinearExpression(self.a[np.atleast_1d(idx)], self.b[np.atleast_1d(idx)])

    def sum(self) -> LinearExpression:
        return LinearExpression(self.a.sum(axis=0, keepdims=True), np.array([self.b.sum()]))

    def _lift(self, other: Any) -> LinearExpression:
        if isinstance(other, LinearExpression):
            return other
        try:
            c = np.asarray(other, dtype=np.float64)
        except (TypeError, ValueError):
            raise exceptions.UnsupportedConstraint(
                f"cannot combine the weights with {type(other).__name__}: only linear expressions are supported"
            ) from None
        c = np.broadcast_to(np.atleast_1d(c), (self.a.shape[0],))
        return LinearExpression(np.zeros_like(self.a), c)

    def _match(self, other: LinearExpression) -> tuple[LinearExpression, LinearExpression]:
        x, y = self, other
        if x.a.shape[0] == 1 and y.a.shape[0] > 1:
            x = LinearExpression(np.repeat(x.a, y.a.shape[0], 0), np.repeat(x.b, y.a.shape[0]))
        if y.a.shape[0] == 1 and x.a.shape[0] > 1:
            y = LinearExpression(np.repeat(y.a, x.a.shape[0], 0), np.repeat(y.b, x.a.shape[0]))
        return x, y

    def __add__(self, other: Any) -> LinearExpression:
        x, y = self._match(self._lift(other))
        return LinearExpression(x.a + y.a, x.b + y.b)

    __radd__ = __add__

    def __neg__(self) -> LinearExpression:
        return LinearExpression(-self.a, -self.b)

    def __sub__(self, other: Any) -> LinearExpression:
        return self + (-self._lift(other))

    def __rsub__(self, other: Any) -> LinearExpression:
        return self._lift(other) + (-self)

    def _scalar(self, other: Any) -> np.ndarray:
        if isinstance(other, LinearExpression):
            raise exceptions.UnsupportedConstraint("a product of weights is not linear")
        try:
            return np.asarray(other, dtype=np.float64)
        except (TypeError, ValueError):
            raise exceptions.UnsupportedConstraint(
                f"cannot multiply the weights by {type(other).__name__}"
            ) from None

    def __mul__(self, other: Any) -> LinearExpression:
        c = self._scalar(other)
        if c.ndim == 0:
            return LinearExpression(self.a * c, self.b * c)
        c = np.broadcast_to(c, (self.a.shape[0],))
        return LinearExpression(self.a * c[:, None], self.b * c)

    __rmul__ = __mul__

    def __truediv__(self, other: Any) -> LinearExpression:
        c = self._scalar(other)
        return self * (1.0 / c)

    def __rtruediv__(self, other: Any) -> LinearExpression:
        raise exceptions.UnsupportedConstraint("dividing by the weights is not linear")

    def __pow__(self, other: Any) -> LinearExpression:
        raise exceptions.UnsupportedConstraint("powers of the weights are not linear")

    def __rmatmul__(self, other: Any) -> LinearExpression:
        c = self._scalar(other)
        return LinearExpression(np.atleast_2d(c @ self.a), np.atleast_1d(c @ self.b))

    def __matmul__(self, other: Any) -> LinearExpression:
        c = self._scalar(other)
        return LinearExpression(np.atleast_2d(c.T @ self.a), np.atleast_1d(c.T @ self.b))

    @property
    def T(self) -> LinearExpression:  # noqa: N802 - numpy/cvxpy spelling
        return self

    def _relation(self, other: Any, relation: str) -> LinearConstraint:
        x, y = self._match(self._lift(other))
        return LinearConstraint(x.a - y.a, relation, y.b - x.b)

    def __le__(self, other: Any) -> LinearConstraint:
        return self._relation(other, "<=")

    def __ge__(self, other: Any) -> LinearConstraint:
        return self._relation(other, ">=")

    def __eq__(self, other: Any) -> LinearConstraint:  # type: ignore[override]
        return self._relation(other, "==")

    def __lt__(self, other: Any) -> LinearConstraint:
        return self._relation(other, "<=")

    def __gt__(self, other: Any) -> LinearConstraint:
        return self._relation(other, ">=")


class LinearConstraint:
    """Rows ``a_i · w (<= | == | >=) rhs_i``."""

    def __init__(self, a: np.ndarray, relation: str, rhs: np.ndarray) -> None:
        self.a = a
        self.relation = relation
        self.rhs = rhs

    def rows(self) -> list[tuple[list[float], str, float]]:
        """The constraint, one row at a time."""
        return [([float(v) for v in row], self.relation, float(r)) for row, r in zip(self.a, self.rhs)]

    def __bool__(self) -> bool:
        raise TypeError("a constraint on the weights has no truth value")


def _constraint_rows(result: Any) -> list[tuple[list[float], str, float]]:
    if isinstance(result, LinearConstraint):
        return result.rows()
    if isinstance(result, (list, tuple)):
        return [row for item in result for row in _constraint_rows(item)]
    raise exceptions.UnsupportedConstraintType(
        f"the constraint function returned {type(result).__name__}; only linear constraints on the weights "
        "(comparisons of w, w[i], sums and weighted sums with numbers) are supported"
    )


# ---------------------------------------------------------------- optimisers


class BaseOptimizer:
    """Holds the tickers and the weights of an optimiser."""

    def __init__(self, n_assets: int, tickers: list[Any] | None = None) -> None:
        self.n_assets = n_assets
        self.tickers = list(range(n_assets)) if tickers is None else list(tickers)
        self._risk_free_rate: float | None = None
        self.weights: np.ndarray | None = None

    def _make_output_weights(self, weights: np.ndarray | None = None) -> collections.OrderedDict[Any, float]:
        w = self.weights if weights is None else weights
        assert w is not None
        return collections.OrderedDict(zip(self.tickers, (float(v) for v in w)))

    def set_weights(self, input_weights: Mapping[Any, float]) -> None:
        """Sets the weights from a ``{ticker: weight}`` dict."""
        self.weights = np.array([input_weights[t] for t in self.tickers], dtype=np.float64)

    def clean_weights(self, cutoff: float = 1e-4, rounding: int | None = 5) -> collections.OrderedDict[Any, float]:
        """The weights with ``|w| < cutoff`` set to 0 and the rest rounded to ``rounding`` decimals."""
        if self.weights is None:
            raise AttributeError("Weights not yet computed")
        if rounding is not None and (not isinstance(rounding, int) or rounding < 1):
            raise ValueError("rounding must be a positive integer")
        names = _common.names(len(self.weights))
        values = [float(v) for v in self.weights]
        if rounding is None:
            # Only the cutoff: the SDK's rounding at full precision changes nothing else.
            cleaned = _native.opt_clean_weights(names, values, float(cutoff), 17)
        else:
            cleaned = _native.opt_clean_weights(names, values, float(cutoff), int(rounding))
        return self._make_output_weights(np.asarray(cleaned))

    def save_weights_to_file(self, filename: str = "weights.csv") -> None:
        """Writes the cleaned weights to a ``.csv``, ``.json`` or ``.txt`` file."""
        clean = self.clean_weights()
        ext = filename.rsplit(".", 1)[-1]
        if ext == "csv":
            pd.Series(clean).to_csv(filename, header=False)
        elif ext == "json":
            with open(filename, "w", encoding="utf-8") as fp:
                json.dump({str(k): v for k, v in clean.items()}, fp)
        elif ext == "txt":
            with open(filename, "w", encoding="utf-8") as f:
                f.write(str(dict(clean)))
        else:
            raise NotImplementedError("Only supports .txt .json .csv")


_TERMS = (objective_functions.L2_reg, objective_functions.transaction_cost)


class BaseConvexOptimizer(BaseOptimizer):
    """An optimiser with bounds, linear constraints and the L2 / turnover objective terms.

    ``solver``, ``verbose`` and ``solver_options`` are accepted for
    compatibility and ignored: the SDK picks its own solver.
    """

    def __init__(
        self,
        n_assets: int,
        tickers: list[Any] | None = None,
        weight_bounds: Any = (0, 1),
        solver: str | None = None,
        verbose: bool = False,
        solver_options: dict[str, Any] | None = None,
    ) -> None:
        super().__init__(n_assets, tickers)
        self._constraints: list[Callable[[Any], Any]] = []
        self._additional_objectives: list[tuple[Callable[..., Any], dict[str, Any]]] = []
        self._solved = False
        self._opt: Any = None
        self._solver = solver
        self._verbose = verbose
        self._solver_options = solver_options or {}
        self._map_bounds_to_constraints(weight_bounds)

    def deepcopy(self) -> BaseConvexOptimizer:
        """A copy that can be changed without changing this one."""
        return copy.deepcopy(self)

    def _map_bounds_to_constraints(self, test_bounds: Any) -> None:
        n = self.n_assets
        if len(test_bounds) == n and not isinstance(test_bounds[0], (float, int)):
            bounds = np.array(test_bounds, dtype=float)
            self._lower_bounds = np.nan_to_num(bounds[:, 0], nan=-np.inf)
            self._upper_bounds = np.nan_to_num(bounds[:, 1], nan=np.inf)
            return
        if len(test_bounds) != 2 or not isinstance(test_bounds, (tuple, list)):
            raise TypeError(
                "test_bounds must be a pair (lower bound, upper bound) OR a collection of bounds for each asset"
            )
        lower, upper = test_bounds
        if np.isscalar(lower) or lower is None:
            lower = -1 if lower is None else lower
            self._lower_bounds = np.array([lower] * n, dtype=float)
            upper = 1 if upper is None else upper
            self._upper_bounds = np.array([upper] * n, dtype=float)
        else:
            self._lower_bounds = np.nan_to_num(np.asarray(lower, dtype=float), nan=-1)
            self._upper_bounds = np.nan_to_num(np.asarray(upper, dtype=float), nan=1)

    def is_parameter_defined(self, parameter_name: str) -> bool:
        """Always False: problems are rebuilt for every solve (there are no cvxpy parameters)."""
        return False

    def update_parameter_value(self, parameter_name: str, new_value: float) -> None:
        """Not available: call the objective again with the new value instead."""
        raise exceptions.InstantiationError("Parameter has not been defined")

    def add_objective(self, new_objective: Callable[..., Any], **kwargs: Any) -> None:
        """Adds a term to the objective: :func:`objective_functions.L2_reg` or :func:`objective_functions.transaction_cost`."""
        if self._solved:
            raise exceptions.InstantiationError(
                "Adding objectives to an already solved problem might have unintended consequences. "
                "A new instance should be created for the new set of objectives."
            )
        self._additional_objectives.append((new_objective, kwargs))

    def add_constraint(self, new_constraint: Callable[[Any], Any]) -> None:
        """Adds a linear constraint given as a function of the weights (``lambda w: w[0] >= 0.2``)."""
        if not callable(new_constraint):
            raise TypeError("New constraint must be provided as a callable (e.g lambda function)")
        if self._solved:
            raise exceptions.InstantiationError(
                "Adding constraints to an already solved problem might have unintended consequences. "
                "A new instance should be created for the new set of constraints."
            )
        self._constraints.append(new_constraint)

    def add_sector_constraints(
        self,
        sector_mapper: Mapping[Any, Any],
        sector_lower: Mapping[Any, float],
        sector_upper: Mapping[Any, float],
    ) -> None:
        """Bounds on the total weight of each sector (``{ticker: sector}``, ``{sector: bound}``)."""
        if np.any(self._lower_bounds < 0):
            warnings.warn(
                "Sector constraints may not produce reasonable results if shorts are allowed.",
                stacklevel=2,
            )
        def bound(sector: Any, value: float, upper: bool) -> Callable[[Any], Any]:
            mask = np.array([sector_mapper.get(t) == sector for t in self.tickers])
            return lambda w: w[mask].sum() <= value if upper else w[mask].sum() >= value

        for sector, value in sector_upper.items():
            self.add_constraint(bound(sector, value, True))
        for sector, value in sector_lower.items():
            self.add_constraint(bound(sector, value, False))

    def convex_objective(self, custom_objective: Callable[..., Any], weights_sum_to_one: bool = True, **kwargs: Any) -> Any:
        """Not available: AuraVest solves its own objectives, not arbitrary cvxpy ones."""
        raise exceptions.UnsupportedObjective(
            "custom convex objectives need cvxpy; auravest.compat.pypfopt solves the built-in objectives only"
        )

    def nonconvex_objective(self, custom_objective: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        """Not available: AuraVest solves its own objectives, not arbitrary scipy ones."""
        raise exceptions.UnsupportedObjective(
            "custom non-convex objectives need scipy; auravest.compat.pypfopt solves the built-in objectives only"
        )

    # ---- building the native problem

    def _linear_rows(self) -> list[tuple[list[float], str, float]]:
        rows: list[tuple[list[float], str, float]] = []
        for fn in self._constraints:
            try:
                result = fn(LinearExpression.weights(self.n_assets))
            except exceptions.UnsupportedConstraint:
                raise
            except Exception as e:  # the function used something the symbolic weights lack
                raise exceptions.UnsupportedConstraint(
                    f"the constraint could not be read as a linear constraint on the weights ({e})"
                ) from e
            rows.extend(_constraint_rows(result))
        return rows

    def _objective_terms(self) -> tuple[float | None, tuple[list[float], float] | None]:
        gamma: float | None = None
        cost: tuple[list[float], float] | None = None
        for fn, kwargs in self._additional_objectives:
            if fn is objective_functions.L2_reg:
                g = float(kwargs.get("gamma", _default(fn, "gamma")))
                gamma = g if gamma is None else gamma + g
            elif fn is objective_functions.transaction_cost:
                prev = [float(v) for v in np.asarray(kwargs["w_prev"], dtype=np.float64).ravel()]
                cost = (prev, float(kwargs.get("k", _default(fn, "k"))))
            else:
                raise exceptions.UnsupportedObjective(
                    f"the objective {getattr(fn, '__name__', fn)!r} cannot be added: only L2_reg and "
                    "transaction_cost are supported (AuraVest does not solve through cvxpy)"
                )
        return gamma, cost

    def _problem(self, mu: np.ndarray, cov: np.ndarray, market_neutral: bool = False) -> _native.MeanVarianceProblem:
        names = _common.names(self.n_assets)
        with _common.translated():
            p = _native.MeanVarianceProblem(names, [float(v) for v in mu], _common.flat(cov))
            p = p.with_bounds([float(v) for v in self._lower_bounds], [float(v) for v in self._upper_bounds])
            for coefficients, relation, rhs in self._linear_rows():
                p = p.with_linear_constraint(coefficients, relation, rhs)
            gamma, cost = self._objective_terms()
            if gamma is not None:
                p = p.with_l2_regularisation(gamma)
            if cost is not None:
                p = p.with_transaction_cost(*cost)
            if market_neutral:
                p = p.with_market_neutral()
        return p


def _default(fn: Callable[..., Any], name: str) -> Any:
    import inspect

    return inspect.signature(fn).parameters[name].default


def portfolio_performance(
    weights: Any,
    expected_returns: Any,
    cov_matrix: Any,
    verbose: bool = False,
    risk_free_rate: float = 0.0,
) -> tuple[float | None, float, float | None]:
    """Expected return, volatility and Sharpe ratio of ``weights`` (a dict or an array).

    With ``expected_returns=None`` only the volatility is known:
    ``(None, volatility, None)``.
    """
    if isinstance(weights, dict):
        if isinstance(expected_returns, pd.Series):
            tickers = list(expected_returns.index)
        elif isinstance(cov_matrix, pd.DataFrame):
            tickers = list(cov_matrix.columns)
        else:
            tickers = list(range(len(expected_returns)))
        new_weights = np.zeros(len(tickers))
        for i, k in enumerate(tickers):
            if k in weights:
                new_weights[i] = weights[k]
        if new_weights.sum() == 0:
            raise ValueError("Weights add to zero, or ticker names don't match")
    elif weights is not None:
        new_weights = np.asarray(weights, dtype=np.float64)
    else:
        raise ValueError("Weights is None")
    n = len(new_weights)
    names = _common.names(n)
    w = [float(v) for v in new_weights]
    mu = None if expected_returns is None else [float(v) for v in np.asarray(expected_returns, dtype=np.float64).ravel()]
    with _common.translated():
        ret, vol, sharpe = _native.opt_portfolio_performance(
            names, w, mu if mu is not None else [0.0] * n, _common.flat(cov_matrix), float(risk_free_rate)
        )
    if verbose:
        if mu is not None:
            print(f"Expected annual return: {100 * ret:.1f}%")
        print(f"Annual volatility: {100 * vol:.1f}%")
        if mu is not None and sharpe is not None:
            print(f"Sharpe Ratio: {sharpe:.2f}")
    if mu is None:
        return None, vol, None
    return ret, vol, sharpe
