"""Churn and retention figures: rolling churn, cohort heatmap, survival curves."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from ..exceptions import DataValidationError
from ..i18n import format_pct, t
from ._checks import require_table
from .style import PALETTE, axes_or_new, date_axis, percent_formatter, plain

if TYPE_CHECKING:
    from matplotlib.axes import Axes

__all__ = ["plot_churn_series", "plot_cohort_retention", "plot_survival"]


def plot_churn_series(
    series: pd.DataFrame, *, ax: Axes | None = None, show_retention: bool = False
) -> Axes:
    """Draw the rolling churn rate (and optionally retention) by period end.

    Parameters
    ----------
    series : pandas.DataFrame
        Output of :func:`clvkit.metrics.churn_series` (index period_end; columns
        period_start, churn_rate, retention).
    ax : matplotlib.axes.Axes, optional
        Axes to draw on; a new figure is created when omitted.
    show_retention : bool, default False
        Also draw retention (1 - churn).

    Returns
    -------
    matplotlib.axes.Axes
        One line per measure, y axis in percent; the title names the period and
        the churn rule (``attrs["definition"]``: inactivity days or cancelled
        contracts), so two series on one page have different titles.

    Raises
    ------
    DataValidationError
        If the table is empty or lacks the columns above.
    """
    require_table(series, ("period_start", "churn_rate", "retention"),
                  "clvkit.metrics.churn_series()", rows=True)
    ax = axes_or_new(ax, (8.0, 3.8))
    first = series.iloc[0]
    months = round((series.index[0] - first["period_start"]).days / 30.4375)
    ax.plot(series.index, series["churn_rate"], marker="o", ms=3, color=PALETTE[3],
            label=t("churn.rate"))
    if show_retention:
        ax.plot(series.index, series["retention"], marker="o", ms=3, color=PALETTE[2],
                label=t("churn.retention"))
        ax.legend()
    ax.yaxis.set_major_formatter(percent_formatter())
    date_axis(ax.xaxis)
    title = t("churn.rolling_title", months=months)
    definition = series.attrs.get("definition")
    if definition == "contractual":
        title = t("churn.rolling_title_lost_by", title=title, rule=t("churn.def_contractual"))
    elif definition == "inactivity" and series.attrs.get("inactivity_days"):
        rule = t("churn.def_inactivity", days=f"{series.attrs['inactivity_days']:,}")
        title = t("churn.rolling_title_lost_by", title=title, rule=rule)
    ax.set(title=title, xlabel=t("churn.period_end"), ylabel=t("churn.rate"))
    ax.set_ylim(bottom=0)
    return ax


def plot_cohort_retention(
    retention: pd.DataFrame, *, ax: Axes | None = None, annotate: bool | None = None,
    cmap: str = "Blues",
) -> Axes:
    """Draw a cohort retention matrix as a heatmap (cohorts down, periods across).

    Parameters
    ----------
    retention : pandas.DataFrame
        Output of :func:`clvkit.metrics.cohort_retention` (shares in [0, 1], NaN for
        periods not yet over). Cohort sizes in ``attrs["cohort_size"]`` are added to
        the row labels.
    ax : matplotlib.axes.Axes, optional
        Axes to draw on.
    annotate : bool, optional
        Write the percentage in each cell; default when the matrix has at most 16 columns.
    cmap : str, default "Blues"
        Matplotlib colour map.

    Returns
    -------
    matplotlib.axes.Axes
        Image with a colour bar in percent; empty (NaN) cells are left blank.

    Raises
    ------
    DataValidationError
        If the matrix is empty.
    """
    if retention.empty:
        msg = "the retention matrix is empty; pass clvkit.metrics.cohort_retention() output."
        raise DataValidationError(msg)
    values = retention.to_numpy(dtype=float)
    ax = axes_or_new(ax, (min(2 + 0.55 * values.shape[1], 14), min(1.5 + 0.35 * len(values), 12)))
    image = ax.imshow(np.ma.masked_invalid(values), cmap=cmap, vmin=0, vmax=1, aspect="auto")
    sizes = retention.attrs.get("cohort_size", {})
    labels = [plain(f"{p} (n={sizes[str(p)]:,})" if str(p) in sizes else p)
              for p in retention.index]
    ax.set_yticks(range(len(labels)), labels)
    ax.set_xticks(range(values.shape[1]), [str(c) for c in retention.columns])
    if annotate if annotate is not None else values.shape[1] <= 16:
        for (i, j), v in np.ndenumerate(values):
            if np.isfinite(v):
                ax.text(j, i, f"{100 * v:.0f}", ha="center", va="center", fontsize=7,
                        color="white" if v > 0.6 else "black")
    ax.figure.colorbar(image, ax=ax, format=percent_formatter(), label=t("cohort.share_active"))
    ax.set(title=t("cohort.title"), xlabel=t("cohort.periods_since"), ylabel=t("cohort.cohort"))
    ax.grid(False)
    return ax


def plot_survival(curves: pd.DataFrame, *, ax: Axes | None = None, band: bool = True) -> Axes:
    """Draw Kaplan-Meier survival curves with confidence bands, one per segment.

    Parameters
    ----------
    curves : pandas.DataFrame
        Output of :func:`clvkit.metrics.survival_curves` (columns segment,
        time_months, survival, ci_low, ci_high, customers).
    ax : matplotlib.axes.Axes, optional
        Axes to draw on.
    band : bool, default True
        Shade the pointwise confidence band.

    Returns
    -------
    matplotlib.axes.Axes
        Step curves starting at 100% at month 0, legend "segment (n=...)".

    Raises
    ------
    DataValidationError
        If the table is empty or lacks the columns above.
    """
    require_table(curves, ("segment", "time_months", "survival", "ci_low", "ci_high", "customers"),
                  "clvkit.metrics.survival_curves()", rows=True)
    ax = axes_or_new(ax, (8.0, 4.5))
    for k, (name, part) in enumerate(curves.groupby("segment", sort=False)):
        color = PALETTE[k % len(PALETTE)]
        x = np.concatenate([[0.0], part["time_months"].to_numpy()])
        ax.step(x, np.concatenate([[1.0], part["survival"].to_numpy()]), where="post",
                color=color, label=f"{plain(name)} (n={int(part['customers'].iloc[0]):,})")
        if band:
            ax.fill_between(x, np.concatenate([[1.0], part["ci_low"].to_numpy()]),
                            np.concatenate([[1.0], part["ci_high"].to_numpy()]), step="post",
                            color=color, alpha=0.18, linewidth=0)
    ax.yaxis.set_major_formatter(percent_formatter())
    ax.set_ylim(0, 1.02)
    level = format_pct(curves.attrs.get("confidence", 0.95), 0)
    ax.set(title=t("survival.title", level=level), xlabel=t("survival.time"),
           ylabel=t("survival.share"))
    ax.legend()
    return ax
