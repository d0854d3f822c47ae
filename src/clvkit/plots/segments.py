"""Segment figures: segment and tier shares, the action matrix, seasonality, the 360 card."""

from __future__ import annotations

import textwrap
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from ..exceptions import DataValidationError
from ..i18n import format_int, format_money, get_language, t
from ._checks import require_table
from .style import PALETTE, axes_or_new, date_axis, money_formatter, percent_formatter, plain

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

    from ..segments import CustomerCard

__all__ = [
    "plot_action_matrix",
    "plot_customer_card",
    "plot_seasonality",
    "plot_segment_sizes",
    "plot_tier_shares",
]


def _basis_label(frame: pd.DataFrame) -> str:
    basis = frame.attrs.get("value_basis", "historical_revenue")
    text = t(f"segments.basis.{basis}")
    return basis if text == f"segments.basis.{basis}" else text


def plot_segment_sizes(summary: pd.DataFrame, *, ax: Axes | None = None) -> Axes:
    """Draw each segment's share of customers next to its share of value.

    Parameters
    ----------
    summary : pandas.DataFrame
        Output of :func:`clvkit.segments.segment_summary` with its names
        (:func:`clvkit.report.labelled`).
    ax : matplotlib.axes.Axes, optional
        Axes to draw on; a new figure is created when omitted.

    Returns
    -------
    matplotlib.axes.Axes
        Horizontal bars (two per segment, first segment on top); x axis in percent.
    """
    require_table(summary, ["segment_label", "share_customers", "share_value"],
                  "clvkit.report.labelled(clvkit.segments.segment_summary())")
    ax = axes_or_new(ax, (8.0, 0.45 * len(summary) + 1.5))
    y = np.arange(len(summary))[::-1]
    height = 0.4
    ax.barh(y + height / 2, summary["share_customers"], height, color=PALETTE[0],
            label=t("segments.plot.share_customers"))
    ax.barh(y - height / 2, summary["share_value"], height, color=PALETTE[1],
            label=t("segments.plot.share_value", basis=_basis_label(summary)))
    ax.set_yticks(y, [plain(s) for s in summary["segment_label"]])
    ax.xaxis.set_major_formatter(percent_formatter())
    ax.set(xlabel=t("segments.plot.share"), ylabel=t("segments.plot.segment"))
    ax.legend(loc="lower right")
    return ax


def plot_tier_shares(tiers: pd.DataFrame, *, ax: Axes | None = None) -> Axes:
    """Draw each value tier's share of customers, revenue, margin and future value.

    Parameters
    ----------
    tiers : pandas.DataFrame
        Output of :func:`clvkit.segments.value_tiers` with its names
        (:func:`clvkit.report.labelled`).
    ax : matplotlib.axes.Axes, optional
        Axes to draw on.

    Returns
    -------
    matplotlib.axes.Axes
        Grouped bars per tier (measures without data, e.g. future value without a
        model, are left out); y axis in percent.
    """
    require_table(tiers, ["tier_label", "share_customers", "share_revenue"],
                  "clvkit.report.labelled(clvkit.segments.value_tiers())")
    measures = [m for m in ("share_customers", "share_revenue", "share_margin",
                            "share_future_value")
                if m in tiers.columns and tiers[m].notna().any()]
    ax = axes_or_new(ax, (8.0, 4.0))
    x = np.arange(len(tiers))
    width = 0.8 / len(measures)
    for i, measure in enumerate(measures):
        ax.bar(x + (i - (len(measures) - 1) / 2) * width, tiers[measure], width,
               color=PALETTE[i], label=t(f"segments.plot.{measure}"))
    # "Next 4% (top 1-5%)": the range in brackets on a second line, so names never overlap
    names = [str(s).replace(" (", "\n(", 1).replace("（", "\n（", 1) for s in tiers["tier_label"]]
    ax.set_xticks(x, [plain(n) for n in names])
    ax.yaxis.set_major_formatter(percent_formatter())
    ax.set(xlabel=t("segments.plot.tier"), ylabel=t("segments.plot.share"))
    ax.legend()
    return ax


def plot_action_matrix(
    matrix: pd.DataFrame, *, ax: Axes | None = None, currency: str = "¥"
) -> Axes:
    """Draw the action matrix as a heatmap of customers with each cell's action.

    Parameters
    ----------
    matrix : pandas.DataFrame
        Output of :func:`clvkit.segments.action_matrix` with its names
        (:func:`clvkit.report.labelled`, or :func:`clvkit.report.action_table`).
    ax : matplotlib.axes.Axes, optional
        Axes to draw on.
    currency : str, default "¥"
        Currency symbol of the value at stake.

    Returns
    -------
    matplotlib.axes.Axes
        Rows = value level (high on top), columns = profitability or activity;
        colour = number of customers; each cell names the action, the customers
        and the value at stake.
    """
    require_table(matrix, ["customers", "value_at_stake", "action_label"],
                  "clvkit.report.labelled(clvkit.segments.action_matrix())")
    rows = list(dict.fromkeys(matrix.index.get_level_values(0)))
    cols = list(dict.fromkeys(matrix.index.get_level_values(1)))
    counts = matrix["customers"].unstack().reindex(index=rows, columns=cols)
    ax = axes_or_new(ax, (3.2 * len(cols) + 1.5, 1.6 * len(rows) + 1.0))
    ax.imshow(counts.to_numpy(dtype=float), cmap="Blues", aspect="auto",
              vmin=0, vmax=max(1, int(counts.to_numpy().max()) * 1.3))
    for (i, level), (j, other) in ((a, b) for a in enumerate(rows) for b in enumerate(cols)):
        cell = matrix.loc[(level, other)]
        text = t("segments.plot.cell", action=plain(cell["action_label"]),
                 customers=format_int(cell["customers"]),
                 value=format_money(cell["value_at_stake"], plain(currency), compact=True))
        ax.text(j, i, text, ha="center", va="center", fontsize=9)
    ax.set_xticks(range(len(cols)), [t(f"segments.level.{c}") for c in cols])
    ax.set_yticks(range(len(rows)), [t(f"segments.level.{r}") for r in rows])
    second = "profit_axis" if matrix.attrs.get("matrix", "value_profit") == "value_profit" else (
        "alive_axis")
    ax.set(xlabel=t(f"segments.plot.{second}"),
           ylabel=f"{t('segments.plot.value_axis')} ({_basis_label(matrix)})")
    ax.grid(False)
    return ax


def plot_seasonality(
    seasonality: pd.DataFrame,
    *,
    ax: Axes | None = None,
    row_labels: Mapping[Any, str] | None = None,
    currency: str = "¥",
) -> Axes:
    """Draw a heatmap of value by group and month of year (or weekday).

    Parameters
    ----------
    seasonality : pandas.DataFrame
        Output of :func:`clvkit.segments.value_seasonality`.
    ax : matplotlib.axes.Axes, optional
        Axes to draw on.
    row_labels : mapping, optional
        Display name of each group (e.g. tier code -> tier label); default the
        translated segment name when the group is a segment code, else the group.
    currency : str, default "¥"
        Currency symbol (used when normalize="rate").

    Returns
    -------
    matplotlib.axes.Axes
        Heatmap with a colour bar labelled with the unit.
    """
    if seasonality.empty:
        msg = "seasonality is empty: no group has transactions in the window."
        raise DataValidationError(msg)
    by = seasonality.attrs.get("by", "month")
    normalize = seasonality.attrs.get("normalize", "share")
    ax = axes_or_new(ax, (9.0, 0.45 * len(seasonality) + 1.8))
    image = ax.imshow(seasonality.to_numpy(dtype=float), cmap="YlOrRd", aspect="auto")
    prefix = "segments.month_abbr." if by == "month" else "segments.weekday_abbr."
    ax.set_xticks(range(seasonality.shape[1]), [t(f"{prefix}{c}") for c in seasonality.columns])
    ax.set_yticks(range(len(seasonality)), [_row_label(g, row_labels) for g in seasonality.index])
    ax.set(xlabel=t(f"segments.plot.{by}"), ylabel=t("segments.plot.group"))
    bar = ax.figure.colorbar(image, ax=ax)
    bar.set_label(plain(t(f"segments.plot.seasonality_{normalize}", currency=currency)))
    if normalize == "share":
        bar.formatter = percent_formatter()
        bar.update_ticks()
    ax.grid(False)
    return ax


def _row_label(group: Any, labels: Mapping[Any, str] | None) -> str:
    if labels and group in labels:
        return plain(labels[group])
    text = t(f"segments.segment.{group}")
    return plain(group) if text == f"segments.segment.{group}" else text


def plot_customer_card(card: CustomerCard, *, fig: Figure | None = None,
                       lang: str | None = None, currency: str = "¥") -> Figure:
    """Draw the 360 card: purchase timeline, survey answers and the key facts.

    This is the one figure function that returns a Figure rather than an Axes,
    because the card has three panels.

    Parameters
    ----------
    card : clvkit.segments.CustomerCard
        Output of :func:`clvkit.segments.customer_card`.
    fig : matplotlib.figure.Figure, optional
        Figure to draw into (cleared first); a new one is created when omitted.
    lang : {"en", "zh"}, optional
        Language of the labels; default the current one.
    currency : str, default "¥"
        Currency symbol of the amounts.

    Returns
    -------
    matplotlib.figure.Figure
        Three axes: purchases over time (order amounts), survey answers (NPS and
        CES) and a text panel with segment, tier, P(alive), CLV, churn risk and the
        recommended action.
    """
    import matplotlib.pyplot as plt

    fig = fig or plt.figure(figsize=(11.0, 5.5))
    fig.clear()
    grid = fig.add_gridspec(2, 2, width_ratios=[1.6, 1.0], hspace=0.45, wspace=0.1)
    timeline = fig.add_subplot(grid[0, 0])
    surveys = fig.add_subplot(grid[1, 0], sharex=timeline)
    facts = fig.add_subplot(grid[:, 1])
    _card_timeline(card, timeline, lang, currency)
    _card_surveys(card, surveys, lang)
    _card_facts(card, facts, lang, currency)
    fig.suptitle(plain(t("segments.card.title", lang, customer_id=card.shown_id)),
                 x=0.02, ha="left", fontweight="bold")
    return fig


def _card_timeline(card: CustomerCard, ax: Axes, lang: str | None, currency: str) -> None:
    tl = card.timeline
    ax.vlines(tl["timestamp"], 0, tl["amount"], color=PALETTE[0])
    ax.plot(tl["timestamp"], tl["amount"], "o", color=PALETTE[0])
    ax.yaxis.set_major_formatter(money_formatter(currency))
    _date_axis(ax)
    ax.set(title=t("segments.card.timeline", lang),
           ylabel=plain(t("segments.card.amount", lang, currency=currency)))
    ax.set_ylim(bottom=0)


def _date_axis(ax: Axes) -> None:
    date_axis(ax.xaxis, maxticks=6)


def _card_surveys(card: CustomerCard, ax: Axes, lang: str | None) -> None:
    sv = card.surveys
    ax.set(title=t("segments.card.satisfaction", lang), xlabel=t("segments.card.date", lang))
    if sv.empty:
        ax.text(0.5, 0.5, t("segments.card.no_surveys", lang), transform=ax.transAxes,
                ha="center", va="center")
        ax.set_yticks([])
        return
    ax.plot(sv["date"], sv["nps"], "s-", color=PALETTE[2], label=t("segments.card.nps", lang))
    if "ces" in sv:
        ax.plot(sv["date"], sv["ces"], "^--", color=PALETTE[3], label=t("segments.card.ces", lang))
    ax.set_ylim(-0.5, 10.5)
    ax.legend(loc="upper left", fontsize=8)


def _card_facts(card: CustomerCard, ax: Axes, lang: str | None, currency: str) -> None:
    from ..report._words_segments import card_summary, recommendation

    ax.axis("off")
    zh = (lang or get_language()).startswith("zh")
    sep = "：" if zh else ": "
    summary = card_summary(card, lang=lang, currency=currency)
    lines = [plain(f"{label}{sep}{value}") for label, value in summary.items()]
    ax.text(0.0, 1.0, "\n".join(lines), va="top", ha="left", fontsize=9.5, linespacing=1.6,
            transform=ax.transAxes)
    advice = recommendation(str(card.facts["action"]), lang)
    if advice:

        width = 24 if zh else 48
        ax.text(0.0, 0.02, plain(textwrap.fill(advice, width)), va="bottom",
                ha="left", fontsize=9, style="italic", transform=ax.transAxes)
