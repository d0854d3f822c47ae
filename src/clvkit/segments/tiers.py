"""Value tiers: the top 1% / next 4% / next 15% / rest of customers by value."""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from .._codes import factorize_ids
from .._ids import positions
from ..exceptions import ParameterError
from ..schema import AMOUNT, CUSTOMER_ID, GROSS_MARGIN
from ..tables import Dataset
from ._base import (
    _SHARED_HISTORY,
    as_tables,
    check_cuts,
    clean_transactions,
    customer_history,
    model_frame,
    rank_desc,
    resolve_value,
)

__all__ = ["DEFAULT_TIER_CUTS", "customer_tiers", "tier_codes", "value_tiers"]

# Cumulative shares of customers, ranked by value: top 1%, top 5%, top 20%, rest.
DEFAULT_TIER_CUTS: tuple[float, ...] = (0.01, 0.05, 0.20)


def _pct(share: float) -> str:
    return f"{100 * share:g}"


def tier_codes(cuts: Sequence[float] = DEFAULT_TIER_CUTS) -> list[str]:
    """Return the stable tier codes for cumulative ``cuts``, best tier first.

    (0.01, 0.05, 0.2) gives ``top_1pct``, ``top_1_5pct``, ``top_5_20pct``,
    ``bottom_80pct``.
    """
    cuts = check_cuts(cuts, "cuts")
    codes = [f"top_{_pct(cuts[0])}pct"]
    codes += [f"top_{_pct(a)}_{_pct(b)}pct" for a, b in itertools.pairwise(cuts)]
    codes.append(f"bottom_{_pct(1 - cuts[-1])}pct")
    return codes


def customer_tiers(
    data: Dataset | pd.DataFrame,
    *,
    observation_end: Any = None,
    customer_value: pd.DataFrame | pd.Series | None = None,
    cuts: Sequence[float] = DEFAULT_TIER_CUTS,
    value_basis: str = "auto",
) -> pd.DataFrame:
    """Place every customer in a value tier.

    Customers are ranked by value (highest first; equal values in customer_id
    order). A customer of rank r among n is in the top tier when
    :math:`r \\le \\lceil c_1 n \\rceil`, in tier k when
    :math:`\\lceil c_{k-1} n \\rceil < r \\le \\lceil c_k n \\rceil`, else in the rest, so
    the top tier is never empty.

    Parameters
    ----------
    data : Dataset or pandas.DataFrame
        A Dataset or its transactions table (customer_id, timestamp, amount,
        optional gross_margin).
    observation_end : date-like, optional
        End of the observed window; default the Dataset's, else the last purchase.
    customer_value : DataFrame or Series, optional
        Output of :func:`clvkit.models.customer_value` (clv, p_alive, ...) or a Series
        of CLV, indexed by customer_id. Without it tiers use historical value.
    cuts : sequence of float, default (0.01, 0.05, 0.20)
        Cumulative customer shares where tiers end.
    value_basis : {"auto", "clv", "historical_margin", "historical_revenue"}
        What ranks customers; "auto" = CLV when given, else margin when the
        transactions have gross_margin, else revenue.

    Returns
    -------
    pandas.DataFrame
        Indexed by customer_id with revenue, margin, clv, value, value_rank (1 =
        highest), tier (categorical of codes, best first) and value_basis (str).
        ``attrs["value_basis"]`` repeats the basis. Tier names for a report:
        :func:`clvkit.report.labelled`.

    Raises
    ------
    DataValidationError
        Unusable transactions, or model output not covering every customer.
    ParameterError
        Invalid cuts or value_basis.
    """
    tables = as_tables(data, observation_end=observation_end)
    cuts = check_cuts(cuts, "cuts")
    hist = _value_history(tables.transactions, tables.observation_end)
    models = model_frame(hist.index, _in_order(hist.index, customer_value), None)
    value, basis = resolve_value(hist, models, value_basis)
    codes = tier_codes(cuts)
    ranks = _ranks(value)
    level = np.searchsorted(np.ceil(np.asarray(cuts) * len(value)), ranks.to_numpy(),
                            side="left")  # as cut_levels: band k holds ranks up to ceil(c_k n)
    out = hist[["revenue", "margin"]].copy()
    out["clv"] = models["clv"]
    out["value"] = value
    out["value_rank"] = ranks
    out["tier"] = pd.Categorical.from_codes(level, categories=codes, ordered=True)
    out["value_basis"] = basis
    out.attrs = dict(hist.attrs, value_basis=basis, cuts=tuple(cuts))
    return out


def _value_history(transactions: pd.DataFrame, end: pd.Timestamp | None) -> pd.DataFrame:
    """The revenue and margin columns of :func:`customer_history` (and its attrs), from
    one group-by of the two amounts: tiers need nothing else (no order count, no dates).
    Inside :func:`._base.shared_history` the shared history is used as it is."""
    shared = _SHARED_HISTORY.get()
    if shared is not None and shared[0] is transactions and end == shared[1]:
        return customer_history(transactions, end)
    tx, end = clean_transactions(transactions, end)
    columns = [AMOUNT, GROSS_MARGIN] if GROSS_MARGIN in tx else [AMOUNT]
    codes, ids = factorize_ids(tx[CUSTOMER_ID], sort=True)  # groupby(sort=True)'s order
    known = codes >= 0
    amounts = tx[columns] if known.all() else tx.loc[known, columns]
    sums = amounts.groupby(codes[known], sort=True).sum()
    sums.index = pd.Index(ids[sums.index.to_numpy()], name=CUSTOMER_ID)
    out = pd.DataFrame({"revenue": sums[AMOUNT].astype("float64")})
    out["margin"] = sums[GROSS_MARGIN].astype("float64") if GROSS_MARGIN in tx else np.nan
    out.index.name = CUSTOMER_ID
    out.attrs["observation_end"] = end.date().isoformat()
    return out


def _in_order(index: pd.Index, customer_value: Any) -> Any:
    """``customer_value`` put in the order of ``index`` (the same index object), so that
    :func:`._base.model_frame` aligns it without a look-up per column; as it is when it
    does not cover every customer once (model_frame then says what is wrong)."""
    if not isinstance(customer_value, pd.Series | pd.DataFrame):
        return customer_value
    if not customer_value.index.is_unique:
        return customer_value
    found = positions(customer_value.index, index.to_series())
    if (found < 0).any():
        return customer_value
    return customer_value.take(found).set_axis(index)


def _ranks(value: pd.Series) -> pd.Series:
    """:func:`._base.rank_desc` (1 = highest; ties, and missing values last, in
    customer_id order) by one stable sort when the ids are already sorted and unique."""
    index = value.index
    if not (index.is_unique and index.is_monotonic_increasing):
        return rank_desc(value)
    order = np.argsort(-value.to_numpy(dtype="float64"), kind="stable")  # NaN sorts last
    ranks = np.empty(len(order), dtype="int64")
    ranks[order] = np.arange(1, len(order) + 1)
    return pd.Series(ranks, index=index)


#: Columns that mark a run's scored table (what value_tiers summarises directly).
_SCORED_COLUMNS = frozenset({"customer_id", "tier", "value", "value_basis", "revenue", "margin",
                             "clv"})


def _scored_tiers(scored: pd.DataFrame, *, observation_end: Any, customer_value: Any,
                  cuts: Sequence[float], value_basis: str) -> pd.DataFrame:
    """The per-customer tier frame of a scored table (its own tiers and values)."""
    given = {"observation_end": observation_end, "customer_value": customer_value}
    extra = [name for name, v in given.items() if v is not None]
    extra += ["value_basis"] if value_basis != "auto" else []
    if extra:
        msg = (f"value_tiers() of a scored table summarises its own tiers; "
               f"{', '.join(extra)} cannot change them. Pass the Dataset (or the "
               "transactions) to tier the customers afresh.")
        raise ParameterError(msg)
    cuts = check_cuts(cuts, "cuts")
    codes = tier_codes(cuts)
    unknown = ~scored["tier"].astype(object).isin(codes).to_numpy()
    if unknown.any():  # a tier of other cuts, or none
        odd = pd.unique(scored["tier"][unknown].astype(str))
        msg = (f"{int(unknown.sum()):,} customers of the scored table have a tier that "
               f"cuts {tuple(cuts)} do not make (e.g. {', '.join(odd[:5])}; expected "
               f"{', '.join(codes)}); pass the cuts the table was made with.")
        raise ParameterError(msg)
    tiers = scored[["revenue", "margin", "clv", "value"]].set_axis(
        pd.Index(scored[CUSTOMER_ID], name=CUSTOMER_ID))
    tiers["tier"] = pd.Categorical(scored["tier"].astype(object), categories=codes, ordered=True)
    basis = str(scored["value_basis"].iloc[0]) if len(scored) else "auto"
    tiers.attrs = {"value_basis": basis, "cuts": tuple(cuts)}
    return tiers


def value_tiers(
    data: Dataset | pd.DataFrame,
    *,
    observation_end: Any = None,
    customer_value: pd.DataFrame | pd.Series | None = None,
    cuts: Sequence[float] = DEFAULT_TIER_CUTS,
    value_basis: str = "auto",
) -> pd.DataFrame:
    """Summarise value tiers: each tier's share of customers, revenue, margin and value.

    Parameters are those of :func:`customer_tiers`; ``data`` may also be the scored
    table of a run (:func:`clvkit.segments.scored_customers`, ``Scores.customers``,
    labelled or not), whose tiers, values, revenue and margin are summarised as they
    are, without going back to the transactions (then ``cuts`` must be the ones the
    table was made with, and the other options stay at their defaults).

    Returns
    -------
    pandas.DataFrame
        One row per tier (best first, indexed by tier code) with customers,
        share_customers, revenue, share_revenue, margin, share_margin,
        future_value (sum of CLV; NaN without a model), share_future_value, value
        (the ranking value), share_value, mean_value, min_value and
        multiple_of_median (mean value of the tier / median customer value). Each
        share column sums to 1 over the tiers. ``attrs`` holds ``value_basis``,
        ``n_customers``, ``median_value``, ``top_multiple_over_median`` (the first
        tier's multiple, e.g. "the top 1% are worth 25x the median customer") and
        ``cuts``. Tier names for a report: :func:`clvkit.report.labelled`.

    Raises
    ------
    DataValidationError, ParameterError
        As :func:`customer_tiers`.
    """
    if isinstance(data, pd.DataFrame) and _SCORED_COLUMNS <= set(data.columns):
        tiers = _scored_tiers(data, observation_end=observation_end,
                              customer_value=customer_value, cuts=cuts, value_basis=value_basis)
    else:
        tiers = customer_tiers(
            data, observation_end=observation_end, customer_value=customer_value,
            cuts=cuts, value_basis=value_basis,
        )
    grouped = tiers.groupby("tier", observed=False)
    out = pd.DataFrame(
        {
            "customers": grouped.size().astype("int64"),
            "revenue": grouped["revenue"].sum(),
            "margin": grouped["margin"].sum(min_count=1),
            "future_value": grouped["clv"].sum(min_count=1),
            "value": grouped["value"].sum(),
            "mean_value": grouped["value"].mean(),
            "min_value": grouped["value"].min(),
        }
    )
    for col in ("customers", "revenue", "margin", "future_value", "value"):
        total = out[col].sum(min_count=1)
        out[f"share_{col}"] = out[col] / total if total and np.isfinite(total) else np.nan
    median = float(tiers["value"].median())
    out["multiple_of_median"] = out["mean_value"] / median if median > 0 else np.nan
    out.index = out.index.astype(str)
    out.index.name = "tier"
    order = ["customers", "share_customers", "revenue", "share_revenue",
             "margin", "share_margin", "future_value", "share_future_value", "value",
             "share_value", "mean_value", "min_value", "multiple_of_median"]
    out = out[order]
    out.attrs = {
        "value_basis": tiers.attrs["value_basis"],
        "n_customers": len(tiers),
        "median_value": median,
        "top_multiple_over_median": float(out["multiple_of_median"].iloc[0]),
        "cuts": tiers.attrs["cuts"],
    }
    return out
