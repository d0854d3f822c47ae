"""Churn features and labels with a strict time split at a cutoff date.

Everything that describes a customer (the features) comes from data dated on or before
the cutoff day; the label comes only from the window that follows it. Keeping the two
apart is what makes a churn model's evaluation honest: a feature computed with a single
holdout row would let the model "see" the answer.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from .. import schema
from .._codes import customer_codes, rows_by_code, sorted_unique, subset_codes
from .._messages import require_columns
from .._parse import as_date
from ..exceptions import DataValidationError, ParameterError
from ..tables import Dataset

__all__ = ["churn_feature_table", "churn_labels", "make_churn_features"]

_DAY = pd.Timedelta(days=1)
#: Length of the "recent" and "prior" spend windows behind ``spend_trend``, in days.
TREND_WINDOW_DAYS = 90
SUBSCRIPTION = "subscription"


def unpack(data: Dataset | pd.DataFrame, customers: pd.DataFrame | None,
           surveys: pd.DataFrame | None, observation_end=None) -> tuple:
    """(transactions, customers, surveys, observation_end) from a Dataset or a frame.

    Tables and the observation end passed explicitly win over the Dataset's.
    """
    if isinstance(data, Dataset):
        return (data.transactions, data.customers if customers is None else customers,
                data.surveys if surveys is None else surveys,
                data.observation_end if observation_end is None else observation_end)
    if not isinstance(data, pd.DataFrame):
        msg = ("expected a clvkit Dataset or a transactions DataFrame; "
               f"got {type(data).__name__}")
        raise ParameterError(msg)
    return data, customers, surveys, observation_end


def _boundary(cutoff, name: str = "cutoff") -> pd.Timestamp:
    """First instant after the cutoff day (features use timestamps before it)."""
    return as_date(cutoff, name) + _DAY


def _purchase_features(tx: pd.DataFrame, boundary: pd.Timestamp,
                       coded: tuple[np.ndarray, np.ndarray] | None = None) -> pd.DataFrame:
    """RFM, inter-purchase times and spend trend per customer from pre-cutoff rows.

    Customers are grouped by integer codes (``pandas.factorize(..., sort=True)``, so the
    codes sort like the ids) instead of the id strings: every group-by and sort below
    then works on integers, and the reductions are pandas' own, so the values are the
    same to the last bit as grouping by the ids. ``coded`` (codes of ``tx``'s rows,
    sorted unique ids) skips the factorisation when the caller has them.
    """
    codes, ids = coded if coded is not None else customer_codes(tx)
    key = "_customer"
    ts = tx[schema.TIMESTAMP]
    tx = pd.DataFrame({key: codes, schema.TIMESTAMP: ts, schema.AMOUNT: tx[schema.AMOUNT],
                       **{c: tx[c] for c in (schema.GROSS_MARGIN, schema.CHANNEL)
                          if c in tx.columns}})
    g = tx.groupby(key, sort=True)
    out = pd.DataFrame({
        "recency_days": (boundary - g[schema.TIMESTAMP].max()).dt.total_seconds() / 86400,
        "first_purchase": g[schema.TIMESTAMP].min(),
        "n_orders": g.size().astype(float),
        "total_spend": g[schema.AMOUNT].sum(),
    })
    out["avg_order_value"] = out["total_spend"] / out["n_orders"]
    n_days, gaps = _purchase_days(tx[key].to_numpy(), ts)
    out["n_purchase_days"] = n_days
    out["ipt_mean_days"] = gaps.mean()
    out["ipt_std_days"] = gaps.std()  # NaN with fewer than two gaps
    out["recency_over_ipt"] = out["recency_days"] / out["ipt_mean_days"]
    window = pd.Timedelta(days=TREND_WINDOW_DAYS)
    recent = tx[ts >= boundary - window].groupby(key)[schema.AMOUNT]
    prior = tx[(ts >= boundary - 2 * window) & (ts < boundary - window)]
    out["spend_last_90d"] = recent.sum().reindex(out.index, fill_value=0.0)
    out["orders_last_90d"] = recent.size().reindex(out.index, fill_value=0).astype(float)
    spend_prior = prior.groupby(key)[schema.AMOUNT].sum()
    spend_prior = spend_prior.reindex(out.index, fill_value=0.0)
    out["spend_trend"] = np.log1p(out["spend_last_90d"]) - np.log1p(spend_prior)
    if schema.GROSS_MARGIN in tx.columns:
        out["margin_rate"] = g[schema.GROSS_MARGIN].sum() / out["total_spend"].where(
            out["total_spend"] > 0)
    if schema.CHANNEL in tx.columns:
        mode = tx.groupby([key, schema.CHANNEL]).size().rename("n").reset_index()
        mode = mode.sort_values([key, "n", schema.CHANNEL], ascending=[True, False, True])
        out["purchase_channel"] = mode.drop_duplicates(key).set_index(key)[
            schema.CHANNEL].astype(str).reindex(out.index).fillna("unknown")
    out.index = pd.Index(ids[out.index.to_numpy()], name=schema.CUSTOMER_ID)
    return out


def _purchase_days(codes: np.ndarray, ts: pd.Series) -> tuple[pd.Series, Any]:
    """Purchase days per customer code (float) and the days between a customer's
    purchase days, grouped by code (a groupby to take ``mean`` / ``std`` of).

    The distinct (customer, day) pairs are one sort of integer keys; the gaps come in
    customer-then-day order, the order the reductions saw when the pairs were found by
    ``drop_duplicates`` and sorted, so the means and deviations are the same numbers.
    """
    if not (isinstance(ts.dtype, np.dtype) and ts.dtype.kind == "M") or len(codes) == 0:
        # time-zone aware: days are local days, found by the frame
        frame = pd.DataFrame({"k": codes, "_day": ts.dt.normalize().array})
        days = frame.drop_duplicates(["k", "_day"])
        gaps = days.sort_values(["k", "_day"]).groupby("k")["_day"]
        gaps = gaps.diff().dt.days.dropna().groupby(days["k"])
        return days.groupby("k").size().astype(float), gaps
    day = ts.to_numpy().astype("datetime64[D]").astype(np.int64)
    first = day.min()
    span = np.int64(day.max() - first + 1)
    pair = sorted_unique(codes.astype(np.int64) * span + (day - first))
    cust, on = np.divmod(pair, span)
    same = cust[1:] == cust[:-1]
    gaps = np.diff(on)[same].astype(np.float64)
    n_days = pd.Series(np.bincount(cust), dtype=float)
    n_days = n_days[n_days > 0]
    return n_days, pd.Series(gaps).groupby(cust[1:][same])


def _customer_features(out: pd.DataFrame, customers: pd.DataFrame,
                       boundary: pd.Timestamp,
                       coded: tuple[pd.DataFrame, np.ndarray] | None = None) -> pd.DataFrame:
    """Tenure from signup, acquisition channel, region and contract (static attributes).

    ``coded``: the transactions and the customer code of each row of ``out``: the
    customer table is then matched by code (once per scoring run), not by id."""
    if coded is not None:
        unique, rows = rows_by_code(customers, coded[0])
        cust = unique.drop(columns=schema.CUSTOMER_ID).reset_index(drop=True)
        cust = cust.reindex(rows[coded[1]]).set_axis(out.index)
    else:
        cust = customers.drop_duplicates(schema.CUSTOMER_ID).set_index(schema.CUSTOMER_ID)
        cust = cust.reindex(out.index)
    start = out.pop("first_purchase")
    if schema.SIGNUP_DATE in cust.columns:
        signup = pd.to_datetime(cust[schema.SIGNUP_DATE])
        start = start.where(signup.isna() | (signup > start), signup)
    out["tenure_days"] = (boundary - start).dt.total_seconds() / 86400
    for source, name in ((schema.CHANNEL, "acquisition_channel"), (schema.REGION, "region"),
                         (schema.CONTRACT, "contract")):
        if source in cust.columns:
            out[name] = cust[source].astype("string").fillna("unknown").astype(str)
    return out


def _survey_features(out: pd.DataFrame, surveys: pd.DataFrame,
                     boundary: pd.Timestamp) -> pd.DataFrame:
    """Last NPS / CES answered on or before the cutoff day, and the number of answers."""
    require_columns(surveys, (schema.CUSTOMER_ID, schema.DATE, schema.NPS), "surveys")
    s = surveys[pd.to_datetime(surveys[schema.DATE]) < boundary]
    s = s.sort_values([schema.CUSTOMER_ID, schema.DATE], kind="stable")
    last = s.groupby(schema.CUSTOMER_ID).last()
    out["last_nps"] = last[schema.NPS].reindex(out.index).astype(float)
    if schema.CES in s.columns:
        out["last_ces"] = last[schema.CES].reindex(out.index).astype(float)
    n = s.groupby(schema.CUSTOMER_ID).size()
    out["n_surveys"] = n.reindex(out.index, fill_value=0).astype(float)
    return out


def churn_feature_table(
    transactions: Dataset | pd.DataFrame,
    *,
    cutoff: str | pd.Timestamp,
    customers: pd.DataFrame | None = None,
    surveys: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """Describe every customer as of the end of the ``cutoff`` day, for churn scoring.

    Only rows dated on or before the cutoff day are read (transactions' ``timestamp``,
    surveys' ``date``); anything later is ignored, so the table is the same whatever
    happened afterwards.

    Parameters
    ----------
    transactions : Dataset or pandas.DataFrame
        Columns customer_id, timestamp, amount; optional gross_margin, channel. A
        Dataset also gives customers and surveys unless they are passed.
    cutoff : str or pandas.Timestamp
        Last day of history (inclusive).
    customers : pandas.DataFrame, optional
        customer_id with optional signup_date, channel (acquisition), region, contract,
        churn_date. Subscribers whose churn_date is on or before the cutoff day are left
        out (already lost).
    surveys : pandas.DataFrame, optional
        customer_id, date, nps and optional ces.

    Returns
    -------
    pandas.DataFrame
        Indexed by customer_id (customers with a purchase on or before the cutoff), with
        numeric columns recency_days, n_orders, total_spend, avg_order_value,
        n_purchase_days, ipt_mean_days and ipt_std_days (days between purchase days; NaN
        for fewer than 2 / 3 purchase days), recency_over_ipt, spend_last_90d,
        orders_last_90d, spend_trend (log-ratio of the last 90 days' spend to the 90
        before), tenure_days, margin_rate (with gross_margin), last_nps, last_ces,
        n_surveys (with surveys); and text columns purchase_channel (most used),
        acquisition_channel, region, contract (with customers).

    Raises
    ------
    DataValidationError
        Missing columns, or no transaction on or before the cutoff.
    ParameterError
        ``cutoff`` is not a date.
    """
    transactions, customers, surveys, _ = unpack(transactions, customers, surveys)
    out, _ = _feature_table(transactions, _boundary(cutoff), customers, surveys)
    return out


def _feature_table(transactions: pd.DataFrame, boundary: pd.Timestamp,
                   customers: pd.DataFrame | None, surveys: pd.DataFrame | None
                   ) -> tuple[pd.DataFrame, np.ndarray]:
    """:func:`churn_feature_table`, and the customer code (of
    :func:`~clvkit._codes.customer_codes` of ``transactions``) of each of its rows."""
    require_columns(transactions, (schema.CUSTOMER_ID, schema.TIMESTAMP, schema.AMOUNT),
                    "transactions", "churn_feature_table()")
    codes, ids = customer_codes(transactions)
    keep = (pd.to_datetime(transactions[schema.TIMESTAMP]) < boundary).to_numpy()
    if customers is not None:
        require_columns(customers, (schema.CUSTOMER_ID,), "customers")
        lost = pd.Index(ids).isin(_lost_before(customers, boundary))
        if lost.any():  # (code -1, a missing id, is never lost)
            keep = keep & ~np.append(lost, False)[codes]  # (a new array: pandas 3's are read-only)
    tx = transactions[keep]
    tx = tx.assign(**{schema.TIMESTAMP: pd.to_datetime(tx[schema.TIMESTAMP])})
    if tx.empty:
        first = pd.to_datetime(transactions[schema.TIMESTAMP]).min()
        msg = (
            f"No transaction on or before the cutoff {boundary - _DAY:%Y-%m-%d} (the first is "
            f"{first:%Y-%m-%d}); choose a later cutoff."
        )
        raise DataValidationError(msg, column=schema.TIMESTAMP)
    present, row_ids, row_codes = subset_codes(codes[keep], ids)
    out = _purchase_features(tx, boundary, (present, row_ids))
    out = _customer_features(out, customers if customers is not None else pd.DataFrame(
        {schema.CUSTOMER_ID: []}), boundary, (transactions, row_codes))
    if surveys is not None:
        out = _survey_features(out, surveys, boundary)
    out.index.name = schema.CUSTOMER_ID
    return out, row_codes


def _lost_before(customers: pd.DataFrame, boundary: pd.Timestamp) -> pd.Index:
    """Subscribers whose contract ended on or before the cutoff day."""
    if schema.CHURN_DATE not in customers.columns:
        return pd.Index([])
    churn = pd.to_datetime(customers[schema.CHURN_DATE])
    return pd.Index(customers.loc[(churn < boundary).to_numpy(), schema.CUSTOMER_ID])


def churn_labels(
    transactions: pd.DataFrame,
    index: pd.Index,
    *,
    cutoff: str | pd.Timestamp,
    churn_window_days: int,
    customers: pd.DataFrame | None = None,
) -> pd.Series:
    """Label who churned in the ``churn_window_days`` days after the cutoff day.

    A subscriber (customers' ``contract == "subscription"`` with a churn_date column)
    churned when her churn_date falls in the window; anyone else churned when she made
    no purchase in it (non-contractual definition).

    Parameters
    ----------
    transactions : pandas.DataFrame
        Columns customer_id and timestamp.
    index : pandas.Index
        The customers to label (e.g. ``churn_feature_table(...).index``).
    cutoff : str or pandas.Timestamp
        Last day before the window (the window starts the next day).
    churn_window_days : int
        Window length in days.
    customers : pandas.DataFrame, optional
        customer_id, contract and churn_date, for contractual labels.

    Returns
    -------
    pandas.Series
        0/1 integers named ``churned``, indexed by ``index`` (customer_id).
    """
    return _labels(transactions, index, None, _boundary(cutoff), churn_window_days, customers)


def _labels(transactions: pd.DataFrame, index: pd.Index, index_codes: np.ndarray | None,
            boundary: pd.Timestamp, churn_window_days: int,
            customers: pd.DataFrame | None) -> pd.Series:
    """:func:`churn_labels`; with ``index_codes`` (the customer code of each entry of
    ``index``, see :func:`_feature_table`) the buyers are found by code, not by id."""
    end = boundary + pd.Timedelta(days=churn_window_days)
    ts = pd.to_datetime(transactions[schema.TIMESTAMP])
    window = ((ts >= boundary) & (ts < end)).to_numpy()
    if index_codes is not None:
        codes, ids = customer_codes(transactions)
        bought = np.zeros(len(ids) + 1, dtype=bool)
        bought[codes[window]] = True
        churned = pd.Series(~bought[index_codes], index=index, name="churned")
    else:
        buyers = transactions.loc[window, schema.CUSTOMER_ID]
        churned = pd.Series(~index.isin(buyers.unique()), index=index, name="churned")
    if customers is not None and {schema.CONTRACT, schema.CHURN_DATE} <= set(customers.columns):
        cust = customers.drop_duplicates(schema.CUSTOMER_ID).set_index(schema.CUSTOMER_ID)
        cust = cust.reindex(index)
        subscriber = (cust[schema.CONTRACT] == SUBSCRIPTION).fillna(False).to_numpy(bool)
        churn = pd.to_datetime(cust[schema.CHURN_DATE])
        lost = ((churn >= boundary) & (churn < end)).to_numpy()
        churned = churned.where(~subscriber, lost)
    return churned.astype(int)


def make_churn_features(
    transactions: Dataset | pd.DataFrame,
    *,
    cutoff: str | pd.Timestamp,
    churn_window_days: int = 90,
    customers: pd.DataFrame | None = None,
    surveys: pd.DataFrame | None = None,
    observation_end: str | pd.Timestamp | None = None,
) -> tuple[pd.DataFrame, pd.Series]:
    """Build churn features up to ``cutoff`` and labels from the window after it.

    Parameters
    ----------
    transactions : Dataset or pandas.DataFrame
        Columns customer_id, timestamp, amount (+ gross_margin, channel if present); a
        Dataset also gives customers, surveys and observation_end unless passed.
    cutoff : str or pandas.Timestamp
        Last day of the feature period (inclusive). The label window is the
        ``churn_window_days`` days that follow it.
    churn_window_days : int, default 90
        Length of the label window in days (>= 1).
    customers, surveys : pandas.DataFrame, optional
        See :func:`churn_feature_table`; customers also decides contractual labels.
    observation_end : str or pandas.Timestamp, optional
        Last day of data; default the last transaction's day. The label window must end
        on or before it, otherwise late churners would be missed.

    Returns
    -------
    X : pandas.DataFrame
        :func:`churn_feature_table` at the cutoff, indexed by customer_id.
    y : pandas.Series
        1 = churned in the window (no purchase, or a subscriber's churn_date in it),
        indexed like ``X``.

    Raises
    ------
    ParameterError
        ``churn_window_days`` < 1, or the window runs past ``observation_end``.
    DataValidationError
        See :func:`churn_feature_table`.
    """
    days = churn_window_days
    if isinstance(days, bool) or not isinstance(days, (int, np.integer)) or days < 1:
        msg = f"churn_window_days must be a whole number of days >= 1; got {churn_window_days!r}"
        raise ParameterError(msg)
    transactions, customers, surveys, observation_end = unpack(
        transactions, customers, surveys, observation_end)
    boundary = _boundary(cutoff)
    last = (_boundary(observation_end, "observation_end") - _DAY if observation_end is not None
            else pd.to_datetime(transactions[schema.TIMESTAMP]).max().normalize())
    window_end = boundary + pd.Timedelta(days=churn_window_days - 1)
    if window_end > last:
        latest = last - pd.Timedelta(days=churn_window_days)
        msg = (
            f"The {churn_window_days}-day churn window after cutoff {boundary - _DAY:%Y-%m-%d} "
            f"ends {window_end:%Y-%m-%d}, after the end of the data {last:%Y-%m-%d}; use a "
            f"cutoff on or before {latest:%Y-%m-%d} or a shorter window."
        )
        raise ParameterError(msg)
    X, codes = _feature_table(transactions, boundary, customers, surveys)
    y = _labels(transactions, X.index, codes, boundary, churn_window_days, customers)
    return X, y
