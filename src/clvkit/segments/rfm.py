"""RFM scores (1-5 quintiles) and the named RFM segments from a visible rule table."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, Literal

import numpy as np
import pandas as pd

from ..exceptions import ParameterError
from ._base import customer_history, per_pair

__all__ = [
    "DEFAULT_SEGMENT_RULES",
    "quantile_scores",
    "rfm_scores",
    "rfm_segments",
    "segment_rules",
    "segment_summary",
]

N_SCORES = 5

# The default rule table: (segment, r_min, r_max, fm_min, fm_max), inclusive ranges on
# the recency score R and the combined frequency-monetary score FM. The rectangles
# tile the 5 x 5 grid exactly once (tests check it), so every customer gets exactly one
# segment. Read it as a map, R down, FM across:
#
#        FM=1            FM=2              FM=3        FM=4        FM=5
#  R=5   new             potential loyal.  loyal       champions   champions
#  R=4   promising       potential loyal.  loyal       champions   champions
#  R=3   about to sleep  need attention    loyal       loyal       loyal
#  R=2   hibernating     about to sleep    at risk     at risk     can't lose them
#  R=1   lost            hibernating       at risk     at risk     can't lose them
DEFAULT_SEGMENT_RULES: tuple[tuple[str, int, int, int, int], ...] = (
    ("champions", 4, 5, 4, 5),
    ("loyal", 4, 5, 3, 3),
    ("loyal", 3, 3, 3, 5),
    ("potential_loyalists", 4, 5, 2, 2),
    ("new", 5, 5, 1, 1),
    ("promising", 4, 4, 1, 1),
    ("need_attention", 3, 3, 2, 2),
    ("about_to_sleep", 3, 3, 1, 1),
    ("about_to_sleep", 2, 2, 2, 2),
    ("at_risk", 1, 2, 3, 4),
    ("cant_lose", 1, 2, 5, 5),
    ("hibernating", 2, 2, 1, 1),
    ("hibernating", 1, 1, 2, 2),
    ("lost", 1, 1, 1, 1),
)
_RULE_COLUMNS = ["segment", "r_min", "r_max", "fm_min", "fm_max"]

RuleTable = pd.DataFrame | Sequence[Mapping[str, Any]] | None


def segment_rules(rules: RuleTable = None) -> pd.DataFrame:
    """Return the segment rule table as a DataFrame, checked for full coverage.

    Parameters
    ----------
    rules : DataFrame or list of dict, optional
        Rows with ``segment`` (a code; its label is looked up as
        ``segments.segment.<code>`` in the catalogue, else the code is shown),
        ``r_min``, ``r_max``, ``fm_min``, ``fm_max`` (inclusive score ranges 1-5).
        Rules are tried top to bottom and the first match wins, so a custom table may
        overlap on purpose. Default: :data:`DEFAULT_SEGMENT_RULES`.

    Returns
    -------
    pandas.DataFrame
        Columns segment, r_min, r_max, fm_min, fm_max (ints), one row per rule.

    Raises
    ------
    ParameterError
        When a column is missing, a bound is outside 1-5 or min > max, or some
        (R, FM) cell of the 5 x 5 grid matches no rule.
    """
    if rules is None:
        table = pd.DataFrame(list(DEFAULT_SEGMENT_RULES), columns=_RULE_COLUMNS)
    else:
        table = pd.DataFrame(rules).copy()
    missing = [c for c in _RULE_COLUMNS if c not in table.columns]
    if missing:
        msg = (
            f"Segment rules need columns {', '.join(_RULE_COLUMNS)}; "
            f"missing {', '.join(missing)}."
        )
        raise ParameterError(msg)
    table = table[_RULE_COLUMNS].reset_index(drop=True)
    bounds = table[_RULE_COLUMNS[1:]]
    bad = ~bounds.isin(range(1, N_SCORES + 1)).all(axis=1)
    bad |= (table["r_min"] > table["r_max"]) | (table["fm_min"] > table["fm_max"])
    if bad.any():
        msg = (
            f"Segment rules {', '.join(map(str, table.index[bad]))} are invalid: bounds must "
            "be integers 1-5 with min <= max."
        )
        raise ParameterError(msg)
    table[_RULE_COLUMNS[1:]] = bounds.astype("int64")
    uncovered = [
        f"R={r}/FM={fm}"
        for r in range(1, N_SCORES + 1)
        for fm in range(1, N_SCORES + 1)
        if _match(table, r, fm) is None
    ]
    if uncovered:
        msg = (
            f"Segment rules leave {len(uncovered)} of 25 score cells without a segment "
            f"({', '.join(uncovered[:5])}{', ...' if len(uncovered) > 5 else ''}); "
            "add rules (or a catch-all row with ranges 1-5 last) so every customer gets one."
        )
        raise ParameterError(msg)
    return table


def _match(table: pd.DataFrame, r: int, fm: int) -> str | None:
    hit = table[
        (table["r_min"] <= r) & (r <= table["r_max"])
        & (table["fm_min"] <= fm) & (fm <= table["fm_max"])
    ]
    return None if hit.empty else str(hit["segment"].iloc[0])


def quantile_scores(
    values: pd.Series, *, higher_is_better: bool = True, ties: Literal["first", "min"] = "first"
) -> pd.Series:
    """Score values 1-5 by quintile of their rank (5 = best).

    Customers are first sorted by customer_id (stable sort), then ranked; the score
    is :math:`\\lceil 5 \\, \\mathrm{rank} / n \\rceil`. With ``ties="first"`` tied values
    are ranked in customer_id order (pandas ``rank(method="first")``), so the five
    scores hold equal numbers of customers but equal values may get adjacent scores;
    with ``ties="min"`` tied values share the lowest rank of their group (equal values
    always get equal scores, bands may be uneven).
    """
    if ties not in ("first", "min"):
        msg = f"ties must be one of 'first', 'min'; got {ties!r}"
        raise ParameterError(msg)
    ordered = values.sort_index(kind="mergesort")
    key = ordered if higher_is_better else -ordered
    ranks = key.rank(method=ties).to_numpy()
    scores = np.ceil(ranks * N_SCORES / len(ordered)).astype("int64")
    return pd.Series(scores, index=ordered.index).reindex(values.index)


def rfm_scores(
    transactions: pd.DataFrame,
    observation_end: Any = None,
    *,
    monetary: Literal["revenue", "margin"] = "revenue",
    ties: Literal["first", "min"] = "first",
) -> pd.DataFrame:
    """Score every customer 1-5 on recency, frequency and monetary value.

    Definitions (over the observed window, not lifetimes' repeat-purchase ones):
    recency = whole days from the last purchase to ``observation_end`` (fewer is
    better), frequency = number of orders (distinct order_id, else rows), monetary =
    total revenue (or total gross margin). A single-purchase customer simply has
    orders = 1 and monetary = that purchase, so it is scored like everyone else.

    Parameters
    ----------
    transactions : pandas.DataFrame
        customer_id, timestamp, amount (+ optional order_id, gross_margin).
    observation_end : date-like, optional
        End of the window; default the last transaction date.
    monetary : {"revenue", "margin"}, default "revenue"
        What the M score ranks.
    ties : {"first", "min"}, default "first"
        Tie handling of :func:`quantile_scores` (deterministic either way).

    Returns
    -------
    pandas.DataFrame
        Indexed by customer_id with recency_days, orders, revenue, margin,
        r_score, f_score, m_score (int 1-5), fm_score = round-half-up of
        (f_score + m_score) / 2 and rfm_code (str such as "545").

    Raises
    ------
    DataValidationError
        Missing columns, empty or non-datetime transactions (see
        :func:`customer_history`).
    ParameterError
        Unknown ``monetary`` or ``ties``.
    """
    if monetary not in ("revenue", "margin"):
        msg = f"monetary must be one of 'revenue', 'margin'; got {monetary!r}"
        raise ParameterError(msg)
    hist = customer_history(transactions, observation_end)
    out = hist[["recency_days", "orders", "revenue", "margin"]].copy()
    out["r_score"] = quantile_scores(hist["recency_days"], higher_is_better=False, ties=ties)
    out["f_score"] = quantile_scores(hist["orders"], ties=ties)
    out["m_score"] = quantile_scores(hist[monetary].fillna(0.0), ties=ties)
    out["fm_score"] = (out["f_score"] + out["m_score"] + 1) // 2
    out["rfm_code"] = (
        out["r_score"].astype(str) + out["f_score"].astype(str) + out["m_score"].astype(str)
    )
    out.attrs = dict(hist.attrs, monetary=monetary, ties=ties)
    return out


def rfm_segments(
    transactions: pd.DataFrame,
    observation_end: Any = None,
    *,
    rules: RuleTable = None,
    monetary: Literal["revenue", "margin"] = "revenue",
    ties: Literal["first", "min"] = "first",
) -> pd.DataFrame:
    """Give every customer RFM scores and exactly one named segment.

    The segment comes from the first rule of ``rules`` whose R range and FM range
    contain the customer's r_score and fm_score (see :data:`DEFAULT_SEGMENT_RULES`:
    champions, loyal, potential loyalists, new, promising, need attention, about to
    sleep, at risk, can't lose them, hibernating, lost).

    Parameters
    ----------
    transactions, observation_end, monetary, ties
        As in :func:`rfm_scores`.
    rules : DataFrame or list of dict, optional
        Rule table (see :func:`segment_rules`); default the built-in one.

    Returns
    -------
    pandas.DataFrame
        :func:`rfm_scores` columns plus ``segment`` (categorical of codes, in rule
        order). ``attrs["rules"]`` is the rule table. Segment names for a report:
        :func:`clvkit.report.labelled`.

    Raises
    ------
    DataValidationError
        Unusable transactions.
    ParameterError
        Invalid rule table, ``monetary`` or ``ties``.

    Examples
    --------
    >>> import clvkit as ck
    >>> demo = ck.datasets.make_demo(300, seed=1)  # doctest: +SKIP
    >>> ck.segments.rfm_segments(demo.transactions)["segment"].value_counts()  # doctest: +SKIP
    """
    table = segment_rules(rules)
    scores = rfm_scores(transactions, observation_end, monetary=monetary, ties=ties)
    lookup = {
        (r, fm): _match(table, r, fm)
        for r in range(1, N_SCORES + 1)
        for fm in range(1, N_SCORES + 1)
    }
    codes = per_pair(scores["r_score"], scores["fm_score"], lookup)
    categories = list(dict.fromkeys(table["segment"].astype(str)))
    out = scores.copy()
    out["segment"] = pd.Categorical(codes, categories=categories, ordered=True)
    out.attrs = dict(scores.attrs, rules=table.to_dict("records"))
    return out


def segment_summary(
    segments: pd.DataFrame,
    value: pd.Series | None = None,
) -> pd.DataFrame:
    """Count customers and value per segment.

    Parameters
    ----------
    segments : pandas.DataFrame
        Output of :func:`rfm_segments`.
    value : pandas.Series, optional
        Per-customer value indexed by customer_id (e.g. CLV); default the historical
        revenue. Its ``name`` is reported as ``attrs["value_basis"]``.

    Returns
    -------
    pandas.DataFrame
        One row per segment (all segments of the rule table, in rule order, empty
        ones with zeros), indexed by segment code, with customers,
        share_customers, revenue, share_revenue, value, share_value,
        mean_recency_days, mean_orders. Shares are fractions summing to 1.
    """
    frame = segments[["segment", "revenue", "recency_days", "orders"]].copy()
    basis = "historical_revenue"
    if value is not None:
        frame["value"] = value.reindex(frame.index).astype("float64")
        basis = str(value.name) if value.name is not None else "value"
    else:
        frame["value"] = frame["revenue"]
    grouped = frame.groupby("segment", observed=False)
    out = pd.DataFrame(
        {
            "customers": grouped.size().astype("int64"),
            "revenue": grouped["revenue"].sum(),
            "value": grouped["value"].sum(),
            "mean_recency_days": grouped["recency_days"].mean(),
            "mean_orders": grouped["orders"].mean(),
        }
    )
    for col in ("customers", "revenue", "value"):
        total = out[col].sum()
        out[f"share_{col}"] = out[col] / total if total else np.nan
    out.index = out.index.astype(str)
    out.index.name = "segment"
    order = ["customers", "share_customers", "revenue", "share_revenue",
             "value", "share_value", "mean_recency_days", "mean_orders"]
    out = out[order]
    out.attrs = {"value_basis": basis}
    return out
