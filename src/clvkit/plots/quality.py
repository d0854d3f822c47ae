"""Data-quality figures: rows kept and set aside, reasons, monthly activity."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pandas as pd

from .. import schema
from .._codes import period_ordinals, plain_dates
from ..exceptions import DataValidationError
from ..i18n import t
from ._checks import require_table
from .style import PALETTE, axes_or_new, count_axis, date_axis, money_formatter

if TYPE_CHECKING:
    from matplotlib.axes import Axes

__all__ = ["plot_monthly_activity", "plot_rows_kept", "plot_set_aside_reasons"]

_SUMMARY_COLUMNS = ("table", "action", "rows")
_KEPT, _SET_ASIDE = "kept", "set aside"


def _table_label(name: str) -> str:
    return t(f"quality.table.{name}")


def plot_rows_kept(summary: pd.DataFrame, *, ax: Axes | None = None) -> Axes:
    """Draw one horizontal bar per table: rows kept and rows set aside, stacked.

    Parameters
    ----------
    summary : pandas.DataFrame
        :meth:`clvkit.DataQuality.summary` (columns table, action, rows).
    ax : matplotlib.axes.Axes, optional
        Axes to draw on; a new figure is created when omitted.

    Returns
    -------
    matplotlib.axes.Axes
        Bars labelled with their row counts; x axis "Rows".

    Raises
    ------
    DataValidationError
        If a required column is missing.
    """
    require_table(summary, _SUMMARY_COLUMNS, "DataQuality.summary()")
    counts = summary.pivot_table(
        index="table", columns="action", values="rows", aggfunc="sum", fill_value=0, sort=False
    ).reindex(columns=[_KEPT, _SET_ASIDE], fill_value=0)
    ax = axes_or_new(ax, (8.0, 0.8 + 0.7 * len(counts)))
    labels = [_table_label(name) for name in counts.index]
    left = pd.Series(0, index=counts.index)
    widest = max(int(counts.sum(axis=1).max()), 1)
    for action, colour, key in ((_KEPT, PALETTE[0], "dq_kept"),
                                (_SET_ASIDE, PALETTE[3], "dq_set_aside")):
        bars = ax.barh(labels, counts[action], left=left, color=colour, label=t(key))
        # a count goes inside its own bar when it fits there, else just after it
        inside = [f"{v:,}" if v >= 0.12 * widest else "" for v in counts[action]]
        after = [f"{v:,}" if 0 < v < 0.12 * widest else "" for v in counts[action]]
        ax.bar_label(bars, labels=inside, label_type="center", color="white", fontsize=9)
        if action == _SET_ASIDE:
            ax.bar_label(bars, labels=after, padding=3, color=colour, fontsize=9)
        left = left + counts[action]
    ax.margins(x=0.1)
    ax.invert_yaxis()
    ax.set(title=t("dq_chart_title"), xlabel=t("dq_axis_rows"), ylabel="")
    count_axis(ax.xaxis)
    ax.legend(loc="lower right")
    return ax


def plot_set_aside_reasons(summary: pd.DataFrame, *, ax: Axes | None = None) -> Axes:
    """Draw the number of rows set aside by reason, one bar per table and reason.

    Reasons with no rows are left out. When nothing was set aside the Axes says so
    instead of showing an empty chart.

    Parameters
    ----------
    summary : pandas.DataFrame
        :meth:`clvkit.DataQuality.summary` (columns table, label, action, rows).
    ax : matplotlib.axes.Axes, optional
        Axes to draw on; a new figure is created when omitted.

    Returns
    -------
    matplotlib.axes.Axes

    Raises
    ------
    DataValidationError
        If a required column is missing.
    """
    require_table(summary, (*_SUMMARY_COLUMNS, "label"), "DataQuality.summary()")
    aside = summary[(summary["action"] == _SET_ASIDE) & (summary["rows"] > 0)]
    aside = aside.sort_values("rows", ascending=False, kind="stable")
    ax = axes_or_new(ax, (8.0, 1.2 + 0.45 * max(len(aside), 1)))
    ax.set(title=t("dq_chart_reasons_title"), xlabel=t("dq_axis_rows"), ylabel="")
    if aside.empty:
        ax.text(0.5, 0.5, t("dq_nothing_set_aside"), ha="center", va="center",
                transform=ax.transAxes)
        ax.set(xticks=[], yticks=[])
        return ax
    tables = list(dict.fromkeys(aside["table"]))
    labels = [f"{row.label} ({_table_label(row.table)})" if len(tables) > 1 else row.label
              for row in aside.itertuples()]
    colours = [PALETTE[3 + tables.index(name) % 5] for name in aside["table"]]
    bars = ax.barh(labels, aside["rows"], color=colours)
    ax.bar_label(bars, labels=[f"{v:,}" for v in aside["rows"]], padding=3, fontsize=9)
    ax.invert_yaxis()
    count_axis(ax.xaxis)
    ax.margins(x=0.12)
    return ax


def plot_monthly_activity(
    transactions: pd.DataFrame, *, currency: str = "¥", ax: Axes | None = None
) -> Axes:
    """Draw orders per calendar month (bars) and revenue per month (line, right axis).

    Parameters
    ----------
    transactions : pandas.DataFrame
        Clean transactions with ``timestamp`` (datetime) and ``amount``.
    currency : str, default "¥"
        Currency symbol for the revenue axis.
    ax : matplotlib.axes.Axes, optional
        Axes for the bars; the revenue line goes on a twin axis.

    Returns
    -------
    matplotlib.axes.Axes
        The Axes with the order bars (left axis, "Orders"); the revenue line is on
        its twin Axes (right axis, amounts in ``currency``).

    Raises
    ------
    DataValidationError
        If ``timestamp`` or ``amount`` is missing or ``timestamp`` is not datetime.
    """
    missing = [c for c in (schema.TIMESTAMP, schema.AMOUNT) if c not in transactions]
    if missing:
        msg = (f"transactions need column(s) {', '.join(map(repr, missing))}; they have "
               f"{', '.join(map(repr, transactions.columns))}")
        raise DataValidationError(msg)
    if not pd.api.types.is_datetime64_any_dtype(transactions[schema.TIMESTAMP]):
        msg = "'timestamp' must be datetime64; load the data with clvkit.load_data()"
        raise DataValidationError(msg)
    stamps = transactions[schema.TIMESTAMP]
    if plain_dates(stamps):  # month ordinals by calendar arithmetic: no Period per row
        ordinals = period_ordinals(stamps.to_numpy(), "M")
        monthly = transactions[schema.AMOUNT].groupby(ordinals).agg(["size", "sum"])
        monthly.index = pd.PeriodIndex.from_ordinals(monthly.index.to_numpy(), freq="M")
    else:
        month = stamps.dt.to_period("M")
        monthly = transactions.groupby(month)[schema.AMOUNT].agg(["size", "sum"])
    monthly = monthly.reindex(pd.period_range(monthly.index.min(), monthly.index.max()),
                              fill_value=0)
    ax = axes_or_new(ax, (9.0, 3.8))
    x = monthly.index.to_timestamp()
    ax.bar(x, monthly["size"], width=20, color=PALETTE[0], alpha=0.8, label=t("dq_axis_orders"))
    right = ax.twinx()
    right.plot(x, monthly["sum"], color=PALETTE[1], marker="o", markersize=3,
               label=t("dq_axis_revenue", currency=currency))
    right.yaxis.set_major_formatter(money_formatter(currency))
    right.set_ylim(bottom=0)
    right.grid(False)
    date_axis(ax.xaxis, maxticks=9)
    count_axis(ax.yaxis)
    ax.set(title=t("dq_monthly_title"), ylabel=t("dq_axis_orders"), xlabel=t("month"))
    right.set_ylabel(t("dq_axis_revenue", currency=currency))
    right.tick_params(axis="y", length=0)
    handles = ax.get_legend_handles_labels()[0] + right.get_legend_handles_labels()[0]
    ax.legend(handles, [h.get_label() for h in handles], loc="upper left")
    return ax
