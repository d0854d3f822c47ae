"""Customer value with its confidence intervals for a scoring run.

The point values are :func:`clvkit.models.customer_value`'s; with
``settings.interval_level > 0`` they come from :func:`clvkit.models.clv_intervals`
(same numbers) together with ``clv_low`` / ``clv_high`` per customer and the interval
of the total. A fit without a usable covariance gives NaN bounds and a note, never
an invented interval.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from .. import _ids
from ._notes import Notes, _plain
from ._settings import ScoreSettings

__all__ = ["BOUNDS", "METHOD", "ValueResult", "add_bounds", "customer_value_with_intervals",
           "group_totals", "total_interval"]

#: Per-customer interval columns of the scored table.
BOUNDS = ("clv_low", "clv_high")
#: The run's interval method (clvkit.models.clv_intervals): the delta method, a few
#: times the point estimate's cost; parameter draws cost draws x the point estimate.
METHOD = "delta"
_VALUE_COLUMNS = ["p_alive", "expected_purchases", "expected_spend", "clv"]


@dataclass
class ValueResult:
    """``value`` (customer_value's frame), ``bounds`` (clv_low, clv_high by customer or
    None when intervals are off) and ``intervals`` (the CLVIntervals, or None)."""

    value: pd.DataFrame
    bounds: pd.DataFrame | None
    intervals: Any


def customer_value_with_intervals(summary: pd.DataFrame, purchase: Any, spend: Any,
                                  s: ScoreSettings, margin: float, notes: Notes,
                                  label: str) -> ValueResult:
    """Customer value over the run's horizon, with intervals when the settings ask."""
    from ..models.clv import customer_value
    from ..models.intervals import clv_intervals

    common = {"bgnbd": purchase, "gamma_gamma": spend, "horizon_months": s.horizon_months,
              "discount_rate_annual": s.discount_rate_annual, "margin": margin}
    if not s.interval_level:
        value = customer_value(summary, **common)
        return ValueResult(_clean(value, None, notes, label), None, None)
    res = clv_intervals(summary, **common, level=s.interval_level, method=METHOD)
    for item in res.warnings:
        notes.add(item["code"], "04", **item["values"])
    value = res.customers[_VALUE_COLUMNS].copy()
    value.attrs = dict(res.customers.attrs)
    bounds = res.customers[list(BOUNDS)].copy()
    value = _clean(value, bounds, notes, label)
    res.customers.loc[value["clv"].isna(), :] = np.nan  # totals skip them too
    return ValueResult(value, bounds, res)


def _clean(value: pd.DataFrame, bounds: pd.DataFrame | None, notes: Notes,
           label: str) -> pd.DataFrame:
    """Customers with any non-finite prediction get NaN everywhere, with a note."""
    bad = ~np.isfinite(value.to_numpy(dtype=float)).all(axis=1)
    if bad.any():
        notes.add("prediction_not_finite", "04", customers=int(bad.sum()), model=label)
        value.loc[bad, :] = np.nan
        if bounds is not None:
            bounds.loc[bad, :] = np.nan
    return value


def group_totals(result: ValueResult, scored: pd.DataFrame, column: str) -> pd.DataFrame:
    """Total expected value with its interval per code of ``scored[column]``.

    ``scored`` is the run's table (text ids); its codes are matched to the customers of
    the summary by id.
    """
    res = result.intervals
    groups = scored.set_index("customer_id")[column].astype(str)
    by = pd.Series(res.customers.index.astype(str).map(groups), index=res.customers.index)
    table = res.total(by)
    table.index.name = column
    return table.reset_index()


def id_positions(scored: pd.DataFrame, index: pd.Index) -> np.ndarray:
    """Position in ``index`` (model output, ids in their own type) of each row of the
    scored table (text ids); -1 where the model has no such customer."""
    return _ids.positions(pd.Index(index.astype(str)), scored["customer_id"])


def by_position(values: pd.Series, positions: np.ndarray) -> np.ndarray:
    """``values`` at ``positions`` as floats, NaN at -1: what
    ``scored["customer_id"].map(values with text ids)`` gives, hashing the ids once."""
    known = values.to_numpy(dtype=float, na_value=np.nan)
    return np.append(known, np.nan)[positions]  # -1: the NaN at the end


def add_bounds(scored: pd.DataFrame, result: ValueResult | None,
               tables: dict[str, pd.DataFrame],
               positions: tuple[pd.Index, np.ndarray] | None = None) -> None:
    """Add ``clv_low`` and ``clv_high`` to the scored table (NaN without an interval) and
    the per-segment and per-tier totals with their intervals to ``tables``.

    ``positions``: (index, :func:`id_positions` of it), reused when the bounds are
    indexed the same."""
    for column in BOUNDS:
        if result is None or result.bounds is None:
            scored[column] = np.nan
            continue
        by_id = result.bounds[column]
        if positions is None or not positions[0].equals(by_id.index):
            positions = (by_id.index, id_positions(scored, by_id.index))
        scored[column] = by_position(by_id, positions[1])
    if result is not None and result.intervals is not None:
        for column in ("segment", "tier"):
            tables[f"clv_by_{column}"] = group_totals(result, scored, column)


def total_interval(kpi: dict[str, Any], result: ValueResult | None, s: ScoreSettings) -> None:
    """Put the interval of the total expected value into the ``clv_total`` KPI's values:
    ``low``, ``high`` (None when not available), ``level`` and ``method``."""
    low = high = None
    if result is not None and result.intervals is not None and kpi["value"] is not None:
        row = result.intervals.total().iloc[0]
        low, high = _plain(float(row["clv_low"])), _plain(float(row["clv_high"]))
    kpi["values"].update(low=low, high=high, level=s.interval_level, method=METHOD)
