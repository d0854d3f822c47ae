"""Profitability: each customer's margin minus the cost to serve them."""

from __future__ import annotations

import warnings
from typing import Any, Literal

import numpy as np
import pandas as pd

from .._messages import examples
from ..exceptions import DataValidationError, ParameterError
from ..schema import AMOUNT, COST_TO_SERVE, CUSTOMER_ID, GROSS_MARGIN
from ..tables import Dataset
from ._base import as_tables, customer_history

__all__ = ["customer_profitability", "margin_share"]


def margin_share(transactions: pd.DataFrame, margin_rate: float | None = None) -> float:
    """Return gross margin as a share of revenue: observed when possible, else ``margin_rate``.

    Use it as the ``margin`` of :func:`clvkit.models.customer_value`, so that CLV is
    in margin rather than revenue.

    Parameters
    ----------
    transactions : pandas.DataFrame
        With amount and, when available, gross_margin.
    margin_rate : float, optional
        Fallback share when the transactions have no gross_margin column.

    Returns
    -------
    float
        Total gross_margin / total amount, or ``margin_rate``.

    Raises
    ------
    DataValidationError
        Neither a gross_margin column nor a margin_rate, or non-positive revenue.
    """
    if GROSS_MARGIN not in transactions.columns:
        if margin_rate is None:
            msg = (
                "The transactions have no 'gross_margin' column; pass margin_rate (the gross "
                "margin as a share of amount, e.g. 0.3)."
            )
            raise DataValidationError(msg, column=GROSS_MARGIN)
        return float(margin_rate)
    revenue = float(transactions[AMOUNT].sum())
    if revenue <= 0:
        msg = f"Total amount is {revenue:,.2f}; a margin share needs positive revenue."
        raise DataValidationError(msg, column=AMOUNT)
    return float(transactions[GROSS_MARGIN].sum()) / revenue


def customer_profitability(
    data: Dataset | pd.DataFrame,
    *,
    customers: pd.DataFrame | None = None,
    observation_end: Any = None,
    margin_rate: float | None = None,
    cost_to_serve_period: Literal["year", "total"] = "year",
    cost_per_order: float = 0.0,
    cost_per_contact: float = 0.0,
    contacts: pd.Series | str | None = None,
    require_margin: bool = True,
) -> pd.DataFrame:
    """Compute each customer's profit over the observed window: margin minus cost to serve.

    .. math::

        \\text{profit} = \\text{margin} - c_{\\text{serve}} \\cdot y
        - c_{\\text{order}} \\cdot \\text{orders} - c_{\\text{contact}} \\cdot \\text{contacts}

    where :math:`c_{\\text{serve}}` is the customer table's cost_to_serve and
    :math:`y` the years from the first purchase to observation_end (when
    ``cost_to_serve_period="year"``; with "total", :math:`y = 1`).

    Parameters
    ----------
    data : Dataset or pandas.DataFrame
        A Dataset or its transactions table.
    customers : pandas.DataFrame, optional
        Customer table; its cost_to_serve column (currency per year) is used when
        present. Default: the Dataset's.
    observation_end : date-like, optional
        End of the window; default the Dataset's, else the last purchase date.
    margin_rate : float, optional
        Gross margin as a share of amount, used only when the transactions have no
        gross_margin column.
    cost_to_serve_period : {"year", "total"}, default "year"
        Whether cost_to_serve is a yearly cost or the whole window's cost.
    cost_per_order : float, default 0
        Cost of handling one order (currency).
    cost_per_contact : float, default 0
        Cost of one support contact (currency); needs ``contacts``.
    contacts : pandas.Series or str, optional
        Support contacts per customer: a Series indexed by customer_id or the name
        of a column of the customer table. Missing customers count 0.
    require_margin : bool, default True
        Raise when no margin can be computed; if False, profit is NaN instead.

    Returns
    -------
    pandas.DataFrame
        Indexed by customer_id with revenue, margin, orders, tenure_years,
        serve_cost, order_cost, contact_cost, total_cost and profit (currency).

    Raises
    ------
    DataValidationError
        No gross_margin and no margin_rate, a negative or non-numeric cost, or the
        contacts column missing.
    ParameterError
        Invalid cost_to_serve_period, margin_rate or costs.
    """
    tables = as_tables(data, customers, None, observation_end)
    hist = customer_history(tables.transactions, tables.observation_end)
    out = hist[["revenue", "margin", "orders", "tenure_years"]].copy()
    out["margin"] = _margin(tables.transactions, hist, margin_rate, require_margin)
    if cost_to_serve_period not in ("year", "total"):
        msg = f"cost_to_serve_period must be one of 'year', 'total'; got {cost_to_serve_period!r}"
        raise ParameterError(msg)
    for name, value in (("cost_per_order", cost_per_order),
                        ("cost_per_contact", cost_per_contact)):
        if not np.isfinite(value) or value < 0:
            msg = f"{name} must be a non-negative amount; got {value!r}"
            raise ParameterError(msg)
    years = out["tenure_years"] if cost_to_serve_period == "year" else 1.0
    out["serve_cost"] = _per_customer(tables.customers, COST_TO_SERVE, out.index) * years
    out["order_cost"] = cost_per_order * out["orders"]
    out["contact_cost"] = 0.0
    if cost_per_contact:
        out["contact_cost"] = cost_per_contact * _contacts(contacts, tables.customers, out.index)
    out["total_cost"] = out[["serve_cost", "order_cost", "contact_cost"]].sum(axis=1)
    out["profit"] = out["margin"] - out["total_cost"]
    out.attrs = dict(hist.attrs)
    return out


def _margin(
    tx: pd.DataFrame, hist: pd.DataFrame, margin_rate: float | None, required: bool
) -> pd.Series:
    if GROSS_MARGIN in tx.columns:
        return hist["margin"]
    if margin_rate is not None:
        if not 0 <= margin_rate <= 1:
            msg = f"margin_rate must be a share between 0 and 1; got {margin_rate!r}"
            raise ParameterError(msg)
        return hist["revenue"] * margin_rate
    if required:
        msg = (
            "Profitability needs margins: the transactions have no 'gross_margin' column. "
            f"Add it, or pass margin_rate (the gross margin as a share of '{AMOUNT}', e.g. 0.3)."
        )
        raise DataValidationError(msg, column=GROSS_MARGIN)
    return pd.Series(np.nan, index=hist.index)


def _per_customer(customers: pd.DataFrame | None, column: str, index: pd.Index) -> pd.Series:
    """A numeric customer-table column aligned to ``index`` (0 where absent)."""
    if customers is None or column not in customers.columns:
        return pd.Series(0.0, index=index)
    values = customers.set_index(CUSTOMER_ID)[column]
    if not pd.api.types.is_numeric_dtype(values):
        msg = f"Customer column {column!r} must be numeric; got dtype {values.dtype}."
        raise DataValidationError(msg, column=column)
    negative = values < 0
    if negative.any():
        msg = (
            f"{int(negative.sum()):,} customers have a negative {column!r} "
            f"(e.g. customer_id {examples(values.index[negative])}); costs must be >= 0."
        )
        raise DataValidationError(msg, column=column, n_failed=int(negative.sum()))
    aligned = values[~values.index.duplicated()].reindex(index)
    if aligned.isna().any():
        n = int(aligned.isna().sum())
        msg = (
            f"{n:,} of {len(index):,} customers have no {column!r} "
            f"(e.g. customer_id {examples(index[aligned.isna()])}); counted as 0."
        )
        warnings.warn(msg, UserWarning, stacklevel=4)
    return aligned.fillna(0.0).astype("float64")


def _contacts(
    contacts: pd.Series | str | None, customers: pd.DataFrame | None, index: pd.Index
) -> pd.Series:
    if isinstance(contacts, pd.Series):
        return contacts.reindex(index).fillna(0).astype("float64")
    if isinstance(contacts, str):
        if customers is None or contacts not in customers.columns:
            have = [] if customers is None else list(customers.columns)
            msg = (
                f"contacts={contacts!r} names no column of the customer table "
                f"(columns: {', '.join(map(repr, have)) or 'no customer table'})."
            )
            raise DataValidationError(msg, column=contacts)
        return _per_customer(customers, contacts, index)
    msg = (
        "cost_per_contact > 0 needs contacts: a Series per customer_id or the name of a "
        "customer column."
    )
    raise ParameterError(msg)
