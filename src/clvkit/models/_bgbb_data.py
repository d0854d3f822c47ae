"""BG/BB input: histories from a transaction log, and their checks (see :mod:`.bgbb`)."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from ..exceptions import DataValidationError, ParameterError
from ..schema import CUSTOMER_ID, FREQUENCY, RECENCY, TIMESTAMP
from ._checks import check_summary, examples

__all__ = ["N_PERIODS", "bgbb_summary", "check_bgbb", "weights_of"]

#: Column of a BG/BB summary: transaction opportunities observed per customer.
N_PERIODS = "n_periods"
_COLUMNS = (FREQUENCY, RECENCY, N_PERIODS)


def check_bgbb(summary: pd.DataFrame, label: str) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Validate a BG/BB summary; return frequency, recency, n_periods as float arrays."""
    v = check_summary(summary, _COLUMNS, label=label)
    x, tx, n = v[FREQUENCY], v[RECENCY], v[N_PERIODS]
    rules = [
        (N_PERIODS, (n < 0) | (n != np.round(n)), "an n_periods that is not a whole "
         "number >= 0", "n_periods counts the transaction opportunities observed after "
         "the first transaction."),
        (RECENCY, (tx < 0) | (tx != np.round(tx)) | (tx > n), "a recency that is not a "
         "whole number from 0 to n_periods",
         "recency is the opportunity (1..n_periods) of the last transaction."),
        (FREQUENCY, x > tx, "a frequency larger than recency", "At most one transaction "
         "per opportunity: frequency <= recency."),
        (RECENCY, (x == 0) & (tx > 0), "frequency 0 but a non-zero recency",
         "Customers without repeat transactions have recency 0 by definition."),
    ]
    for column, bad, what, todo in rules:
        if bad.any():
            msg = (f"{label}: {int(bad.sum()):,} of {len(summary):,} rows have {what} (e.g. "
                   f"rows {examples(summary.index, bad)}). {todo}")
            raise DataValidationError(msg, column=column, n_failed=int(bad.sum()),
                                      failure_cases=summary.loc[bad].head(5))
    return x, tx, n


def weights_of(summary: pd.DataFrame, sample_weight: Any) -> np.ndarray:
    if sample_weight is None:
        return np.ones(len(summary))
    if isinstance(sample_weight, str):
        if sample_weight not in summary.columns:
            msg = (f"BGBBModel.fit(): sample_weight={sample_weight!r} is not a column of the "
                   f"summary; it has {', '.join(map(repr, map(str, summary.columns)))}.")
            raise DataValidationError(msg, column=sample_weight)
        sample_weight = summary[sample_weight]
    w = np.asarray(sample_weight, dtype=float).ravel()
    if w.shape[0] != len(summary):
        msg = (f"BGBBModel.fit(): sample_weight has {w.shape[0]:,} values for "
               f"{len(summary):,} rows; pass one count per row.")
        raise DataValidationError(msg)
    bad = ~np.isfinite(w) | (w < 0) | (w != np.round(w))
    if bad.any():
        msg = (f"BGBBModel.fit(): {int(bad.sum()):,} of {w.size:,} weights are not whole "
               f"numbers >= 0 (e.g. rows {examples(summary.index, bad)}); weights count "
               f"the customers sharing each row.")
        raise DataValidationError(msg, n_failed=int(bad.sum()))
    if w.sum() == 0:
        msg = "BGBBModel.fit(): every weight is 0, so there are no customers to fit."
        raise DataValidationError(msg)
    return w


_PERIODS = ("Y", "Q", "M", "W", "D")


def _period_index(ts: np.ndarray, freq: str) -> np.ndarray:
    """Integer index of the year, quarter, month, week (from Monday) or day of each time."""
    v = np.asarray(ts, dtype="datetime64[ns]")
    if freq in ("Y", "M"):
        return v.astype(f"datetime64[{freq}]").astype(np.int64)
    if freq == "Q":
        return v.astype("datetime64[M]").astype(np.int64) // 3
    days = v.astype("datetime64[D]").astype(np.int64)
    return (days + 3) // 7 if freq == "W" else days  # 1970-01-01 is a Thursday


def bgbb_summary(transactions: pd.DataFrame, observation_end: Any = None, freq: str = "Y",
                 *, customer_col: str = CUSTOMER_ID,
                 datetime_col: str = TIMESTAMP) -> pd.DataFrame:
    """Summarise transactions as BG/BB histories: one transaction opportunity per period.

    Each customer's first period (e.g. the year of the first donation) starts her history;
    every later period up to the one containing ``observation_end`` is an opportunity, with
    at most one transaction (several purchases in one period count once):
    ``frequency`` = periods with a transaction after the first, ``recency`` = the last one
    (counted from the first period, 0 without repeat), ``n_periods`` = opportunities. For
    ``freq`` "M", "W" and "D" these equal :func:`clvkit.rfm_summary`'s frequency, recency
    and T.

    Parameters
    ----------
    transactions : pandas.DataFrame
        One row per transaction with a customer id and a datetime64 timestamp.
    observation_end : str or pandas.Timestamp, optional
        Last day observed (default: the last transaction's day); later rows are excluded
        with a warning giving their count.
    freq : {"Y", "Q", "M", "W", "D"}, default "Y"
        Length of one opportunity: calendar years, quarters, months, weeks (Monday to
        Sunday) or days.

    Returns
    -------
    pandas.DataFrame
        Indexed by ``customer_id``; int64 columns frequency, recency, n_periods.
    """
    from .. import summary as _summary

    if freq not in _PERIODS:
        msg = f"freq must be one of {', '.join(map(repr, _PERIODS))}; got {freq!r}."
        raise ParameterError(msg)
    tx = _summary._prepare(transactions, customer_col, datetime_col, None, "bgbb_summary")
    tx, end = _summary._until(tx, observation_end, "bgbb_summary")
    pairs = pd.DataFrame({"customer_id": tx[CUSTOMER_ID].to_numpy(),
                          "period": _period_index(tx[TIMESTAMP].to_numpy(), freq)})
    grouped = pairs.drop_duplicates().groupby("customer_id", sort=True)["period"]
    first = grouped.min()
    end_period = int(_period_index(np.array([end.to_datetime64()]), freq)[0])
    out = pd.DataFrame({FREQUENCY: grouped.size() - 1, RECENCY: grouped.max() - first,
                        N_PERIODS: end_period - first}).astype("int64")
    out.attrs.update(observation_end=end, freq=freq)
    return out
