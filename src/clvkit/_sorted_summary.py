"""Per-customer RFM aggregates of a log already in (customer, time) order, in chunks.

Logs are often exported sorted by customer and time. For such a log the summary needs
no sort and no per-(customer, period) table: one pass over the rows in chunks of
:data:`CHUNK` rows finds where a customer and where a period starts, and aggregates per
customer. Every temporary is a chunk long and reused by every chunk, so a log of
millions of rows touches a few megabytes of fresh memory instead of a dozen arrays of
the log's length (on a virtual machine whose freed memory goes back to the host, first
touches of fresh pages cost more than the arithmetic).

:func:`sorted_aggregates` returns None as soon as it meets a row out of order; the
caller then takes the general path (a stable sort of one integer key) of
:mod:`clvkit.summary`, which gives the same numbers.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

__all__ = ["CHUNK", "Aggregates", "sorted_aggregates"]

#: Rows per chunk: 2**18 rows keep each work array at 2 MB (cache sized).
CHUNK = 1 << 18


@dataclass
class Aggregates:
    """One entry per customer, in the order of the log (ascending customer id).

    ``n_periods`` counts the distinct periods with a purchase; ``repeat_spend`` sums
    the amounts of the rows outside the customer's first period (None without amounts).
    """

    customers: np.ndarray
    first_period: np.ndarray
    last_period: np.ndarray
    n_periods: np.ndarray
    repeat_spend: np.ndarray | None


def _count_customers(ids: np.ndarray, buf: np.ndarray) -> int | None:
    """Number of customers of a log sorted by ``ids``; None if ``ids`` decrease somewhere."""
    n, total = ids.size, 1
    for lo in range(0, n, CHUNK):
        hi = min(lo + CHUNK + 1, n)  # one row of overlap: the boundary pair
        if hi - lo < 2:
            break
        step = buf[: hi - lo - 1]
        np.less(ids[lo + 1:hi], ids[lo:hi - 1], out=step)
        if step.any():
            return None
        np.not_equal(ids[lo + 1:hi], ids[lo:hi - 1], out=step)
        total += int(np.count_nonzero(step))
    return total


def sorted_aggregates(ids: np.ndarray, periods: Callable[[int, int, np.ndarray], np.ndarray],
                      amount: np.ndarray | None) -> Aggregates | None:
    """First and last period, distinct periods and repeat spend per customer.

    Parameters
    ----------
    ids : numpy.ndarray
        Customer id per row (numeric, so that order can be checked by comparison).
    periods : callable
        ``periods(lo, hi, out)`` writes the int64 period of rows ``lo:hi`` into ``out``
        and returns it.
    amount : numpy.ndarray of float64 or None
        Spend per row.

    Returns
    -------
    Aggregates or None
        None when the rows are not sorted by customer and, within a customer, by
        period (or the ids are not numeric).
    """
    n = ids.size
    if n == 0 or ids.dtype.kind not in "iuf":
        return None
    flags = np.empty(min(n, CHUNK + 1), dtype=bool)
    n_cust = _count_customers(ids, flags)
    if n_cust is None:
        return None
    customers = np.empty(n_cust, dtype=ids.dtype)
    first = np.empty(n_cust, dtype=np.int64)
    last = np.empty(n_cust, dtype=np.int64)
    count = np.zeros(n_cust, dtype=np.int64)
    repeat = None if amount is None else np.zeros(n_cust, dtype=np.float64)
    size = min(n, CHUNK)
    per, code, first_row = (np.empty(size, dtype=np.int64) for _ in range(3))
    new_cust, new_per = np.empty(size, dtype=bool), np.empty(size, dtype=bool)
    kept = np.empty(size, dtype=np.float64) if amount is not None else None
    started, prev_id, prev_per = 0, None, None
    for lo in range(0, n, CHUNK):
        hi = min(lo + CHUNK, n)
        m = hi - lo
        idc, p = ids[lo:hi], periods(lo, hi, per[:m])
        nc, npr, ok = new_cust[:m], new_per[:m], flags[: m - 1]
        np.not_equal(idc[1:], idc[:-1], out=nc[1:])
        nc[0] = prev_id is None or idc[0] != prev_id
        # within a customer the periods must not decrease
        np.greater_equal(p[1:], p[:-1], out=ok)
        ok |= nc[1:]
        if not ok.all() or (not nc[0] and p[0] < prev_per):
            return None
        np.not_equal(p[1:], p[:-1], out=npr[1:])
        npr[1:] |= nc[1:]
        npr[0] = nc[0] or p[0] != prev_per
        starts = np.flatnonzero(nc)
        k = starts.size
        carried = not nc[0]  # the chunk begins inside the previous chunk's last customer
        g0 = started - carried  # customer index of the chunk's first row
        customers[started:started + k] = idc[starts]
        first[started:started + k] = p[starts]
        seg = starts if not carried else np.r_[0, starts]  # first row of each segment
        n_seg = seg.size
        ends = np.empty(n_seg, dtype=np.intp)
        ends[:-1] = seg[1:] - 1
        ends[-1] = m - 1
        last[g0:g0 + n_seg] = p[ends]
        count[g0:g0 + n_seg] += np.add.reduceat(npr, seg, dtype=np.int64)
        if repeat is not None:
            c = np.cumsum(nc, out=code[:m])
            c += g0 - (0 if carried else 1)  # global customer index of every row
            fr = np.take(first, c, out=first_row[:m])
            in_first = np.equal(p, fr, out=npr)  # npr is no longer needed this chunk
            kc = kept[:m]
            np.copyto(kc, amount[lo:hi])
            np.copyto(kc, 0.0, where=in_first)  # only the repeat periods' rows count
            repeat[g0:g0 + n_seg] += np.add.reduceat(kc, seg)
        started += k
        prev_id, prev_per = idc[-1], p[-1]
    return Aggregates(customers, first, last, count, repeat)
