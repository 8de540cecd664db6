"""PyPortfolioOpt's ``plotting`` (matplotlib): covariance heatmap, dendrogram, frontier, weights.

The figures come from the SDK's results (the frontier's points, HRP's
linkage); matplotlib only draws them.
"""

from __future__ import annotations

import copy
from typing import Any

import numpy as np

from . import _common, exceptions
from .cla import CLA
from .efficient_frontier import EfficientFrontier
from .risk_models import cov_to_corr

__all__ = ["plot_covariance", "plot_dendrogram", "plot_efficient_frontier", "plot_weights"]


def _plot_io(**kwargs: Any) -> None:
    import matplotlib.pyplot as plt

    filename = kwargs.get("filename", None)
    showfig = kwargs.get("showfig", False)
    dpi = kwargs.get("dpi", 300)
    plt.tight_layout()
    if filename:
        plt.savefig(fname=filename, dpi=dpi)
    if showfig:  # pragma: no cover
        plt.show()


def plot_covariance(cov_matrix: Any, plot_correlation: bool = False, show_tickers: bool = True, **kwargs: Any) -> Any:
    """A heatmap of the covariance (or correlation) matrix."""
    import matplotlib.pyplot as plt
    import pandas as pd  # type: ignore[import-untyped, unused-ignore]

    matrix = cov_to_corr(cov_matrix) if plot_correlation else pd.DataFrame(cov_matrix)
    fig, ax = plt.subplots()
    cax = ax.imshow(matrix)
    fig.colorbar(cax)
    if show_tickers:
        ax.set_xticks(np.arange(0, matrix.shape[0], 1))
        ax.set_xticklabels(matrix.index)
        ax.set_yticks(np.arange(0, matrix.shape[0], 1))
        ax.set_yticklabels(matrix.index)
        plt.xticks(rotation=90)
    _plot_io(**kwargs)
    return ax


def plot_dendrogram(hrp: Any, ax: Any = None, show_tickers: bool = True, **kwargs: Any) -> Any:
    """HRP's clustering as a dendrogram (optimises first if needed)."""
    import matplotlib.pyplot as plt
    from scipy.cluster import hierarchy  # type: ignore[import-untyped, unused-ignore]

    ax = ax or plt.gca()
    if hrp.clusters is None:
        import warnings

        warnings.warn("hrp param has not been optimized.  Attempting optimization.", RuntimeWarning, stacklevel=2)
        hrp.optimize()
    if show_tickers:
        hierarchy.dendrogram(hrp.clusters, labels=hrp.tickers, ax=ax, orientation="top")
        ax.tick_params(axis="x", rotation=90)
    else:
        hierarchy.dendrogram(hrp.clusters, no_labels=True, ax=ax)
    _plot_io(**kwargs)
    return ax


def _frontier_points(opt: Any, ef_param: str, ef_param_range: Any, points: int) -> tuple[list[float], list[float]]:
    if ef_param_range is None and ef_param == "return":
        p = opt._problem(opt._mu(), opt.cov_matrix)
        sols = _common.call(p.frontier, int(points), 0.0)
        return [s[1] for s in sols], [s[2] for s in sols]
    if ef_param_range is None:
        raise ValueError(f"ef_param_range is needed for ef_param={ef_param!r}")
    mus, sigmas = [], []
    for value in ef_param_range:
        ef = copy.deepcopy(opt)
        try:
            if ef_param == "utility":
                ef.max_quadratic_utility(float(value))
            elif ef_param == "risk":
                ef.efficient_risk(float(value))
            else:
                ef.efficient_return(float(value))
        except (ValueError, exceptions.OptimizationError):
            import warnings

            warnings.warn(
                f"Could not construct portfolio for parameter value {value:.3f}", UserWarning, stacklevel=3
            )
            continue
        ret, sigma, _ = ef.portfolio_performance()
        mus.append(ret)
        sigmas.append(sigma)
    return mus, sigmas


def plot_efficient_frontier(
    opt: Any,
    ef_param: str = "return",
    ef_param_range: Any = None,
    points: int = 100,
    ax: Any = None,
    show_assets: bool = True,
    show_tickers: bool = False,
    **kwargs: Any,
) -> Any:
    """The efficient frontier of a :class:`CLA` or :class:`EfficientFrontier`, with the assets."""
    import matplotlib.pyplot as plt

    ax = ax or plt.gca()
    asset_mu: Any
    if isinstance(opt, CLA):
        cla_mus, cla_sigmas, _ = opt.efficient_frontier(points=points)
        ax.plot(cla_sigmas, cla_mus, label="Efficient frontier")
        asset_mu = opt.expected_returns
        asset_sigma = np.sqrt(np.diag(opt.cov_matrix))
    elif isinstance(opt, EfficientFrontier):
        if ef_param not in ("utility", "risk", "return"):
            raise NotImplementedError("ef_param should be one of {'utility', 'risk', 'return'}")
        mus, sigmas = _frontier_points(opt, ef_param, ef_param_range, points)
        ax.plot(sigmas, mus, label="Efficient frontier")
        asset_mu = opt.expected_returns
        asset_sigma = np.sqrt(np.diag(opt.cov_matrix))
    else:
        raise NotImplementedError("Please pass EfficientFrontier or CLA object")
    if show_assets:
        ax.scatter(asset_sigma, asset_mu, s=30, color="k", label="assets")
        if show_tickers:
            for i, label in enumerate(opt.tickers):
                ax.annotate(label, (asset_sigma[i], asset_mu[i]))
    ax.legend()
    ax.set_xlabel("Volatility")
    ax.set_ylabel("Return")
    _plot_io(**kwargs)
    return ax


def plot_weights(weights: dict[Any, float], ax: Any = None, **kwargs: Any) -> Any:
    """A horizontal bar chart of the weights, largest first."""
    import matplotlib.pyplot as plt

    ax = ax or plt.gca()
    desc = sorted(weights.items(), key=lambda x: x[1], reverse=True)
    labels = [i[0] for i in desc]
    vals = [i[1] for i in desc]
    y_pos = np.arange(len(labels))
    ax.barh(y_pos, vals)
    ax.set_xlabel("Weight")
    ax.set_yticks(y_pos)
    ax.set_yticklabels(labels)
    ax.invert_yaxis()
    _plot_io(**kwargs)
    return ax
