"""The keep / grow / stop-investing action matrix: value x profitability or P(alive)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, Literal

import numpy as np
import pandas as pd

from ..exceptions import ParameterError
from ..tables import Dataset
from ._base import as_tables, cut_levels, model_frame, per_pair, resolve_value
from .profit import customer_profitability

__all__ = [
    "DEFAULT_ACTIONS",
    "action_matrix",
    "assign_actions",
    "matrix_of",
]

Matrix = Literal["value_profit", "value_alive"]
VALUE_LEVELS = ("high", "medium", "low")
SECOND_LEVELS: dict[str, tuple[str, ...]] = {
    "value_profit": ("profitable", "unprofitable"),
    "value_alive": ("active", "inactive"),
}
# (value level, profitability or activity level) -> action code. Labels and the
# plain-language recommendation of each code are worded by clvkit.report (labelled),
# from locales/segments.toml.
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
    **costs
        margin_rate, cost_to_serve_period, cost_per_order, cost_per_contact, contacts
        for :func:`customer_profitability`.

    Returns
    -------
    pandas.DataFrame
        Indexed by customer_id with value, value_basis, value_level, profit,
        p_alive, second_level and action (codes). Names for a report:
        :func:`clvkit.report.labelled`.

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
    out["action"] = per_pair(out["value_level"], out["second_level"], cells)
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
    **kwargs: Any,
) -> pd.DataFrame:
    """Summarise the action matrix: customers, value at stake and the action per cell.

    Parameters
    ----------
    data : Dataset or pandas.DataFrame
        A Dataset or its transactions table.
    **kwargs
        Everything :func:`assign_actions` takes (customers, customer_value, matrix,
        value_cuts, actions, cost parameters, ...).

    Returns
    -------
    pandas.DataFrame
        One row per cell (all six, empty ones with zeros), indexed by
        (value_level, second_level), with customers, share_customers,
        value_at_stake (sum of the ranking value, e.g. CLV), share_value, profit
        (sum; NaN when unknown) and action (code). ``attrs`` has value_basis and
        matrix. Names and recommendations for a report:
        ``clvkit.report.labelled(matrix, lang, recommendations=True)``.

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
    return matrix_of(assign_actions(data, **kwargs), kwargs.get("actions"))


def matrix_of(assigned: pd.DataFrame,
              actions: Mapping[tuple[str, str], str] | None = None) -> pd.DataFrame:
    """:func:`action_matrix` from customers already placed by :func:`assign_actions`
    (its output, in its order: the sums are taken in that order)."""
    matrix = assigned.attrs["matrix"]
    cells = action_cells(matrix, actions)
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
    out["action"] = [cells[key] for key in out.index]
    out = out[["customers", "share_customers", "value_at_stake", "share_value", "profit",
               "action"]]
    out.attrs = {"value_basis": assigned.attrs["value_basis"], "matrix": matrix}
    return out
