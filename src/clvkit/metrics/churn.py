"""Churn rate and retention as customer-centric practice defines them.

Churn over a period is the number of customers lost in the period divided by the
average number of customers in it; retention is one minus churn. "Lost" has two
definitions (:func:`churn_rate` ``definition=``):

* ``"contractual"``: the customer cancelled (a ``churn_date`` in the customers table);
* ``"inactivity"``: the customer made no purchase for ``inactivity_days`` days (default
  365). The loss is dated on the day the window runs out, which is when the firm can
  know it; a customer who buys again later counts as gained again.
"""

from __future__ import annotations

import warnings
from dataclasses import asdict, dataclass
from typing import Literal

import numpy as np
import pandas as pd

from ..exceptions import DataValidationError, ParameterError
from ..tables import Dataset
from . import _spells
from ._common import (
    check_choice,
    check_whole,
    customers_of,
    observation_end_of,
    transactions_of,
)

__all__ = ["ChurnResult", "churn_rate", "churn_series", "periods_to_keep_revenue"]

Definition = Literal["inactivity", "contractual"]
_DEFINITIONS = ("inactivity", "contractual")
_AVERAGES = ("endpoints", "monthly")


@dataclass(frozen=True)
class ChurnResult:
    """Churn rate over one period, with what it was computed from.

    Attributes
    ----------
    rate, retention : float
        Churn rate and retention (1 - rate), shares of the average customer count.
    lost, gained : int
        Customers lost / gained (new or returning) in the period.
    retained : int
        Customers active at the start who stayed active throughout (no loss).
    active_start, active_end : int
        Active customers at the start and at the end of the period.
    avg_customers : float
        The denominator: average number of active customers in the period.
    period_start, period_end : pandas.Timestamp
        The period is (period_start, period_end], whole days.
    definition : str
        ``"inactivity"`` or ``"contractual"``.
    inactivity_days : int or None
        The inactivity window, for the inactivity definition.
    population : str
        ``"all"`` customers, or ``"contract"`` (contractual customers only).
    average : str
        How the average was taken: ``"endpoints"`` or ``"monthly"``.
    """

    rate: float
    retention: float
    lost: int
    gained: int
    retained: int
    active_start: int
    active_end: int
    avg_customers: float
    period_start: pd.Timestamp
    period_end: pd.Timestamp
    definition: str
    inactivity_days: int | None
    population: str
    average: str

    @property
    def kept_share(self) -> float:
        """Share of the customers active at the start still active at the end, in [0, 1].

        Unlike ``retention`` (1 - churn, which can go below 0 when more customers are
        lost than are active on average), this cohort share is always a probability:
        use it as the period's retention rate in :func:`retention_scenarios` and
        :func:`periods_to_keep_revenue` (as ``1 - kept_share``).
        """
        return self.retained / self.active_start if self.active_start else float("nan")

    @property
    def definition_label(self) -> str:
        """Short label of the definition: "contractual" or "inactivity 365 days"."""
        if self.definition == "contractual":
            return "contractual"
        return f"inactivity {self.inactivity_days} days"

    def to_frame(self) -> pd.DataFrame:
        """Return the result as a one-row DataFrame (one column per attribute)."""
        row = asdict(self)
        row["definition_label"] = self.definition_label
        row["kept_share"] = self.kept_share
        return pd.DataFrame([row])


def shift_months(ts: pd.Timestamp, months: int) -> pd.Timestamp:
    """Move ``ts`` back by ``months`` months, keeping month ends on month ends."""
    if ts.is_month_end:
        return ts - pd.offsets.MonthEnd(months)
    return ts - pd.DateOffset(months=months)


def _spells_for(data, definition, inactivity_days, observation_end, what):
    """Spells, resolved observation end, population and first date of history."""
    check_choice("definition", definition, _DEFINITIONS)
    if definition == "contractual":
        customers = customers_of(data, what)
        spells, population = _spells.contractual_spells(customers, what)
        seen = pd.concat([spells["start"], spells["end"].dropna()])
        end = observation_end_of(data, observation_end, seen)
        return spells, end, population, None
    check_whole("inactivity_days", inactivity_days, "days")
    tx = transactions_of(data, what)
    end = observation_end_of(data, observation_end, tx["timestamp"])
    spells = _spells.inactivity_spells(tx, int(inactivity_days), end)
    return spells, end, "all", spells["start"].min()


def _table(spells: pd.DataFrame, period_ends: pd.DatetimeIndex, months: int, average: str):
    starts = pd.DatetimeIndex([shift_months(e, months) for e in period_ends])
    at_end = _spells.counts_at(spells, period_ends)
    at_start = _spells.counts_at(spells, starts)
    if average == "endpoints":
        avg = (at_start["active"] + at_end["active"]) / 2
    else:
        steps = [
            _spells.counts_at(spells, pd.DatetimeIndex([shift_months(e, k) for e in period_ends]))
            for k in range(months + 1)
        ]
        avg = np.mean([s["active"] for s in steps], axis=0)
    lost = at_end["lost"] - at_start["lost"]
    with np.errstate(divide="ignore", invalid="ignore"):
        rate = np.where(avg > 0, lost / np.where(avg > 0, avg, 1), np.nan)
    return pd.DataFrame(
        {"period_start": starts, "active_start": at_start["active"],
         "active_end": at_end["active"], "avg_customers": avg, "lost": lost,
         "gained": at_end["started"] - at_start["started"], "churn_rate": rate,
         "retention": 1 - rate},
        index=pd.DatetimeIndex(period_ends, name="period_end"),
    )


def _check_months(period_months: int) -> None:
    check_whole("period_months", period_months, "months")


def churn_rate(
    data: Dataset | pd.DataFrame,
    *,
    definition: Definition = "inactivity",
    period_end: str | pd.Timestamp | None = None,
    period_months: int = 12,
    inactivity_days: int = 365,
    observation_end: str | pd.Timestamp | None = None,
    average: Literal["endpoints", "monthly"] = "endpoints",
) -> ChurnResult:
    """Compute the churn rate: customers lost in a period over the average customer count.

    .. math::

        \\text{churn} = \\frac{\\text{lost in } (s, e]}{\\bar N}, \\qquad
        \\bar N = \\tfrac12 (N_s + N_e), \\qquad \\text{retention} = 1 - \\text{churn}

    where :math:`N_t` is the number of active customers at the end of day :math:`t`
    (with ``average="monthly"``, :math:`\\bar N` is the mean of :math:`N_t` at each
    month step from :math:`s` to :math:`e`).

    Parameters
    ----------
    data : Dataset or pandas.DataFrame
        A Dataset, or the transactions table (``definition="inactivity"``: customer_id,
        timestamp) or the customers table (``"contractual"``: customer_id, signup_date,
        churn_date and optionally contract; rows with contract ``"none"`` are left out).
    definition : {"inactivity", "contractual"}, default "inactivity"
        What "lost" means (see the module docstring).
    period_end : date-like, optional
        Last day of the period; default the observation end.
    period_months : int, default 12
        Length of the period in months (12 = the last year).
    inactivity_days : int, default 365
        Days without a purchase after which a customer is lost (inactivity only).
    observation_end : date-like, optional
        Last day of data; default ``data.observation_end`` for a Dataset, else the last
        transaction (or signup/churn) date. Later transactions are ignored with a warning.
    average : {"endpoints", "monthly"}, default "endpoints"
        Average of the start and end counts, or of the monthly counts.

    Returns
    -------
    ChurnResult
        Rate, retention, counts, the period and the definition used.

    Raises
    ------
    DataValidationError
        Missing column, empty table, bad contract dates, or no active customer in the period.
    ParameterError
        Unknown definition/average, non-positive months or days, or a period end after
        the observation end.

    Warns
    -----
    UserWarning
        When the data start less than ``inactivity_days`` before the period, so customers
        active at its start may be missed (the rate is then biased upwards).

    Examples
    --------
    >>> import clvkit as ck
    >>> res = ck.metrics.churn_rate(ck.datasets.make_demo(300, seed=1))  # doctest: +SKIP
    >>> print(ck.report.sentence(res))  # doctest: +SKIP
    """
    what = "churn_rate()"
    check_choice("average", average, _AVERAGES)
    _check_months(period_months)
    spells, end, population, first = _spells_for(
        data, definition, inactivity_days, observation_end, what
    )
    pend = end if period_end is None else pd.Timestamp(period_end).normalize()
    if pend > end:
        msg = (
            f"period_end {pend.date()} is after the observation end {end.date()}; churn cannot "
            "be measured on days without data. Pass an earlier period_end."
        )
        raise ParameterError(msg)
    row = _table(spells, pd.DatetimeIndex([pend]), period_months, average).iloc[0]
    if not row["avg_customers"] > 0:
        msg = (
            f"No active customers between {row['period_start'].date()} and {pend.date()} "
            f"({definition} definition), so the churn rate is undefined. Choose a period "
            "that the data cover."
        )
        raise DataValidationError(msg, n_failed=0)
    _warn_short_history(first, row["period_start"], inactivity_days, definition)
    ends = spells["end"]
    kept = (spells["start"] <= row["period_start"]) & (ends.isna() | (ends > pend))
    return ChurnResult(
        rate=float(row["churn_rate"]), retention=float(row["retention"]), lost=int(row["lost"]),
        gained=int(row["gained"]), retained=int(kept.sum()), active_start=int(row["active_start"]),
        active_end=int(row["active_end"]), avg_customers=float(row["avg_customers"]),
        period_start=pd.Timestamp(row["period_start"]), period_end=pend,
        definition=definition,
        inactivity_days=int(inactivity_days) if definition == "inactivity" else None,
        population=population, average=average,
    )


def _warn_short_history(first, period_start, inactivity_days, definition) -> None:
    if definition != "inactivity" or first is None:
        return
    need = period_start - pd.Timedelta(days=inactivity_days)
    if first > need:
        msg = (
            f"The transactions start on {first.date()}, less than {inactivity_days} days before "
            f"the period start {period_start.date()}: customers active at the start whose "
            "previous purchase predates the data are missed. Use a later period_end or a "
            "shorter inactivity_days."
        )
        warnings.warn(msg, UserWarning, stacklevel=3)


def churn_series(
    data: Dataset | pd.DataFrame,
    *,
    definition: Definition = "inactivity",
    period_months: int = 12,
    inactivity_days: int = 365,
    observation_end: str | pd.Timestamp | None = None,
    average: Literal["endpoints", "monthly"] = "endpoints",
) -> pd.DataFrame:
    """Compute the churn rate over a rolling window ending at each month.

    Each row is :func:`churn_rate` with ``period_end`` stepping back one month at a
    time from the observation end (``period_months=12``: rolling annual churn;
    ``period_months=1``: monthly churn). With the inactivity definition only periods
    with at least ``inactivity_days`` days of data before their start are kept, so
    every row counts its starting customers completely.

    Parameters
    ----------
    data, definition, period_months, inactivity_days, observation_end, average
        As in :func:`churn_rate`.

    Returns
    -------
    pandas.DataFrame
        Indexed by period_end (ascending), with columns period_start, active_start,
        active_end, avg_customers, lost, gained, churn_rate, retention (churn_rate is
        NaN where no customer was active). ``attrs`` hold definition and inactivity_days.

    Raises
    ------
    DataValidationError
        As in :func:`churn_rate`, or when the data are too short for any full period.
    ParameterError
        As in :func:`churn_rate`.
    """
    what = "churn_series()"
    check_choice("average", average, _AVERAGES)
    _check_months(period_months)
    spells, end, _, first = _spells_for(data, definition, inactivity_days, observation_end, what)
    earliest = spells["start"].min()
    if first is not None:
        earliest = first + pd.Timedelta(days=inactivity_days)
    ends: list[pd.Timestamp] = []
    while shift_months(end, len(ends) + period_months) >= earliest:
        ends.append(shift_months(end, len(ends)))
    if not ends:
        msg = (
            f"The data ({earliest.date()} to {end.date()} once the {inactivity_days}-day "
            f"history is set aside) are too short for a {period_months}-month churn period. "
            "Use fewer period_months or a shorter inactivity_days."
        )
        raise DataValidationError(msg, n_failed=0)
    table = _table(spells, pd.DatetimeIndex(sorted(ends)), period_months, average)
    table.attrs.update(
        definition=definition,
        inactivity_days=int(inactivity_days) if definition == "inactivity" else None,
    )
    return table


def periods_to_keep_revenue(
    churn: float | np.ndarray | pd.Series,
) -> float | np.ndarray | pd.Series:
    """Return how many periods of selling it takes to keep one period's revenue.

    With churn :math:`c` per period a business must replace the lost customers, so
    holding revenue flat takes :math:`1 / (1 - c)` periods of work per period of
    revenue: 20% churn a quarter means working 5 quarters to keep 4 quarters' revenue.

    Parameters
    ----------
    churn : float, array or Series
        Churn rate per period, a share in [0, 1).

    Returns
    -------
    float, numpy.ndarray or pandas.Series
        :math:`1/(1-c)`, same shape as the input.

    Raises
    ------
    ParameterError
        If any churn rate is outside [0, 1).
    """
    values = np.asarray(churn, dtype=float)
    bad = ~((values >= 0) & (values < 1))
    if bad.any():
        msg = (
            f"churn must be a share in [0, 1); {int(bad.sum()):,} value(s) are not "
            f"(e.g. {', '.join(map(str, values[bad][:5]))})."
        )
        raise ParameterError(msg)
    out = 1 / (1 - churn) if isinstance(churn, pd.Series) else 1 / (1 - values)
    return float(out) if np.ndim(out) == 0 else out
