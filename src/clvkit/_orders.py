"""Order lines to orders: recognise a line-level log and sum its lines per order (private).

An order export usually has one row per product line: the order id repeats, with a
different product, quantity and amount on each row. Such rows are parts of one
purchase, not duplicates. :func:`order_keys` gives every row the order it belongs to,
:func:`is_line_level` tells whether any order has more than one line, and
:func:`aggregate_orders` sums the lines of each order into one row.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from . import schema as s
from ._codes import factorize_ids

__all__ = ["SUMMED", "aggregate_orders", "id_codes", "is_line_level", "line_counts",
           "n_shared_codes", "n_shared_order_ids", "order_keys"]

#: Columns summed over the lines of an order; the timestamp is the earliest line's, and
#: every other column takes the first non-empty value of the order's lines.
SUMMED = (s.AMOUNT, s.QUANTITY, s.GROSS_MARGIN, s.COST)


def id_codes(values: pd.Series) -> tuple[np.ndarray, pd.Index]:
    """Return (codes, uniques): one int64 per row, equal for equal ids, -1 where missing;
    ``uniques[codes[i]] == values[i]``. :func:`clvkit._codes.factorize_ids` (ids of
    :func:`clvkit._parse.as_ids`: strings or missing), the distinct ids as an Index."""
    codes, uniques = factorize_ids(values)
    return (codes.astype(np.int64, copy=False),
            pd.Index(uniques, dtype=object if values.dtype == object else None))


def _per_code_spread(order: np.ndarray, customer: np.ndarray) -> np.ndarray:
    """Per order code: True when more than one customer code uses it."""
    n = int(order.max()) + 1 if order.size else 0
    low = np.full(n, np.iinfo(np.int64).max)
    high = np.full(n, -1, dtype=np.int64)
    np.minimum.at(low, order, customer)
    np.maximum.at(high, order, customer)
    return high > low


def order_keys(typed: pd.DataFrame, customer: np.ndarray | None = None,
               order: np.ndarray | None = None) -> pd.Series:
    """Return one int64 key per row: equal for the lines of one order, unique otherwise.

    Two rows share a key when they have the same ``customer_id`` and the same
    ``order_id``, so shops that number orders per customer (customer A's order 1,
    customer B's order 1) keep them apart. Rows without an order id are orders of
    their own. ``customer`` and ``order`` are the rows' :func:`id_codes`, when known.
    Keys of rows with an order id are numbered in order of first appearance, the
    others follow (their row position added to the count of the first).
    """
    n = len(typed)
    if s.ORDER_ID not in typed:
        return pd.Series(np.arange(n, dtype=np.int64), index=typed.index)
    if order is None:
        order = id_codes(typed[s.ORDER_ID])[0]
    if customer is None:
        customer = id_codes(typed[s.CUSTOMER_ID])[0]
    has = order >= 0
    if has.all():
        with_id, cust = order, customer
    else:
        with_id, cust = order[has], customer[has]
    if with_id.size and _per_code_spread(with_id, cust).any():  # shared order ids
        pair = with_id * (int(customer.max()) + 2) + (cust + 1)
        with_id = pd.factorize(pair)[0].astype(np.int64)
    if has.all():
        return pd.Series(with_id, index=typed.index)
    keys = np.empty(n, dtype=np.int64)
    keys[has] = with_id
    keys[~has] = (int(with_id.max()) + 1 if with_id.size else 0) + np.flatnonzero(~has)
    return pd.Series(keys, index=typed.index)


def is_line_level(keys: pd.Series) -> bool:
    """True when some order key appears on more than one row (a line-level log)."""
    values = keys.to_numpy()
    if values.dtype.kind in "iu" and (values.size == 0 or values.min() >= 0):
        return bool(values.size) and bool((np.bincount(values) > 1).any())
    return bool(keys.duplicated().any())


def aggregate_orders(lines: pd.DataFrame, keys: pd.Series) -> pd.DataFrame:
    """Sum order lines into one row per order.

    Parameters
    ----------
    lines : pandas.DataFrame
        Typed rows (customer_id, timestamp, amount, ...), all of them usable purchase
        lines.
    keys : pandas.Series
        :func:`order_keys` of ``lines`` (same index).

    Returns
    -------
    pandas.DataFrame
        One row per key, in order of first appearance, with the columns of ``lines``:
        amount, quantity, gross_margin and cost summed (empty when every line is
        empty), timestamp the earliest line's, other columns the first non-empty
        value. Indexed by key; ``n_lines`` is not added.
    """
    if lines.empty:
        return lines.set_axis(keys, axis=0)
    grouped = lines.groupby(keys.to_numpy(), sort=False, dropna=False)
    out = grouped.first()
    for col in SUMMED:
        if col in lines:
            out[col] = grouped[col].sum(min_count=1)
    out[s.TIMESTAMP] = grouped[s.TIMESTAMP].min()
    return out[list(lines.columns)]  # sort=False: orders in order of first appearance


def line_counts(keys: pd.Series) -> pd.Series:
    """Number of lines per order key."""
    return keys.value_counts(sort=False)


def n_shared_order_ids(typed: pd.DataFrame) -> int:
    """How many order ids are used by more than one customer (kept apart, counted)."""
    if s.ORDER_ID not in typed:
        return 0
    return n_shared_codes(id_codes(typed[s.CUSTOMER_ID])[0], id_codes(typed[s.ORDER_ID])[0])


def n_shared_codes(customer: np.ndarray, order: np.ndarray) -> int:
    """:func:`n_shared_order_ids` from the rows' :func:`id_codes` (-1: missing)."""
    both = (order >= 0) & (customer >= 0)
    if not both.any():
        return 0
    return int(_per_code_spread(order[both], customer[both]).sum())
