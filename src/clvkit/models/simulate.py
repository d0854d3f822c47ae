r"""Simulate transaction logs from the BG/NBD and Gamma-Gamma processes.

Used to check that the fits recover known parameters and to benchmark clvkit
against plain lifetimes on realistic data of any size (every customer is drawn
independently: no copies).
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd

from ..exceptions import ParameterError
from ..schema import AMOUNT, CUSTOMER_ID, DAYS_PER_WEEK, FREQUENCY, RECENCY, TIMESTAMP

__all__ = ["simulate_bgnbd_summary", "simulate_realistic_log", "simulate_transactions"]

_NEEDED = {"bgnbd": ("r", "alpha", "a", "b"), "gamma_gamma": ("p", "q", "v")}


def _params(name: str, given: Mapping[str, float]) -> tuple[float, ...]:
    missing = [k for k in _NEEDED[name] if k not in given]
    bad = [k for k in _NEEDED[name] if k in given and not float(given[k]) > 0]
    if missing or bad:
        msg = (
            f"{name}_params needs positive {', '.join(_NEEDED[name])}; missing "
            f"{missing or 'none'}, not positive {bad or 'none'}."
        )
        raise ParameterError(msg)
    return tuple(float(given[k]) for k in _NEEDED[name])


def simulate_transactions(
    n_customers: int,
    *,
    bgnbd_params: Mapping[str, float],
    gamma_gamma_params: Mapping[str, float],
    start: str | pd.Timestamp = "2023-01-01",
    acquisition_weeks: float = 12.0,
    observation_weeks: float = 78.0,
    seed: int = 0,
) -> pd.DataFrame:
    r"""Draw a transaction log from the BG/NBD purchase and Gamma-Gamma spend process.

    Customer :math:`i` makes a first purchase at a uniform time in the first
    ``acquisition_weeks``. While alive they buy as a Poisson process with rate
    :math:`\lambda_i \sim \mathrm{Gamma}(r, \text{rate}=\alpha)` per week, and after
    every repeat purchase they drop out with probability
    :math:`p_i \sim \mathrm{Beta}(a, b)` (Fader, Hardie & Lee 2005, assumptions
    i-v). Each transaction is worth :math:`z \sim \mathrm{Gamma}(p, \text{rate}=\nu_i)`
    with :math:`\nu_i \sim \mathrm{Gamma}(q, \text{rate}=\gamma)` (Fader & Hardie
    2013). Purchases are generated in rounds vectorised over the customers still
    buying, so a million customers take seconds.

    Parameters
    ----------
    n_customers : int
        Number of distinct customers.
    bgnbd_params : mapping
        ``r``, ``alpha`` (per week), ``a``, ``b``.
    gamma_gamma_params : mapping
        ``p``, ``q``, ``v`` (:math:`\gamma`, currency units).
    start : str or Timestamp, default "2023-01-01"
        Start of the acquisition window.
    acquisition_weeks : float, default 12
        Length of the window in which first purchases fall.
    observation_weeks : float, default 78
        Length of the observation window from ``start`` (its end is
        ``start + observation_weeks`` weeks).
    seed : int, default 0
        Seed of ``numpy.random.default_rng``.

    Returns
    -------
    pandas.DataFrame
        ``customer_id`` (int64, 0..n-1), ``timestamp`` (datetime64[ns], to the
        second) and ``amount`` (float64), sorted by customer and time.
        ``attrs["observation_end"]`` holds the end of the window.
    """
    if not isinstance(n_customers, (int, np.integer)) or n_customers < 1:
        msg = f"n_customers must be a whole number >= 1; got {n_customers!r}."
        raise ParameterError(msg)
    if not 0 < acquisition_weeks <= observation_weeks:
        msg = (
            f"Need 0 < acquisition_weeks <= observation_weeks; got {acquisition_weeks} "
            f"and {observation_weeks}."
        )
        raise ParameterError(msg)
    r, alpha, a, b = _params("bgnbd", bgnbd_params)
    p, q, gam = _params("gamma_gamma", gamma_gamma_params)
    rng = np.random.default_rng(seed)
    n = int(n_customers)
    first = rng.uniform(0.0, acquisition_weeks, n)
    lam = rng.gamma(r, 1.0 / alpha, n)
    drop = rng.beta(a, b, n)
    nu = rng.gamma(q, 1.0 / gam, n)

    ids, times = [np.arange(n)], [first]
    who, now = np.arange(n), first
    while who.size:
        now = now + rng.exponential(1.0, who.size) / lam[who]
        buys = now <= observation_weeks
        who, now = who[buys], now[buys]
        ids.append(who)
        times.append(now)
        stays = rng.uniform(size=who.size) >= drop[who]
        who, now = who[stays], now[stays]

    cid = np.concatenate(ids)
    weeks = np.concatenate(times)
    order = np.lexsort((weeks, cid))
    cid, weeks = cid[order], weeks[order]
    amount = rng.gamma(p, 1.0 / nu[cid])
    origin = pd.Timestamp(start)
    seconds = np.round(weeks * DAYS_PER_WEEK * 86_400).astype("int64")
    out = pd.DataFrame({
        CUSTOMER_ID: cid.astype("int64"),
        TIMESTAMP: (origin + pd.to_timedelta(seconds, unit="s")).astype("datetime64[ns]"),
        AMOUNT: np.round(amount, 2).clip(min=0.01),
    })
    out.attrs["observation_end"] = origin + pd.Timedelta(weeks=observation_weeks)
    return out


def simulate_bgnbd_summary(
    r: float | np.ndarray,
    alpha: float | np.ndarray,
    a: float | np.ndarray,
    b: float | np.ndarray,
    *,
    T: np.ndarray,
    seed: int = 0,
) -> pd.DataFrame:
    r"""Draw per-customer BG/NBD summaries, each customer with their own parameters.

    Customer :math:`i` buys at rate :math:`\lambda_i \sim \mathrm{Gamma}(r_i,
    \text{rate}=\alpha_i)` from time 0 (the first purchase) to :math:`T_i` and drops out
    after each repeat purchase with probability :math:`p_i \sim \mathrm{Beta}(a_i, b_i)`
    (Fader, Hardie & Lee 2005, assumptions i-v). Per-customer parameters give the
    covariate model of Fader & Hardie (2007): e.g. ``alpha = 4 * np.exp(-0.7 * social)``
    doubles the purchase rate of "social" customers. Purchases are drawn in rounds over
    the customers still buying.

    Parameters
    ----------
    r, alpha, a, b : float or numpy.ndarray
        Positive parameters, scalars or one per customer (broadcast against ``T``).
    T : numpy.ndarray
        Each customer's age (time from the first purchase to the end of observation).
    seed : int, default 0
        Seed of ``numpy.random.default_rng``.

    Returns
    -------
    pandas.DataFrame
        ``frequency``, ``recency`` and ``T`` per customer, indexed 0..n-1
        (``customer_id``), in the unit of ``T``.
    """
    age = np.asarray(T, dtype=float)
    shapes = [np.broadcast_to(np.asarray(v, dtype=float), age.shape) for v in (r, alpha, a, b)]
    bad = [k for k, v in zip(("r", "alpha", "a", "b"), shapes, strict=True)
           if not np.all(v > 0)] + ([] if np.all(age >= 0) else ["T"])
    if bad or age.ndim != 1:
        msg = (f"simulate_bgnbd_summary() needs positive r, alpha, a, b and a 1-d array of "
               f"T >= 0; invalid: {', '.join(bad) or 'none'} (T has {age.ndim} dimensions).")
        raise ParameterError(msg)
    rng = np.random.default_rng(seed)
    lam = rng.gamma(shapes[0], 1.0 / shapes[1])
    drop = rng.beta(shapes[2], shapes[3])
    n = age.size
    x, tx = np.zeros(n), np.zeros(n)
    who, now = np.arange(n), np.zeros(n)
    while who.size:
        now = now + rng.exponential(1.0, who.size) / lam[who]
        buys = now <= age[who]
        who, now = who[buys], now[buys]
        x[who] += 1
        tx[who] = now
        stays = rng.uniform(size=who.size) >= drop[who]
        who, now = who[stays], now[stays]
    index = pd.RangeIndex(n, name=CUSTOMER_ID)
    return pd.DataFrame({FREQUENCY: x, RECENCY: tx, "T": age}, index=index)


def _purchase_days(rng: np.random.Generator, first: np.ndarray, lam: np.ndarray,
                   drop: np.ndarray, end: float) -> tuple[np.ndarray, np.ndarray]:
    """BG/NBD purchase times (days) of every customer, in rounds over those still buying."""
    n = first.size
    ids, times = [np.arange(n)], [first]
    who, now = np.arange(n), first
    while who.size:
        now = now + rng.exponential(1.0, who.size) / lam[who]
        buys = now < end
        who, now = who[buys], now[buys]
        ids.append(who)
        times.append(now)
        stays = rng.uniform(size=who.size) >= drop[who]
        who, now = who[stays], now[stays]
    return np.concatenate(ids), np.concatenate(times)


def simulate_realistic_log(
    n_customers: int,
    *,
    years: float = 3.0,
    heavy_share: float = 0.03,
    same_day_share: float = 0.15,
    start: str | pd.Timestamp = "2021-01-01",
    seed: int = 0,
) -> pd.DataFrame:
    r"""Draw a realistic multi-year daily transaction log (benchmarks, robustness tests).

    Unlike :func:`simulate_transactions` (CDNOW-like, everyone acquired within 12
    weeks), customers arrive uniformly over the whole window of ``years`` years, so
    ages and recencies take hundreds of distinct daily values. Two segments follow
    the BG/NBD process with rates per day: regular customers
    (:math:`\lambda \sim \mathrm{Gamma}(0.6, \text{rate}=60)`, a purchase every
    100 days on average; dropout :math:`p \sim \mathrm{Beta}(0.7, 4)`) and a
    ``heavy_share`` of heavy buyers (:math:`\lambda \sim \mathrm{Gamma}(4,
    \text{rate}=16)`, about two purchases a week; :math:`p \sim \mathrm{Beta}(0.3,
    30)`), who reach 100+ repeat days. A ``same_day_share`` of purchase occasions
    has a second order later the same day. Timestamps fall in shop hours
    (08:00-22:00); amounts follow Gamma-Gamma (p=6, q=4, gamma=150: mean order 300).

    Parameters
    ----------
    n_customers : int
        Number of distinct customers.
    years : float, default 3
        Length of the acquisition and observation window (365.25-day years).
    heavy_share, same_day_share : float, default 0.03 and 0.15
        Share of heavy buyers; share of purchase days with a second order.
    start : str or Timestamp, default "2021-01-01"
        First day of the window.
    seed : int, default 0
        Seed of ``numpy.random.default_rng``.

    Returns
    -------
    pandas.DataFrame
        ``customer_id`` (int64), ``timestamp`` (datetime64[ns]) and ``amount``
        (float64), sorted by customer and time; about 9-10 rows per customer.
        ``attrs["observation_end"]`` is the last day of the window.
    """
    if not isinstance(n_customers, (int, np.integer)) or n_customers < 1:
        msg = f"n_customers must be a whole number >= 1; got {n_customers!r}."
        raise ParameterError(msg)
    if not (years > 0 and 0 <= heavy_share <= 1 and 0 <= same_day_share <= 1):
        msg = (f"Need years > 0 and shares in [0, 1]; got years={years}, "
               f"heavy_share={heavy_share}, same_day_share={same_day_share}.")
        raise ParameterError(msg)
    rng = np.random.default_rng(seed)
    n, end = int(n_customers), float(np.floor(years * 365.25))
    heavy = rng.uniform(size=n) < heavy_share
    first = rng.uniform(0.0, end, n)
    lam = np.where(heavy, rng.gamma(4.0, 1 / 16.0, n), rng.gamma(0.6, 1 / 60.0, n))
    drop = np.where(heavy, rng.beta(0.3, 30.0, n), rng.beta(0.7, 4.0, n))
    cid, days = _purchase_days(rng, first, lam, drop, end)
    day = np.floor(days)
    again = rng.uniform(size=cid.size) < same_day_share
    cid = np.concatenate([cid, cid[again]])
    day = np.concatenate([day, day[again]])
    seconds = day * 86_400 + rng.uniform(8 * 3600, 22 * 3600, day.size)
    order = np.lexsort((seconds, cid))
    cid, seconds = cid[order], seconds[order]
    nu = rng.gamma(4.0, 1 / 150.0, n)
    amount = rng.gamma(6.0, 1.0 / nu[cid])
    origin = pd.Timestamp(start)
    out = pd.DataFrame({
        CUSTOMER_ID: cid.astype("int64"),
        TIMESTAMP: (origin + pd.to_timedelta(np.round(seconds).astype("int64"), unit="s")
                    ).astype("datetime64[ns]"),
        AMOUNT: np.round(amount, 2).clip(min=0.01),
    })
    out.attrs["observation_end"] = origin + pd.Timedelta(days=end - 1)
    return out
