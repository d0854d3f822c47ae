"""How many customers a chart draws: every one up to a limit, else a stated random sample.

A scatter of a million customers is no more informative than one of 50,000, but it takes
minutes to draw and, in an interactive (plotly) chart, tens of megabytes of page. Above
the limit a chart draws a uniform random sample, drawn with a fixed seed (the same run
draws the same points) and kept in the customers' order, and says so on the chart:
"Chart shows a random sample of 50,000 of 1,000,000 customers; tables and totals use all
of them."

Only what is drawn point by point is sampled. Numbers, tables, totals and the curves
computed from every customer (Lorenz curve, gains, histograms) never are.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from ..exceptions import ParameterError
from ..i18n import format_int, t

__all__ = ["CHART_MAX_POINTS", "INTERACTIVE_MAX_POINTS", "SAMPLE_SEED", "ChartSample",
           "chart_sample", "thin_curve"]

#: Customers a static (matplotlib) point chart draws before it samples.
CHART_MAX_POINTS = 50_000
#: Customers an interactive (plotly) point chart draws before it samples: every point is
#: written into the page with its hover text (about 100 bytes each).
INTERACTIVE_MAX_POINTS = 5_000
#: Seed of the chart samples: the same data give the same sample in every run.
SAMPLE_SEED = 0


@dataclass(frozen=True)
class ChartSample:
    """The rows a chart draws (see :func:`chart_sample`).

    Attributes
    ----------
    data : pandas.DataFrame
        The rows to draw: all of them, or the sample in their original order.
    total : int
        Rows (customers) in the full table.
    """

    data: pd.DataFrame
    total: int

    @property
    def shown(self) -> int:
        """Rows drawn."""
        return len(self.data)

    @property
    def sampled(self) -> bool:
        """Whether the chart draws fewer rows than the table has."""
        return self.shown < self.total

    def note(self, lang: str | None = None) -> str:
        """The sentence the chart carries when it is a sample ("" when it draws all):
        how many of how many customers, and that tables and totals use all of them."""
        if not self.sampled:
            return ""
        return t("charts.sample_note", lang, shown=format_int(self.shown),
                 total=format_int(self.total))


def _check_limit(max_points: object) -> int:
    if (isinstance(max_points, bool) or not isinstance(max_points, (int, np.integer))
            or max_points < 1):
        msg = f"max_points must be a whole number >= 1; got {max_points!r}"
        raise ParameterError(msg)
    return int(max_points)


def chart_sample(data: pd.DataFrame, *, max_points: int = CHART_MAX_POINTS,
                 random_state: int = SAMPLE_SEED) -> ChartSample:
    """Return the rows of ``data`` a point chart draws: all, or a seeded random sample.

    Parameters
    ----------
    data : pandas.DataFrame
        One row per point (customer).
    max_points : int, default :data:`CHART_MAX_POINTS`
        Most rows drawn. Tables up to this size are returned whole.
    random_state : int, default :data:`SAMPLE_SEED`
        Seed of the sample (uniform, without replacement).

    Returns
    -------
    ChartSample
        ``.data`` (the original rows, in their original order), ``.total`` and
        ``.note(lang)``, the sentence to show with the chart when it is a sample.

    Raises
    ------
    ParameterError
        ``max_points`` is not a whole number >= 1.

    Examples
    --------
    >>> import pandas as pd
    >>> s = chart_sample(pd.DataFrame({"x": range(10)}), max_points=4)
    >>> s.shown, s.total, s.note()
    (4, 10, 'Chart shows a random sample of 4 of 10 customers; tables and totals use all of them.')
    """
    limit = _check_limit(max_points)
    n = len(data)
    if n <= limit:
        return ChartSample(data, n)
    rows = np.sort(np.random.default_rng(random_state).choice(n, size=limit, replace=False))
    return ChartSample(data.iloc[rows], n)


def thin_curve(x: np.ndarray, y: np.ndarray, *, max_points: int = 2_000
               ) -> tuple[np.ndarray, np.ndarray]:
    """Return the vertices of a long curve at most ``max_points`` apart, ends included.

    A Lorenz or gains curve over a million customers has a million vertices; drawn on a
    chart a few hundred pixels wide, every ``k``-th vertex draws the same line. This is
    not a sample of customers: the curve is computed from all of them and only its
    drawing resolution drops (the vertex positions are the exact ones).

    Parameters
    ----------
    x, y : numpy.ndarray
        The curve's vertices, in drawing order (same length).
    max_points : int, default 2,000
        Most vertices kept; shorter curves are returned unchanged.

    Raises
    ------
    ParameterError
        ``max_points`` is not a whole number >= 2, or ``x`` and ``y`` differ in length.
    """
    limit = _check_limit(max_points)
    if limit < 2:
        msg = f"max_points must be at least 2 (both ends of the curve); got {max_points!r}"
        raise ParameterError(msg)
    x, y = np.asarray(x), np.asarray(y)
    if x.shape != y.shape:
        msg = f"x has {x.size:,} vertices but y has {y.size:,}; pass one y per x."
        raise ParameterError(msg)
    if x.size <= limit:
        return x, y
    keep = np.unique(np.linspace(0, x.size - 1, limit).round().astype(np.int64))
    return x[keep], y[keep]
