"""Customer economics: value concentration (Lorenz, Gini) and retention scenarios."""

from __future__ import annotations

import math
import warnings
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from .._codes import factorize_ids
from ..exceptions import DataValidationError, ParameterError
from ..schema import AMOUNT, CUSTOMER_ID, GROSS_MARGIN, TIMESTAMP
from ..tables import Dataset
from ._common import check_whole, observation_end_of, require_columns, transactions_of
from .value import margin_clv

__all__ = [
    "ConcentrationResult",
    "margin_per_active_customer",
    "retention_scenarios",
    "value_concentration",
]


@dataclass(frozen=True)
class ConcentrationResult:
    """How concentrated value is among customers.

    Attributes
    ----------
    top : pandas.DataFrame
        One row per requested share: columns top_share (e.g. 0.2), customers (how many
        that is), value (their total) and share_of_value (of the grand total; above 1
        when other customers destroy value).
    lorenz : pandas.DataFrame
        Columns share_of_customers and share_of_value, from (0, 0) to (1, 1), customers
        ordered from lowest to highest value.
    gini : float
        Gini coefficient in [0, 1); NaN when some values are negative.
    n : int
        Customers.
    total : float
        Total value, currency.
    n_negative : int
        Customers with a negative value (e.g. margin below cost to serve).
    """

    top: pd.DataFrame
    lorenz: pd.DataFrame
    gini: float
    n: int
    total: float
    n_negative: int

    def share_of_top(self, share: float) -> float:
        """Return the share of value held by the top ``share`` of customers (must be listed)."""
        hit = self.top.loc[np.isclose(self.top["top_share"], share), "share_of_value"]
        if hit.empty:
            msg = f"share {share!r} was not computed; available: {list(self.top['top_share'])}"
            raise KeyError(msg)
        return float(hit.iloc[0])

    def to_frame(self) -> pd.DataFrame:
        """Return the top-share table."""
        return self.top.copy()


def value_concentration(
    values: pd.Series | np.ndarray | Sequence[float],
    shares: Sequence[float] = (0.01, 0.05, 0.1, 0.2),
) -> ConcentrationResult:
    """Measure how concentrated value is: top-share table, Lorenz curve and Gini.

    The top :math:`s` of customers are the :math:`\\lceil s\\,n \\rceil` with the highest
    value. The Lorenz curve plots the cumulative share of value against the share of
    customers, ordered from lowest to highest, and

    .. math::

        G = \\frac{2 \\sum_{i=1}^n i\\, x_{(i)}}{n \\sum_i x_i} - \\frac{n + 1}{n}

    for ascending :math:`x_{(i)} \\ge 0` (one minus twice the area under the curve).

    Parameters
    ----------
    values : Series, array or sequence
        One value per customer (revenue, margin, CLV), currency. Missing values are
        not allowed.
    shares : sequence of float, default (0.01, 0.05, 0.1, 0.2)
        Top shares of customers to report, each in (0, 1].

    Returns
    -------
    ConcentrationResult

    Raises
    ------
    DataValidationError
        No values, missing values, or a total that is not positive.
    ParameterError
        A share outside (0, 1].

    Warns
    -----
    UserWarning
        When some values are negative (the Gini is then NaN).

    Examples
    --------
    >>> res = value_concentration([0, 0, 0, 10], shares=(0.25,))
    >>> res.share_of_top(0.25), res.gini
    (1.0, 0.75)
    """
    x = np.asarray(values, dtype=float)
    _check_values(x)
    for s in shares:
        if not 0 < s <= 1:
            msg = f"every share must be in (0, 1]; got {s!r}"
            raise ParameterError(msg)
    n, total = x.size, float(x.sum())
    desc = np.sort(x)[::-1]
    cum = np.cumsum(desc)
    k = np.array([max(1, math.ceil(s * n - 1e-9)) for s in shares])
    top = pd.DataFrame({"top_share": list(shares), "customers": k, "value": cum[k - 1],
                        "share_of_value": cum[k - 1] / total})
    asc = desc[::-1]
    lorenz = pd.DataFrame({"share_of_customers": np.arange(n + 1) / n,
                           "share_of_value": np.concatenate([[0.0], np.cumsum(asc) / total])})
    n_neg = int((x < 0).sum())
    if n_neg:
        msg = (f"{n_neg:,} of {n:,} values are negative; the top shares and Lorenz curve keep "
               "them, but the Gini coefficient is undefined and set to NaN.")
        warnings.warn(msg, UserWarning, stacklevel=2)
        gini = float("nan")
    else:
        gini = float(2 * np.sum(np.arange(1, n + 1) * asc) / (n * total) - (n + 1) / n)
    return ConcentrationResult(top=top, lorenz=lorenz, gini=gini, n=n, total=total,
                               n_negative=n_neg)


def _check_values(x: np.ndarray) -> None:
    if x.size == 0:
        msg = "value_concentration() got no values; it needs one value per customer."
        raise DataValidationError(msg, n_failed=0)
    if np.isnan(x).any():
        msg = (f"{int(np.isnan(x).sum()):,} of {x.size:,} values are missing; fill them "
               "(e.g. 0 for customers without purchases) or drop them first.")
        raise DataValidationError(msg, n_failed=int(np.isnan(x).sum()))
    if not x.sum() > 0:
        msg = (f"The values add up to {x.sum():,.2f}; shares of value need a positive total. "
               "Use revenue or positive margins.")
        raise DataValidationError(msg, n_failed=x.size)


def retention_scenarios(
    *,
    customers: int,
    margin_per_year: float,
    retention: float,
    uplifts: Sequence[float] = (0.01, 0.02, 0.05, 0.10),
    discount_rate: float = 0.10,
    years: int = 5,
    acquisition_cost: float = 0.0,
    cost_ratio: float = 5.0,
) -> pd.DataFrame:
    """Tabulate what +N points of yearly retention do to the value of today's customers.

    For a base of :math:`N` customers each worth margin :math:`m` a year, retention
    :math:`r` and discount rate :math:`d`, the base is worth
    :math:`N \\cdot \\mathrm{CLV}(r)` over ``years`` (:func:`margin_clv`). Raising
    retention to :math:`r' = r + \\Delta` keeps :math:`N(r'^t - r^t)` extra customers in
    year :math:`t`. Each extra customer-year is assumed to cost
    :math:`AC / k` to keep, where :math:`k` is ``cost_ratio`` (acquiring a customer costs
    :math:`k` times as much as keeping one; 5-25 is the usual range quoted). The table also
    gives how many new customers would have to be acquired, and at what cost, to add
    the same value.

    Parameters
    ----------
    customers : int
        Customers in the base today (>= 1).
    margin_per_year : float
        Margin per customer per year, currency.
    retention : float
        Current yearly retention, share in [0, 1).
    uplifts : sequence of float, default (0.01, 0.02, 0.05, 0.10)
        Retention increases in shares (0.05 = +5 points); each r + uplift must be <= 1.
    discount_rate : float, default 0.10
        Yearly discount rate.
    years : int, default 5
        Horizon in years.
    acquisition_cost : float, default 0
        Cost to acquire one customer, currency.
    cost_ratio : float, default 5
        Cost of acquiring over cost of keeping a customer for a year (> 0).

    Returns
    -------
    pandas.DataFrame
        One row per scenario (first row: the current retention), columns retention,
        uplift_points, clv_per_customer, base_value, value_change, value_change_pct,
        extra_customer_years, retention_cost, net_value_change,
        equivalent_new_customers, equivalent_acquisition_cost.

    Raises
    ------
    ParameterError
        Invalid counts, rates, uplifts that push retention above 1, or cost_ratio <= 0.

    References
    ----------
    Reichheld, F. F. and Sasser, W. E. (1990). Zero defections: quality comes to services.
    Harvard Business Review 68(5), 105-111.
    Gupta, S., Lehmann, D. R. and Stuart, J. A. (2004). Valuing customers. Journal of
    Marketing Research 41(1), 7-18.
    """
    _check_scenario(customers, retention, uplifts, years, cost_ratio, acquisition_cost)
    rates = np.concatenate([[retention], retention + np.asarray(uplifts, dtype=float)])
    clv = np.array([margin_clv(margin_per_year, r, discount_rate, years) for r in rates])
    t = np.arange(1, years)
    disc = (1 + discount_rate) ** -t
    extra = np.array([customers * np.sum(r**t - retention**t) for r in rates])
    keep_cost = acquisition_cost / cost_ratio
    cost = np.array([keep_cost * customers * np.sum((r**t - retention**t) * disc) for r in rates])
    change = customers * (clv - clv[0])
    equiv = change / clv[0] if clv[0] > 0 else np.full_like(change, np.nan)
    return pd.DataFrame({
        "retention": rates, "uplift_points": 100 * (rates - retention),
        "clv_per_customer": clv, "base_value": customers * clv, "value_change": change,
        "value_change_pct": change / (customers * clv[0]) if clv[0] else np.nan,
        "extra_customer_years": extra, "retention_cost": cost,
        "net_value_change": change - cost, "equivalent_new_customers": equiv,
        "equivalent_acquisition_cost": equiv * acquisition_cost,
    })


def _check_scenario(customers, retention, uplifts, years, cost_ratio, acquisition_cost) -> None:
    problems = []
    if not isinstance(customers, (int, np.integer)) or customers < 1:
        problems.append(f"customers must be a whole number >= 1; got {customers!r}")
    if not 0 <= retention < 1:
        problems.append(f"retention must be a share in [0, 1); got {retention!r}")
    over = [u for u in uplifts if not 0 < retention + u <= 1 or u <= 0]
    if over:
        problems.append(f"each uplift must be > 0 and keep retention <= 1; got {over!r} "
                        f"with retention {retention!r}")
    if not isinstance(years, (int, np.integer)) or years < 1:
        problems.append(f"years must be a whole number >= 1; got {years!r}")
    if not cost_ratio > 0 or acquisition_cost < 0:
        problems.append(f"cost_ratio must be > 0 and acquisition_cost >= 0; got {cost_ratio!r} "
                        f"and {acquisition_cost!r}")
    if problems:
        raise ParameterError("; ".join(problems))


def margin_per_active_customer(
    data: Dataset | pd.DataFrame,
    *,
    margin_share: float | None = None,
    months: int = 12,
    observation_end: str | pd.Timestamp | None = None,
) -> float:
    """Return the average margin of a customer active in the last ``months`` months.

    Margin is the ``gross_margin`` column when present, else ``amount x margin_share``;
    active customers are those with at least one purchase in the window. Scaled to a
    year (x 12 / months), it is the ``margin_per_year`` of :func:`retention_scenarios`.

    Parameters
    ----------
    data : Dataset or pandas.DataFrame
        A Dataset or a transactions table (customer_id, timestamp, amount).
    margin_share : float, optional
        Margin as a share of revenue, used only when there is no gross_margin column.
    months : int, default 12
        Window length, months, ending at the observation end.
    observation_end : date-like, optional
        Last day of data (default: the Dataset's, else the last transaction date).

    Returns
    -------
    float
        Margin per active customer per year, currency.

    Raises
    ------
    DataValidationError
        No gross_margin column and no ``margin_share``; no purchase in the window.
    ParameterError
        ``margin_share`` outside [0, 1] or ``months`` not a positive whole number.
    """
    what = "margin_per_active_customer()"
    check_whole("months", months, "months")
    tx = transactions_of(data, what)
    require_columns(tx, (AMOUNT,), "transactions", what)
    if margin_share is None and GROSS_MARGIN not in tx.columns:
        msg = (f"{what} needs a 'gross_margin' column or margin_share= (margin as a share "
               "of revenue, e.g. 0.3).")
        raise DataValidationError(msg, column=GROSS_MARGIN)
    if margin_share is not None and not 0 <= margin_share <= 1:
        msg = f"margin_share must be a share in [0, 1]; got {margin_share!r}"
        raise ParameterError(msg)
    end = observation_end_of(data, observation_end, tx[TIMESTAMP])
    start = end - pd.DateOffset(months=months)
    day = tx[TIMESTAMP].dt.normalize()
    inside = ((day > start) & (day <= end)).to_numpy()
    if not inside.any():
        msg = f"No purchase between {start.date()} and {end.date()}; choose another window."
        raise DataValidationError(msg, n_failed=0)
    margin = (tx[GROSS_MARGIN].loc[inside] if GROSS_MARGIN in tx.columns
              else tx[AMOUNT].loc[inside] * margin_share).sum()
    codes, _ = factorize_ids(tx[CUSTOMER_ID].to_numpy()[inside])  # nunique, by integer codes
    customers = int(codes.max()) + 1 if codes.size else 0
    return float(margin / customers * 12 / months)
