"""Satisfaction figures: NPS answers, NPS trend and by segment, the money link."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from ..exceptions import DataValidationError
from ..i18n import format_money, format_pct, format_period, period_kind, t
from ..schema import PASSIVE_MIN, PROMOTER_MIN
from ._checks import require_table
from .style import (
    PALETTE,
    axes_or_new,
    count_axis,
    money_formatter,
    percent_formatter,
    plain,
)

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
    count_axis(ax.yaxis)
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
        Line with markers, shaded interval, zero line; y axis in NPS points; the
        title and tick labels name the period of the index (month, quarter, ...).

    Raises
    ------
    DataValidationError
        If the table is empty or lacks columns.
    """
    require_table(trend, _NPS_COLUMNS, "clvkit.metrics.nps_trend()", rows=True)
    ax = axes_or_new(ax, (8.0, 3.8))
    x = trend.index.to_timestamp() if isinstance(trend.index, pd.PeriodIndex) else trend.index
    kind = period_kind(trend.index)
    ax.fill_between(x, trend["ci_low"], trend["ci_high"], color=PALETTE[0], alpha=0.18,
                    linewidth=0)
    ax.plot(x, trend["score"], marker="o", ms=4, color=PALETTE[0], label=t("nps.score"))
    ax.axhline(0, color="0.4", linewidth=0.8)
    # one label per plotted period, thinned to at most 8 so they never overlap
    step = max(1, -(-len(x) // 8))
    ax.set_xticks(list(x[::step]), [format_period(p, kind[:1].upper())
                                    for p in list(trend.index)[::step]])
    level = format_pct(trend.attrs.get("confidence", 0.95), 0)
    ax.set(title=t("nps.trend_title_by", level=level, period=t(f"fmt.per_{kind}")),
           xlabel=t(f"fmt.{kind}"), ylabel=t("nps.score"))
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
    ax.set_yticks(y, [f"{plain(name)} (n={n:,})" for name, n in names])
    ax.axvline(0, color="0.4", linewidth=0.8)
    group = plain(table.index.name) if table.index.name else ""
    title = t("nps.by_segment_title", by=group) if group else t("nps.by_group_title")
    ax.set(xlabel=t("nps.score"), title=title)
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
        One bar per group labelled with its own value; the other groups' labels add
        their gap to the reference group, or "no clear difference" when the
        bootstrap interval of that gap spans zero. The title names the metric and
        the grouping (NPS or effort groups).

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

    def fmt(v: float, sign: bool = False) -> str:
        if money:
            text = format_money(v, plain(currency))
            return f"+{text}" if sign and v > 0 else text
        return f"{100 * v:+.1f}" if sign else format_pct(v)

    x = np.arange(len(rows))
    bars = ax.bar(x, rows["estimate"],
                  color=[GROUP_COLORS.get(g, PALETTE[0]) for g in rows["group"]])
    reference = _label(result.reference)
    labels = []
    for _, r in rows.iterrows():  # each bar carries its own value, then its gap in words
        text = fmt(r["estimate"])
        if r["group"] != result.reference:
            unit = "" if money else t("fmt.points")
            if r["diff_low"] <= 0 <= r["diff_high"]:
                gap = t("fmt.no_clear_difference_vs", reference=reference)
            else:
                gap = t("fmt.vs_reference", diff=f"{fmt(r['diff'], True)}{unit}",
                        reference=reference)
            text += "\n" + gap
        labels.append(text)
    ax.bar_label(bars, labels=labels, padding=3, fontsize=8)
    ax.grid(axis="x", visible=False)  # no grid line through the labels
    ax.set_xticks(x, [f"{_label(g)}\n(n={n:,})" for g, n in zip(rows["group"], rows["customers"],
                                                               strict=True)])
    ax.yaxis.set_major_formatter(money_formatter(currency) if money else percent_formatter())
    ax.set(title=t(f"link.title_{metric}", by=t(f"link.by_{result.by}")),
           ylabel=plain(t(f"link.{metric}", currency=currency)))
    top, low = float(np.nanmax(rows["estimate"])), float(np.nanmin(rows["estimate"]))
    # room above the bars for the two-line labels, so none is clipped
    ax.set_ylim(min(0.0, 1.3 * low), 1.3 * top if top > 0 else 1.0)
    return ax
