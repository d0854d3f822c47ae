"""Figures of the buy-till-you-die models: holdout checks, P(alive), CLV, F/R matrix.

These replace lifetimes' own plotting helpers (several of which fail under current
pandas) and follow the workbook's conventions: ``plot_x(data, *, ax=None) -> Axes``,
labels translated with :func:`clvkit.i18n.t`, units on the axes.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from ..exceptions import DataValidationError, ParameterError
from ..i18n import t
from ._checks import require_table
from .style import PALETTE, axes_or_new, count_axis, money_formatter, percent_formatter, plain

if TYPE_CHECKING:
    from matplotlib.axes import Axes

__all__ = [
    "plot_clv_distribution",
    "plot_conditional_expectation",
    "plot_frequency_recency",
    "plot_p_alive",
    "plot_tracking_curve",
]


def plot_tracking_curve(curve: pd.DataFrame, *, ax: Axes | None = None) -> Axes:
    """Draw cumulative repeat purchases, actual against the model, period by period.

    Parameters
    ----------
    curve : pandas.DataFrame
        :func:`clvkit.models.tracking_curve` (index period_end; actual, predicted,
        holdout).
    ax : matplotlib.axes.Axes, optional
        Axes to draw on; a new figure is created when omitted.

    Returns
    -------
    matplotlib.axes.Axes
        x: end date of each period; y: cumulative repeat purchases (count). A dotted
        vertical line marks the end of the calibration period.
    """
    require_table(curve, ("actual", "predicted", "holdout"), "clvkit.models.tracking_curve")
    ax = axes_or_new(ax, (8.0, 4.5))
    ax.plot(curve.index, curve["actual"], color=PALETTE[0], label=t("btyd.actual"))
    ax.plot(curve.index, curve["predicted"], color=PALETTE[1], linestyle="--",
            label=t("btyd.predicted"))
    if curve["holdout"].any() and not curve["holdout"].all():
        boundary = curve.index[~curve["holdout"].to_numpy()][-1]
        ax.axvline(boundary, color="0.4", linestyle=":", linewidth=1,
                   label=t("btyd.calibration_end"))
    ax.set(title=t("btyd.tracking.title"), xlabel=t("btyd.tracking.x"),
           ylabel=t("btyd.tracking.y"))
    ax.legend()
    return ax


def plot_conditional_expectation(table: pd.DataFrame, *, ax: Axes | None = None) -> Axes:
    """Draw mean holdout purchases by calibration-period purchases, actual and model.

    Parameters
    ----------
    table : pandas.DataFrame
        :func:`clvkit.models.conditional_expectation_table` (index "0", "1", ...,
        "7+"; columns actual, predicted).
    ax : matplotlib.axes.Axes, optional
        Axes to draw on.

    Returns
    -------
    matplotlib.axes.Axes
        x: repeat purchases in the calibration period; y: mean repeat purchases per
        customer in the holdout period.
    """
    require_table(table, ("actual", "predicted"), "clvkit.models.conditional_expectation_table")
    ax = axes_or_new(ax, (8.0, 4.5))
    x = np.arange(len(table))
    ax.plot(x, table["actual"], marker="o", color=PALETTE[0], label=t("btyd.actual"))
    ax.plot(x, table["predicted"], marker="s", linestyle="--", color=PALETTE[1],
            label=t("btyd.predicted"))
    ax.set_xticks(x, [str(i) for i in table.index])
    ax.set(title=t("btyd.condexp.title"), xlabel=t("btyd.condexp.x"),
           ylabel=t("btyd.condexp.y"))
    ax.legend()
    return ax


def _column(values: pd.DataFrame | pd.Series, name: str) -> pd.Series:
    if isinstance(values, pd.Series):
        return values
    require_table(values, (name,), "clvkit.models.customer_value")
    return values[name]


def plot_p_alive(values: pd.DataFrame | pd.Series, *, ax: Axes | None = None,
                 bins: int = 20) -> Axes:
    """Draw the distribution of customers' probability of still being active.

    Parameters
    ----------
    values : pandas.DataFrame or pandas.Series
        :func:`clvkit.models.customer_value` (column p_alive) or the P(alive) values.
    ax : matplotlib.axes.Axes, optional
        Axes to draw on.
    bins : int, default 20
        Number of equal-width bins on [0, 1].

    Returns
    -------
    matplotlib.axes.Axes
        x: P(alive) (percent); y: number of customers.
    """
    p = _column(values, "p_alive").to_numpy(dtype=float)
    ax = axes_or_new(ax, (8.0, 4.5))
    ax.hist(p, bins=np.linspace(0.0, 1.0, bins + 1), color=PALETTE[0], edgecolor="white")
    ax.xaxis.set_major_formatter(percent_formatter())
    ax.set(title=t("btyd.palive.title"), xlabel=t("btyd.palive.x"), ylabel=t("customers"))
    count_axis(ax.yaxis)
    return ax


def plot_clv_distribution(values: pd.DataFrame | pd.Series, *, ax: Axes | None = None,
                          currency: str = "¥", bins: int = 40) -> Axes:
    """Draw the distribution of customer lifetime value, with its mean and median.

    CLV is heavy-tailed, so customers above the 99th percentile are left out of the
    histogram (the mean and median lines use every customer).

    Parameters
    ----------
    values : pandas.DataFrame or pandas.Series
        :func:`clvkit.models.customer_value` (column clv; its ``attrs`` give the
        horizon in the title) or the CLV values.
    ax : matplotlib.axes.Axes, optional
        Axes to draw on.
    currency : str, default "¥"
        Currency symbol on the x axis.
    bins : int, default 40
        Number of bins.

    Returns
    -------
    matplotlib.axes.Axes
        x: CLV per customer (currency); y: number of customers.
    """
    clv = _column(values, "clv").to_numpy(dtype=float)
    if clv.size == 0:
        msg = "plot_clv_distribution got no customers."
        raise DataValidationError(msg)
    months = getattr(values, "attrs", {}).get("horizon_months", 12)
    ax = axes_or_new(ax, (8.0, 4.5))
    cap = np.quantile(clv, 0.99)
    ax.hist(clv[clv <= cap], bins=bins, color=PALETTE[0], edgecolor="white")
    for stat, colour, key in ((clv.mean(), PALETTE[1], "btyd.mean"),
                              (np.median(clv), PALETTE[2], "btyd.median")):
        ax.axvline(stat, color=colour, linestyle="--", label=t(key))
    ax.xaxis.set_major_formatter(money_formatter(currency))
    ax.set(title=t("btyd.clv.title", months=months),
           xlabel=plain(f"{t('btyd.clv.x', currency=currency)} {t('btyd.clv.note')}"),
           ylabel=t("customers"))
    count_axis(ax.yaxis)
    ax.legend()
    return ax


def plot_frequency_recency(
    model: Any,
    *,
    T: float,
    kind: str = "p_alive",
    t_ahead: float = 52.0,
    max_frequency: int | None = None,
    ax: Axes | None = None,
) -> Axes:
    """Draw P(alive) or expected purchases for every (frequency, recency) pair at age T.

    Parameters
    ----------
    model : BGNBDModel, ParetoNBDModel or MBGNBDModel
        A fitted purchase model.
    T : float
        Customer age (time since first purchase) in the model's time unit; recency
        runs from 0 to T.
    kind : {"p_alive", "expected_purchases"}, default "p_alive"
        What to colour the cells by.
    t_ahead : float, default 52
        Horizon of the expected purchases, in the model's time unit.
    max_frequency : int, optional
        Largest frequency shown; default about T / 2 (at most 40).
    ax : matplotlib.axes.Axes, optional
        Axes to draw on.

    Returns
    -------
    matplotlib.axes.Axes
        x: recency (periods); y: frequency (repeat purchases); colour: the value.
        Customers who bought often and recently are in the top right.
    """
    if kind not in ("p_alive", "expected_purchases"):
        msg = f"kind must be one of 'p_alive', 'expected_purchases'; got {kind!r}."
        raise ParameterError(msg)
    if not (isinstance(T, (int, float)) and T > 0):
        msg = f"T must be a positive number of periods; got {T!r}."
        raise ParameterError(msg)
    top = int(max_frequency) if max_frequency is not None else int(min(40, max(5, T // 2)))
    rec = np.linspace(0.0, float(T), 60)
    x, tx = np.meshgrid(np.arange(1, top + 1, dtype=float), rec, indexing="ij")
    grid = pd.DataFrame({"frequency": x.ravel(), "recency": tx.ravel(), "T": float(T)})
    if kind == "p_alive":
        z, title = model.p_alive(grid), t("btyd.matrix.p_alive", T=T)
    else:
        z, title = model.predict_purchases(grid, t_ahead), t("btyd.matrix.expected",
                                                               t=t_ahead, T=T)
    ax = axes_or_new(ax, (7.5, 5.0))
    mesh = ax.pcolormesh(rec, np.arange(1, top + 1), z.to_numpy().reshape(x.shape),
                         shading="nearest", cmap="viridis")
    colorbar = ax.figure.colorbar(mesh, ax=ax)
    colorbar.set_label(t(kind))
    ax.set(title=title, xlabel=t("btyd.matrix.x"), ylabel=t("btyd.matrix.y"))
    return ax
