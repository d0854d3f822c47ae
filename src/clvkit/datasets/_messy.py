"""Realistic data problems added on top of the clean demo data set.

Real exports are never clean: refunds booked as negative orders, free items at zero,
rows exported twice, orders without a customer, test orders dated after the export
cut-off, survey scores typed wrong. :func:`add_quality_issues` adds a small, known
number of such rows to a clean :func:`~clvkit.datasets.make_demo` data set so that the
data-quality report (and ``clvkit validate`` on the files of ``clvkit demo-data``) has
something real to show. Validation sets every added row aside; the refunds are netted
against the orders they refund (half or all of the order), so the clean tables that
come out of :func:`clvkit.load_data` are the clean demo tables with those orders
reduced or removed.
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pandas as pd

from clvkit import schema as s
from clvkit.exceptions import ParameterError
from clvkit.tables import Dataset

__all__ = ["add_quality_issues"]

# problem -> share of the transactions that get one such row (at least one each)
_TRANSACTION_SHARES = {
    "refund": 0.004,
    "zero_amount": 0.002,
    "duplicate_order_id": 0.002,
    "missing_customer_id": 0.001,
    "after_observation_end": 0.001,
}


def _count(n_rows: int, share: float) -> int:
    return max(1, round(n_rows * share))


def _bad_transactions(rng: np.random.Generator, tx: pd.DataFrame,
                      end: pd.Timestamp) -> dict[str, pd.DataFrame]:
    counts = {k: _count(len(tx), v) for k, v in _TRANSACTION_SHARES.items()}
    picks = {k: tx.iloc[np.sort(rng.choice(len(tx), size=n, replace=False))].copy()
             for k, n in counts.items()}
    refund = picks["refund"]  # booked on the order it refunds (same order id)
    refund[s.AMOUNT] = -(refund[s.AMOUNT] * rng.choice([0.5, 1.0], size=len(refund))).round(2)
    refund[s.GROSS_MARGIN] = -refund[s.GROSS_MARGIN].abs()
    refund[s.TIMESTAMP] = (refund[s.TIMESTAMP] + pd.Timedelta(days=3)).clip(upper=end)
    zero = picks["zero_amount"]
    zero[s.ORDER_ID] = zero[s.ORDER_ID] + "-F"
    zero[[s.AMOUNT, s.GROSS_MARGIN]] = 0.0
    missing = picks["missing_customer_id"]
    missing[s.ORDER_ID] = missing[s.ORDER_ID] + "-X"
    # missing, in the ids' own dtype (None in object, NaN in pandas 3's str)
    missing[s.CUSTOMER_ID] = pd.Series(None, index=missing.index, dtype=tx[s.CUSTOMER_ID].dtype)
    late = picks["after_observation_end"]
    late[s.ORDER_ID] = late[s.ORDER_ID] + "-T"
    offset_days = rng.integers(1, 30, size=len(late))
    late[s.TIMESTAMP] = end + pd.Timedelta(hours=12) + pd.to_timedelta(offset_days, unit="D")
    # duplicate_order_id: the very same rows again, as a double export produces
    return {"refund": refund, "zero_amount": zero, "duplicate_order_id":
            picks["duplicate_order_id"], "missing_customer_id": missing,
            "after_observation_end": late}


def _bad_surveys(rng: np.random.Generator, surveys: pd.DataFrame) -> pd.DataFrame:
    rows = surveys.iloc[np.sort(rng.choice(len(surveys), size=min(3, len(surveys)),
                                           replace=False))].copy()
    rows[s.NPS] = [11, 10, 9][: len(rows)]  # "11": a typo on a 0-10 scale
    rows[s.CES] = [4, 9, 0][: len(rows)]  # CES is 1-7
    return rows


def add_quality_issues(dataset: Dataset, *, seed: int = 0) -> Dataset:
    """Return a copy of a clean demo data set with realistic bad rows added.

    About 1% extra transaction rows: refunds (negative amounts booked three days later
    on the order they refund, same order id),
    zero-amount orders (``-F``), rows exported twice (same order id), rows without a
    customer id (``-X``) and test orders dated after the observation end (``-T``); plus
    three survey answers with scores out of range (NPS 11, CES 9 and 0). Added rows are
    appended after the clean rows, so validation keeps every original row (orders
    refunded in full are removed as reversed).

    Parameters
    ----------
    dataset : clvkit.Dataset
        A clean data set with ``transactions`` (customer_id, order_id, timestamp,
        amount, gross_margin) and optionally ``surveys``, such as
        :func:`~clvkit.datasets.make_demo` returns. It is not modified.
    seed : int, default 0
        Seed of the generator that picks the rows.

    Returns
    -------
    clvkit.Dataset
        The same data set with the bad rows added; ``extra["injected"]`` counts them by
        problem.

    Raises
    ------
    ParameterError
        If the data set has no ``observation_end`` or no ``order_id`` column.
    """
    tx = dataset.transactions
    if dataset.observation_end is None or s.ORDER_ID not in tx.columns:
        msg = ("add_quality_issues() needs a data set with an observation_end and an "
               f"order_id column (got observation_end={dataset.observation_end!r}, "
               f"columns {list(tx.columns)}).")
        raise ParameterError(msg)
    rng = np.random.default_rng([seed, 20261123])
    bad = _bad_transactions(rng, tx, pd.Timestamp(dataset.observation_end))
    injected = {k: len(v) for k, v in bad.items()}
    transactions = pd.concat([tx, *bad.values()], ignore_index=True)
    surveys = dataset.surveys
    if surveys is not None and len(surveys):
        bad_surveys = _bad_surveys(rng, surveys)
        injected["survey_score_out_of_range"] = len(bad_surveys)
        surveys = pd.concat([surveys, bad_surveys], ignore_index=True)
    return replace(dataset, transactions=transactions, surveys=surveys,
                   extra={**dataset.extra, "injected": injected})
