"""Business figures: comment themes (voice of the customer) and LTV:CAC per channel."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from ..i18n import t
from ..schema import PASSIVE_MIN, PROMOTER_MIN
from ._checks import require_table
from .style import PALETTE, axes_or_new

if TYPE_CHECKING:
    from matplotlib.axes import Axes

__all__ = ["plot_channel_economics", "plot_comment_themes"]


def _theme_name(row: pd.Series) -> str:
    if row["theme"] == "other":
        return t("voice.theme.other")
    return str(row["terms"]) or str(row["theme"])


def plot_comment_themes(themes: pd.DataFrame, *, ax: Axes | None = None) -> Axes:
    """Draw how many comments each theme has, coloured by the theme's average NPS score.

    Parameters
    ----------
    themes : pandas.DataFrame
        ``CommentThemes.themes`` from :func:`clvkit.metrics.comment_themes`.
    ax : matplotlib.axes.Axes, optional
        Axes to draw on; a new figure when omitted.

    Returns
    -------
    matplotlib.axes.Axes
        One horizontal bar per theme (most comments on top), labelled by its words;
        orange-red when its average score is a detractor's (0-6), grey for a
        passive's (7-8), green for a promoter's (9-10).

    Raises
    ------
    DataValidationError
        If ``themes`` lacks theme, terms, comments or nps_mean, or has no rows.
    """
    require_table(themes, ("theme", "terms", "comments", "nps_mean"),
                  "clvkit.metrics.comment_themes().themes", rows=True)
    data = themes.iloc[::-1]
    ax = axes_or_new(ax, (7.5, 0.45 * len(data) + 1.2))
    score = data["nps_mean"].astype(float)
    colors = np.where(score >= PROMOTER_MIN, PALETTE[2],
                      np.where(score >= PASSIVE_MIN, PALETTE[7], PALETTE[3]))
    colors = np.where(score.isna(), PALETTE[0], colors)
    ax.barh([_theme_name(r) for _, r in data.iterrows()], data["comments"], color=colors)
    ax.set(title=t("voice.themes_title"), xlabel=t("voice.column.comments"))
    return ax


def plot_channel_economics(economics: pd.DataFrame, *, by: str | Sequence[str] = "channel",
                           grow_at: float = 3.0, cut_below: float = 1.0,
                           ax: Axes | None = None) -> Axes:
    """Draw LTV:CAC per channel with its interval and the grow / cut thresholds.

    Parameters
    ----------
    economics : pandas.DataFrame
        Output of :func:`clvkit.metrics.channel_economics` (same ``by`` and thresholds).
    ax : matplotlib.axes.Axes, optional
        Axes to draw on; a new figure when omitted.

    Returns
    -------
    matplotlib.axes.Axes
        One bar per group coloured by verdict (green grow, grey keep, orange-red
        cut), error bars from ltv_cac_low to ltv_cac_high when present, dashed lines
        at ``cut_below`` and ``grow_at``.

    Raises
    ------
    DataValidationError
        If ``economics`` lacks the ``by`` columns, ltv_cac or verdict, or has no rows.
    """
    by = [by] if isinstance(by, str) else list(by)
    require_table(economics, (*by, "ltv_cac", "verdict"),
                  "clvkit.metrics.channel_economics()", rows=True)
    ax = axes_or_new(ax, (7.0, 4.0))
    names = [" / ".join(str(r[c]) for c in by) for _, r in economics.iterrows()]
    colors = economics["verdict"].map({"grow": PALETTE[2], "keep": PALETTE[7],
                                       "cut": PALETTE[3]}).fillna(PALETTE[0])
    ratio = economics["ltv_cac"].astype(float)
    error = None
    if {"ltv_cac_low", "ltv_cac_high"} <= set(economics) and \
            economics[["ltv_cac_low", "ltv_cac_high"]].notna().all(axis=None):
        error = np.vstack([ratio - economics["ltv_cac_low"], economics["ltv_cac_high"] - ratio])
    ax.bar(names, ratio, color=list(colors), yerr=error, capsize=4)
    for level in (cut_below, grow_at):
        ax.axhline(level, color="0.4", linestyle="--", linewidth=1)
    ax.set(title=t("channel.title"), ylabel=t("channel.column.ltv_cac"))
    return ax
