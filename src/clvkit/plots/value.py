"""Value figures: the Lorenz curve of value concentration."""

from __future__ import annotations

import textwrap
from typing import TYPE_CHECKING

from ..i18n import format_pct, get_language, t
from .style import PALETTE, percent_formatter, plain

if TYPE_CHECKING:
    from matplotlib.axes import Axes

    from ..metrics.economics import ConcentrationResult

__all__ = ["plot_lorenz"]


def plot_lorenz(result: ConcentrationResult, *, ax: Axes | None = None, label: str = "") -> Axes:
    """Draw the Lorenz curve of value with the equality line and the top-20% point.

    Parameters
    ----------
    result : clvkit.metrics.ConcentrationResult
        Output of :func:`clvkit.metrics.value_concentration`.
    ax : matplotlib.axes.Axes, optional
        Axes to draw on; a new figure is created when omitted (call again with the
        same ``ax`` to compare revenue and margin curves).
    label : str, default ""
        Legend label of this curve (e.g. the value measure); the Gini is appended.

    Returns
    -------
    matplotlib.axes.Axes
        Square axes in percent on both sides; a bracket at x = 1 - 20% spans the
        share of value held by the top 20% of customers and is labelled with it.
    """
    if ax is None:
        import matplotlib.pyplot as plt

        ax = plt.subplots(figsize=(5.5, 5.0))[1]
        ax.plot([0, 1], [0, 1], color="0.5", linestyle="--", linewidth=1,
                label=t("concentration.equality"))
    n_lines = len(ax.get_lines())
    gini = "n/a" if result.gini != result.gini else f"{result.gini:.2f}"
    text = f"{plain(label)} (Gini {gini})" if label else f"Gini {gini}"
    lorenz = result.lorenz
    ax.plot(lorenz["share_of_customers"], lorenz["share_of_value"], linewidth=2,
            color=PALETTE[(n_lines - 1) % len(PALETTE)], label=text)
    top = result.top.iloc[(result.top["top_share"] - 0.2).abs().argmin()]
    # The top customers are the right end of the curve: from x = 1 - top to 1 the curve
    # climbs by their share of value. Draw that climb as a bracket at x and name it there.
    x, y = 1 - top["top_share"], 1 - top["share_of_value"]
    ax.scatter([x], [y], color=PALETTE[3], zorder=3)
    ax.annotate("", (x, 1.0), (x, y), arrowprops={"arrowstyle": "<->", "color": PALETTE[3],
                                                  "shrinkA": 0, "shrinkB": 0})
    note = t("concentration.top_note", top=format_pct(top["top_share"], 0),
             share=format_pct(top["share_of_value"]))
    ax.annotate(textwrap.fill(note, 18 if get_language() == "zh" else 26), (x, (1 + y) / 2),
                textcoords="offset points", xytext=(-8, 0), ha="right", va="center",
                fontsize=9, color=PALETTE[3])
    for axis in (ax.xaxis, ax.yaxis):
        axis.set_major_formatter(percent_formatter())
    ax.set(title=t("concentration.lorenz_title"), xlabel=t("concentration.customers_axis"),
           ylabel=t("concentration.value_axis"))
    ax.legend(loc="upper left")
    return ax
