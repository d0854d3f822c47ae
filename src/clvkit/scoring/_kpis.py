"""The headline KPIs of a scoring run, each with its definition and unit.

One churn rate is the headline (customers lost in the last ``period_months`` over
the average customer count; lost = ``inactivity_days`` without a purchase); the
monthly rate and retention are stored as labelled variants of it.
"""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np
import pandas as pd

from .._codes import customer_codes
from ..exceptions import ClvkitError
from ..schema import AMOUNT, CUSTOMER_ID, NPS, TIMESTAMP
from ._notes import Notes, _plain
from ._settings import ScoreSettings

__all__ = ["active_mask", "at_risk_mask", "headline_kpis"]


def _kpi(value: Any, unit: str, variant_of: str | None = None, **values: Any) -> dict[str, Any]:
    """One KPI: value, unit (count, money, share, score), definition values."""
    record = {"value": _plain(value), "unit": unit, "values": {k: _plain(v)
                                                               for k, v in values.items()}}
    if variant_of:
        record["variant_of"] = variant_of
    return record


def _coded(tx: pd.DataFrame) -> pd.DataFrame:
    """customer_id (as its code: sorted like the ids, shared within a scoring run) and
    timestamp of the transactions: the churn rates count spells per customer, so they
    are the same numbers, without sorting the id strings."""
    if not isinstance(tx, pd.DataFrame) or not {CUSTOMER_ID, TIMESTAMP} <= set(tx.columns):
        return tx  # churn_rate says what is missing
    codes, _ = customer_codes(tx)
    if (codes < 0).any():  # a missing id: leave the table as it is
        return tx
    return pd.DataFrame({CUSTOMER_ID: codes, TIMESTAMP: tx[TIMESTAMP].array})


def _churn(ds: Any, end: pd.Timestamp, s: ScoreSettings, notes: Notes,
           tables: dict[str, pd.DataFrame]) -> dict[str, dict[str, Any]]:
    from ..metrics.churn import churn_rate, churn_series

    out: dict[str, dict[str, Any]] = {}
    data = _coded(ds.transactions)
    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            churn = churn_rate(data, period_months=s.period_months,
                               inactivity_days=s.inactivity_days, observation_end=end)
            monthly = churn_series(data, period_months=1, inactivity_days=s.inactivity_days,
                                   observation_end=end)
    except ClvkitError as err:
        notes.add("churn_unavailable", "02", months=s.period_months,
                  error=str(err).splitlines()[0])
        return {"churn_rate": _kpi(None, "share", months=s.period_months,
                                   days=s.inactivity_days)}
    if any(issubclass(w.category, UserWarning) for w in caught):
        notes.add("churn_short_history", "02", months=s.period_months, days=s.inactivity_days)
    tables["churn"] = churn.to_frame()
    tables["churn_monthly"] = monthly
    common = {"months": s.period_months, "days": s.inactivity_days,
              "start": churn.period_start.date().isoformat(),
              "end": churn.period_end.date().isoformat()}
    out["churn_rate"] = _kpi(churn.rate, "share", lost=churn.lost, avg=churn.avg_customers,
                             **common)
    out["retention"] = _kpi(churn.retention, "share", "churn_rate", **common)
    out["kept_share"] = _kpi(churn.kept_share, "share", "churn_rate",
                             active_start=churn.active_start, retained=churn.retained, **common)
    recent = monthly["churn_rate"].dropna().sort_index().tail(12)
    out["churn_rate_monthly"] = _kpi(recent.mean() if len(recent) else None, "share",
                                     "churn_rate", days=s.inactivity_days, months=len(recent))
    if churn.rate > 1:
        notes.add("churn_over_100", "02", rate=churn.rate)
    return out


def at_risk_mask(customers: pd.DataFrame, s: ScoreSettings) -> pd.Series:
    """Which customers are at risk: still active by the headline churn definition (a
    purchase within ``inactivity_days`` of the observation end) and a churn risk of at
    least ``at_risk_threshold``.

    Customers already lost (no purchase for ``inactivity_days``) are counted by the
    churn rate, not as at risk: they are win-back targets, and listing them would put
    the same customers in both numbers.
    """
    active = active_mask(customers, s.inactivity_days)
    return (customers["churn_risk"].ge(s.at_risk_threshold) & active).astype(bool)


def active_mask(customers: pd.DataFrame, inactivity_days: int) -> pd.Series:
    """Which customers are still active by the headline churn definition: their last
    purchase is at most ``inactivity_days`` days before the observation end
    (``recency_days <= inactivity_days``); the others count as lost."""
    return customers["recency_days"].le(inactivity_days).astype(bool)


def headline_kpis(
    ds: Any, end: pd.Timestamp, customers: pd.DataFrame, s: ScoreSettings, notes: Notes,
    tables: dict[str, pd.DataFrame], value_basis: str,
) -> dict[str, dict[str, Any]]:
    """Compute the headline KPIs from the dataset and the scored customer table.

    Every money KPI is a sum over ``customers`` so the summary's totals equal the
    table's sums.
    """
    from ..metrics.economics import value_concentration

    tx = ds.transactions
    k: dict[str, dict[str, Any]] = {
        "customers": _kpi(len(customers), "count"),
        "orders": _kpi(len(tx), "count"),
        "revenue": _kpi(float(tx[AMOUNT].sum()), "money",
                        start=tx["timestamp"].min().date().isoformat(),
                        end=end.date().isoformat()),
    }
    k.update(_churn(ds, end, s, notes, tables))
    if ds.surveys is not None and len(ds.surveys) and NPS in ds.surveys:
        from ..metrics.satisfaction import nps

        result = nps(ds.surveys[NPS])
        k["nps"] = _kpi(result.score, "score", ci_low=result.ci_low, ci_high=result.ci_high,
                        n=result.n, confidence=result.confidence,
                        promoters=result.share_promoters, detractors=result.share_detractors)
    else:
        k["nps"] = _kpi(None, "score")
    clv = customers["clv"]
    has_clv = bool(clv.notna().any())
    k["clv_total"] = _kpi(float(clv.sum()) if has_clv else None, "money",
                          months=s.horizon_months, basis=value_basis,
                          discount=s.discount_rate_annual)
    ranked = clv if has_clv else customers["revenue"]
    positive = ranked.clip(lower=0).fillna(0.0)
    top = float(value_concentration(positive).share_of_top(0.2)) if positive.sum() > 0 \
        else None
    k["top20_share"] = _kpi(top, "share", of="clv" if has_clv else "revenue")
    risk = customers["churn_risk"]
    flags = customers["at_risk"] if "at_risk" in customers else at_risk_mask(customers, s)
    at_risk = flags.to_numpy(dtype=bool)
    revenue = float(customers["revenue"].sum())
    rule = {"threshold": s.at_risk_threshold, "days": s.inactivity_days}
    k["at_risk_customers"] = _kpi(int(at_risk.sum()), "count", **rule)
    k["at_risk_value"] = _kpi(float(clv[at_risk].sum()) if has_clv else None, "money", **rule)
    k["at_risk_revenue"] = _kpi(float(customers.loc[at_risk, "revenue"].sum()), "money",
                                **rule)
    share = float(customers.loc[at_risk, "revenue"].sum()) / revenue if revenue > 0 else 0.0
    k["at_risk_revenue_share"] = _kpi(share, "share", **rule)
    if not np.isfinite(risk.to_numpy(dtype=float)).all():
        notes.add("risk_missing", "05", customers=int(risk.isna().sum()))
    return k
