"""Figures of the contractual retention model (sBG) and the churn classifier."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from ..exceptions import DataValidationError, ParameterError
from ..i18n import t
from ._checks import require_table
from .style import PALETTE, axes_or_new, percent_formatter, plain

if TYPE_CHECKING:
    from matplotlib.axes import Axes

__all__ = [
    "plot_churn_calibration",
    "plot_churn_gains",
    "plot_churn_importance",
    "plot_sbg_retention",
    "plot_sbg_survival",
]


def _model_label(name: str) -> str:
    return t(f"churnmodel.model.{name}")


def plot_sbg_survival(projection: pd.DataFrame, *, ax: Axes | None = None) -> Axes:
    """Draw the observed share of subscribers still active and the sBG fit and projection.

    Parameters
    ----------
    projection : pandas.DataFrame
        :meth:`clvkit.models.SBGModel.project` (index period; columns survival,
        observed_survival, observed).
    ax : matplotlib.axes.Axes, optional
        Axes to draw on; a new figure is created when omitted.

    Returns
    -------
    matplotlib.axes.Axes
        x: months since sign-up; y: share still active (percent). Lines: fitted periods
        (solid), projected periods (dashed), observed (dots).

    Raises
    ------
    DataValidationError
        If a required column is missing.
    """
    require_table(projection, ("survival", "observed_survival", "observed"),
                  "SBGModel.project(n_periods)")
    ax = axes_or_new(ax, (7.5, 4.0))
    fitted = projection[projection["observed"]]
    ahead = projection[projection.index >= fitted.index.max()]
    ax.plot(fitted.index, fitted["survival"], color=PALETTE[0], label=t("sbg.fitted"))
    ax.plot(ahead.index, ahead["survival"], color=PALETTE[0], linestyle="--",
            label=t("sbg.projected"))
    ax.plot(projection.index, projection["observed_survival"], "o", color=PALETTE[1],
            markersize=4, label=t("sbg.observed"))
    ax.set(title=t("sbg.title_survival"), xlabel=t("sbg.period"), ylabel=t("sbg.share_active"),
           ylim=(0, 1.02))
    ax.yaxis.set_major_formatter(percent_formatter())
    ax.legend()
    return ax


def plot_sbg_retention(projection: pd.DataFrame, *, ax: Axes | None = None) -> Axes:
    """Draw period-by-period retention rates: observed and implied by the sBG model.

    The model's retention rate :math:`r_t = (\\beta + t - 1) / (\\alpha + \\beta + t - 1)`
    rises with tenure because the customers most likely to cancel leave first.

    Parameters
    ----------
    projection : pandas.DataFrame
        :meth:`clvkit.models.SBGModel.project` (columns retention_rate,
        observed_survival, observed).
    ax : matplotlib.axes.Axes, optional
        Axes to draw on.

    Returns
    -------
    matplotlib.axes.Axes
        x: months since sign-up; y: retention rate (percent).
    """
    require_table(projection, ("retention_rate", "observed_survival", "observed"),
                  "SBGModel.project(n_periods)")
    ax = axes_or_new(ax, (7.5, 4.0))
    obs = projection["observed_survival"]
    observed_rate = obs / obs.shift(1)
    ax.plot(projection.index[1:], projection["retention_rate"].iloc[1:], color=PALETTE[0],
            label=t("sbg.fitted"))
    ax.plot(projection.index, observed_rate, "o", color=PALETTE[1], markersize=4,
            label=t("sbg.observed"))
    ax.set(title=t("sbg.title_retention"), xlabel=t("sbg.period"),
           ylabel=t("sbg.retention_rate"))
    ax.yaxis.set_major_formatter(percent_formatter())
    ax.legend()
    return ax


def plot_churn_gains(scores: pd.DataFrame, *, label: str = "churned",
                     ax: Axes | None = None) -> Axes:
    """Draw cumulative gains: share of churners reached when contacting by descending score.

    Parameters
    ----------
    scores : pandas.DataFrame
        One row per customer with the 0/1 ``label`` column and one column per model's
        score (:attr:`clvkit.models.ChurnEvaluation.scores`).
    label : str, default "churned"
        Name of the 0/1 outcome column.
    ax : matplotlib.axes.Axes, optional
        Axes to draw on.

    Returns
    -------
    matplotlib.axes.Axes
        One curve per model plus the diagonal of random targeting.

    Raises
    ------
    DataValidationError
        Missing label column, no score column, or no churner.
    """
    require_table(scores, (label,), "ChurnEvaluation.scores")
    y = scores[label].to_numpy(dtype=float)
    models = [c for c in scores.columns if c != label]
    if not models or y.sum() == 0:
        msg = (f"plot_churn_gains needs at least one score column and one churner; got "
               f"{len(models)} score column(s) and {int(y.sum()):,} churners.")
        raise DataValidationError(msg)
    ax = axes_or_new(ax, (6.5, 4.5))
    share = np.arange(y.size + 1) / y.size
    for i, col in enumerate(models):
        order = np.argsort(-scores[col].to_numpy(dtype=float), kind="stable")
        gained = np.r_[0.0, np.cumsum(y[order])] / y.sum()
        key = "gradient_boosting" if col == "churn_probability" else col
        ax.plot(share, gained, color=PALETTE[i], label=_model_label(key))
    ax.plot([0, 1], [0, 1], color="grey", linestyle=":", label=_model_label("random"))
    ax.set(title=t("churnmodel.title_gains"), xlabel=t("churnmodel.contacted"),
           ylabel=t("churnmodel.captured"), xlim=(0, 1), ylim=(0, 1.01))
    ax.xaxis.set_major_formatter(percent_formatter())
    ax.yaxis.set_major_formatter(percent_formatter())
    ax.legend(loc="lower right")
    return ax


def plot_churn_calibration(calibration: pd.DataFrame, *, ax: Axes | None = None) -> Axes:
    """Draw observed churn rate against mean predicted probability, bin by bin.

    Parameters
    ----------
    calibration : pandas.DataFrame
        :attr:`clvkit.models.ChurnEvaluation.calibration` (columns model,
        mean_predicted, observed_rate).
    ax : matplotlib.axes.Axes, optional
        Axes to draw on.

    Returns
    -------
    matplotlib.axes.Axes
        One line of points per model and the diagonal of perfect calibration.
    """
    require_table(calibration, ("model", "mean_predicted", "observed_rate"),
                  "ChurnEvaluation.calibration")
    ax = axes_or_new(ax, (5.5, 5.0))
    for i, (name, grp) in enumerate(calibration.groupby("model", sort=False)):
        ax.plot(grp["mean_predicted"], grp["observed_rate"], "o-", color=PALETTE[i],
                label=_model_label(str(name)))
    ax.plot([0, 1], [0, 1], color="grey", linestyle=":", label=t("churnmodel.perfect"))
    ax.set(title=t("churnmodel.title_calibration"), xlabel=t("churnmodel.predicted"),
           ylabel=t("churnmodel.observed"), xlim=(0, 1), ylim=(0, 1))
    ax.xaxis.set_major_formatter(percent_formatter())
    ax.yaxis.set_major_formatter(percent_formatter())
    ax.legend(loc="upper left")
    return ax


def plot_churn_importance(importance: pd.DataFrame, *, top: int = 10,
                          ax: Axes | None = None) -> Axes:
    """Draw the ``top`` features by permutation importance with their spread.

    Parameters
    ----------
    importance : pandas.DataFrame
        :attr:`clvkit.models.ChurnEvaluation.importance` (columns feature,
        importance_mean, importance_std).
    top : int, default 10
        Number of features shown (>= 1).
    ax : matplotlib.axes.Axes, optional
        Axes to draw on.

    Returns
    -------
    matplotlib.axes.Axes
        Horizontal bars, most important on top; x: drop in ROC AUC.

    Raises
    ------
    ParameterError
        ``top`` < 1.
    """
    if isinstance(top, bool) or not isinstance(top, (int, np.integer)) or top < 1:
        msg = f"top must be a whole number >= 1; got {top!r}"
        raise ParameterError(msg)
    require_table(importance, ("feature", "importance_mean", "importance_std"),
                  "ChurnEvaluation.importance")
    head = importance.sort_values("importance_mean", ascending=False, kind="stable").head(top)
    ax = axes_or_new(ax, (7.5, 0.8 + 0.4 * len(head)))
    labels = [plain(t(f"churnmodel.feature.{f}")) for f in head["feature"]]
    ax.barh(labels, head["importance_mean"], xerr=head["importance_std"], color=PALETTE[0],
            ecolor="grey")
    ax.invert_yaxis()
    ax.axvline(0, color="black", linewidth=0.8)
    ax.set(title=t("churnmodel.title_importance"), xlabel=t("churnmodel.importance_axis"),
           ylabel="")
    return ax
