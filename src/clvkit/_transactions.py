"""Transaction-only checks and the order/refund step of :func:`validate_transactions` (private).

- :func:`non_finite`: ``inf``, ``-inf``, ``nan`` written as amounts.
- :func:`future_dates`, :func:`far_from_bulk`: dates after the run date (plus
  :data:`FUTURE_TOLERANCE_DAYS`) or far outside the bulk of the data (a 1900 or 2099
  typo), which would otherwise stretch the observation window.
- :func:`orders_and_reversals`: line-level logs summed to orders (:mod:`clvkit._orders`),
  refunds and cancellations netted (:mod:`clvkit._refunds`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from . import schema as s
from ._orders import (
    aggregate_orders,
    is_line_level,
    n_shared_codes,
    n_shared_order_ids,
    order_keys,
)
from ._parse import as_ids, as_text, parse_dates, parse_numbers
from ._refunds import apply_reduction, match_reversals, reversal_marks

__all__ = ["FAR_FROM_BULK_MIN_YEARS", "FUTURE_TOLERANCE_DAYS", "OrderStep", "far_from_bulk",
           "future_dates", "non_finite", "orders_and_reversals", "reversal_masks",
           "typed_transactions"]

#: Days after the run date a timestamp may lie (time zones ahead of the machine's).
FUTURE_TOLERANCE_DAYS = 1
#: A date is far from the bulk when it lies more than max(2 x the 5%-95% date range,
#: this many years) before the 5% or after the 95% quantile of the dates.
FAR_FROM_BULK_MIN_YEARS = 5
_MIN_ROWS_FOR_BULK = 20
_NON_FINITE = {"nan", "+nan", "-nan", "inf", "+inf", "-inf", "infinity", "+infinity",
               "-infinity"}


def non_finite(raw: pd.Series, parsed: pd.Series) -> pd.Series:
    """True where a value is infinite, or written as ``nan``/``inf`` (any case)."""
    if pd.api.types.is_numeric_dtype(raw) and not pd.api.types.is_bool_dtype(raw):
        # as_text spells a number's infinities "inf"/"-inf" and its NaN as missing
        spelled = pd.Series(np.isinf(raw.to_numpy(dtype=float, na_value=np.nan)),
                            index=raw.index)
    else:
        text = as_text(raw).str.casefold()
        spelled = text.isin(_NON_FINITE).fillna(False).astype(bool)
    return spelled | np.isinf(parsed.to_numpy(dtype=float, na_value=np.nan))


def future_dates(ts: pd.Series, run_date: pd.Timestamp) -> pd.Series:
    """True where the day of ``ts`` is after ``run_date`` + :data:`FUTURE_TOLERANCE_DAYS`."""
    return ts.dt.normalize() > run_date + pd.Timedelta(days=FUTURE_TOLERANCE_DAYS)


def far_from_bulk(ts: pd.Series, among: pd.Series) -> pd.Series:
    """True for dates far outside the bulk of the dates in ``among`` (see the constants).

    Needs at least 20 dates; with fewer nothing is flagged.
    """
    dates = ts[among].dropna()
    if len(dates) < _MIN_ROWS_FOR_BULK:
        return pd.Series(False, index=ts.index)
    low, high = dates.quantile(0.05), dates.quantile(0.95)
    pad = max(2 * (high - low), pd.Timedelta(days=365.25 * FAR_FROM_BULK_MIN_YEARS))
    return among & ((ts < low - pad) | (ts > high + pad))


def typed_transactions(raw: pd.DataFrame, date_format: str | None) -> pd.DataFrame:
    """Raw rows with customer_id, order_id as ids, timestamp as dates, amount as numbers."""
    typed = raw.copy(deep=False)  # the typed columns replace the raw ones, never written into
    typed[s.CUSTOMER_ID] = as_ids(raw[s.CUSTOMER_ID])
    typed[s.TIMESTAMP] = parse_dates(raw[s.TIMESTAMP], date_format)
    typed[s.AMOUNT] = parse_numbers(raw[s.AMOUNT])
    if s.ORDER_ID in raw:
        typed[s.ORDER_ID] = as_ids(raw[s.ORDER_ID])
    return typed


def reversal_masks(typed: pd.DataFrame, mode: str, cancel_prefix: str | None,
               statuses: tuple[str, ...]) -> tuple[pd.Series, pd.Series]:
    """(reversal, cancelled) masks; "ignore" reads neither prefix nor status."""
    if mode == "ignore":
        return (typed[s.AMOUNT] < 0).fillna(False), pd.Series(False, index=typed.index)
    return reversal_marks(typed, cancel_prefix=cancel_prefix, status_values=statuses)


@dataclass
class OrderStep:
    """What :func:`orders_and_reversals` produced."""

    clean: pd.DataFrame
    reasons: pd.Series  # new set-aside reason per row (NaN: unchanged)
    refunds: pd.DataFrame
    reversals: dict[str, Any] = field(default_factory=dict)
    shape: dict[str, Any] = field(default_factory=dict)


def _orders(typed: pd.DataFrame, rows: pd.Series, keys: pd.Series,
            line_level: bool) -> pd.DataFrame:
    lines = typed[rows]
    if line_level:
        return aggregate_orders(lines, keys[rows])
    lines.index = keys[rows].to_numpy()  # a fresh frame: no second copy for the index
    return lines


def _shape(typed: pd.DataFrame, purchase: pd.Series, n_orders: int, line_level: bool,
           codes: tuple[np.ndarray, np.ndarray] | None = None) -> dict[str, Any]:
    rows = purchase.to_numpy(dtype=bool)
    if codes is None:
        shared = n_shared_order_ids(typed[purchase])
    else:
        shared = n_shared_codes(codes[0][rows], codes[1][rows])
    return {"shape": "lines" if line_level else "orders", "n_lines": int(rows.sum()),
            "n_orders": n_orders, "n_shared_order_ids": shared}


def orders_and_reversals(
    typed: pd.DataFrame,
    ok: pd.Series,
    reversal: pd.Series,
    cancelled: pd.Series,
    *,
    mode: str,
    cancel_prefix: str | None,
    codes: tuple[np.ndarray, np.ndarray] | None = None,
) -> OrderStep:
    """Sum order lines to orders and, with ``mode="net"``, net reversals against them.

    Parameters
    ----------
    typed : pandas.DataFrame
        The typed transaction rows.
    ok : pandas.Series
        Rows that passed every row check (purchases, and reversals in "net" mode).
    reversal, cancelled : pandas.Series
        :func:`clvkit._refunds.reversal_marks`; ``cancelled`` rows are already set aside.
    codes : (numpy.ndarray, numpy.ndarray), optional
        :func:`clvkit._orders.id_codes` of the customer and order ids (order: all -1
        without an order_id column), when the caller has them.
    """
    customer, order = (None, None) if codes is None else codes
    keys = order_keys(typed, customer, order)
    purchase = ok & ~reversal
    line_level = is_line_level(keys[purchase])
    orders = _orders(typed, purchase, keys, line_level)
    shape = _shape(typed, purchase, len(orders), line_level, codes)
    reasons = pd.Series(np.nan, index=typed.index, dtype=object)
    if mode != "net":
        marked = reversal | cancelled  # the caller passes those it set aside
        refunds = typed[reversal & (typed[s.AMOUNT] < 0)].sort_values(s.TIMESTAMP,
                                                                     kind="stable")
        summary = {"mode": mode, "n_reversals": int(marked.sum()),
                   "amount_set_aside": float(typed.loc[marked, s.AMOUNT].abs().sum())}
        return OrderStep(orders, reasons,  # renumbered when sorted (build_table)
                         refunds.reset_index(drop=True), summary, shape)
    rev_rows = ok & reversal
    rev_lines = typed[rev_rows].copy()
    rev_lines[s.AMOUNT] = rev_lines[s.AMOUNT].abs()
    rev = aggregate_orders(rev_lines, keys[rev_rows])
    # matched by position: the orders are not renumbered (a copy of millions of rows)
    reduction, outcome = match_reversals(orders, rev, cancel_prefix=cancel_prefix,
                                         customers=_customer_codes(customer, keys, purchase,
                                                                   rev_rows, orders, rev))
    kept, gone = apply_reduction(orders, reduction)
    netted = pd.Series(outcome["netted"].to_numpy() > 0, index=rev.index)
    reasons[rev_rows] = np.where(keys[rev_rows].map(netted).to_numpy(dtype=bool),
                                 "refund_netted", "refund_unmatched")
    reasons[purchase & keys.isin(orders.index[gone])] = "order_reversed"
    summary = _net_summary(typed, keys, cancelled, orders, reduction, gone, outcome)
    refunds = rev.reset_index(drop=True).assign(**{s.AMOUNT: -rev[s.AMOUNT].to_numpy()})
    matched = outcome["matched_order"].to_numpy()
    oid = orders[s.ORDER_ID].to_numpy() if s.ORDER_ID in orders else np.full(len(orders), None)
    refunds = refunds.assign(
        match=outcome["match"].to_numpy(),
        matched_order_id=[oid[m] if m >= 0 else None for m in matched],
        netted=outcome["netted"].to_numpy(), unmatched=outcome["unmatched"].to_numpy(),
    ).sort_values(s.TIMESTAMP, kind="stable").reset_index(drop=True)
    return OrderStep(kept, reasons, refunds, summary, shape)  # renumbered by build_table


def _customer_codes(customer: np.ndarray | None, keys: pd.Series, purchase: pd.Series,
                    rev_rows: pd.Series, orders: pd.DataFrame, rev: pd.DataFrame
                    ) -> tuple[np.ndarray, np.ndarray] | None:
    """The customer codes of ``orders`` and ``rev`` (rows summed per key), or None."""
    if customer is None:
        return None
    out = []
    for rows, frame in ((purchase, orders), (rev_rows, rev)):
        mask = rows.to_numpy(dtype=bool)
        codes, row_keys = customer[mask], keys.to_numpy()[mask]
        if len(codes) != len(frame):  # order lines summed: one customer per key
            codes = pd.Series(codes).groupby(row_keys, sort=False).first().to_numpy()
        out.append(codes)
    return out[0], out[1]


def _net_summary(typed: pd.DataFrame, keys: pd.Series, cancelled: pd.Series,
                 orders: pd.DataFrame, reduction: np.ndarray, gone: np.ndarray,
                 outcome: pd.DataFrame) -> dict[str, Any]:
    """Counts of the "net" step: orders reversed fully / partly, revenue reversed."""
    by_status = typed[cancelled].groupby(keys[cancelled].to_numpy(), sort=False)[s.AMOUNT].sum()
    # the orders cancelled by status that are also purchases: look the few cancelled keys
    # up among the orders (hashing the few), not the other way round
    if len(by_status):
        both = set(orders.index[orders.index.isin(by_status.index)])
    else:
        both = set()
    full = set(orders.index[gone]) | (set(by_status.index) - both)
    partly = (set(orders.index[(reduction > 0) & ~gone]) | both) - full
    how = outcome["match"]
    return {
        "mode": "net",
        "n_reversals": len(outcome),
        "n_matched_by_order_id": int((how == "order_id").sum()),
        "n_matched_earlier_purchase": int((how == "earlier_purchase").sum()),
        "n_netted_customer_level": int((how == "customer").sum()),
        "n_unmatched": int((how == "unmatched").sum()),
        "amount_unmatched": float(outcome["unmatched"].sum()),
        "n_cancelled_by_status": len(by_status),
        "n_orders_reversed_fully": len(full),
        "n_orders_reversed_partly": len(partly),
        "revenue_reversed": float(reduction.sum() + by_status.sum()),
    }
