r"""Per-customer lifetime value from a purchase model and the Gamma-Gamma spend model."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
from sklearn.utils.validation import check_is_fitted

from ..exceptions import ParameterError
from ..schema import FREQUENCY, MONETARY_VALUE, RECENCY, T
from . import _predict, _units
from ._checks import check_positive, check_summary
from ._compress import compress
from ._diagnostics import warning
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


def _check_settings(horizon_months: int, margin: float) -> None:
    """Validate the horizon and the margin."""
    if isinstance(horizon_months, bool) or not isinstance(horizon_months, (int, np.integer)) or (
        horizon_months < 1
    ):
        msg = f"horizon_months must be a whole number of months >= 1; got {horizon_months!r}."
        raise ParameterError(msg)
    check_positive("margin", margin)


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
    freq: str | None = None,
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
       lifetimes. The unit is read from ``summary.attrs`` (``freq`` and
       ``freq_multiplier``, recorded by :func:`clvkit.rfm_summary`) and months are
       converted into periods with the calendar average (4.348 weeks or 30.44 days
       per month). An explicit ``freq`` or ``periods_per_month`` that contradicts
       the recorded unit raises ParameterError. lifetimes uses 4.345 and 30; pass
       ``periods_per_month`` to reproduce its numbers exactly.

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
    freq : {"D", "W", "M"}, optional
        Time unit of ``summary``. Default: the unit in ``summary.attrs`` (else the
        purchase model's, else weeks). Given, it must agree with the recorded unit.
    periods_per_month : float, optional
        Number of summary periods per month; default from the unit. Given, it must
        be within 5% of the unit's own (a convention such as 4.345, not a unit).

    Returns
    -------
    pandas.DataFrame
        Indexed like ``summary`` with columns ``p_alive`` (probability the customer
        is still active), ``expected_purchases`` (over the horizon),
        ``expected_spend`` (average order value, currency) and ``clv`` (discounted,
        currency). ``attrs`` records the settings (``freq``, ``time_unit``,
        ``periods_per_month``), both models' parameters and diagnostics, the
        Gamma-Gamma independence check (``attrs["gamma_gamma_independence"]``) and
        ``attrs["warnings"]`` (a ``nan_predictions`` code when a value was not
        finite; such values are left NaN, never silently replaced).

    Raises
    ------
    ParameterError
        Invalid horizon, rate, margin, freq or model argument; ``freq`` or
        ``periods_per_month`` contradicting the unit in ``summary.attrs``; a purchase
        model fitted in another time unit; or a Gamma-Gamma model with q <= 1
        (undefined mean spend).
    DataValidationError
        Invalid summary (see the model ``fit`` methods).
    """
    return _customer_value(
        summary, bgnbd=bgnbd, gamma_gamma=gamma_gamma, horizon_months=horizon_months,
        discount_rate_annual=discount_rate_annual, discount_rate_monthly=discount_rate_monthly,
        margin=margin, freq=freq, periods_per_month=periods_per_month)[0]


def _customer_value(
    summary: pd.DataFrame, *, bgnbd: Any, gamma_gamma: Any, horizon_months: int,
    discount_rate_annual: float, discount_rate_monthly: float | None, margin: float,
    freq: str | None, periods_per_month: float | None,
) -> tuple[pd.DataFrame, dict[str, Any]]:
    """:func:`customer_value` and its parts per unique (x, t_x, T) tuple (``packed``,
    ``discounted``, ``p_alive``, ``purchases``), the horizons ``ts`` and ``discount``
    factors and the two models, for :func:`clvkit.models.clv_intervals`."""
    _check_settings(horizon_months, margin)
    d_m = monthly_discount_rate(discount_rate_annual, discount_rate_monthly)
    v = check_summary(summary, (FREQUENCY, RECENCY, T, MONETARY_VALUE), label="customer_value")
    purchase_model, spend_model = _models(summary, bgnbd, gamma_gamma)
    unit = _units.summary_unit(summary)
    _units.check_same_unit(getattr(purchase_model, "time_unit_", None), unit,
                           "customer_value")
    ppm, unit = _units.periods_per_month(
        unit or getattr(purchase_model, "time_unit_", None), freq, periods_per_month,
        "customer_value")

    packed = compress(v[FREQUENCY], v[RECENCY], v[T])
    x, tx, age = packed.columns
    ts, discount = month_grid(horizon_months, d_m, ppm)
    discounted, purchases, p_alive = purchases_per_tuple(purchase_model, ts, discount, x, tx,
                                                         age)
    spend = _spend(spend_model, summary, v)

    out = pd.DataFrame(
        {
            "p_alive": packed.expand(p_alive),
            "expected_purchases": packed.expand(purchases),
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
        freq=unit["freq"],
        time_unit=dict(unit),
        periods_per_month=ppm,
        purchase_model=type(purchase_model).__name__,
        purchase_params=purchase_model.params,
        gamma_gamma_params=spend_model.params,
        # a model built from parameters (from_params) has no data, so no check
        gamma_gamma_independence=dict(getattr(spend_model, "independence_", None) or {}),
        purchase_diagnostics=getattr(purchase_model, "diagnostics_", None),
        gamma_gamma_diagnostics=getattr(spend_model, "diagnostics_", None),
        warnings=_nan_warnings(out),
    )
    parts = {"packed": packed, "discounted": discounted, "p_alive": p_alive,
             "purchases": purchases, "ts": ts, "discount": discount,
             "models": (purchase_model, spend_model)}
    return out, parts


def month_grid(horizon_months: int, discount_rate_monthly: float,
               periods_per_month: float) -> tuple[list[float], np.ndarray]:
    """Month ends in periods (0, tau, ..., H tau) and each month's discount factor
    :math:`(1+d_m)^{-k}`, k = 1..H, as :func:`customer_value` sums them."""
    ts = [k * periods_per_month for k in range(horizon_months + 1)]
    return ts, (1.0 + discount_rate_monthly) ** -np.arange(1, horizon_months + 1)


def purchases_per_tuple(model: _PurchaseModel, ts: list[float], discount: np.ndarray,
                        x: np.ndarray, tx: np.ndarray,
                        age: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Discounted purchases over the horizon, expected purchases and P(alive) per tuple.

    clvkit's own closed forms work once per distinct (x, T) pair
    (:func:`._predict.discounted_purchases`); a lifetimes-backed model (or one that
    defines its own conditional expectation) is evaluated month by month.
    """
    own = (getattr(model, "backend", "clvkit") != "lifetimes"
           and type(model)._conditional_many is _PurchaseModel._conditional_many
           and type(model)._p_alive is _PurchaseModel._p_alive)
    if own:
        return _predict.discounted_purchases(model._kind, model._theta(), ts, discount, x, tx,
                                             age)
    cumulative = model._conditional_many(ts, x, tx, age)
    discounted = np.einsum("ij,j->i", np.diff(cumulative, axis=1), discount)  # no BLAS threads
    return discounted, cumulative[:, -1], model._p_alive(x, tx, age)


def _spend(model: GammaGammaModel, summary: pd.DataFrame, v: dict[str, np.ndarray]) -> np.ndarray:
    """Expected spend per customer: eq. 5 of note 025 is a cheap formula per row, so
    clvkit's model evaluates it directly on the checked columns (no compression)."""
    if getattr(model, "backend", "clvkit") == "lifetimes" or (
            type(model)._expected_spend is not GammaGammaModel._expected_spend):
        return model.expected_spend(summary).to_numpy()
    return model._expected_spend(v[FREQUENCY], v[MONETARY_VALUE])


def _nan_warnings(out: pd.DataFrame) -> list[dict[str, Any]]:
    """A ``nan_predictions`` code per column that has non-finite values."""
    notes = []
    for col in out.columns:
        bad = int((~np.isfinite(out[col].to_numpy(dtype=float))).sum())
        if bad:
            notes.append(warning("nan_predictions", what=col, n=bad, n_customers=len(out)))
    return notes
