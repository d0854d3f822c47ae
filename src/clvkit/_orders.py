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

__all__ = ["SUMMED", "aggregate_orders", "is_line_level", "line_counts", "n_shared_order_ids",
           "order_keys"]

#: Columns summed over the lines of an order; the timestamp is the earliest line's, and
#: every other column takes the first non-empty value of the order's lines.
SUMMED = (s.AMOUNT, s.QUANTITY, s.GROSS_MARGIN, s.COST)


def order_keys(typed: pd.DataFrame) -> pd.Series:
    """Return one key per row: ``customer_id`` + ``order_id``, or the row itself.

    The key includes the customer, so shops that number orders per customer
    (customer A's order 1, customer B's order 1) keep them apart. Rows without an
    order id are orders of their own (key ``"#<row>"``).
    """
    if s.ORDER_ID not in typed:
        return _own_keys(typed.index)
    oid = typed[s.ORDER_ID]
    keyed = typed[s.CUSTOMER_ID].astype(str) + "\x1f" + oid.astype(str)
    has_id = oid.notna()
    if has_id.all():  # the usual case: no "#<row>" key to spell out
        return keyed.where(has_id)
    return keyed.where(has_id, _own_keys(typed.index))


def _own_keys(index: pd.Index) -> pd.Series:
    return "#" + pd.Series(index.astype(str), index=index)


def is_line_level(keys: pd.Series) -> bool:
    """True when some order key appears on more than one row (a line-level log)."""
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
    order, _ = pd.factorize(typed[s.ORDER_ID], use_na_sentinel=True)
    customer, customers = pd.factorize(typed[s.CUSTOMER_ID], use_na_sentinel=True)
    both = (order >= 0) & (customer >= 0)
    pairs = np.unique(order[both].astype(np.int64) * (len(customers) + 1) + customer[both])
    per_id = np.bincount(pairs // (len(customers) + 1))
    return int(np.sum(per_id > 1))
