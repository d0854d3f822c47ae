"""Integer codes for customer ids and calendar periods (private).

Grouping a log of millions of rows by customer id text or by pandas Periods is slow;
the fast group-bys of the data load, the scoring run, :mod:`clvkit.metrics` and
:mod:`clvkit.models.validation` work on the integer codes made here instead, with
results identical to the pandas ones.

* :func:`factorize_ids` is the one factorisation of id columns
  (``pandas.factorize``, faster on text held as Python strings).
* A scoring run groups the same transactions by customer in a dozen places (the
  holdout split, three churn feature tables and their labels, the BG/NBD churn
  baseline, the customer history behind the segments). :func:`shared_codes` lets the
  steps of one run share a single factorisation: inside the ``with`` block,
  :func:`customer_codes` of that very frame (``is``) returns the stored codes; any other
  frame is factorised as before. Those codes are ``pandas.factorize(ids, sort=True)``:
  0..n-1 in the sorted order of the ids, so anything grouped or sorted by code comes
  out in the order of the ids, and a row subset keeps that order.
* :func:`period_ordinals` / :func:`date_ordinals`: pandas Period ordinals by calendar
  arithmetic.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

import numpy as np
import pandas as pd

from .schema import CUSTOMER_ID

__all__ = ["customer_codes", "date_ordinals", "distinct_per_code", "factorize_ids",
           "period_ordinals", "plain_dates", "rows_by_code", "shared_codes", "sorted_unique",
           "subset_codes"]

#: (frame, column, codes, sorted unique ids, memo) of the enclosing :func:`shared_codes`.
_SHARED: ContextVar[tuple[pd.DataFrame, str, np.ndarray, np.ndarray, dict] | None] = \
    ContextVar("clvkit_shared_codes", default=None)


def factorize_ids(ids: pd.Series | pd.Index | np.ndarray, *, sort: bool = False
                  ) -> tuple[np.ndarray, np.ndarray]:
    """Integer code per row and the distinct ids: exactly ``pandas.factorize(ids, sort=sort)``.

    This is clvkit's one factorisation of id columns (customer and order ids, in the
    data load, the scoring run and the pages). Codes follow the order in which ids first
    appear, or the sorted order of the ids with ``sort=True``; missing ids get -1. Hashing
    millions of Python strings is the slow part of grouping a log by customer, and a
    log read from Parquet or a pickle holds one string object per distinct id, so the
    rows are first grouped by object identity (the objects' addresses: integers, fast
    to hash) and only the first object of each group is then compared by value. Equal
    ids held in different objects still share one code; the result is the same
    whatever the data hold.
    """
    values = ids.to_numpy() if isinstance(ids, pd.Series | pd.Index) else np.asarray(ids)
    if values.dtype != object or values.ndim != 1 or values.size == 0:
        codes, uniques = pd.factorize(values, sort=sort)
        return codes.astype(np.intp, copy=False), np.asarray(uniques)
    values = np.ascontiguousarray(values)
    address = np.frombuffer(memoryview(values), dtype=np.intp)
    by_object, _ = pd.factorize(address)  # same object, same code (first-seen order)
    running = np.maximum.accumulate(by_object)
    first = np.flatnonzero(np.r_[True, running[1:] > running[:-1]])  # first row per object
    by_value, uniques = pd.factorize(values[first], sort=sort)
    return by_value.astype(np.intp, copy=False)[by_object], np.asarray(uniques)


def sorted_unique(values: np.ndarray) -> np.ndarray:
    """The distinct values of an integer array, ascending (``numpy.unique`` by one sort:
    numpy 2.3+ takes a slower hashing route for plain ``unique``)."""
    values = np.sort(values)
    if values.size < 2:
        return values
    keep = np.empty(values.size, dtype=bool)
    keep[0] = True
    np.not_equal(values[1:], values[:-1], out=keep[1:])
    return values[keep]


def plain_dates(dates: pd.Series) -> bool:
    """Whether ``dates`` are time-zone-naive datetime64 values without NaT (the fast path)."""
    return (isinstance(dates.dtype, np.dtype) and dates.dtype.kind == "M"
            and not dates.isna().any())


def period_ordinals(values: np.ndarray, freq: str) -> np.ndarray | None:
    """Ordinals of the pandas Periods (``freq`` "D", "W", "M", "Q" or "Y") holding the
    naive datetime64 ``values``, by calendar arithmetic; None for another ``freq``.

    Days, months and years count from 1970-01-01; quarters end in December ("Q" is
    "Q-DEC"); weeks end on Sunday ("W" is "W-SUN": 1970-01-01, a Thursday, lies in
    week 1, which ends on Sunday 1970-01-04).
    """
    if freq == "D":
        return values.astype("datetime64[D]").astype(np.int64)
    if freq == "W":
        return np.floor_divide(values.astype("datetime64[D]").astype(np.int64) + 10, 7)
    if freq in ("Y", "M", "Q"):
        unit = "datetime64[Y]" if freq == "Y" else "datetime64[M]"
        ordinals = values.astype(unit).astype(np.int64)
        return np.floor_divide(ordinals, 3) if freq == "Q" else ordinals
    return None


def date_ordinals(dates: pd.Series, freq: str) -> np.ndarray:
    """Period ordinals of ``dates``: ``dates.dt.to_period(freq).asi8``, by calendar
    arithmetic for naive datetimes without NaT (:func:`period_ordinals`)."""
    if plain_dates(dates):
        ordinals = period_ordinals(dates.to_numpy(), freq)
        if ordinals is not None:
            return ordinals
    return dates.dt.to_period(freq).array.asi8


def _factorize(ids: pd.Series | np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    codes, uniques = factorize_ids(ids, sort=True)
    return codes.astype(np.int64, copy=False), uniques


def customer_codes(frame: pd.DataFrame, column: str = CUSTOMER_ID
                   ) -> tuple[np.ndarray, np.ndarray]:
    """Each row's customer code and the sorted unique ids (``ids[codes]`` gives the
    column back): ``pandas.factorize(frame[column], sort=True)``, shared inside
    :func:`shared_codes` of this frame. Missing ids get code -1, as in pandas."""
    shared = _SHARED.get()
    if shared is not None and shared[0] is frame and shared[1] == column:
        return shared[2], shared[3]
    return _factorize(frame[column])


def subset_codes(codes: np.ndarray, uniques: np.ndarray
                 ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Codes renumbered 0..m-1 over the customers present in ``codes`` (a row subset),
    their ids (what :func:`pandas.factorize` ``(sort=True)`` of the subset's ids gives,
    without hashing the ids again) and their codes in ``uniques`` (sorted)."""
    present = np.zeros(len(uniques) + 1, dtype=bool)
    present[codes] = True  # -1 (missing id) lands in the last slot
    keep = present[:-1]
    rank = np.cumsum(keep) - 1
    out = np.where(codes >= 0, rank[codes], -1)
    return out.astype(np.int64, copy=False), uniques[keep], np.flatnonzero(keep)


def distinct_per_code(codes: np.ndarray, n: int, values: pd.Series) -> np.ndarray:
    """Distinct non-missing ``values`` of each customer code 0..n-1 (a group-by
    ``nunique``): one factorisation of the values and a sort of integer pairs."""
    value, uniques = pd.factorize(values)
    known = value >= 0
    width = np.int64(max(len(uniques), 1))
    pair = sorted_unique(codes[known] * width + value[known])
    return np.bincount(pair // width, minlength=n)


def rows_by_code(table: pd.DataFrame, frame: pd.DataFrame, column: str = CUSTOMER_ID
                 ) -> tuple[pd.DataFrame, np.ndarray]:
    """``table`` without repeated ids (first row kept) and, for each customer code of
    ``frame`` (:func:`customer_codes`), its row there (-1 when absent). Kept for the
    run inside :func:`shared_codes` of ``frame``, so a side table is matched once."""
    shared = _SHARED.get()
    memo = shared[4] if shared is not None and shared[0] is frame else None
    key = ("rows_by_code", id(table), column)
    if memo is not None and key in memo and memo[key][0] is table:
        return memo[key][1], memo[key][2]
    _, ids = customer_codes(frame, column)
    unique = table.drop_duplicates(column)
    rows = pd.Index(unique[column]).get_indexer(ids)
    if memo is not None:
        memo[key] = (table, unique, rows)  # the table itself keeps its id from reuse
    return unique, rows


@contextmanager
def shared_codes(frame: pd.DataFrame, column: str = CUSTOMER_ID) -> Iterator[None]:
    """Factorise ``frame[column]`` once; :func:`customer_codes` of this frame reuses it
    inside the ``with`` block. The frame must not be changed inside the block."""
    shared = _SHARED.get()
    if shared is not None and shared[0] is frame and shared[1] == column:
        yield  # already shared by an enclosing block
        return
    token = _SHARED.set((frame, column, *_factorize(frame[column]), {}))
    try:
        yield
    finally:
        _SHARED.reset(token)
