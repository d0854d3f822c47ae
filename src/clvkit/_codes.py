"""Customer codes: the customer ids of a transaction table factorised once per run.

A scoring run groups the same transactions by customer in a dozen places (the holdout
split, three churn feature tables and their labels, the BG/NBD churn baseline, the
customer history behind the segments). Each :func:`pandas.factorize` of a million
customers' id strings over seven million rows hashes and sorts those strings again
(most of the run's time at that size). :func:`shared_codes` lets the steps of one run
share a single factorisation: inside the ``with`` block, :func:`customer_codes` of
that very frame (``is``) returns the stored codes; any other frame is factorised as
before. Codes are ``pandas.factorize(ids, sort=True)``: 0..n-1 in the sorted order of
the ids, so anything grouped or sorted by code comes out in the order of the ids, and
a row subset keeps that order (its codes are a subset of the same ranks).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

import numpy as np
import pandas as pd

from .schema import CUSTOMER_ID

__all__ = ["customer_codes", "distinct_per_code", "rows_by_code", "shared_codes",
           "sorted_unique", "subset_codes"]

#: (frame, column, codes, sorted unique ids, memo) of the enclosing :func:`shared_codes`.
_SHARED: ContextVar[tuple[pd.DataFrame, str, np.ndarray, np.ndarray, dict] | None] = \
    ContextVar("clvkit_shared_codes", default=None)


def _factorize(ids: pd.Series | np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    fast = _factorize_text(ids)
    if fast is not None:
        return fast
    codes, uniques = pd.factorize(ids, sort=True)
    return codes.astype(np.int64, copy=False), np.asarray(uniques)


def _factorize_text(ids: pd.Series | np.ndarray) -> tuple[np.ndarray, np.ndarray] | None:
    """``pandas.factorize(ids, sort=True)`` of text ids with pyarrow's dictionary
    encoding (C++, several times faster on millions of strings); None when the ids are
    not all text (or pyarrow cannot take them): the caller uses pandas.

    The same codes: pyarrow sorts strings by their UTF-8 bytes, and UTF-8 byte order
    is code-point order, which is how Python (and so pandas) compares ``str``; missing
    ids get -1 in both."""
    try:
        import pyarrow as pa
        import pyarrow.compute as pc
    except ImportError:  # pragma: no cover - pyarrow is a dependency
        return None
    series = pd.Series(ids, copy=False)
    if series.dtype != object and not isinstance(series.dtype, pd.StringDtype):
        return None
    if pd.api.types.infer_dtype(series, skipna=True) not in ("string", "empty"):
        return None
    try:
        arr = pa.array(series, type=pa.string(), from_pandas=True)
        if isinstance(arr, pa.ChunkedArray):
            arr = arr.combine_chunks()
        encoded = pc.dictionary_encode(arr)
        order = pc.array_sort_indices(encoded.dictionary).to_numpy()
        rank = np.empty(len(order), dtype=np.int64)
        rank[order] = np.arange(len(order), dtype=np.int64)
        index = encoded.indices.fill_null(-1).to_numpy(zero_copy_only=False)
        codes = np.where(index >= 0, rank[index], -1).astype(np.int64, copy=False)
        uniques = encoded.dictionary.take(pa.array(order)).to_numpy(zero_copy_only=False)
    except (pa.ArrowException, ValueError, TypeError):
        return None
    return codes, np.asarray(uniques, dtype=object)


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


def sorted_unique(keys: np.ndarray) -> np.ndarray:
    """``numpy.unique`` of integer keys by one in-place sort (numpy 2's hash-based
    unique is several times slower on millions of keys)."""
    keys = np.sort(keys)
    if keys.size < 2:
        return keys
    first = np.empty(keys.size, dtype=bool)
    first[0] = True
    np.not_equal(keys[1:], keys[:-1], out=first[1:])
    return keys[first]


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
