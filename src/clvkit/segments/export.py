"""The per-customer scored table a CRM can import, and its CSV / Parquet export."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

import pandas as pd

from .._export import for_export, neutralise_formulas
from .._messages import examples, require_columns
from ..exceptions import DataValidationError, ParameterError
from ..schema import CUSTOMER_ID
from ..tables import Dataset
from ._base import (
    as_tables,
    churned_customers,
    clean_transactions,
    customer_history,
    model_frame,
    shared_history,
)
from .actions import Matrix, action_cells, assign_actions
from .rfm import RuleTable, rfm_segments
from .tiers import DEFAULT_TIER_CUTS, customer_tiers
from .views import customer_attributes

__all__ = ["REQUIRED_SCORED_COLUMNS", "SCORED_COLUMNS", "scored_customers", "scored_with_actions",
           "write_scored"]

# Column -> dtype of the scored table, in order. The first seven are the contract a
# CRM import relies on; the rest are documented extras.
# "str" is pandas' text dtype: object on pandas 2, StringDtype("str") on pandas 3, the
# same as pd.read_csv / pd.read_parquet give, so a written table reads back equal.
SCORED_COLUMNS: dict[str, str] = {
    "customer_id": "str",  # str; pseudonymised when id_transform is given
    "segment": "category",  # RFM segment code (rule table order)
    "tier": "category",  # value tier code, best first
    "clv": "float64",  # model CLV (currency); NaN when no model was fitted
    "p_alive": "float64",  # model P(alive) in [0, 1]; NaN without a model
    "churn_risk": "float64",  # churn probability in [0, 1]; NaN when unavailable
    "action": "category",  # action code from the action matrix
    # names of the codes in the report language: clvkit.report.labelled(scored, lang)
    "value": "float64",  # what ranked customers (see value_basis)
    "value_basis": "str",  # clv | historical_margin | historical_revenue
    "churn_risk_basis": "str",  # churn_model | 1 - p_alive | unavailable
    "expected_purchases": "float64",  # model expected purchases over its horizon
    "value_level": "str",  # high | medium | low
    "profit": "float64",  # margin - cost to serve over the window (currency)
    "revenue": "float64",
    "margin": "float64",
    "orders": "int64",
    "recency_days": "int64",
    "first_purchase": "datetime64[ns]",
    "last_purchase": "datetime64[ns]",
    "r_score": "int64",
    "f_score": "int64",
    "m_score": "int64",
    "acquisition_channel": "str",
    "region": "str",
    "nps_group": "category",
    "latest_nps": "float64",
    "latest_ces": "float64",
}
REQUIRED_SCORED_COLUMNS: tuple[str, ...] = tuple(list(SCORED_COLUMNS)[:7])


def scored_customers(
    data: Dataset | pd.DataFrame,
    *,
    customers: pd.DataFrame | None = None,
    surveys: pd.DataFrame | None = None,
    observation_end: Any = None,
    customer_value: pd.DataFrame | pd.Series | None = None,
    churn_risk: pd.Series | pd.DataFrame | None = None,
    rules: RuleTable = None,
    tier_cuts: Sequence[float] = DEFAULT_TIER_CUTS,
    matrix: Matrix = "value_profit",
    value_cuts: Sequence[float] = (0.2, 0.5),
    actions: Mapping[tuple[str, str], str] | None = None,
    value_basis: str = "auto",
    id_transform: Callable[[pd.Series], Any] | None = None,
    **costs: Any,
) -> pd.DataFrame:
    """Build one row per customer with segment, tier, CLV, P(alive), churn risk and action.

    Parameters
    ----------
    data : Dataset or pandas.DataFrame
        A Dataset or its transactions table.
    customers, surveys : pandas.DataFrame, optional
        Customer and survey tables; default the Dataset's.
    observation_end : date-like, optional
        End of the window; default the Dataset's, else the last purchase date.
    customer_value : DataFrame or Series, optional
        Output of :func:`clvkit.models.customer_value` (clv, p_alive,
        expected_purchases) or a CLV Series, indexed by customer_id. Without it,
        clv and p_alive are NaN and tiers/actions use historical value.
    churn_risk : Series or DataFrame, optional
        Churn probabilities from a churn model (e.g.
        :func:`clvkit.models.predict_churn`), indexed by customer_id. Customers it
        does not score get 1.0 when the customer table shows them cancelled
        (churn_date on or before observation_end), else NaN with a warning.
        Default: 1 - p_alive when customer_value has p_alive, else NaN.
    rules : rule table, optional
        RFM segment rules (see :func:`clvkit.segments.segment_rules`).
    tier_cuts : sequence of float, default (0.01, 0.05, 0.20)
        Value tier boundaries (cumulative customer shares).
    matrix, value_cuts, actions
        Action matrix settings (see :func:`clvkit.segments.assign_actions`).
    value_basis : str, default "auto"
        What ranks customers (see :func:`clvkit.segments.customer_tiers`).
    id_transform : callable, optional
        Applied to the customer_id column (a Series) at the end, e.g. the report
        helper's pseudonymisation; it must return one id per row. Default: ids are
        left as they are.
    **costs
        margin_rate, cost_to_serve_period, cost_per_order, cost_per_contact,
        contacts (see :func:`clvkit.segments.customer_profitability`).

    Returns
    -------
    pandas.DataFrame
        One row per customer, customer_id as a column (the import format; use
        ``.set_index("customer_id")`` to join), columns and dtypes exactly as
        :data:`SCORED_COLUMNS`, sorted by value (highest first). segment, tier and
        action are codes; :func:`clvkit.report.labelled` adds their names.

    Raises
    ------
    DataValidationError
        Unusable tables, model outputs not covering every customer, or an
        ``id_transform`` returning the wrong number of ids.
    ParameterError
        Invalid settings.
    """
    return _scored(data, customers, surveys, observation_end, customer_value, churn_risk,
                   rules, tier_cuts, matrix, value_cuts, actions, value_basis, id_transform,
                   costs)[0]


def scored_with_actions(data: Dataset | pd.DataFrame, **kwargs: Any
                        ) -> tuple[pd.DataFrame, pd.DataFrame]:
    """:func:`scored_customers` (same keywords) and the :func:`assign_actions` frame
    behind its ``action`` column (customer order, with ``second_level``): the action
    matrix of the same customers is ``matrix_of(assigned)``, without placing every
    customer a second time."""
    names = ("customers", "surveys", "observation_end", "customer_value", "churn_risk",
             "rules", "tier_cuts", "matrix", "value_cuts", "actions", "value_basis",
             "id_transform")
    defaults = {"rules": None, "tier_cuts": DEFAULT_TIER_CUTS, "matrix": "value_profit",
                "value_cuts": (0.2, 0.5), "value_basis": "auto"}
    args = [kwargs.pop(n, defaults.get(n)) for n in names]
    return _scored(data, *args, kwargs)


def _scored(data: Dataset | pd.DataFrame, customers: pd.DataFrame | None,
            surveys: pd.DataFrame | None, observation_end: Any,
            customer_value: pd.DataFrame | pd.Series | None,
            churn_risk: pd.Series | pd.DataFrame | None, rules: RuleTable,
            tier_cuts: Sequence[float], matrix: Matrix, value_cuts: Sequence[float],
            actions: Mapping[tuple[str, str], str] | None, value_basis: str,
            id_transform: Callable[[pd.Series], Any] | None,
            costs: dict[str, Any]) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The scored table and the action placement behind it (see the two callers)."""
    tables = as_tables(data, customers, surveys, observation_end)
    tx, end = clean_transactions(tables.transactions, tables.observation_end)
    hist = customer_history(tx, end)
    churned = churned_customers(tables.customers, end)
    models = model_frame(hist.index, customer_value, churn_risk, churned)
    with shared_history(tx, end, hist):  # each step below summarises tx: do it once
        seg = rfm_segments(tx, end, rules=rules)
        tiers = customer_tiers(tx, observation_end=end, customer_value=customer_value,
                               cuts=tier_cuts, value_basis=value_basis)
        act = assign_actions(tx, customers=tables.customers, observation_end=end,
                             customer_value=customer_value, matrix=matrix,
                             value_cuts=value_cuts, actions=actions, value_basis=value_basis,
                             **costs)
    attrs = customer_attributes(hist.index, tables.customers, tables.surveys)
    out = pd.concat(
        [
            seg[["segment", "r_score", "f_score", "m_score"]],
            tiers[["tier", "value", "value_basis"]],
            models[["clv", "p_alive", "expected_purchases", "churn_risk", "churn_risk_basis"]],
            act[["action", "value_level", "profit"]],
            hist[["revenue", "margin", "orders", "recency_days", "first_purchase",
                  "last_purchase"]],
            attrs[["acquisition_channel", "region", "nps_group", "latest_nps", "latest_ces"]],
        ],
        axis=1,
    )
    codes = list(dict.fromkeys(action_cells(matrix, actions).values()))
    out["action"] = pd.Categorical(out["action"], categories=codes)
    out = out.sort_values("value", ascending=False, kind="mergesort")
    out = out.rename_axis(CUSTOMER_ID).reset_index()
    out[CUSTOMER_ID] = out[CUSTOMER_ID].astype(str)
    if id_transform is not None:
        out[CUSTOMER_ID] = _transformed_ids(out[CUSTOMER_ID], id_transform)
    out = out[list(SCORED_COLUMNS)].astype(SCORED_COLUMNS)
    out.attrs = {"observation_end": end.date().isoformat(),
                 "value_basis": tiers.attrs["value_basis"],
                 "churn_risk_basis": str(models["churn_risk_basis"].iloc[0])}
    return out, act


def _transformed_ids(ids: pd.Series, transform: Callable[[pd.Series], Any]) -> pd.Series:
    new = transform(ids)
    values = list(new.to_numpy() if isinstance(new, pd.Series) else new)
    if len(values) != len(ids):
        msg = (
            f"id_transform returned {len(values):,} ids for {len(ids):,} customers; it must "
            "map a Series of ids to one id per row."
        )
        raise DataValidationError(msg, column=CUSTOMER_ID)
    return pd.Series(values, index=ids.index, dtype="object").astype(str)


def write_scored(
    scored: pd.DataFrame,
    directory: str | Path,
    basename: str = "scored_customers",
    *,
    formats: Sequence[str] = ("csv", "parquet"),
    currency: str | None = None,
) -> dict[str, Path]:
    """Write the scored table as CSV (UTF-8 with BOM) and Parquet.

    The CSV is for people and CRMs: amounts rounded to cents, shares and
    probabilities to 4 decimals; with ``currency`` the amount columns other than
    ``clv`` carry its code in their names (``revenue_cny``); the contract columns
    (:data:`REQUIRED_SCORED_COLUMNS`) keep their names; text cells starting with
    ``= + - @`` (a formula to Excel) get a leading apostrophe (OWASP CSV
    injection), numbers are untouched. The Parquet file is for programs: exact
    values and the table's own column names.

    The CSV starts with the UTF-8 byte-order mark (``encoding="utf-8-sig"``), so
    Excel recognises the encoding and shows Chinese labels correctly; read it back
    with ``pandas.read_csv(path, encoding="utf-8-sig")``. Dates are written as ISO
    8601. The Parquet file keeps the dtypes.

    Parameters
    ----------
    scored : pandas.DataFrame
        Output of :func:`scored_customers` (at least :data:`REQUIRED_SCORED_COLUMNS`).
    directory : str or Path
        Folder to write into (created if needed).
    basename : str, default "scored_customers"
        File name without extension.
    formats : sequence of {"csv", "parquet"}
        Which files to write.
    currency : str, optional
        Currency symbol or code of the amounts ("¥", "$", "EUR"), named in the
        amount columns; default: names unchanged.

    Returns
    -------
    dict
        Format -> path written.

    Raises
    ------
    DataValidationError
        Missing contract columns or duplicated customer ids.
    ParameterError
        Unknown format or a basename containing a path separator.
    """
    require_columns(scored, REQUIRED_SCORED_COLUMNS, "scored", "write_scored()",
                    todo="Pass the output of clvkit.segments.scored_customers().")
    dup = scored[CUSTOMER_ID].duplicated()
    if dup.any():
        msg = (
            f"{int(dup.sum()):,} customer_id values are duplicated "
            f"(e.g. {examples(scored.loc[dup, CUSTOMER_ID].unique())}); a CRM import needs "
            "one row per customer."
        )
        raise DataValidationError(msg, column=CUSTOMER_ID, n_failed=int(dup.sum()))
    unknown = [f for f in formats if f not in ("csv", "parquet")]
    if unknown or not formats or Path(basename).name != basename:
        msg = (
            "formats must be a non-empty subset of ('csv', 'parquet') and basename a plain "
            f"file name; got formats={tuple(formats)}, basename={basename!r}"
        )
        raise ParameterError(msg)
    folder = Path(directory)
    folder.mkdir(parents=True, exist_ok=True)
    paths: dict[str, Path] = {}
    if "csv" in formats:
        paths["csv"] = folder / f"{basename}.csv"
        shaped = neutralise_formulas(for_export(scored, currency))
        shaped.to_csv(paths["csv"], index=False, encoding="utf-8-sig",
                      date_format="%Y-%m-%dT%H:%M:%S")
    if "parquet" in formats:
        paths["parquet"] = folder / f"{basename}.parquet"
        frame = scored.copy(deep=False)
        # Parquet stores attrs as JSON metadata: keep them, as text where needed.
        frame.attrs = {k: v if isinstance(v, (str, int, float, bool)) else str(v)
                       for k, v in scored.attrs.items()}
        frame.to_parquet(paths["parquet"], index=False)
    return paths
