"""Simple customer lifetime value, its margin/discount version, ROI and expected lifetime.

All functions are vectorised: pass scalars, numpy arrays or pandas Series (one value
per customer or per segment); they broadcast like numpy and keep a Series' index.
"""

from __future__ import annotations

from typing import TypeVar

import numpy as np
import pandas as pd

from ..exceptions import ParameterError

__all__ = ["customer_roi", "expected_lifetime", "margin_clv", "simple_clv"]

ArrayLike = TypeVar("ArrayLike", float, np.ndarray, pd.Series)


def _arr(x, name: str) -> np.ndarray:
    values = np.asarray(x, dtype=float)
    if np.isnan(values).any():
        msg = f"{name} has {int(np.isnan(values).sum()):,} missing value(s); fill or drop them."
        raise ParameterError(msg)
    return values


def _fail(name: str, values: np.ndarray, bad: np.ndarray, expected: str) -> None:
    if np.any(bad):
        shown = ", ".join(f"{v:g}" for v in np.atleast_1d(values)[np.atleast_1d(bad)][:5])
        msg = (f"{name} must be {expected}; {int(np.sum(bad)):,} value(s) are not "
               f"(e.g. {shown}).")
        raise ParameterError(msg)


def _out(result, *inputs):
    """Return a float for all-scalar input, else the numpy/pandas result."""
    if all(np.ndim(x) == 0 and not isinstance(x, pd.Series) for x in inputs):
        return float(result)
    return result


def simple_clv(yearly_revenue: ArrayLike, years: ArrayLike, acquisition_cost: ArrayLike = 0.0
               ) -> ArrayLike:
    """Compute the textbook customer lifetime value: revenue x years - acquisition cost.

    .. math:: \\mathrm{CLV} = R \\cdot L - AC

    e.g. 1,000 a year for 10 years with a 1,000 acquisition cost gives 9,000. Use
    :func:`expected_lifetime` to get :math:`L` from a churn rate.

    Parameters
    ----------
    yearly_revenue : float, array or Series
        Revenue (or margin) per customer per year, currency.
    years : float, array or Series
        Expected relationship length, years (>= 0).
    acquisition_cost : float, array or Series, default 0
        Cost to acquire the customer, currency.

    Returns
    -------
    float, numpy.ndarray or pandas.Series
        CLV in currency; a float for scalar inputs, a Series when any input is one.

    Raises
    ------
    ParameterError
        Negative or missing ``years``, missing revenue or cost.

    Examples
    --------
    >>> simple_clv(1_000, 10, 1_000)
    9000.0
    """
    y = _arr(years, "years")
    _arr(yearly_revenue, "yearly_revenue")
    _arr(acquisition_cost, "acquisition_cost")
    _fail("years", y, y < 0, ">= 0")
    return _out(yearly_revenue * years - acquisition_cost, yearly_revenue, years,
                acquisition_cost)


def expected_lifetime(churn_rate: ArrayLike) -> ArrayLike:
    """Return the expected relationship length 1/c implied by a constant churn rate c.

    With a constant probability :math:`c` of leaving each period, the number of periods
    a customer stays is geometric with mean :math:`1/c` (20% a year: 5 years).

    Parameters
    ----------
    churn_rate : float, array or Series
        Churn per period, a share in (0, 1].

    Returns
    -------
    float, numpy.ndarray or pandas.Series
        Expected lifetime in periods of the churn rate (years for an annual rate).

    Raises
    ------
    ParameterError
        If a churn rate is outside (0, 1] (0 would mean customers never leave).
    """
    c = _arr(churn_rate, "churn_rate")
    _fail("churn_rate", c, (c <= 0) | (c > 1), "a share in (0, 1]")
    return _out(1 / churn_rate if isinstance(churn_rate, pd.Series) else 1 / c, churn_rate)


def margin_clv(
    margin: ArrayLike,
    retention: ArrayLike,
    discount_rate: ArrayLike,
    years: int | None = None,
    acquisition_cost: ArrayLike = 0.0,
) -> ArrayLike:
    """Compute CLV from a yearly margin, a retention rate and a discount rate.

    Margins arrive at the start of each year the customer is still there (year 0 for
    sure, year :math:`t` with probability :math:`r^t`):

    .. math::

        \\mathrm{CLV} = \\sum_{t=0}^{Y-1} \\frac{m\\, r^t}{(1+d)^t} - AC
        = m\\,\\frac{1 - q^Y}{1 - q} - AC, \\qquad q = \\frac{r}{1+d},

    and for an infinite horizon (``years=None``) the closed form
    :math:`m\\,(1+d)/(1+d-r) - AC`, which needs :math:`r < 1 + d`.

    Parameters
    ----------
    margin : float, array or Series
        Margin per customer per year, currency.
    retention : float, array or Series
        Yearly retention rate, share in [0, 1].
    discount_rate : float, array or Series
        Yearly discount rate, e.g. 0.1 (>= 0).
    years : int, optional
        Horizon in years (>= 1); ``None`` = infinite horizon (closed form).
    acquisition_cost : float, array or Series, default 0
        Subtracted once, currency.

    Returns
    -------
    float, numpy.ndarray or pandas.Series
        CLV in currency.

    Raises
    ------
    ParameterError
        Retention outside [0, 1], negative discount rate, a horizon < 1, or an
        infinite horizon with retention 1 and no discounting (the sum diverges).

    References
    ----------
    Gupta, S. and Lehmann, D. R. (2003). Customers as assets. Journal of Interactive
    Marketing 17(1), 9-24 (their eq. for :math:`m\\,r/(1+i-r)` counts margins at the
    end of each year; here they start at year 0, hence the :math:`(1+d)` factor).

    Examples
    --------
    >>> round(margin_clv(100, 0.8, 0.1), 2)  # 100 * 1.1 / 0.3
    366.67
    """
    r, d = _arr(retention, "retention"), _arr(discount_rate, "discount_rate")
    _fail("retention", r, (r < 0) | (r > 1), "a share in [0, 1]")
    _fail("discount_rate", d, d < 0, ">= 0")
    q = retention / (1 + discount_rate)
    if years is None:
        _fail("retention / (1 + discount_rate)", r / (1 + d), r / (1 + d) >= 1,
              "< 1 for an infinite horizon (pass years=)")
        total = margin / (1 - q)
    else:
        if not isinstance(years, (int, np.integer)) or years < 1:
            msg = f"years must be a whole number >= 1 or None (infinite); got {years!r}"
            raise ParameterError(msg)
        qa = np.asarray(q, dtype=float)
        factor = np.where(qa == 1, float(years), (1 - qa**years) / np.where(qa == 1, 2, 1 - qa))
        factor = pd.Series(factor, index=q.index) if isinstance(q, pd.Series) else factor
        total = margin * factor
    return _out(total - acquisition_cost, margin, retention, discount_rate, acquisition_cost)


def customer_roi(value: ArrayLike, acquisition_cost: ArrayLike, cost_to_serve: ArrayLike = 0.0
                 ) -> ArrayLike:
    """Compute customer ROI: value delivered net of the cost to acquire and serve, per unit cost.

    .. math:: \\mathrm{ROI} = \\frac{V - (AC + CS)}{AC + CS}

    Parameters
    ----------
    value : float, array or Series
        Value delivered by the customer (e.g. margin over the horizon), currency.
    acquisition_cost : float, array or Series
        Cost to acquire, currency (>= 0).
    cost_to_serve : float, array or Series, default 0
        Cost to serve over the same horizon, currency (>= 0).

    Returns
    -------
    float, numpy.ndarray or pandas.Series
        ROI as a ratio (0.5 = 50%); NaN where the total cost is 0.

    Raises
    ------
    ParameterError
        Negative or missing costs.

    Examples
    --------
    >>> customer_roi(300, 100, 50)
    1.0
    """
    ac, cs = _arr(acquisition_cost, "acquisition_cost"), _arr(cost_to_serve, "cost_to_serve")
    _fail("acquisition_cost", ac, ac < 0, ">= 0")
    _fail("cost_to_serve", cs, cs < 0, ">= 0")
    cost = acquisition_cost + cost_to_serve
    safe = cost.where(cost != 0) if isinstance(cost, pd.Series) else \
        np.where(np.asarray(cost) == 0, np.nan, cost)
    return _out((value - cost) / safe, value, acquisition_cost, cost_to_serve)
