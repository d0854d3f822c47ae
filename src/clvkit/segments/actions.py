"""Profitability (margin minus cost to serve) and the keep / grow / stop-investing matrix."""

from __future__ import annotations

import warnings
from collections.abc import Mapping, Sequence
from typing import Any, Literal

import numpy as np
import pandas as pd

from ..exceptions import DataValidationError, ParameterError
from ..i18n import t
from ..schema import AMOUNT, COST_TO_SERVE, CUSTOMER_ID, GROSS_MARGIN
from ..tables import Dataset
from ._base import as_tables, customer_history, cut_levels, examples, model_frame, resolve_value

__all__ = [
    "DEFAULT_ACTIONS",
    "action_label",
    "action_matrix",
    "assign_actions",
    "customer_profitability",
    "margin_share",
    "recommendation",
]

Matrix = Literal["value_profit", "value_alive"]
VALUE_LEVELS = ("high", "medium", "low")
SECOND_LEVELS: dict[str, tuple[str, ...]] = {
    "value_profit": ("profitable", "unprofitable"),
    "value_alive": ("active", "inactive"),
}
# (value level, profitability or activity level) -> action code. Labels and the
# plain-language recommendation of each code are in locales/segments.toml.
DEFAULT_ACTIONS: dict[str, dict[tuple[str, str], str]] = {
    "value_profit": {
        ("high", "profitable"): "keep",
        ("high", "unprofitable"): "fix_cost",
        ("medium", "profitable"): "grow",
        ("medium", "unprofitable"): "fix_cost",
        ("low", "profitable"): "maintain",
        ("low", "unprofitable"): "stop_investing",
    },
    "value_alive": {
        ("high", "active"): "keep",
        ("high", "inactive"): "win_back",
        ("medium", "active"): "grow",
        ("medium", "inactive"): "reactivate",
        ("low", "active"): "maintain",
        ("low", "inactive"): "stop_investing",
    },
}


def _translated(key: str, fallback: str, lang: str | None) -> str:
    text = t(key, lang)
    return fallback if text == key else text


def action_label(code: str, lang: str | None = None) -> str:
    """Return the short label of an action code (the code itself if unknown)."""
    return _translated(f"segments.action.{code}", code, lang)


def recommendation(code: str, lang: str | None = None) -> str:
    """Return the plain-language recommendation of an action code ("" if unknown)."""
    return _translated(f"segments.recommend.{code}", "", lang)


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


def assign_actions(
    data: Dataset | pd.DataFrame,
    *,
    customers: pd.DataFrame | None = None,
    observation_end: Any = None,
    customer_value: pd.DataFrame | pd.Series | None = None,
    matrix: Matrix = "value_profit",
    value_cuts: Sequence[float] = (0.2, 0.5),
    alive_threshold: float = 0.5,
    actions: Mapping[tuple[str, str], str] | None = None,
    value_basis: str = "auto",
    lang: str | None = None,
    **costs: Any,
) -> pd.DataFrame:
    """Place every customer in a cell of the action matrix and give the cell's action.

    The value axis ranks customers by value (CLV when ``customer_value`` is given,
    else historical margin or revenue): the top ``value_cuts[0]`` share is "high",
    the next up to ``value_cuts[1]`` "medium", the rest "low". The second axis is
    profit > 0 ("profitable" / "unprofitable", ``matrix="value_profit"``) or
    P(alive) >= ``alive_threshold`` ("active" / "inactive", ``matrix="value_alive"``,
    which needs p_alive in ``customer_value``).

    Parameters
    ----------
    data : Dataset or pandas.DataFrame
        A Dataset or its transactions table.
    customers, observation_end
        As in :func:`customer_profitability`.
    customer_value : DataFrame or Series, optional
        Output of :func:`clvkit.models.customer_value` or a CLV Series.
    matrix : {"value_profit", "value_alive"}, default "value_profit"
        Which second axis to use.
    value_cuts : pair of float, default (0.2, 0.5)
        Cumulative customer shares ending the high and medium value levels.
    alive_threshold : float, default 0.5
        P(alive) from which a customer counts as active.
    actions : mapping, optional
        Overrides of :data:`DEFAULT_ACTIONS` cells, e.g.
        ``{("low", "unprofitable"): "reprice"}``.
    value_basis : str, default "auto"
        See :func:`clvkit.segments.customer_tiers`.
    lang : {"en", "zh"}, optional
        Language of action_label.
    **costs
        margin_rate, cost_to_serve_period, cost_per_order, cost_per_contact, contacts
        for :func:`customer_profitability`.

    Returns
    -------
    pandas.DataFrame
        Indexed by customer_id with value, value_basis, value_level, profit,
        p_alive, second_level, action (code) and action_label.

    Raises
    ------
    ParameterError
        Unknown matrix, bad value_cuts or threshold, unknown cells in ``actions``, or
        ``matrix="value_alive"`` without p_alive.
    DataValidationError
        As :func:`customer_profitability`.
    """
    if matrix not in SECOND_LEVELS:
        msg = f"matrix must be one of {', '.join(map(repr, SECOND_LEVELS))}; got {matrix!r}"
        raise ParameterError(msg)
    cells = action_cells(matrix, actions)
    if len(value_cuts) != 2:
        msg = (
            "value_cuts must be two cumulative shares (high, medium), e.g. (0.2, 0.5); "
            f"got {tuple(value_cuts)}"
        )
        raise ParameterError(msg)
    tables = as_tables(data, customers, None, observation_end)
    profit = customer_profitability(
        tables.transactions, customers=tables.customers, observation_end=tables.observation_end,
        require_margin=matrix == "value_profit", **costs,
    )
    models = model_frame(profit.index, customer_value, None)
    value, basis = resolve_value(profit, models, value_basis)
    out = pd.DataFrame({"value": value, "value_basis": basis}, index=profit.index)
    out["value_level"] = np.asarray(VALUE_LEVELS)[cut_levels(value, value_cuts, "value_cuts")]
    out["profit"] = profit["profit"]
    out["p_alive"] = models["p_alive"]
    out["second_level"] = _second_level(out, matrix, alive_threshold)
    keys = zip(out["value_level"], out["second_level"], strict=True)
    out["action"] = [cells[key] for key in keys]
    out["action_label"] = [action_label(code, lang) for code in out["action"]]
    out.attrs = dict(profit.attrs, value_basis=basis, matrix=matrix)
    return out


def action_cells(matrix: str, actions: Mapping[tuple[str, str], str] | None) -> dict:
    cells = dict(DEFAULT_ACTIONS[matrix])
    for key, code in (actions or {}).items():
        if tuple(key) not in cells:
            valid = ", ".join(str(k) for k in cells)
            msg = f"actions has an unknown cell {key!r} for matrix {matrix!r}; cells are {valid}."
            raise ParameterError(msg)
        cells[tuple(key)] = str(code)
    return cells


def _second_level(frame: pd.DataFrame, matrix: str, alive_threshold: float) -> np.ndarray:
    good, bad = SECOND_LEVELS[matrix]
    if matrix == "value_profit":
        return np.where(frame["profit"] > 0, good, bad)
    if frame["p_alive"].isna().any():
        msg = (
            "matrix='value_alive' needs P(alive): pass customer_value (the output of "
            "clvkit.models.customer_value(), with a p_alive column), or use "
            "matrix='value_profit'."
        )
        raise ParameterError(msg)
    if not 0 < alive_threshold < 1:
        msg = f"alive_threshold must be between 0 and 1; got {alive_threshold!r}"
        raise ParameterError(msg)
    return np.where(frame["p_alive"] >= alive_threshold, good, bad)


def action_matrix(
    data: Dataset | pd.DataFrame,
    *,
    recommendations: Mapping[str, str] | None = None,
    lang: str | None = None,
    **kwargs: Any,
) -> pd.DataFrame:
    """Summarise the action matrix: customers, value at stake and the action per cell.

    Parameters
    ----------
    data : Dataset or pandas.DataFrame
        A Dataset or its transactions table.
    recommendations : mapping, optional
        Action code -> your own plain-language recommendation (overrides the
        catalogue text, e.g. for a custom action code).
    lang : {"en", "zh"}, optional
        Language of labels and recommendations.
    **kwargs
        Everything :func:`assign_actions` takes (customers, customer_value, matrix,
        value_cuts, actions, cost parameters, ...).

    Returns
    -------
    pandas.DataFrame
        One row per cell (all six, empty ones with zeros), indexed by
        (value_level, second_level), with value_level_label and second_level_label
        (translated), customers, share_customers,
        value_at_stake (sum of the ranking value, e.g. CLV), share_value, profit
        (sum; NaN when unknown), action, action_label and recommendation.
        ``attrs`` has value_basis and matrix.

    Raises
    ------
    ParameterError, DataValidationError
        As :func:`assign_actions`.

    Examples
    --------
    >>> import clvkit as ck
    >>> demo = ck.datasets.make_demo(300, seed=1)  # doctest: +SKIP
    >>> ck.segments.action_matrix(demo)[["customers", "action"]]  # doctest: +SKIP
    """
    assigned = assign_actions(data, lang=lang, **kwargs)
    matrix = assigned.attrs["matrix"]
    cells = action_cells(matrix, kwargs.get("actions"))
    index = pd.MultiIndex.from_tuples(list(cells), names=["value_level", "second_level"])
    grouped = assigned.groupby(["value_level", "second_level"])
    out = pd.DataFrame(
        {
            "customers": grouped.size(),
            "value_at_stake": grouped["value"].sum(),
            "profit": grouped["profit"].sum(min_count=1),
        }
    ).reindex(index)
    out["customers"] = out["customers"].fillna(0).astype("int64")
    out["value_at_stake"] = out["value_at_stake"].fillna(0.0)
    out["share_customers"] = out["customers"] / out["customers"].sum()
    total = out["value_at_stake"].sum()
    out["share_value"] = out["value_at_stake"] / total if total else np.nan
    out["value_level_label"] = [t(f"segments.level.{v}", lang) for v, _ in out.index]
    out["second_level_label"] = [t(f"segments.level.{s}", lang) for _, s in out.index]
    out["action"] = [cells[key] for key in out.index]
    out["action_label"] = [action_label(code, lang) for code in out["action"]]
    own = dict(recommendations or {})
    out["recommendation"] = [own.get(code) or recommendation(code, lang) for code in out["action"]]
    out = out[["value_level_label", "second_level_label", "customers", "share_customers",
               "value_at_stake", "share_value", "profit", "action", "action_label",
               "recommendation"]]
    out.attrs = {"value_basis": assigned.attrs["value_basis"], "matrix": matrix}
    return out
