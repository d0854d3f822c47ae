"""Satisfaction figures: NPS answers, NPS trend and by segment, the money link."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from ..exceptions import DataValidationError
from ..i18n import format_money, format_pct, t
from ..schema import PASSIVE_MIN, PROMOTER_MIN
from ._checks import require_table
from .style import PALETTE, axes_or_new, money_formatter, percent_formatter

if TYPE_CHECKING:
    from matplotlib.axes import Axes

    from ..metrics.value_link import ValueLinkResult

__all__ = ["plot_nps_by_segment", "plot_nps_distribution", "plot_nps_trend", "plot_value_link"]

#: promoter, passive, detractor colours (green, grey, orange-red)
GROUP_COLORS = {"promoter": PALETTE[2], "passive": PALETTE[7], "detractor": PALETTE[3],
                "low_effort": PALETTE[2], "high_effort": PALETTE[3]}


def _label(group: str) -> str:
    text = t(f"group.{group}")
    return text[:1].upper() + text[1:]


#: Columns of an NPS table (nps_trend, nps_by_segment) the plots read.
_NPS_COLUMNS = ("score", "ci_low", "ci_high", "n")


def plot_nps_distribution(scores: pd.Series, *, ax: Axes | None = None) -> Axes:
    """Draw how many answers each score 0-10 got, coloured by NPS group.

    Parameters
    ----------
    scores : pandas.Series
        Answers 0-10 (missing values are ignored).
    ax : matplotlib.axes.Axes, optional
        Axes to draw on; a new figure is created when omitted.

    Returns
    -------
    matplotlib.axes.Axes
        Eleven bars; the legend gives each group's share.

    Raises
    ------
    DataValidationError
        If a score is not a whole number in 0-10 or none is given.
    """
    from ..metrics import nps

    res = nps(scores)  # validates the scores
    counts = pd.Series(scores).dropna().astype(int).value_counts().reindex(range(11), fill_value=0)
    ax = axes_or_new(ax, (8.0, 3.8))
    groups = np.where(counts.index >= PROMOTER_MIN, "promoter",
                      np.where(counts.index >= PASSIVE_MIN, "passive", "detractor"))
    shares = {"promoter": res.share_promoters, "passive": res.n_passives / res.n,
              "detractor": res.share_detractors}
    for group in ("detractor", "passive", "promoter"):
        mask = groups == group
        ax.bar(counts.index[mask], counts.to_numpy()[mask], color=GROUP_COLORS[group],
               label=f"{_label(group)} {format_pct(shares[group])}")
    ax.set_xticks(range(11))
    ax.set(title=t("nps.distribution_title"), xlabel=t("nps.answer"), ylabel=t("nps.responses"))
    ax.legend()
    return ax


def plot_nps_trend(trend: pd.DataFrame, *, ax: Axes | None = None) -> Axes:
    """Draw the NPS per period with its confidence interval as a band.

    Parameters
    ----------
    trend : pandas.DataFrame
        Output of :func:`clvkit.metrics.nps_trend` (Period index; score, ci_low, ci_high, n).
    ax : matplotlib.axes.Axes, optional
        Axes to draw on.

    Returns
    -------
    matplotlib.axes.Axes
        Line with markers, shaded interval, zero line; y axis in NPS points.

    Raises
    ------
    DataValidationError
        If the table is empty or lacks columns.
    """
    require_table(trend, _NPS_COLUMNS, "clvkit.metrics.nps_trend()", rows=True)
    ax = axes_or_new(ax, (8.0, 3.8))
    x = trend.index.to_timestamp() if isinstance(trend.index, pd.PeriodIndex) else trend.index
    ax.fill_between(x, trend["ci_low"], trend["ci_high"], color=PALETTE[0], alpha=0.18,
                    linewidth=0)
    ax.plot(x, trend["score"], marker="o", ms=4, color=PALETTE[0], label=t("nps.score"))
    ax.axhline(0, color="0.4", linewidth=0.8)
    from matplotlib.dates import AutoDateLocator, ConciseDateFormatter

    locator = AutoDateLocator(maxticks=8)
    ax.xaxis.set_major_locator(locator)
    ax.xaxis.set_major_formatter(ConciseDateFormatter(locator))
    level = format_pct(trend.attrs.get("confidence", 0.95), 0)
    ax.set(title=t("nps.trend_title", level=level), xlabel=t("month"), ylabel=t("nps.score"))
    return ax


def plot_nps_by_segment(table: pd.DataFrame, *, ax: Axes | None = None) -> Axes:
    """Draw the NPS of each segment as horizontal bars with interval whiskers.

    Parameters
    ----------
    table : pandas.DataFrame
        Output of :func:`clvkit.metrics.nps_by_segment` (index segment).
    ax : matplotlib.axes.Axes, optional
        Axes to draw on.

    Returns
    -------
    matplotlib.axes.Axes
        One bar per segment labelled "segment (n=...)"; x axis in NPS points.

    Raises
    ------
    DataValidationError
        If the table is empty or lacks columns.
    """
    require_table(table, _NPS_COLUMNS, "clvkit.metrics.nps_by_segment()", rows=True)
    ax = axes_or_new(ax, (8.0, 1.0 + 0.5 * len(table)))
    y = np.arange(len(table))
    err = np.vstack([table["score"] - table["ci_low"], table["ci_high"] - table["score"]])
    colors = [PALETTE[2] if s >= 0 else PALETTE[3] for s in table["score"]]
    ax.barh(y, table["score"], xerr=err, color=colors, capsize=3)
    names = zip(table.index, table["n"], strict=True)
    ax.set_yticks(y, [f"{name} (n={n:,})" for name, n in names])
    ax.axvline(0, color="0.4", linewidth=0.8)
    ax.set(xlabel=t("nps.score"), title=t("nps.score"))
    return ax


def plot_value_link(
    result: ValueLinkResult, *, metric: str = "spend_per_year", ax: Axes | None = None,
    currency: str = "¥",
) -> Axes:
    """Draw one satisfaction-group metric as bars, with each gap to the reference group.

    Parameters
    ----------
    result : clvkit.metrics.ValueLinkResult
        Output of :func:`clvkit.metrics.satisfaction_value_link`.
    metric : {"spend_per_year", "churn_rate", "value"}, default "spend_per_year"
        Which metric to draw.
    ax : matplotlib.axes.Axes, optional
        Axes to draw on.
    currency : str, default "¥"
        Currency symbol for money metrics.

    Returns
    -------
    matplotlib.axes.Axes
        Bars per group; non-reference bars are annotated with the difference and its
        bootstrap interval.

    Raises
    ------
    DataValidationError
        If the metric is not in the result.
    """
    rows = result.table[result.table["metric"] == metric]
    if rows.empty:
        have = ", ".join(map(repr, result.table["metric"].unique()))
        msg = f"metric {metric!r} is not in this result; it has {have}."
        raise DataValidationError(msg)
    ax = axes_or_new(ax, (7.0, 3.8))
    money = metric != "churn_rate"
    fmt = (lambda v: format_money(v, currency)) if money else (lambda v: f"{100 * v:+.1f} pt")
    x = np.arange(len(rows))
    ax.bar(x, rows["estimate"], color=[GROUP_COLORS.get(g, PALETTE[0]) for g in rows["group"]])
    for xi, (_, r) in zip(x, rows.iterrows(), strict=True):
        if r["group"] != result.reference:
            text = f"{fmt(r['diff'])}\n[{fmt(r['diff_low'])}, {fmt(r['diff_high'])}]"
            ax.annotate(text, (xi, r["estimate"]), ha="center", va="bottom", fontsize=8)
    ax.set_xticks(x, [f"{_label(g)}\n(n={n:,})" for g, n in zip(rows["group"], rows["customers"],
                                                               strict=True)])
    ax.yaxis.set_major_formatter(money_formatter(currency) if money else percent_formatter())
    ax.set(title=t("link.title"), ylabel=t(f"link.{metric}", currency=currency))
    ax.margins(y=0.2)
    return ax
