"""Global rank cuts without sorting: quintile scores and value tiers in linear time.

The scored table's segment and tier come from ranks over all customers
(``ROW_NUMBER() OVER (ORDER BY key, customer_id)`` in :func:`clvkit.engines.score.segment_sql`).
Only the rank *band* matters, so instead of sorting every customer by each key, each
band boundary is found by selection (:func:`numpy.partition`, linear time): the
customer at rank ``b`` is the ``b``-th smallest (key, id) pair, and a customer ranks
above ``b`` exactly when its key is larger, or equal with a larger id. The bands are
the ones the SQL computes:

* quintile score ``ceil(5 r / n)``: rank ``r`` scores at most ``s`` when ``5 r <= s n``;
* value tier: rank ``r`` is in the top tier ``k`` when ``r <= ceil(c_k n)`` (the
  product taken in double precision, as the SQL does).

Ties are broken by the customer id in ascending order; ids are compared as numbers
or by their position in id order (``order_codes``) when they are text.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np

__all__ = ["above", "quintile_scores", "tier_index"]


def above(key: np.ndarray, ids: np.ndarray, b: int, kv: object = None) -> np.ndarray:
    """True where the (key, id) pair ranks after the ``b``-th smallest (1-based).

    ``kv``, when given, is the ``b``-th smallest key (from a shared partition).
    """
    n = key.size
    if b <= 0:
        return np.ones(n, dtype=bool)
    if b >= n:
        return np.zeros(n, dtype=bool)
    if kv is None:
        kv = np.partition(key, b - 1)[b - 1]
    ties = key == kv
    j = b - int(np.count_nonzero(key < kv))  # rank of the boundary among the ties
    tie_ids = ids[ties]
    iv = np.partition(tie_ids, j - 1)[j - 1]
    out = key > kv
    out[ties] = tie_ids > iv
    return out


def _bands(key: np.ndarray, ids: np.ndarray, bounds: list[int]) -> np.ndarray:
    """How many of the boundary ranks ``bounds`` each pair ranks after (int8)."""
    n = key.size
    inner = sorted({b - 1 for b in bounds if 0 < b < n})
    part = np.partition(key, inner) if inner else key  # one selection for all bounds
    out = np.zeros(n, dtype=np.int8)
    for b in bounds:
        out += above(key, ids, b, part[b - 1] if 0 < b < n else None)
    return out


def quintile_scores(key: np.ndarray, ids: np.ndarray) -> np.ndarray:
    """``ceil(5 r / n)`` for the rank ``r`` of each (key, id) pair, as int8 (1..5)."""
    n = key.size
    return (_bands(key, ids, [s * n // 5 for s in range(1, 5)]) + 1).astype(np.int8)


def tier_index(key: np.ndarray, ids: np.ndarray, cuts: Sequence[float]) -> np.ndarray:
    """Tier number (0 = best) of each customer: ranks by (key, id), cut at ceil(c n)."""
    n = key.size
    return _bands(key, ids, [math.ceil(float(c) * n) for c in cuts])
