"""Acquisition-cohort retention matrices and Kaplan-Meier survival curves.

Three ways to say a customer acquired in period :math:`c` is "still active" in period
:math:`c + k` (``definition=``):

* ``"activity"``: bought at least once in period :math:`c + k` (the classic cohort
  table; shares can go up again when customers come back);
* ``"inactivity"``: not yet lost at the end of period :math:`c + k`, where lost means
  ``inactivity_days`` without a purchase, counted on the first activity spell (a
  customer once lost stays lost, so each row is non-increasing);
* ``"contractual"``: no ``churn_date`` on or before the end of period :math:`c + k`
  (cohorts by ``signup_date``; non-increasing).
"""

from __future__ import annotations

import warnings
from typing import Literal

import numpy as np
import pandas as pd

from .._codes import date_ordinals
from .._messages import examples
from ..exceptions import DataValidationError
from ..schema import CUSTOMER_ID, DAYS_PER_MONTH, TIMESTAMP
from ..tables import Dataset
from . import _spells
from ._common import (
    check_choice,
    check_confidence,
    check_whole,
    customers_of,
    observation_end_of,
    transactions_of,
)

__all__ = ["cohort_counts", "cohort_retention", "survival_curves"]

CohortDefinition = Literal["activity", "inactivity", "contractual"]
_FREQS = ("M", "Q", "Y")


def _last_full_ordinal(observation_end: pd.Timestamp, freq: str) -> int:
    period = observation_end.to_period(freq)
    full = observation_end.normalize() >= period.end_time.normalize()
    return int(period.ordinal) - (0 if full else 1)


def _lifetime_pairs(first: pd.DataFrame, freq: str) -> pd.DataFrame:
    """Cohort and number of whole periods survived, from each customer's first spell."""
    cohort = date_ordinals(first["start"], freq)
    lost = first["end"].dt.to_period(freq).array.asi8.astype(float)
    lost[first["end"].isna().to_numpy()] = np.inf
    return pd.DataFrame({CUSTOMER_ID: first[CUSTOMER_ID].to_numpy(), "cohort": cohort,
                         "alive": lost - cohort})


def _first_of_each(spells: pd.DataFrame) -> pd.DataFrame:
    return spells.sort_values([CUSTOMER_ID, "start"]).drop_duplicates(CUSTOMER_ID)


def cohort_counts(
    data: Dataset | pd.DataFrame,
    *,
    freq: Literal["M", "Q", "Y"] = "M",
    definition: CohortDefinition = "activity",
    inactivity_days: int = 365,
    observation_end: str | pd.Timestamp | None = None,
) -> pd.DataFrame:
    """Count the customers of each acquisition cohort still active k periods later.

    Parameters
    ----------
    data : Dataset or pandas.DataFrame
        A Dataset, the transactions table ("activity", "inactivity") or the customers
        table ("contractual": customer_id, signup_date, churn_date, optional contract).
    freq : {"M", "Q", "Y"}, default "M"
        Cohort and period length: month, quarter or year.
    definition : {"activity", "inactivity", "contractual"}, default "activity"
        What "still active" means (see the module docstring).
    inactivity_days : int, default 365
        Days without a purchase after which a customer is lost ("inactivity" only).
    observation_end : date-like, optional
        Last day of data (default: the Dataset's, else the last date seen). Only
        periods that end on or before it are counted; a cohort whose own period is
        not complete is left out.

    Returns
    -------
    pandas.DataFrame
        Index ``cohort`` (pandas Period), columns ``0..K`` (periods since acquisition),
        nullable integer counts, ``<NA>`` where period :math:`c + k` is not yet over.
        ``attrs["cohort_size"]`` maps ``str(cohort)`` to the customers acquired;
        ``attrs["definition"]`` and ``attrs["freq"]`` record the settings.

    Raises
    ------
    DataValidationError
        Missing column, empty table, bad contract dates, or no complete cohort.
    ParameterError
        Unknown freq or definition.
    """
    what = "cohort_counts()"
    check_choice("freq", freq, _FREQS)
    check_choice("definition", definition, ("activity", "inactivity", "contractual"))
    if definition == "contractual":
        spells, _ = _spells.contractual_spells(customers_of(data, what), what)
        end = observation_end_of(data, observation_end, spells["start"])
    else:
        tx = transactions_of(data, what)
        end = observation_end_of(data, observation_end, tx[TIMESTAMP])
    last = _last_full_ordinal(end, freq)
    if definition == "activity":
        counts, sizes = _spells.activity_counts(tx, end, freq)
    else:
        first = (_spells.first_spells(tx, _days(inactivity_days), end)
                 if definition == "inactivity" else _first_of_each(spells))
        counts, sizes = _survivor_counts(_lifetime_pairs(first, freq), last)
    return _finish(counts, sizes, last, freq, definition, end)


def _days(inactivity_days: int) -> int:
    return check_whole("inactivity_days", inactivity_days, "days")


def _survivor_counts(pairs: pd.DataFrame, last: int) -> tuple[pd.DataFrame, pd.Series]:
    horizon = max(last - int(pairs["cohort"].min()) + 1, 1)
    alive = pairs["alive"].clip(upper=horizon).astype(int)
    hist = pd.crosstab(pairs["cohort"], alive).reindex(columns=range(horizon + 1), fill_value=0)
    # customers alive at k = those who survived more than k whole periods
    counts = hist.iloc[:, ::-1].cumsum(axis=1).iloc[:, ::-1].shift(-1, axis=1, fill_value=0)
    return counts.iloc[:, :horizon], hist.sum(axis=1)


def _finish(counts, sizes, last, freq, definition, end) -> pd.DataFrame:
    counts = counts.loc[counts.index <= last]
    sizes = sizes.loc[sizes.index <= last]
    if counts.empty:
        msg = (
            f"No complete {freq} cohort before the observation end {end.date()}: the first "
            "acquisition period is not over yet. Use a shorter freq or later data."
        )
        raise DataValidationError(msg, n_failed=0)
    width = int(last - counts.index.min()) + 1
    counts = counts.reindex(columns=range(width), fill_value=0).astype("Int64")
    observed = (counts.index.to_numpy()[:, None] + np.arange(width)[None, :]) <= last
    counts = counts.mask(~observed)
    index = pd.PeriodIndex.from_ordinals(counts.index.to_numpy(), freq=freq, name="cohort")
    counts.index = index
    counts.columns = pd.Index(range(width), name="periods_since_acquisition")
    size = {str(p): int(n) for p, n in zip(index, sizes.to_numpy(), strict=True)}
    counts.attrs.update(cohort_size=size, definition=definition, freq=freq)
    return counts


def cohort_retention(
    data: Dataset | pd.DataFrame,
    *,
    freq: Literal["M", "Q", "Y"] = "M",
    definition: CohortDefinition = "activity",
    inactivity_days: int = 365,
    observation_end: str | pd.Timestamp | None = None,
) -> pd.DataFrame:
    """Compute the share of each acquisition cohort still active k periods later.

    .. math::

        R_{c,k} = \\frac{\\#\\{i \\in c : i \\text{ active in period } c + k\\}}{|c|}

    Parameters
    ----------
    data, freq, definition, inactivity_days, observation_end
        As in :func:`cohort_counts`.

    Returns
    -------
    pandas.DataFrame
        Index ``cohort`` (Period), columns ``0..K``, float shares in [0, 1], NaN for
        periods not yet over; ``attrs`` as in :func:`cohort_counts`.

    Raises
    ------
    DataValidationError, ParameterError
        As in :func:`cohort_counts`.

    Examples
    --------
    >>> import pandas as pd, clvkit as ck
    >>> tx = pd.DataFrame({"customer_id": ["a", "a", "b"],
    ...     "timestamp": pd.to_datetime(["2024-01-05", "2024-02-03", "2024-01-20"])})
    >>> ck.metrics.cohort_retention(tx, observation_end="2024-02-29").round(2)
    periods_since_acquisition    0    1
    cohort
    2024-01                    1.0  0.5
    """
    counts = cohort_counts(data, freq=freq, definition=definition,
                           inactivity_days=inactivity_days, observation_end=observation_end)
    sizes = [counts.attrs["cohort_size"][str(p)] for p in counts.index]
    shares = counts.astype("Float64").div(sizes, axis=0).astype(float)
    shares.attrs.update(counts.attrs)
    return shares


def _durations(data, definition, inactivity_days, observation_end, what):
    """Per-customer duration (days) and event flag for Kaplan-Meier."""
    if definition == "contractual":
        spells, _ = _spells.contractual_spells(customers_of(data, what), what)
        seen = pd.concat([spells["start"], spells["end"].dropna()])
        end = observation_end_of(data, observation_end, seen)
        spells = spells.loc[spells["start"] <= end]
        event = spells["end"].notna() & (spells["end"] <= end)
        stop = spells["end"].where(event, end)
    else:
        tx = transactions_of(data, what)
        end = observation_end_of(data, observation_end, tx[TIMESTAMP])
        spells = _spells.first_spells(tx, _days(inactivity_days), end)
        # a loss is seen only if it happened by end - window: censor every customer there
        horizon = end - pd.Timedelta(days=_days(inactivity_days))
        spells = spells.loc[spells["start"] <= horizon]
        event = spells["end"] <= end
        stop = spells["last"].where(event, horizon)
    days = (stop - spells["start"]).dt.days.to_numpy(dtype=float)
    return pd.DataFrame({"days": days, "event": event.to_numpy()},
                        index=pd.Index(spells[CUSTOMER_ID].to_numpy(), name=CUSTOMER_ID))


def _segments(data, by, index: pd.Index, what: str) -> tuple[np.ndarray, list[str]]:
    """Segment of each customer of ``index``: codes into the sorted segment names (as
    text), -1 for customers without one (left out with a warning)."""
    if by is None:
        return np.zeros(len(index), dtype=np.intp), ["all"]
    if isinstance(by, pd.Series):
        values = by.reindex(index).to_numpy()
    else:
        customers = customers_of(data, what)
        if by not in customers.columns:
            msg = (f"{what}: segment column {by!r} is not in the customers table, which has "
                   f"{', '.join(map(repr, customers.columns))}. Pass a column name or a Series "
                   "indexed by customer_id.")
            raise DataValidationError(msg, column=str(by))
        ids = pd.Index(customers[CUSTOMER_ID].to_numpy())
        if ids.is_unique:
            rows = ids.get_indexer(index)
            values = customers[by].to_numpy()[rows]
            if (rows < 0).any():  # not in the customers table: missing, as reindex gives
                values = pd.Series(values).where(rows >= 0).to_numpy()
        else:  # reindexing says what is wrong with repeated ids
            values = customers.set_index(CUSTOMER_ID)[by].reindex(index).to_numpy()
    missing = pd.isna(values)
    if missing.any():
        ids = examples(np.sort(index.to_numpy()[missing]))
        msg = (f"{what}: {int(missing.sum()):,} of {len(values):,} customers have no segment "
               f"(e.g. customer_id {ids}); they are left out.")
        warnings.warn(msg, UserWarning, stacklevel=3)
    codes = np.full(len(values), -1, dtype=np.intp)
    named, names = pd.factorize(pd.Series(values[~missing]).astype(str).to_numpy(), sort=True)
    codes[~missing] = named
    return codes, [str(name) for name in names]


def survival_curves(
    data: Dataset | pd.DataFrame,
    *,
    definition: Literal["inactivity", "contractual"] = "inactivity",
    by: str | pd.Series | None = None,
    inactivity_days: int = 365,
    observation_end: str | pd.Timestamp | None = None,
    confidence: float = 0.95,
) -> pd.DataFrame:
    """Estimate Kaplan-Meier survival curves of customer lifetimes, overall or by segment.

    Lifetimes are measured from acquisition, in months (days / 30.4375):

    * contractual: from ``signup_date`` to ``churn_date``; customers still subscribed
      are censored at the observation end;
    * inactivity: from the first purchase to the last purchase before the customer was
      lost (``inactivity_days`` without buying, first spell only). A loss is visible
      only once the window has run out, so every customer is censored at
      ``observation_end - inactivity_days`` (a censoring time that depends on the
      acquisition date only, as Kaplan-Meier requires); customers acquired after
      that day are left out. One-time buyers who were lost have lifetime 0, so the
      curve starts below 1.

    The estimator and its pointwise band come from :func:`scipy.stats.ecdf` (see
    :func:`_kaplan_meier`): with :math:`d_j` losses among the :math:`n_j` customers
    still at risk at time :math:`t_j`,

    .. math::

        \\hat S(t) = \\prod_{t_j \\le t} \\left(1 - \\frac{d_j}{n_j}\\right), \\qquad
        \\hat S(t)^{\\exp(\\pm z\\,\\hat\\sigma(t))}, \\quad
        \\hat\\sigma^2(t) = \\frac{1}{\\log^2 \\hat S(t)}
        \\sum_{t_j \\le t} \\frac{d_j}{n_j (n_j - d_j)}

    (Greenwood's variance on the log(-log) scale, the "exponential Greenwood" band of
    Kalbfleisch and Prentice 2002, section 1.4; the same numbers as lifelines'
    ``KaplanMeierFitter``). The band is [1, 1] before the first loss and [0, 0] once
    the curve reaches 0.

    Parameters
    ----------
    data : Dataset or pandas.DataFrame
        As in :func:`clvkit.metrics.churn_rate`; a Dataset when ``by`` names a column.
    definition : {"inactivity", "contractual"}, default "inactivity"
        How lifetimes and losses are defined.
    by : str or pandas.Series, optional
        Segment: a customers-table column (e.g. "channel") or a Series indexed by
        customer_id. Customers without a segment are left out with a warning.
    inactivity_days : int, default 365
        Inactivity window, days.
    observation_end : date-like, optional
        Last day of data.
    confidence : float, default 0.95
        Level of the confidence band.

    Returns
    -------
    pandas.DataFrame
        Long table with columns segment, time_months, survival, ci_low, ci_high,
        at_risk, customers (segment size) and median_months (median lifetime, inf if
        the curve never reaches 0.5), one row per event/censoring time per segment;
        ``attrs`` hold confidence and definition.

    Raises
    ------
    DataValidationError
        Missing column or table, empty data.
    ParameterError
        Unknown definition or a confidence level outside (0, 1).

    References
    ----------
    Kaplan, E. L. and Meier, P. (1958). Nonparametric estimation from incomplete
    observations. JASA 53(282), 457-481.
    Kalbfleisch, J. D. and Prentice, R. L. (2002). The Statistical Analysis of Failure
    Time Data, 2nd ed. Wiley, section 1.4.
    """
    what = "survival_curves()"
    check_choice("definition", definition, ("inactivity", "contractual"))
    check_confidence(confidence)
    dur = _durations(data, definition, inactivity_days, observation_end, what)
    seg, names = _segments(data, by, dur.index, what)
    days = dur["days"].to_numpy() / DAYS_PER_MONTH
    events = dur["event"].to_numpy(dtype=bool)
    frames = []
    for code, name in enumerate(names):
        part = seg == code
        if not part.any():
            continue
        curve = _kaplan_meier(days[part], events[part], confidence)
        below = curve["survival"].to_numpy() <= 0.5
        median = float(curve["time_months"].to_numpy()[below][0]) if below.any() else np.inf
        frames.append(curve.assign(segment=name, customers=int(part.sum()),
                                   median_months=median))
    if not frames:
        msg = (f"{what} found no customer whose lifetime can be measured ({len(dur):,} "
               "customers with a first purchase before the observation end); use a longer "
               "history or more customers.")
        raise DataValidationError(msg)
    columns = ["segment", "time_months", "survival", "ci_low", "ci_high", "at_risk",
               "customers", "median_months"]
    curves = pd.concat(frames, ignore_index=True)[columns]
    curves.attrs.update(confidence=confidence, definition=definition)
    return curves


def _kaplan_meier(durations: np.ndarray, events: np.ndarray, confidence: float) -> pd.DataFrame:
    """Kaplan-Meier curve at time 0 and every distinct duration, with its band.

    ``durations`` (any unit, >= 0) and ``events`` (True = lost, False = censored) of one
    group. Returns columns time_months, survival, ci_low, ci_high (exponential
    Greenwood band from :func:`scipy.stats.ecdf`; [1, 1] where the curve is 1 and
    [0, 0] where it is 0, points at which the formula is undefined) and at_risk
    (customers whose duration is at least that time).
    """
    from scipy import stats

    result = stats.ecdf(stats.CensoredData.right_censored(durations, ~events)).sf
    times, survival = result.quantiles, result.probabilities
    with warnings.catch_warnings():  # NaN where S is 0 or 1: filled below
        warnings.filterwarnings("ignore", "The confidence interval is undefined",
                                RuntimeWarning)
        band = result.confidence_interval(confidence, method="log-log")
    low, high = band.low.probabilities, band.high.probabilities
    flat = (survival >= 1.0) | (survival <= 0.0)
    low, high = np.where(flat, survival, low), np.where(flat, survival, high)
    if times.size == 0 or times[0] > 0:  # the curve starts at 1 at time 0
        times, survival = np.r_[0.0, times], np.r_[1.0, survival]
        low, high = np.r_[1.0, low], np.r_[1.0, high]
    ordered = np.sort(durations)
    at_risk = ordered.size - np.searchsorted(ordered, times, side="left")
    return pd.DataFrame({"time_months": times, "survival": survival, "ci_low": low,
                         "ci_high": high, "at_risk": at_risk})
