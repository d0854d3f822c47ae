"""The money link: what promoters, detractors, low- and high-effort customers are worth.

For each satisfaction group (NPS group or effort group, from each customer's latest
survey answer) compute spend per year, the churn rate over the last period and,
when per-customer values are passed (e.g. CLV from a model), their mean; then the
difference to a reference group (detractors, or high-effort customers) with
percentile bootstrap intervals obtained by resampling customers within each group.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import numpy as np
import pandas as pd

from .._codes import period_ordinals
from .._ids import positions
from ..exceptions import DataValidationError, ParameterError
from ..schema import AMOUNT, CES, CUSTOMER_ID, DATE, DAYS_PER_YEAR, NPS, TIMESTAMP
from ..tables import Dataset
from ._common import (
    bootstrap_rng,
    check_choice,
    check_confidence,
    check_whole,
    observation_end_of,
    quantile_interval,
    require_columns,
    surveys_of,
    transactions_of,
)
from ._resample import bootstrap, churn, mean, pack_churn
from ._spells import coded_spells
from .churn import shift_months
from .effort import effort_groups
from .satisfaction import nps_groups

__all__ = ["ValueLinkResult", "customer_satisfaction_table", "satisfaction_value_link"]

_REFERENCE = {"nps": ("detractor", "promoter"), "ces": ("high_effort", "low_effort")}


@dataclass(frozen=True)
class ValueLinkResult:
    """Spend, churn and value by satisfaction group, with differences to a reference group.

    Attributes
    ----------
    table : pandas.DataFrame
        One row per (group, metric): columns group, metric (spend_per_year,
        churn_rate, value), customers, estimate, diff (group - reference), diff_low,
        diff_high (bootstrap interval), rel_diff (diff / reference estimate).
    by : str
        ``"nps"`` or ``"ces"``.
    reference, focus : str
        The reference group (detractor / high_effort) and the group the sentence
        talks about (promoter / low_effort; see :func:`clvkit.report.sentence`).
    period_start, period_end : pandas.Timestamp
        Churn period (period_start, period_end].
    inactivity_days : int
        Inactivity window defining a lost customer.
    confidence : float
        Interval level.
    n_boot : int
        Bootstrap resamples.
    """

    table: pd.DataFrame
    by: str
    reference: str
    focus: str
    period_start: pd.Timestamp
    period_end: pd.Timestamp
    inactivity_days: int
    confidence: float
    n_boot: int

    def to_frame(self) -> pd.DataFrame:
        """Return a copy of :attr:`table`."""
        return self.table.copy()

    def row(self, group: str, metric: str) -> pd.Series:
        """Return the table row of one group and metric."""
        hit = self.table[(self.table["group"] == group) & (self.table["metric"] == metric)]
        if hit.empty:
            msg = f"No row for group {group!r} and metric {metric!r} in this result."
            raise KeyError(msg)
        return hit.iloc[0]


def customer_satisfaction_table(
    data: Dataset | pd.DataFrame,
    surveys: pd.DataFrame | None = None,
    *,
    observation_end: str | pd.Timestamp | None = None,
    period_months: int = 12,
    inactivity_days: int = 365,
    high_effort_min: int = 5,
) -> pd.DataFrame:
    """Build one row per surveyed customer with groups, spend and churn pieces.

    Spend per year is total spend up to the observation end divided by the years since
    the first purchase, with at least one year in the denominator (so customers younger
    than a year show their spend so far rather than an inflated annualised figure).

    Parameters
    ----------
    data : Dataset or pandas.DataFrame
        A Dataset (transactions and surveys) or the transactions table (customer_id,
        timestamp, amount).
    surveys : pandas.DataFrame, optional
        Survey responses (customer_id, date, nps, optional ces); default ``data.surveys``.
    observation_end : date-like, optional
        Last day of data (default: the Dataset's, else the last transaction date).
        Survey answers after it are ignored.
    period_months : int, default 12
        Length of the churn period ending at the observation end.
    inactivity_days : int, default 365
        Days without a purchase after which a customer counts as lost.
    high_effort_min : int, default 5
        Lowest CES counted as high effort.

    Returns
    -------
    pandas.DataFrame
        Indexed by customer_id (surveyed customers with at least one purchase) with
        columns nps, ces (each the customer's latest answer to that question up to the
        observation end, so a later NPS-only survey keeps the earlier CES), nps_group,
        effort_group, spend, tenure_years, spend_per_year, active_start, active_end, lost.

    Raises
    ------
    DataValidationError
        Missing tables or columns, invalid scores, no surveyed customer with purchases.
    """
    return _satisfaction_table(
        data, surveys, observation_end=observation_end, period_months=period_months,
        inactivity_days=inactivity_days, high_effort_min=high_effort_min)[0]


def _satisfaction_table(data, surveys, *, observation_end, period_months, inactivity_days,
                        high_effort_min) -> tuple[pd.DataFrame, pd.Timestamp]:
    """:func:`customer_satisfaction_table` and the observation end it resolved."""
    what = "customer_satisfaction_table()"
    check_whole("inactivity_days", inactivity_days, "days")
    check_whole("period_months", period_months, "months")
    tx = transactions_of(data, what)
    require_columns(tx, (AMOUNT,), "transactions", what)
    sv = surveys_of(surveys if surveys is not None else data, what)
    require_columns(sv, (NPS,), "surveys", what)
    end = observation_end_of(data, observation_end, tx[TIMESTAMP])
    if DATE in sv.columns:
        sv = sv.loc[pd.to_datetime(sv[DATE]) < end + pd.Timedelta(days=1)]
        sv = sv.sort_values(DATE, kind="stable")
    # GroupBy.last skips missing values column by column: the latest answer per question
    latest = sv.groupby(CUSTOMER_ID).last()[[c for c in (NPS, CES) if c in sv.columns]]
    latest["nps_group"] = nps_groups(latest[NPS])
    if CES in latest.columns:
        latest["effort_group"] = effort_groups(latest[CES], high_effort_min=high_effort_min)
    table = _money_and_churn(tx, latest, end, shift_months(end, period_months),
                             inactivity_days)
    if table.empty:
        msg = (f"{what}: none of the {len(latest):,} surveyed customers has a purchase up to "
               f"{end.date()}; check that survey and transaction customer_ids match.")
        raise DataValidationError(msg, column=CUSTOMER_ID, n_failed=len(latest))
    return table, end


def _money_and_churn(tx: pd.DataFrame, latest: pd.DataFrame, end: pd.Timestamp,
                     start: pd.Timestamp, inactivity_days: int) -> pd.DataFrame:
    """``latest`` (one row per surveyed customer) joined with spend and churn pieces.

    Keeps the surveyed customers with a purchase up to ``end``, in ``latest``'s order,
    and adds spend, tenure_years, spend_per_year and the pieces of the churn rate over
    (start, end] (active_start, active_end, lost), the numbers of grouping every
    transaction by customer and of :func:`._spells.inactivity_spells` with
    :func:`._spells.customer_parts`, from the surveyed customers' purchases only:
    one hash look-up finds them, the days become whole-day integers and one sort
    of (customer, day) keys gives the spells (a new spell after a gap of
    ``inactivity_days`` or more; the customer is lost ``inactivity_days`` after its
    last day).
    """
    position = positions(latest.index, tx[CUSTOMER_ID])
    rows = (tx[TIMESTAMP] < end + pd.Timedelta(days=1)).to_numpy() & (position >= 0)
    code = position[rows].astype(np.int64)
    # the same per-group (compensated) sums as grouping all transactions by customer
    spend = tx[AMOUNT][rows].groupby(code).sum()
    day = period_ordinals(tx[TIMESTAMP].to_numpy()[rows], "D")  # whole days since 1970
    if not code.size:
        return latest.iloc[:0]  # no surveyed customer bought anything: the caller says so
    spell_cust, spell_start, spell_last = coded_spells(code, day, inactivity_days)
    spell_end = spell_last + inactivity_days
    first = np.ones(spell_cust.size, dtype=bool)  # each customer's first spell
    first[1:] = spell_cust[1:] != spell_cust[:-1]
    # a spell [start day, end day) is active at t when start <= t < end: compare days
    t0, t1 = (int(period_ordinals(np.array([t.to_datetime64()]), "D")[0])
              for t in (start, end))
    have = spell_cust[first]

    def count(mask: np.ndarray) -> np.ndarray:
        return np.bincount(spell_cust[mask], minlength=len(latest))[have]

    table = latest.iloc[have].copy()
    table["spend"] = spend.to_numpy()
    years = (t1 - spell_start[first]) / DAYS_PER_YEAR
    table["tenure_years"] = np.maximum(years, 1.0)
    table["spend_per_year"] = table["spend"] / table["tenure_years"]
    table["active_start"] = count((spell_start <= t0) & (spell_end > t0))
    table["active_end"] = count((spell_start <= t1) & (spell_end > t1))
    table["lost"] = count((spell_end > t0) & (spell_end <= t1))
    return table


def _metric_rows(table, group_col, metric, columns, stat, groups, ref, n_boot, rng, conf):
    data = {g: [table.loc[table[group_col] == g, c].to_numpy(dtype=float) for c in columns]
            for g in groups}
    data = {g: a for g, a in data.items() if a[0].size}
    if ref not in data:
        return []
    if stat is churn:
        packed = {g: pack_churn(a) for g, a in data.items()}
    else:
        packed = {g: (a, stat) for g, a in data.items()}
    est = {g: float(f(*a)) for g, (a, f) in packed.items()}
    draws = {g: bootstrap(a, f, n_boot, rng) for g, (a, f) in packed.items()}
    rows = []
    for g in data:
        diff = est[g] - est[ref]
        if g == ref:
            low, high = np.nan, np.nan
        else:
            low, high = quantile_interval(draws[g] - draws[ref], conf)
        rel = diff / est[ref] if est[ref] else np.nan
        rows.append({"group": g, "metric": metric, "customers": data[g][0].size,
                     "estimate": est[g], "diff": diff, "diff_low": low, "diff_high": high,
                     "rel_diff": rel})
    return rows


def satisfaction_value_link(
    data: Dataset | pd.DataFrame,
    surveys: pd.DataFrame | None = None,
    *,
    by: Literal["nps", "ces"] = "nps",
    value: pd.Series | None = None,
    observation_end: str | pd.Timestamp | None = None,
    period_months: int = 12,
    inactivity_days: int = 365,
    high_effort_min: int = 5,
    n_boot: int = 1000,
    confidence: float = 0.95,
    random_state: int | np.random.Generator | None = 0,
) -> ValueLinkResult:
    """Compare spend per year, churn and value across NPS or effort groups.

    Groups come from each customer's latest survey answer (promoter / passive /
    detractor, or low / high effort). Per group: mean spend per year (see
    :func:`customer_satisfaction_table`), churn rate over the last ``period_months``
    (lost / average active customers, inactivity definition, as in
    :func:`clvkit.metrics.churn_rate`) and the mean of ``value`` when given. Each
    difference to the reference group (detractors; high-effort customers) gets a
    percentile bootstrap interval from ``n_boot`` resamples of customers drawn with
    replacement within each group (Efron & Tibshirani 1993, ch. 13).

    .. warning:: These are associations in observational data, not causal effects:
       customers who spend more may also be the ones who answer more warmly.

    Parameters
    ----------
    data : Dataset or pandas.DataFrame
        A Dataset, or the transactions table (customer_id, timestamp, amount).
    surveys : pandas.DataFrame, optional
        Survey responses; default ``data.surveys``.
    by : {"nps", "ces"}, default "nps"
        Group customers by NPS group or by effort group (needs a ces column).
    value : pandas.Series, optional
        Per-customer value indexed by customer_id (e.g. CLV, in currency); adds the
        metric "value". Customers missing from it are left out of that metric.
    observation_end, period_months, inactivity_days, high_effort_min
        As in :func:`customer_satisfaction_table`.
    n_boot : int, default 1000
        Bootstrap resamples.
    confidence : float, default 0.95
        Interval level.
    random_state : int or numpy Generator, default 0
        Seed of the bootstrap.

    Returns
    -------
    ValueLinkResult
        ``.table`` (group x metric); its sentence: :func:`clvkit.report.sentence`.

    Raises
    ------
    DataValidationError
        Missing tables/columns, invalid scores, or no customer in the reference group.
    ParameterError
        Unknown ``by``, ``n_boot`` < 1 or ``confidence`` outside (0, 1).

    References
    ----------
    Efron, B. and Tibshirani, R. J. (1993). An Introduction to the Bootstrap. Chapman & Hall.
    """
    check_choice("by", by, tuple(_REFERENCE))
    check_confidence(confidence)
    if n_boot < 1:
        msg = f"n_boot must be >= 1 (bootstrap resamples, e.g. 1000); got {n_boot!r}"
        raise ParameterError(msg)
    table, end = _satisfaction_table(
        data, surveys, observation_end=observation_end, period_months=period_months,
        inactivity_days=inactivity_days, high_effort_min=high_effort_min)
    group_col = "nps_group" if by == "nps" else "effort_group"
    if group_col not in table.columns:
        msg = "satisfaction_value_link(by='ces') needs a 'ces' column in the surveys table."
        raise DataValidationError(msg, column=CES)
    ref, focus = _REFERENCE[by]
    groups = list(table[group_col].cat.categories)
    if not (table[group_col] == ref).any():
        msg = (f"No surveyed customer is in the reference group {ref!r} (of {len(table):,}), so "
               "differences cannot be computed.")
        raise DataValidationError(msg, column=group_col, n_failed=0)
    rng = bootstrap_rng(random_state)
    specs = [("spend_per_year", ["spend_per_year"], mean),
             ("churn_rate", ["lost", "active_start", "active_end"], churn)]
    if value is not None:
        table = table.assign(value=value.reindex(table.index))
        specs.append(("value", ["value"], mean))
    rows = []
    for metric, cols, stat in specs:
        part = table.dropna(subset=cols)
        rows += _metric_rows(part, group_col, metric, cols, stat, groups, ref, n_boot, rng,
                             confidence)
    return ValueLinkResult(
        table=pd.DataFrame(rows), by=by, reference=ref, focus=focus,
        period_start=shift_months(end, period_months), period_end=end,
        inactivity_days=inactivity_days, confidence=confidence, n_boot=n_boot)
