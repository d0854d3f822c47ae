r"""Per-customer lifetime value from a purchase model and the Gamma-Gamma spend model."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
from sklearn.utils.validation import check_is_fitted

from ..exceptions import ParameterError
from ..schema import DAYS_PER_MONTH, FREQ_DAYS, FREQUENCY, MONETARY_VALUE, RECENCY, T
from ._checks import check_positive, check_summary
from ._compress import compress
from .btyd import BGNBDModel, _PurchaseModel
from .spend import GammaGammaModel

__all__ = ["customer_value", "monthly_discount_rate"]

CLV_COLUMNS = ("p_alive", "expected_purchases", "expected_spend", "clv")


def monthly_discount_rate(
    discount_rate_annual: float | None = None, discount_rate_monthly: float | None = None
) -> float:
    r"""Return the monthly discount rate equivalent to an annual (or given monthly) one.

    .. math:: d_m = (1 + d_a)^{1/12} - 1

    A monthly rate, when given, is returned unchanged (it takes precedence).
    """
    if discount_rate_monthly is not None:
        return check_positive("discount_rate_monthly", discount_rate_monthly, allow_zero=True)
    annual = check_positive("discount_rate_annual", discount_rate_annual, allow_zero=True)
    return (1.0 + annual) ** (1.0 / 12.0) - 1.0


def _check_settings(
    horizon_months: int, margin: float, freq: str, periods_per_month: float | None
) -> float:
    """Validate CLV settings; return the number of summary periods per month."""
    if isinstance(horizon_months, bool) or not isinstance(horizon_months, (int, np.integer)) or (
        horizon_months < 1
    ):
        msg = f"horizon_months must be a whole number of months >= 1; got {horizon_months!r}."
        raise ParameterError(msg)
    check_positive("margin", margin)
    if freq not in FREQ_DAYS:
        msg = f"freq must be one of {', '.join(map(repr, FREQ_DAYS))}; got {freq!r}."
        raise ParameterError(msg)
    if periods_per_month is None:
        return DAYS_PER_MONTH / FREQ_DAYS[freq]
    return check_positive("periods_per_month", periods_per_month)


def _models(
    summary: pd.DataFrame, bgnbd: Any, gamma_gamma: Any
) -> tuple[_PurchaseModel, GammaGammaModel]:
    if bgnbd is None:
        bgnbd = BGNBDModel().fit(summary)
    if gamma_gamma is None:
        gamma_gamma = GammaGammaModel().fit(summary)
    if not isinstance(bgnbd, _PurchaseModel):
        msg = (
            "bgnbd must be a fitted clvkit purchase model (fit_bgnbd, fit_paretonbd or "
            f"fit_mbgnbd); got {type(bgnbd).__name__}."
        )
        raise ParameterError(msg)
    if not isinstance(gamma_gamma, GammaGammaModel):
        msg = f"gamma_gamma must be a fitted GammaGammaModel; got {type(gamma_gamma).__name__}."
        raise ParameterError(msg)
    check_is_fitted(bgnbd, "params_")
    check_is_fitted(gamma_gamma, "params_")
    if gamma_gamma.params["q"] <= 1:
        msg = (
            f"The Gamma-Gamma model has q={gamma_gamma.params['q']:.3f} <= 1, so its mean "
            f"spend per order is undefined and CLV cannot be computed. Refit with "
            f"penalizer_coef=0.01 or after capping extreme order values."
        )
        raise ParameterError(msg)
    return bgnbd, gamma_gamma


def customer_value(
    summary: pd.DataFrame,
    *,
    bgnbd: _PurchaseModel | None = None,
    gamma_gamma: GammaGammaModel | None = None,
    horizon_months: int = 12,
    discount_rate_annual: float = 0.10,
    discount_rate_monthly: float | None = None,
    margin: float = 1.0,
    freq: str = "W",
    periods_per_month: float | None = None,
) -> pd.DataFrame:
    r"""Predict each customer's activity, purchases, spend and discounted lifetime value.

    Expected purchases come from a purchase model (BG/NBD by default; Pareto/NBD and
    MBG/NBD work too), expected spend from Gamma-Gamma, and the value is the
    discounted sum of month-by-month expected margin:

    .. math::
        \mathrm{CLV}_i = \mathrm{margin} \cdot E[M_i] \sum_{k=1}^{H}
        \frac{E[Y_i(k\,\tau)] - E[Y_i((k-1)\,\tau)]}{(1+d_m)^k}

    with :math:`H` = ``horizon_months``, :math:`\tau` = periods per month,
    :math:`E[Y_i(t)]` the conditional expected purchases in the next :math:`t`
    periods (eq. 10 of Fader, Hardie & Lee 2005) and :math:`E[M_i]` the Gamma-Gamma
    expected spend (eq. 5 of Fader & Hardie 2013). This is lifetimes'
    ``customer_lifetime_value`` computed once per unique (frequency, recency, T)
    tuple.

    .. warning::
       The horizon is in **months whatever the summary's time unit**, as in
       lifetimes. ``freq`` must be the unit the summary was built with (``"W"`` for
       ``rfm_summary``'s default); it converts months into periods with the
       calendar average (4.348 weeks or 30.44 days per month). lifetimes uses 4.345
       and 30; pass ``periods_per_month`` to reproduce its numbers exactly.

    Parameters
    ----------
    summary : pandas.DataFrame
        One row per customer (index customer_id) with ``frequency``, ``recency``,
        ``T`` and ``monetary_value``.
    bgnbd : BGNBDModel, ParetoNBDModel or MBGNBDModel, optional
        A fitted purchase model; default fits BG/NBD on ``summary``.
    gamma_gamma : GammaGammaModel, optional
        A fitted spend model; default fits Gamma-Gamma on ``summary``.
    horizon_months : int, default 12
        CLV horizon in months.
    discount_rate_annual : float, default 0.10
        Yearly discount rate, converted to the monthly :math:`d_m=(1+d)^{1/12}-1`.
    discount_rate_monthly : float, optional
        Monthly discount rate; when given it is used instead of the annual one.
    margin : float, default 1.0
        Share of spend that is profit (1.0 = value in revenue).
    freq : {"D", "W", "M"}, default "W"
        Time unit of ``summary`` (days, weeks, months).
    periods_per_month : float, optional
        Override the number of summary periods per month.

    Returns
    -------
    pandas.DataFrame
        Indexed like ``summary`` with columns ``p_alive`` (probability the customer
        is still active), ``expected_purchases`` (over the horizon),
        ``expected_spend`` (average order value, currency) and ``clv`` (discounted,
        currency). ``attrs`` records the settings, both models' parameters and the
        Gamma-Gamma independence check (``attrs["gamma_gamma_independence"]``).

    Raises
    ------
    ParameterError
        Invalid horizon, rate, margin, freq or model argument, or a Gamma-Gamma
        model with q <= 1 (undefined mean spend).
    DataValidationError
        Invalid summary (see the model ``fit`` methods).
    """
    ppm = _check_settings(horizon_months, margin, freq, periods_per_month)
    d_m = monthly_discount_rate(discount_rate_annual, discount_rate_monthly)
    v = check_summary(summary, (FREQUENCY, RECENCY, T, MONETARY_VALUE), label="customer_value")
    purchase_model, spend_model = _models(summary, bgnbd, gamma_gamma)

    packed = compress(v[FREQUENCY], v[RECENCY], v[T])
    x, tx, age = packed.columns
    cumulative = np.column_stack(
        [purchase_model._conditional(k * ppm, x, tx, age) for k in range(horizon_months + 1)]
    )
    discount = (1.0 + d_m) ** -np.arange(1, horizon_months + 1)
    discounted = np.diff(cumulative, axis=1) @ discount
    p_alive = purchase_model.p_alive(pd.DataFrame({FREQUENCY: x, RECENCY: tx, T: age}))
    spend = spend_model.expected_spend(summary).to_numpy()

    out = pd.DataFrame(
        {
            "p_alive": packed.expand(p_alive.to_numpy()),
            "expected_purchases": packed.expand(cumulative[:, -1]),
            "expected_spend": spend,
            "clv": margin * spend * packed.expand(discounted),
        },
        index=summary.index.copy(),
    )
    out.attrs.update(
        horizon_months=int(horizon_months),
        discount_rate_monthly=d_m,
        discount_rate_annual=(1.0 + d_m) ** 12 - 1.0,
        margin=float(margin),
        freq=freq,
        periods_per_month=ppm,
        purchase_model=type(purchase_model).__name__,
        purchase_params=purchase_model.params,
        gamma_gamma_params=spend_model.params,
        gamma_gamma_independence=dict(spend_model.independence_),
    )
    return out
