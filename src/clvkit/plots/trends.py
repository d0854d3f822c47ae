"""Trend figures: the headline KPIs over the scheduled runs of a report."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from ..exceptions import ParameterError
from ..i18n import t
from ._checks import require_table
from .style import PALETTE, axes_or_new, percent_formatter

if TYPE_CHECKING:
    from matplotlib.axes import Axes

__all__ = ["plot_kpi_history"]

#: KPIs on a scale whose ratios mean nothing (NPS runs from -100 to 100).
_NOT_INDEXED = frozenset({"nps"})
_PRODUCER = "clvkit.report._history.append_history()"


def plot_kpi_history(history: pd.DataFrame, *, kpi: str | None = None,
                     ax: Axes | None = None) -> Axes:
    """Draw the KPIs of every run over the run dates.

    Parameters
    ----------
    history : pandas.DataFrame
        Output of ``append_history`` / ``read_history`` (columns run_id, generated and
        one column per KPI).
    kpi : str, optional
        One KPI to draw in its own unit (``churn_rate`` as a percentage, ``nps`` in
        points, money and counts as numbers). Default: every KPI whose values are all
        positive, as an index (first run with a value = 100) so that KPIs of
        different units share one axis. ``nps`` (a -100..100 score, whose ratios mean
        nothing) and KPIs with a zero or negative value are left out of the index:
        draw them with ``kpi="nps"``.
    ax : matplotlib.axes.Axes, optional
        Axes to draw on; a new figure when omitted.

    Returns
    -------
    matplotlib.axes.Axes
        One line with markers per KPI; x = run date.

    Raises
    ------
    DataValidationError
        If ``history`` is not a history table or has no rows.
    ParameterError
        If ``kpi`` is not a column of ``history``.
    """
    require_table(history, ("run_id", "generated"), _PRODUCER, rows=True)
    kpis = [c for c in history.columns if c not in ("run_id", "generated")]
    if kpi is not None and kpi not in kpis:
        msg = f"kpi must be one of {', '.join(map(repr, kpis))}; got {kpi!r}"
        raise ParameterError(msg)
    ax = axes_or_new(ax, (7.5, 4.0))
    data = history.sort_values("generated", kind="stable")
    x = pd.to_datetime(data["generated"])
    if kpi is not None:
        ax.plot(x, data[kpi].astype(float), marker="o", color=PALETTE[0], label=_name(kpi))
        if kpi == "churn_rate":
            ax.yaxis.set_major_formatter(percent_formatter(1))
        ax.set(title=t("trends.title_one", kpi=_name(kpi)), xlabel=t("trends.run_axis"),
               ylabel=_name(kpi))
        ax.figure.autofmt_xdate()
        return ax
    drawn = 0
    for col in kpis:
        values = data[col].astype(float).to_numpy()
        seen = values[np.isfinite(values)]
        if col in _NOT_INDEXED or seen.size == 0 or (seen <= 0).any():
            continue
        ax.plot(x, 100 * values / seen[0], marker="o", label=_name(col),
                color=PALETTE[drawn % len(PALETTE)])
        drawn += 1
    ax.axhline(100, color="0.6", linewidth=1, linestyle="--")
    ax.set(title=t("trends.title"), xlabel=t("trends.run_axis"), ylabel=t("trends.index_axis"))
    if drawn:
        ax.legend(fontsize=8)
    ax.figure.autofmt_xdate()
    return ax


def _name(kpi: str) -> str:
    key = f"trends.kpi.{kpi}"
    text = t(key)
    return kpi if text == key else text
