"""Channel economics: LTV:CAC, payback and a grow / keep / cut verdict per channel.

Each customer carries their own acquisition cost (customers table,
``acquisition_cost``) and a scored CLV (a Series indexed by customer_id, e.g. the
``clv`` column of the scored table). Grouped by acquisition channel (or region, or
signup cohort):

.. math::

    \\text{LTV:CAC}_g = \\frac{\\sum_{i \\in g} \\mathrm{CLV}_i}{\\sum_{i \\in g} \\mathrm{CAC}_i}
    \\qquad
    \\text{payback}_g = \\frac{\\sum_{i \\in g} \\mathrm{CAC}_i}
                             {\\sum_{i \\in g} m_i}\\ \\text{months}

where :math:`m_i` is customer *i*'s expected margin per month (by default
:math:`\\mathrm{CLV}_i / H` for a CLV over a horizon of *H* months, i.e. margin spread
evenly over the horizon), so that the payback is the month in which the group's
cumulative expected margin first covers what was spent to acquire it. A payback
beyond the horizon is not claimed (NaN, ``paid_back`` False).

The verdict follows the common rule of thumb for LTV:CAC (e.g. Skok, "SaaS Metrics
2.0", 2013; Fader, *Customer Centricity*, 2012, on spending acquisition money where
customers are worth it): >= 3 grow, 1-3 keep and improve, < 1 cut. Both thresholds
are parameters. CLV should be on a margin basis for the ratio to mean "return on
acquisition spend"; a revenue-based CLV overstates it.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from .. import schema as s
from .._messages import examples, require_columns
from ..exceptions import DataValidationError, ParameterError
from ._common import check_choice, require_rows

__all__ = ["VERDICTS", "channel_economics"]

#: Verdict codes, best first.
VERDICTS: tuple[str, ...] = ("grow", "keep", "cut")
_WHAT = "channel_economics()"
COHORT = "cohort"


def _verdict(ratio: pd.Series, grow_at: float, cut_below: float) -> pd.Series:
    codes = np.select([ratio >= grow_at, ratio >= cut_below, ratio < cut_below],
                      ["grow", "keep", "cut"], default="")
    out = pd.Series(codes, index=ratio.index, dtype=object)
    return out.where(out != "", None)


def _check(clv: pd.Series, name: str) -> pd.Series:
    if not isinstance(clv, pd.Series):
        msg = f"{_WHAT}: {name} must be a Series indexed by customer_id; got {type(clv).__name__}"
        raise ParameterError(msg)
    dup = clv.index.duplicated()
    if dup.any():
        msg = (f"{_WHAT}: {name} has {int(dup.sum()):,} repeated customer id(s) "
               f"(e.g. {examples(clv.index[dup].unique())}); pass one value per customer.")
        raise DataValidationError(msg, n_failed=int(dup.sum()))
    clv = pd.to_numeric(clv, errors="coerce").astype(float)
    clv.index = clv.index.astype(str)
    return clv


def _frame(customers: pd.DataFrame, by: Sequence[str], cohort_freq: str) -> pd.DataFrame:
    needed = [s.CUSTOMER_ID, s.ACQUISITION_COST, *(c for c in by if c != COHORT)]
    if COHORT in by:
        needed.append(s.SIGNUP_DATE)
    require_columns(customers, needed, "customers", _WHAT,
                    todo="Map them in the [customers.columns] section of the config.")
    require_rows(customers, "customers", _WHAT)
    frame = customers[[c for c in dict.fromkeys(needed)]].copy()
    frame[s.CUSTOMER_ID] = frame[s.CUSTOMER_ID].astype(str)
    frame["cac"] = pd.to_numeric(frame[s.ACQUISITION_COST], errors="coerce").astype(float)
    negative = frame["cac"] < 0
    if negative.any():
        msg = (f"{_WHAT}: {int(negative.sum()):,} customer(s) have a negative acquisition_cost "
               f"(e.g. {examples(frame.loc[negative, s.CUSTOMER_ID])}); costs must be >= 0.")
        raise DataValidationError(msg, column=s.ACQUISITION_COST, n_failed=int(negative.sum()))
    if COHORT in by:
        dates = pd.to_datetime(frame[s.SIGNUP_DATE], errors="coerce")
        frame[COHORT] = dates.dt.to_period(cohort_freq).astype(str).where(dates.notna())
    for col in by:
        frame[col] = frame[col].astype(object).where(frame[col].notna(), "(unknown)")
    return frame


def channel_economics(
    customers: pd.DataFrame,
    clv: pd.Series,
    *,
    by: str | Sequence[str] = s.CHANNEL,
    clv_low: pd.Series | None = None,
    clv_high: pd.Series | None = None,
    monthly_margin: pd.Series | None = None,
    horizon_months: float = 12.0,
    grow_at: float = 3.0,
    cut_below: float = 1.0,
    missing_clv: str = "zero",
    cohort_freq: str = "Q",
) -> pd.DataFrame:
    """Compute LTV:CAC, payback months and a grow / keep / cut verdict per group.

    Parameters
    ----------
    customers : pandas.DataFrame
        Customers table with customer_id, acquisition_cost (currency per customer)
        and the ``by`` columns (signup_date for ``"cohort"``).
    clv : pandas.Series
        CLV per customer (currency, over ``horizon_months``), indexed by customer_id.
    by : str or sequence of str, default "channel"
        Grouping columns of ``customers``; ``"cohort"`` is the signup period
        (``cohort_freq``). Missing values form the group "(unknown)". Customers
        with an unknown acquisition cost are left out (and counted); a group with
        no known cost at all has no row.
    clv_low, clv_high : pandas.Series, optional
        Per-customer interval bounds of CLV. The group bounds are their sums (the
        bounds of the sum if customers' errors move together: conservative).
    monthly_margin : pandas.Series, optional
        Expected margin per month per customer (currency/month); default
        ``clv / horizon_months``.
    horizon_months : float, default 12
        Horizon of ``clv`` in months; paybacks beyond it are NaN.
    grow_at, cut_below : float, default 3 and 1
        Verdict thresholds on LTV:CAC: >= grow_at "grow", >= cut_below "keep",
        below "cut".
    missing_clv : {"zero", "exclude"}, default "zero"
        Customers without a CLV (acquired, never scored: usually never bought):
        count them with CLV 0 (they cost their CAC and bring nothing), or leave them out.
    cohort_freq : str, default "Q"
        pandas period of the signup cohort ("M", "Q", "Y").

    Returns
    -------
    pandas.DataFrame
        One row per group (sorted by LTV:CAC, best first) with the ``by`` columns,
        customers, customers_without_cost (left out: unknown CAC),
        customers_without_clv, cac_total, clv_total, cac_mean, clv_mean, ltv_cac,
        ltv_cac_low, ltv_cac_high (NaN without intervals), payback_months, paid_back
        (within the horizon), verdict (:data:`VERDICTS`; None when CAC is 0) and
        verdict_confident (the interval bounds give the same verdict; NA without
        intervals).

    Raises
    ------
    DataValidationError
        Missing columns, no rows, negative acquisition costs, repeated ids in ``clv``.
    ParameterError
        Invalid thresholds, horizon or ``missing_clv``.

    Examples
    --------
    >>> customers = pd.DataFrame({"customer_id": ["a", "b", "c"],
    ...                           "channel": ["ads", "ads", "seo"],
    ...                           "acquisition_cost": [100.0, 100.0, 10.0]})
    >>> clv = pd.Series({"a": 500.0, "b": 100.0, "c": 50.0})
    >>> channel_economics(customers, clv)[["channel", "ltv_cac", "verdict"]]
      channel  ltv_cac verdict
    0     seo      5.0    grow
    1     ads      3.0    grow
    """
    by = [by] if isinstance(by, str) else list(by)
    check_choice("missing_clv", missing_clv, ("zero", "exclude"))
    if not (0 < cut_below <= grow_at) or not horizon_months > 0:
        msg = (f"{_WHAT}: need 0 < cut_below <= grow_at and horizon_months > 0; got "
               f"cut_below={cut_below!r}, grow_at={grow_at!r}, horizon_months={horizon_months!r}")
        raise ParameterError(msg)
    frame = _frame(customers, by, cohort_freq)
    series = {"clv": _check(clv, "clv")}
    for name, extra in (("clv_low", clv_low), ("clv_high", clv_high),
                        ("monthly", monthly_margin)):
        if extra is not None:
            series[name] = _check(extra, name)
    for name, values in series.items():
        frame[name] = frame[s.CUSTOMER_ID].map(values)
    frame["no_clv"] = frame["clv"].isna()
    frame["no_cost"] = frame["cac"].isna()
    if missing_clv == "exclude":
        frame = frame[~frame["no_clv"]]
    for name in series:
        frame[name] = frame[name].fillna(0.0)
    if "monthly" not in series:
        frame["monthly"] = frame["clv"] / horizon_months
    used = frame[~frame["no_cost"]]
    if used.empty:
        msg = (f"{_WHAT}: none of the {len(frame):,} customers has an acquisition_cost "
               "(all empty or not numbers); fill the column or map it in the config.")
        raise DataValidationError(msg, column=s.ACQUISITION_COST, n_failed=len(frame))
    grouped = used.groupby(by, sort=False, observed=True)
    out = grouped.agg(customers=(s.CUSTOMER_ID, "size"), customers_without_clv=("no_clv", "sum"),
                      cac_total=("cac", "sum"), clv_total=("clv", "sum"),
                      monthly=("monthly", "sum"))
    out["customers_without_cost"] = frame.groupby(by, sort=False)["no_cost"].sum().reindex(
        out.index, fill_value=0)
    cac = out["cac_total"].where(out["cac_total"] > 0)
    out["cac_mean"] = out["cac_total"] / out["customers"]
    out["clv_mean"] = out["clv_total"] / out["customers"]
    out["ltv_cac"] = out["clv_total"] / cac
    for bound in ("clv_low", "clv_high"):
        name = bound.replace("clv", "ltv_cac")
        out[name] = grouped[bound].sum() / cac if bound in series else np.nan
    payback = out["cac_total"] / out["monthly"].where(out["monthly"] > 0)
    out["paid_back"] = payback.le(horizon_months)
    out["payback_months"] = payback.where(out["paid_back"])
    out["verdict"] = _verdict(out["ltv_cac"], grow_at, cut_below)
    if "clv_low" in series and "clv_high" in series:
        same = (_verdict(out["ltv_cac_low"], grow_at, cut_below)
                == _verdict(out["ltv_cac_high"], grow_at, cut_below))
        out["verdict_confident"] = same.astype("boolean").where(out["verdict"].notna())
    else:
        out["verdict_confident"] = pd.array([pd.NA] * len(out), dtype="boolean")
    columns = ["customers", "customers_without_cost", "customers_without_clv", "cac_total",
               "clv_total", "cac_mean", "clv_mean", "ltv_cac", "ltv_cac_low", "ltv_cac_high",
               "payback_months", "paid_back", "verdict", "verdict_confident"]
    out = out[columns].sort_values("ltv_cac", ascending=False, kind="stable", na_position="last")
    out["customers_without_clv"] = out["customers_without_clv"].astype("int64")
    out["customers_without_cost"] = out["customers_without_cost"].astype("int64")
    return out.reset_index()
