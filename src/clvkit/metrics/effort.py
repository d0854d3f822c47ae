"""Customer effort score (CES): summary with interval, and low/high effort groups.

The CES is a 1-7 answer to "how easy was it to get what you needed?", read here as
effort (1 = very easy, 7 = very hard; high effort = 5-7 by default).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass

import numpy as np
import pandas as pd
from scipy import stats

from ..exceptions import ParameterError
from ._common import check_confidence
from .satisfaction import _scores

__all__ = ["CESResult", "ces_summary", "effort_groups"]

EFFORT_GROUPS = ("low_effort", "high_effort")


def effort_groups(scores: pd.Series, *, high_effort_min: int = 5) -> pd.Series:
    """Label each 1-7 effort score low_effort or high_effort (>= ``high_effort_min``).

    Parameters
    ----------
    scores : pandas.Series
        Whole numbers 1-7 (7 = most effort), any index (kept).
    high_effort_min : int, default 5
        Lowest score counted as high effort.

    Returns
    -------
    pandas.Series
        Categorical with categories low_effort, high_effort (missing stays missing).

    Raises
    ------
    DataValidationError
        If a score is not a whole number in 1-7.
    ParameterError
        If ``high_effort_min`` is not in 2-7.
    """
    _check_high_effort(high_effort_min)
    _scores(scores, 1, 7, "ces", allow_empty=True)
    labels = np.select([scores >= high_effort_min, scores.notna()],
                       ["high_effort", "low_effort"], default=None)
    return pd.Series(pd.Categorical(labels, categories=EFFORT_GROUPS, ordered=True),
                     index=scores.index, name="effort_group")


def _check_high_effort(high_effort_min: int) -> None:
    if high_effort_min not in range(2, 8):
        msg = f"high_effort_min must be a whole number from 2 to 7; got {high_effort_min!r}"
        raise ParameterError(msg)


@dataclass(frozen=True)
class CESResult:
    """Customer effort score summary.

    Attributes
    ----------
    mean, ci_low, ci_high : float
        Mean effort (1-7) and its t interval.
    n, n_high_effort : int
        Responses and those at or above ``high_effort_min``.
    share_high_effort : float
        Share of high-effort responses in [0, 1].
    high_effort_min : int
        Threshold used.
    distribution : tuple of int
        Counts of scores 1..7.
    confidence : float
        Interval level.
    """

    mean: float
    ci_low: float
    ci_high: float
    n: int
    n_high_effort: int
    share_high_effort: float
    high_effort_min: int
    distribution: tuple[int, ...]
    confidence: float

    def to_frame(self) -> pd.DataFrame:
        """Return the result as a one-row DataFrame (distribution as count_1..count_7)."""
        row = asdict(self)
        row.update({f"count_{k}": v for k, v in enumerate(row.pop("distribution"), start=1)})
        return pd.DataFrame([row])


def ces_summary(
    scores: Sequence[float] | pd.Series | np.ndarray,
    *,
    high_effort_min: int = 5,
    confidence: float = 0.95,
) -> CESResult:
    """Summarise customer effort scores (1 = very easy .. 7 = very hard).

    The interval of the mean is Student's t: :math:`\\bar x \\pm t_{n-1}\\, s/\\sqrt n`.

    Parameters
    ----------
    scores : sequence, numpy array or pandas Series
        Whole numbers 1-7; missing values are left out.
    high_effort_min : int, default 5
        Lowest score counted as high effort (5-7 by default).
    confidence : float, default 0.95
        Level of the interval of the mean.

    Returns
    -------
    CESResult

    Raises
    ------
    DataValidationError
        If a score is not a whole number in 1-7, or none is left.
    ParameterError
        If ``high_effort_min`` is not in 2-7 or ``confidence`` is not in (0, 1).
    """
    _check_high_effort(high_effort_min)
    check_confidence(confidence)
    x, _ = _scores(scores, 1, 7, "ces")
    n = x.size
    mean = float(x.mean())
    half = float(stats.t.ppf(0.5 + confidence / 2, n - 1) * x.std(ddof=1) / np.sqrt(n)) if n > 1 \
        else float("nan")
    high = int((x >= high_effort_min).sum())
    return CESResult(
        mean=mean, ci_low=mean - half, ci_high=mean + half, n=n, n_high_effort=high,
        share_high_effort=high / n, high_effort_min=high_effort_min,
        distribution=tuple(int((x == k).sum()) for k in range(1, 8)), confidence=confidence,
    )
