"""Seasonality of value by group, customer attributes and consultants' cross-views."""

from __future__ import annotations

from typing import Any, Literal

import numpy as np
import pandas as pd

from .._ids import take_by_id
from ..exceptions import DataValidationError, ParameterError
from ..schema import (
    AMOUNT,
    CES,
    CHANNEL,
    CUSTOMER_ID,
    DATE,
    NPS,
    PASSIVE_MIN,
    PROMOTER_MIN,
    REGION,
    TIMESTAMP,
)
from ._base import clean_transactions, require_columns

__all__ = [
    "NPS_GROUPS",
    "cross_view",
    "customer_attributes",
    "nps_groups",
    "seasonal_peaks",
    "value_seasonality",
]

NPS_GROUPS = ("promoter", "passive", "detractor", "no_answer")
_PERIODS = {"month": list(range(1, 13)), "weekday": list(range(7))}


def _exposure_days(start: pd.Timestamp, end: pd.Timestamp, by: str) -> pd.Series:
    """Days of the window [start, end] falling in each month-of-year or weekday."""
    days = pd.date_range(start.normalize(), end.normalize(), freq="D")
    key = days.month if by == "month" else days.day_of_week
    return pd.Series(1, index=key).groupby(level=0).sum().reindex(_PERIODS[by], fill_value=0)


def value_seasonality(
    transactions: pd.DataFrame,
    groups: pd.Series | None = None,
    *,
    by: Literal["month", "weekday"] = "month",
    value: str = AMOUNT,
    observation_end: Any = None,
    high_value_quantile: float | None = None,
    normalize: Literal["share", "index", "rate"] = "share",
) -> pd.DataFrame:
    """Profile when in the year (or week) each group of customers spends.

    Value is divided by the number of days of the window that fall in each month
    of the year (or on each weekday) before comparing, so a month present in three
    years of data does not look busier than one present in two:

    .. math:: \\text{rate}_{g,m} = \\frac{\\sum \\text{value of group } g \\text{ in month } m}
              {\\text{days of the window in month } m}

    Parameters
    ----------
    transactions : pandas.DataFrame
        customer_id, timestamp, amount (+ the ``value`` column).
    groups : pandas.Series, optional
        Group of each customer (segment, tier ...), indexed by customer_id.
        Customers without a group are left out. Default: one group "all".
    by : {"month", "weekday"}, default "month"
        Month of the year (columns 1-12) or weekday (columns 0 = Monday ... 6).
    value : str, default "amount"
        Transaction column to add up (e.g. "gross_margin").
    observation_end : date-like, optional
        End of the window (start = first transaction); default the last purchase.
    high_value_quantile : float, optional
        Keep only orders whose value is at least this quantile of all orders (e.g.
        0.9 = the top 10% of orders), to see when the big purchases happen.
    normalize : {"share", "index", "rate"}, default "share"
        "share": each row sums to 1; "index": 1 = the group's average period;
        "rate": value per day.

    Returns
    -------
    pandas.DataFrame
        One row per group with purchases (in category order for a categorical
        ``groups``; index named like ``groups``, else "group"), one column per
        month (1-12) or weekday (0-6).

    Raises
    ------
    ParameterError
        Unknown ``by`` or ``normalize``, or a quantile outside (0, 1).
    DataValidationError
        Missing columns or no transaction left.
    """
    if by not in _PERIODS or normalize not in ("share", "index", "rate"):
        msg = (
            "by must be 'month' or 'weekday' and normalize one of 'share', 'index', 'rate'; "
            f"got by={by!r}, normalize={normalize!r}"
        )
        raise ParameterError(msg)
    require_columns(transactions, [value], "transactions")
    end = None if observation_end is None else pd.Timestamp(observation_end)
    tx, end = clean_transactions(transactions, end)
    tx = tx[[CUSTOMER_ID, TIMESTAMP, value]]
    if high_value_quantile is not None:
        if not 0 < high_value_quantile < 1:
            msg = f"high_value_quantile must be between 0 and 1; got {high_value_quantile!r}"
            raise ParameterError(msg)
        tx = tx[tx[value] >= tx[value].quantile(high_value_quantile)]
    group = (
        pd.Series("all", index=tx.index)
        if groups is None
        else take_by_id(tx[CUSTOMER_ID], groups)  # tx[CUSTOMER_ID].map(groups), faster
    )
    period = tx[TIMESTAMP].dt.month if by == "month" else tx[TIMESTAMP].dt.day_of_week
    table = tx[value].groupby([group.rename("group"), period.rename(by)], observed=False).sum()
    wide = table.unstack(by).reindex(columns=_PERIODS[by]).fillna(0.0)
    if isinstance(groups, pd.Series) and isinstance(groups.dtype, pd.CategoricalDtype):
        wide = wide.reindex([c for c in groups.cat.categories if c in wide.index])
    rate = wide / _exposure_days(transactions[TIMESTAMP].min(), end, by).replace(0, np.nan)
    rate = rate.fillna(0.0)
    rate = rate.loc[wide.sum(axis=1) != 0]  # groups without purchases in the window
    if normalize == "share":
        rate = rate.div(rate.sum(axis=1).replace(0, np.nan), axis=0)
    elif normalize == "index":
        rate = rate.div(rate.mean(axis=1).replace(0, np.nan), axis=0)
    rate.index.name = "group" if groups is None or groups.name is None else groups.name
    rate.attrs = {"by": by, "normalize": normalize, "value": value}
    return rate


def seasonal_peaks(seasonality: pd.DataFrame, n: int = 2) -> pd.DataFrame:
    """List each group's ``n`` strongest months (or weekdays).

    Parameters
    ----------
    seasonality : pandas.DataFrame
        Output of :func:`value_seasonality`.
    n : int, default 2
        How many peaks to list.

    Returns
    -------
    pandas.DataFrame
        Indexed by group with peak_1 ... peak_n (month 1-12 or weekday 0-6) and
        peak_share (share of the row held by the peaks; NaN unless
        normalize="share"); ``attrs["by"]`` is "month" or "weekday". Month or
        weekday names for a report: :func:`clvkit.report.peak_names`.
    """
    if not 1 <= n <= seasonality.shape[1]:
        msg = f"n must be between 1 and {seasonality.shape[1]}; got {n!r}"
        raise ParameterError(msg)
    by = seasonality.attrs.get("by", "month")
    rows = {}
    for group, row in seasonality.iterrows():
        top = row.sort_values(ascending=False, kind="mergesort").index[:n]
        entry = {f"peak_{i + 1}": int(p) for i, p in enumerate(top)}
        share = seasonality.attrs.get("normalize") == "share"
        entry["peak_share"] = float(row[top].sum()) if share else np.nan
        rows[group] = entry
    out = pd.DataFrame.from_dict(rows, orient="index")
    out.index.name = seasonality.index.name
    out.attrs = {"by": by}
    return out


def nps_groups(surveys: pd.DataFrame | None, index: pd.Index) -> pd.Series:
    """Classify each customer by the latest NPS answer: promoter, passive, detractor.

    Promoters answered 9-10, passives 7-8, detractors 0-6 (Reichheld 2003);
    customers without an answer get "no_answer".

    Parameters
    ----------
    surveys : pandas.DataFrame or None
        customer_id, date, nps (0-10).
    index : pandas.Index
        The customers to classify (customer_id).

    Returns
    -------
    pandas.Series
        Categorical (categories :data:`NPS_GROUPS`) indexed like ``index``.
    """
    latest = _latest_survey(surveys, index)
    score = latest[NPS] if NPS in latest else pd.Series(np.nan, index=index)
    group = np.select(
        [score >= PROMOTER_MIN, score >= PASSIVE_MIN, score.notna()],
        ["promoter", "passive", "detractor"],
        default="no_answer",
    )
    return pd.Series(pd.Categorical(group, categories=NPS_GROUPS), index=index, name="nps_group")


def _latest_survey(surveys: pd.DataFrame | None, index: pd.Index) -> pd.DataFrame:
    if surveys is None or surveys.empty:
        return pd.DataFrame(index=index)
    require_columns(surveys, [CUSTOMER_ID, DATE, NPS], "surveys")
    ordered = surveys.sort_values([CUSTOMER_ID, DATE], kind="mergesort")
    return ordered.groupby(CUSTOMER_ID).last().reindex(index)


def customer_attributes(
    index: pd.Index,
    customers: pd.DataFrame | None = None,
    surveys: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """Collect the descriptive attributes used by the cross-views.

    Returns
    -------
    pandas.DataFrame
        Indexed like ``index`` with acquisition_channel and region (from the
        customer table, "unknown" when absent), nps_group (see :func:`nps_groups`),
        latest_nps and latest_ces (float, NaN without an answer).
    """
    out = pd.DataFrame(index=index)
    table = None
    if customers is not None:
        require_columns(customers, [CUSTOMER_ID], "customers")
        table = customers.drop_duplicates(CUSTOMER_ID).set_index(CUSTOMER_ID).reindex(index)
    for name, column in (("acquisition_channel", CHANNEL), ("region", REGION)):
        present = table is not None and column in table.columns
        values = (table[column].astype("object") if present
                  else pd.Series(np.nan, index=index, dtype="object"))
        out[name] = values.fillna("unknown").astype(str)
    out["nps_group"] = nps_groups(surveys, index)
    latest = _latest_survey(surveys, index)
    for name, column in (("latest_nps", NPS), ("latest_ces", CES)):
        out[name] = latest[column].astype("float64") if column in latest else np.nan
    return out


def cross_view(
    frame: pd.DataFrame,
    rows: str,
    cols: str,
    *,
    value: str | None = "value",
) -> pd.DataFrame:
    """Cross-tabulate customers (and their value) by two per-customer columns.

    Parameters
    ----------
    frame : pandas.DataFrame
        One row per customer, e.g. :func:`clvkit.segments.scored_customers`.
    rows, cols : str
        Columns to cross (e.g. "segment" x "nps_group", "tier" x
        "acquisition_channel", "tier" x "region"). Categorical columns keep their
        category order, empty categories included.
    value : str or None, default "value"
        Column to add up per cell; None for counts only.

    Returns
    -------
    pandas.DataFrame
        Rows = ``rows`` categories plus "total"; columns a MultiIndex
        (measure, ``cols`` category) with measures "customers" and "value"
        (each with a "total" column). Rows and columns are codes; names for a
        report: :func:`clvkit.report.labelled_view`.

    Raises
    ------
    DataValidationError
        When a column is missing.
    """
    require_columns(frame, [rows, cols] + ([value] if value else []), "per-customer",
                    "cross_view()", todo="Choose rows, cols and value among its columns.")
    counts = pd.crosstab(frame[rows], frame[cols], margins=True, margins_name="total",
                         dropna=False)
    parts = {"customers": counts}
    if value:
        parts["value"] = pd.crosstab(
            frame[rows], frame[cols], values=frame[value], aggfunc="sum", margins=True,
            margins_name="total", dropna=False,
        ).reindex(index=counts.index, columns=counts.columns).fillna(0.0)
    out = pd.concat(parts, axis=1, names=["measure", cols])
    if not len(out):
        msg = "cross_view got an empty table."
        raise DataValidationError(msg)
    return out
