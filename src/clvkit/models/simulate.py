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
from ..schema import AMOUNT, CUSTOMER_ID, DAYS_PER_WEEK, TIMESTAMP

__all__ = ["simulate_transactions"]

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
