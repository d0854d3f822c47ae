"""Value figures: the Lorenz curve of value concentration."""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..i18n import format_pct, t
from .style import PALETTE, percent_formatter

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
        Square axes in percent on both sides.
    """
    if ax is None:
        import matplotlib.pyplot as plt

        ax = plt.subplots(figsize=(5.5, 5.0))[1]
        ax.plot([0, 1], [0, 1], color="0.5", linestyle="--", linewidth=1,
                label=t("concentration.equality"))
    n_lines = len(ax.get_lines())
    gini = "n/a" if result.gini != result.gini else f"{result.gini:.2f}"
    text = f"{label} (Gini {gini})" if label else f"Gini {gini}"
    lorenz = result.lorenz
    ax.plot(lorenz["share_of_customers"], lorenz["share_of_value"], linewidth=2,
            color=PALETTE[(n_lines - 1) % len(PALETTE)], label=text)
    top = result.top.iloc[(result.top["top_share"] - 0.2).abs().argmin()]
    x, y = 1 - top["top_share"], 1 - top["share_of_value"]
    ax.scatter([x], [y], color=PALETTE[3], zorder=3)
    note = t("concentration.top_label", top=format_pct(top["top_share"], 0),
             share=format_pct(top["share_of_value"]))
    ax.annotate(note,
                (x, y), textcoords="offset points", xytext=(-10, 10), ha="right", fontsize=9)
    for axis in (ax.xaxis, ax.yaxis):
        axis.set_major_formatter(percent_formatter())
    ax.set(title=t("concentration.lorenz_title"), xlabel=t("concentration.customers_axis"),
           ylabel=t("concentration.value_axis"))
    ax.legend()
    return ax
