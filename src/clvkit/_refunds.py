"""Refunds and cancellations: find them, match them to the purchases they reverse, net them.

Private module; :func:`net_amounts` is re-exported by :mod:`clvkit.validation`, which
calls the rest while validating transactions (``refunds="net"``, the default).

A *reversal* is a row with a negative amount, or whose order id starts with the
configured cancellation prefix (the UK retailer's ``C536379``), of amount ``|amount|``.
A row whose ``status`` is one of the cancelled or refunded values (``"Cancelled"``,
``"已取消"``, ``"Refunded"``, ``"已退款"`` ...) with a positive amount is the purchase
itself, cancelled: it is not a purchase. Each reversal, in time order, is matched to:

1. the purchase with the same order id (or, with a prefix, the order id without it),
   same customer: ``match = "order_id"``;
2. else the customer's most recent purchase at or before the reversal whose remaining
   amount is at least the reversal's: ``"earlier_purchase"``;
3. else the customer's earlier purchases, most recent first, each reduced at most to
   zero: ``"customer"`` (netted at customer level);
4. what is left (no earlier purchase, or more refunded than bought) is counted as
   unmatched: ``"unmatched"``.

A purchase reduced to zero is reversed in full and leaves the purchases (it no longer
counts for frequency or recency); one reduced in part keeps its net amount, with gross
margin and cost scaled in proportion and quantity left as bought.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from . import schema as s
from ._parse import as_text

if TYPE_CHECKING:
    from ._quality import ValidatedTable

__all__ = [
    "CANCELLED_VALUES",
    "REFUNDED_VALUES",
    "REFUND_MODES",
    "apply_reduction",
    "match_reversals",
    "net_amounts",
    "reversal_marks",
]

#: How validation treats refunds and cancellations (``refunds=``).
REFUND_MODES = ("net", "set_aside", "ignore")
#: Default status values that mark an order as cancelled / refunded (compared ignoring
#: case and surrounding spaces).
CANCELLED_VALUES = ("Cancelled", "Canceled", "已取消")
REFUNDED_VALUES = ("Refunded", "已退款")
_EPS = 1e-9
MATCHES = ("order_id", "earlier_purchase", "customer", "unmatched")


def reversal_marks(
    typed: pd.DataFrame,
    *,
    cancel_prefix: str | None = None,
    status_values: tuple[str, ...] = CANCELLED_VALUES + REFUNDED_VALUES,
) -> tuple[pd.Series, pd.Series]:
    """Return (reversal, cancelled) masks of a typed transaction table.

    ``reversal``: negative amount, or order id starting with ``cancel_prefix`` (amount
    not zero). ``cancelled``: not a reversal, positive amount and a status among
    ``status_values``.
    """
    amount = typed[s.AMOUNT]
    reversal = amount < 0
    if cancel_prefix and s.ORDER_ID in typed:
        prefixed = typed[s.ORDER_ID].astype("string").str.startswith(cancel_prefix)
        reversal |= prefixed.fillna(False).astype(bool) & (amount != 0)
    cancelled = pd.Series(False, index=typed.index)
    if s.STATUS in typed and status_values:
        wanted = {str(v).strip().casefold() for v in status_values}
        status = as_text(typed[s.STATUS]).str.casefold()
        cancelled = status.isin(wanted).fillna(False).astype(bool) & ~reversal & (amount > 0)
    return reversal.fillna(False).astype(bool), cancelled


def _by_order_id(orders: pd.DataFrame, reversals: pd.DataFrame,
                 cancel_prefix: str | None, mine: np.ndarray | None = None) -> np.ndarray:
    """Position in ``orders`` of the order each reversal names (-1 when none).

    The order must be the reversal customer's own; ``mine``: the orders of the
    customers with a reversal (computed when not given), the only ones looked at.
    """
    target = np.full(len(reversals), -1)
    if s.ORDER_ID not in orders or s.ORDER_ID not in reversals or orders.empty:
        return target
    if mine is None:
        mine = _of_customers(orders, reversals)
    oid = reversals[s.ORDER_ID].astype("string")
    tries = [oid]
    if cancel_prefix:
        stripped = oid.where(~oid.str.startswith(cancel_prefix).fillna(False),
                             oid.str.slice(len(cancel_prefix)))
        tries.append(stripped)
    # only the orders of customers with a reversal can match: key those (few), not all
    mine = np.flatnonzero(mine)
    mine = mine[orders[s.ORDER_ID].iloc[mine].notna().to_numpy()]
    n_mine, n_rev = len(mine), len(reversals)
    # (customer, order id) pairs as integers: codes of both ids, factorized together
    customers = np.concatenate([
        orders[s.CUSTOMER_ID].iloc[mine].to_numpy(dtype=object, na_value=None),
        reversals[s.CUSTOMER_ID].to_numpy(dtype=object, na_value=None)])
    c_codes, c_uniques = pd.factorize(customers)
    ids = np.concatenate([orders[s.ORDER_ID].iloc[mine].to_numpy(dtype=object, na_value=None),
                          *(i.to_numpy(dtype=object, na_value=None) for i in tries)])
    o_codes = pd.factorize(ids)[0].astype(np.int64)
    width = len(c_uniques) + 1  # customer code -1 (missing) never meets a real pair
    key = pd.Index(o_codes[:n_mine] * width + c_codes[:n_mine])
    first = ~key.duplicated()  # the first order holding a pair is the one named
    key, at_order = key[first], mine[first]
    for k in range(len(tries)):
        codes = o_codes[n_mine + k * n_rev:n_mine + (k + 1) * n_rev]
        at = key.get_indexer(codes * width + c_codes[n_mine:])
        todo = (target < 0) & (codes >= 0) & (at >= 0)
        target[todo] = at_order[at[todo]]
    return target


def _of_customers(orders: pd.DataFrame, reversals: pd.DataFrame,
                  customers: tuple[np.ndarray, np.ndarray] | None = None) -> np.ndarray:
    """Mask of the orders whose customer has a reversal (looked up by the few customers).

    ``customers``: integer codes of the orders' and the reversals' customers, when known.
    """
    if orders.empty or reversals.empty:
        return np.zeros(len(orders), dtype=bool)
    if customers is not None:
        of_orders, of_reversals = customers
        wanted = np.zeros(max(of_orders.max(), of_reversals.max()) + 2, dtype=bool)
        wanted[of_reversals[of_reversals >= 0]] = True
        return wanted[of_orders]  # code -1 (missing): the last cell, never set
    wanted = pd.unique(reversals[s.CUSTOMER_ID].to_numpy())
    return orders[s.CUSTOMER_ID].isin(wanted).to_numpy(dtype=bool)


def match_reversals(
    orders: pd.DataFrame, reversals: pd.DataFrame, *, cancel_prefix: str | None = None,
    customers: tuple[np.ndarray, np.ndarray] | None = None,
) -> tuple[np.ndarray, pd.DataFrame]:
    """Match reversals to the orders they reverse (rules in the module docstring).

    Parameters
    ----------
    orders : pandas.DataFrame
        Purchases, one row per order: customer_id, timestamp, amount (> 0), optional
        order_id.
    reversals : pandas.DataFrame
        customer_id, timestamp, amount (the reversed amount, > 0), optional order_id.
    customers : (numpy.ndarray, numpy.ndarray), optional
        Integer codes of the customers of ``orders`` and ``reversals`` (equal ids,
        equal codes; -1 missing), when the caller has them: saves hashing the ids.

    Returns
    -------
    reduction : numpy.ndarray
        Amount taken off each order (aligned with ``orders``).
    outcome : pandas.DataFrame
        Aligned with ``reversals``: ``match`` (one of "order_id", "earlier_purchase",
        "customer", "unmatched"), ``matched_order`` (position in ``orders`` of the
        order reduced first, -1 when none), ``netted`` and ``unmatched`` amounts.
    """
    remaining = orders[s.AMOUNT].to_numpy(dtype=float).copy()
    mine = _of_customers(orders, reversals, customers)
    named = _by_order_id(orders, reversals, cancel_prefix, mine)
    when = orders[s.TIMESTAMP].to_numpy()
    # the orders of customers with a reversal (few), in time order
    mine = np.flatnonzero(mine)
    by_time = mine[np.argsort(when[mine], kind="stable")]
    groups = (pd.Series(by_time).groupby(orders[s.CUSTOMER_ID].to_numpy()[by_time],
                                          sort=False).indices if len(by_time) else {})
    r_amount = reversals[s.AMOUNT].to_numpy(dtype=float)
    r_time = reversals[s.TIMESTAMP].to_numpy()
    r_cust = reversals[s.CUSTOMER_ID].to_numpy()
    how = np.empty(len(reversals), dtype=object)
    first = np.full(len(reversals), -1)
    netted = np.zeros(len(reversals))
    for i in np.argsort(r_time, kind="stable"):
        left = r_amount[i]
        how[i] = "unmatched"
        if named[i] >= 0:
            take = min(left, max(remaining[named[i]], 0.0))
            remaining[named[i]] -= take
            left -= take
            how[i], first[i] = "order_id", named[i]
        idx = groups.get(r_cust[i])
        if left > _EPS and idx is not None:
            pos = by_time[idx]  # the customer's orders, in time order
            earlier = pos[when[pos] <= r_time[i]][::-1]
            earlier = earlier[remaining[earlier] > _EPS]
            big = earlier[remaining[earlier] >= left - _EPS]
            if how[i] == "unmatched" and big.size:
                remaining[big[0]] -= left
                left, how[i], first[i] = 0.0, "earlier_purchase", big[0]
            for p in earlier:
                if left <= _EPS:
                    break
                take = min(left, remaining[p])
                remaining[p] -= take
                left -= take
                if how[i] == "unmatched":
                    how[i], first[i] = "customer", p
        netted[i] = r_amount[i] - max(left, 0.0)
    reduction = orders[s.AMOUNT].to_numpy(dtype=float) - remaining
    outcome = pd.DataFrame({"match": how, "matched_order": first, "netted": netted,
                            "unmatched": r_amount - netted}, index=reversals.index)
    return reduction, outcome


def apply_reduction(
    orders: pd.DataFrame, reduction: np.ndarray
) -> tuple[pd.DataFrame, np.ndarray]:
    """Take ``reduction`` off each order; return (orders kept, mask of orders reversed in full).

    Gross margin and cost of a partly reversed order are scaled by net / gross amount.
    """
    gross = orders[s.AMOUNT].to_numpy(dtype=float)
    net = gross - reduction
    gone = (reduction > 0) & (net <= _EPS * np.maximum(gross, 1.0))
    out = orders.copy(deep=False)  # columns are replaced, never written into
    factor = np.divide(net, gross, out=np.ones_like(net), where=gross > 0)
    out[s.AMOUNT] = net
    for col in (s.GROSS_MARGIN, s.COST):
        if col in out:
            out[col] = out[col].astype(float) * factor
    return (out[~gone] if gone.any() else out), gone


def net_amounts(validated: ValidatedTable) -> pd.DataFrame:
    """Net the refunds of a table validated with ``refunds="set_aside"`` against its purchases.

    Tables validated with ``refunds="net"`` (the default) are already net: their
    ``clean`` is returned as it is, with ``refunded`` 0. Otherwise each refund in
    ``validated.refunds`` is matched as described in :mod:`clvkit._refunds` (order id,
    else the most recent earlier purchase of at least that amount, else the
    customer's earlier purchases) and purchases reversed in full are removed.

    Parameters
    ----------
    validated : ValidatedTable
        Result of :func:`validate_transactions`.

    Returns
    -------
    pandas.DataFrame
        ``validated.clean`` with ``amount`` net of refunds and a ``refunded`` column
        (positive amount taken off). ``attrs`` holds ``n_refunds_matched``,
        ``n_refunds_unmatched`` and ``n_purchases_fully_refunded``.
    """
    clean = validated.clean.reset_index(drop=True)
    refunds = validated.refunds
    if validated.reversals.get("mode") == "net" or refunds.empty:
        out = clean.assign(refunded=0.0)
        out.attrs.update(n_refunds_matched=0, n_refunds_unmatched=0,
                         n_purchases_fully_refunded=0)
        return out
    reversals = refunds.assign(**{s.AMOUNT: refunds[s.AMOUNT].abs()})
    reduction, outcome = match_reversals(clean, reversals)
    kept, gone = apply_reduction(clean, reduction)
    out = kept.assign(refunded=reduction[~gone]).reset_index(drop=True)
    out.attrs.update(
        n_refunds_matched=int((outcome["match"] != "unmatched").sum()),
        n_refunds_unmatched=int((outcome["match"] == "unmatched").sum()),
        n_purchases_fully_refunded=int(gone.sum()),
    )
    return out
