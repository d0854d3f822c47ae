"""Integer codes for customer ids and calendar periods (private).

Grouping a log of millions of rows by customer id text or by pandas Periods is slow;
the fast group-bys of :mod:`clvkit.metrics` and :mod:`clvkit.models.validation` work
on the integer codes made here instead, with results identical to the pandas ones.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

__all__ = ["date_ordinals", "factorize_ids", "period_ordinals", "plain_dates", "sorted_unique"]


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

