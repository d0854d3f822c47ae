"""Net Promoter Score with its uncertainty, by period and by segment.

NPS groups 0-10 answers to "how likely are you to recommend us?" into promoters
(9-10), passives (7-8) and detractors (0-6); NPS = %promoters - %detractors, in
points from -100 to 100. Customer effort scores live in :mod:`clvkit.metrics.effort`.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from typing import Literal

import numpy as np
import pandas as pd
from scipy import stats

from .._messages import examples
from ..exceptions import DataValidationError
from ..schema import CUSTOMER_ID, DATE, NPS, PASSIVE_MIN, PROMOTER_MIN
from ..tables import Dataset
from ._common import (
    bootstrap_rng,
    check_choice,
    check_confidence,
    quantile_interval,
    require_columns,
    surveys_of,
)

__all__ = [
    "NPSResult",
    "nps",
    "nps_by_segment",
    "nps_groups",
    "nps_trend",
]

NPS_GROUPS = ("promoter", "passive", "detractor")
_METHODS = ("adjusted_wald", "wald", "bootstrap")


def _scores(values: Sequence[float] | pd.Series | np.ndarray, low: int, high: int, name: str,
            *, allow_empty: bool = False) -> tuple[np.ndarray, int]:
    """Validated integer scores (missing values dropped) and the number dropped."""
    series = values if isinstance(values, pd.Series) else pd.Series(values, dtype=object)
    raw = pd.to_numeric(series, errors="coerce")
    present = series.notna().to_numpy()
    bad = present & (raw.isna() | (raw % 1 != 0) | (raw < low) | (raw > high)).to_numpy()
    if bad.any():
        msg = (
            f"{int(bad.sum()):,} of {len(series):,} {name} scores are not whole numbers from "
            f"{low} to {high} (values {examples(series[bad])} at index "
            f"{examples(series.index[bad])}). Fix them or set them aside with "
            "clvkit.validate_surveys() first."
        )
        raise DataValidationError(msg, column=name, n_failed=int(bad.sum()),
                                  failure_cases=series[bad].to_frame(name))
    kept = raw[present].to_numpy(dtype=int)
    if kept.size == 0 and not allow_empty:
        msg = f"No {name} scores to summarise ({len(series):,} given, all missing)."
        raise DataValidationError(msg, column=name, n_failed=len(series))
    return kept, int((~present).sum())


@dataclass(frozen=True)
class NPSResult:
    """Net Promoter Score with its confidence interval and group counts.

    Attributes
    ----------
    score, ci_low, ci_high : float
        NPS and its interval, in points (-100..100).
    n, n_promoters, n_passives, n_detractors : int
        Responses used and per group.
    n_missing : int
        Missing answers left out.
    confidence : float
        Interval level.
    method : str
        ``"adjusted_wald"``, ``"wald"`` or ``"bootstrap"``.
    """

    score: float
    ci_low: float
    ci_high: float
    n: int
    n_promoters: int
    n_passives: int
    n_detractors: int
    n_missing: int
    confidence: float
    method: str

    @property
    def share_promoters(self) -> float:
        """Share of promoters in [0, 1]."""
        return self.n_promoters / self.n

    @property
    def share_detractors(self) -> float:
        """Share of detractors in [0, 1]."""
        return self.n_detractors / self.n

    def to_frame(self) -> pd.DataFrame:
        """Return the result as a one-row DataFrame."""
        return pd.DataFrame([asdict(self)])


def _wald(n_pro: float, n_det: float, n: float, z: float) -> tuple[float, float]:
    p, d = n_pro / n, n_det / n
    se = np.sqrt((p + d - (p - d) ** 2) / n)
    return (100 * max(p - d - z * se, -1.0), 100 * min(p - d + z * se, 1.0))


def nps(
    scores: Sequence[float] | pd.Series | np.ndarray,
    *,
    confidence: float = 0.95,
    method: Literal["adjusted_wald", "wald", "bootstrap"] = "adjusted_wald",
    n_boot: int = 2000,
    random_state: int | np.random.Generator | None = 0,
) -> NPSResult:
    """Compute the Net Promoter Score from 0-10 survey responses.

    .. math::

        \\mathrm{NPS} = 100\\,(\\hat p - \\hat d), \\qquad
        \\widehat{\\mathrm{Var}}(\\hat p - \\hat d)
        = \\frac{\\hat p + \\hat d - (\\hat p - \\hat d)^2}{n}

    with :math:`\\hat p, \\hat d` the shares of promoters (9-10) and detractors (0-6).
    The variance is that of a difference of two proportions of one multinomial
    sample, :math:`[p(1-p) + d(1-d) + 2pd]/n`. ``"wald"`` uses it as is:
    :math:`100(\\hat p - \\hat d \\pm z\\,\\mathrm{se})`. ``"adjusted_wald"`` (default;
    Rocks 2016, section 3) first adds 3/4 of a response to promoters and to
    detractors and 3/2 to passives (:math:`n + 3`), which keeps coverage close to
    nominal for small samples and extreme scores. ``"bootstrap"`` takes percentile
    limits of ``n_boot`` resamples of the responses. Limits are clipped to [-100, 100].

    Parameters
    ----------
    scores : sequence, numpy array or pandas Series
        Answers 0-10, whole numbers; missing values (NaN/None) are left out and counted.
    confidence : float, default 0.95
        Interval level.
    method : {"adjusted_wald", "wald", "bootstrap"}, default "adjusted_wald"
        Interval method (above).
    n_boot : int, default 2000
        Bootstrap resamples (``method="bootstrap"`` only).
    random_state : int or numpy Generator, default 0
        Seed of the bootstrap.

    Returns
    -------
    NPSResult
        ``score``, ``ci_low``, ``ci_high`` (points), group counts, method.

    Raises
    ------
    DataValidationError
        If a score is not a whole number in 0-10 (with positions and values), or if
        no score is left.
    ParameterError
        Unknown method or a confidence outside (0, 1).

    References
    ----------
    Reichheld, F. F. (2003). The one number you need to grow. Harvard Business Review.
    Rocks, B. (2016). Interval estimation for the "Net Promoter Score". The American
    Statistician 70(4), 365-372.

    Examples
    --------
    >>> from clvkit.metrics import nps
    >>> res = nps([10, 9, 9, 10, 9, 8, 7, 3, 6, 0])
    >>> res.score, res.n_promoters, res.n_passives, res.n_detractors
    (20.0, 5, 2, 3)
    """
    check_choice("method", method, _METHODS)
    check_confidence(confidence)
    x, n_missing = _scores(scores, 0, 10, "nps")
    n = x.size
    n_pro, n_det = int((x >= PROMOTER_MIN).sum()), int((x < PASSIVE_MIN).sum())
    z = float(stats.norm.ppf(0.5 + confidence / 2))
    if method == "wald":
        low, high = _wald(n_pro, n_det, n, z)
    elif method == "adjusted_wald":
        low, high = _wald(n_pro + 0.75, n_det + 0.75, n + 3, z)
    else:
        coded = np.where(x >= PROMOTER_MIN, 1.0, np.where(x < PASSIVE_MIN, -1.0, 0.0))
        rng = bootstrap_rng(random_state)
        draws = coded[rng.integers(0, n, size=(n_boot, n))].mean(axis=1) * 100
        low, high = quantile_interval(draws, confidence)
    return NPSResult(
        score=100 * (n_pro - n_det) / n, ci_low=float(low), ci_high=float(high), n=n,
        n_promoters=n_pro, n_passives=n - n_pro - n_det, n_detractors=n_det,
        n_missing=n_missing, confidence=confidence, method=method,
    )


def nps_groups(scores: pd.Series) -> pd.Series:
    """Label each 0-10 score promoter, passive or detractor (missing stays missing).

    Parameters
    ----------
    scores : pandas.Series
        Whole numbers 0-10, any index (kept).

    Returns
    -------
    pandas.Series
        Ordered categorical with categories promoter, passive, detractor.

    Raises
    ------
    DataValidationError
        If a score is not a whole number in 0-10.
    """
    _scores(scores, 0, 10, "nps", allow_empty=True)
    labels = np.select([scores >= PROMOTER_MIN, scores >= PASSIVE_MIN, scores.notna()],
                       ["promoter", "passive", "detractor"], default=None)
    return pd.Series(pd.Categorical(labels, categories=NPS_GROUPS, ordered=True),
                     index=scores.index, name="nps_group")


def _nps_table(groups, **kwargs) -> pd.DataFrame:
    rows = {key: nps(part, **kwargs).to_frame().iloc[0] for key, part in groups}
    if not rows:
        msg = "No survey responses to compute an NPS from."
        raise DataValidationError(msg, n_failed=0)
    table = pd.DataFrame(rows).T
    cols = ["score", "ci_low", "ci_high", "n", "n_promoters", "n_passives", "n_detractors"]
    table = table[cols].astype({c: int for c in cols[3:]} | {c: float for c in cols[:3]})
    table.attrs.update(confidence=kwargs["confidence"], method=kwargs["method"])
    return table


def nps_trend(
    surveys: Dataset | pd.DataFrame, *, freq: Literal["M", "Q", "Y"] = "M",
    confidence: float = 0.95, method: Literal["adjusted_wald", "wald"] = "adjusted_wald",
) -> pd.DataFrame:
    """Compute the NPS per calendar month (or quarter, year) of the survey date.

    Parameters
    ----------
    surveys : Dataset or pandas.DataFrame
        Survey responses with columns date and nps (every response counts).
    freq : {"M", "Q", "Y"}, default "M"
        Period length.
    confidence, method
        As in :func:`nps` (no bootstrap here, to keep it fast).

    Returns
    -------
    pandas.DataFrame
        Index period (pandas Period), columns score, ci_low, ci_high, n, n_promoters,
        n_passives, n_detractors. Periods without responses are absent; responses
        without a date are left out with a warning.

    Raises
    ------
    DataValidationError
        Missing surveys table or columns, invalid scores.
    """
    frame = surveys_of(surveys, "nps_trend()")
    require_columns(frame, (DATE, NPS), "surveys", "nps_trend()")
    check_choice("freq", freq, ("M", "Q", "Y"))
    period = pd.to_datetime(frame[DATE]).dt.to_period(freq).rename("period")
    _warn_left_out(period.isna(), "have no survey date", "nps_trend()")
    table = _nps_table(frame[NPS].groupby(period), confidence=confidence, method=method)
    table.index = pd.PeriodIndex(table.index, freq=freq, name="period")
    return table


def _warn_left_out(left_out: pd.Series, why: str, what: str) -> None:
    """Warn how many survey responses a grouping leaves out, and why."""
    n = int(left_out.sum())
    if n:
        msg = (f"{what}: {n:,} of {len(left_out):,} survey responses {why} and are left "
               "out of the table; fill them in to count them.")
        warnings.warn(msg, UserWarning, stacklevel=3)


def nps_by_segment(
    surveys: Dataset | pd.DataFrame, by: str | pd.Series, *,
    customers: pd.DataFrame | None = None, confidence: float = 0.95,
    method: Literal["adjusted_wald", "wald"] = "adjusted_wald",
) -> pd.DataFrame:
    """Compute the NPS of each segment.

    Parameters
    ----------
    surveys : Dataset or pandas.DataFrame
        Survey responses (customer_id, nps); a Dataset also supplies its customers table.
    by : str or pandas.Series
        A column of the surveys table, else of the customers table (joined on
        customer_id), or a Series of segments indexed by customer_id.
    customers : pandas.DataFrame, optional
        Customers table, when ``surveys`` is a DataFrame and ``by`` is one of its columns.
    confidence, method
        As in :func:`nps`.

    Returns
    -------
    pandas.DataFrame
        Index segment, columns as in :func:`nps_trend`. Responses without a segment are
        left out with a warning.

    Raises
    ------
    DataValidationError
        Missing table or column, invalid scores.
    """
    what = "nps_by_segment()"
    frame = surveys_of(surveys, what)
    require_columns(frame, (NPS,), "surveys", what)
    if customers is None and isinstance(surveys, Dataset):
        customers = surveys.customers
    if isinstance(by, pd.Series):
        seg = frame[CUSTOMER_ID].map(by)
    elif by in frame.columns:
        seg = frame[by]
    elif customers is not None and by in customers.columns:
        seg = frame[CUSTOMER_ID].map(customers.set_index(CUSTOMER_ID)[by])
    else:
        msg = (f"{what}: segment column {by!r} is in neither the surveys table nor the "
               "customers table. Pass an existing column or a Series indexed by customer_id.")
        raise DataValidationError(msg, column=str(by))
    name = by.name if isinstance(by, pd.Series) else by
    _warn_left_out(seg.isna(), "have no segment" + (f" {name!r}" if name is not None else ""),
                   what)
    table = _nps_table(frame[NPS].groupby(seg.rename("segment").to_numpy()),
                       confidence=confidence, method=method)
    table.index.name = "segment"
    return table
