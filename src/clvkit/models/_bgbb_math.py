"""Formulas of the BG/BB model (Fader, Hardie & Shang 2010): likelihood, expected
opportunities alive, and the hypergeometric series of DERT; see :mod:`.bgbb`.

References
----------
.. [1] Fader, P. S., Hardie, B. G. S. and Shang, J. (2010), "Customer-base analysis in a
   discrete-time noncontractual setting", Marketing Science 29(6), 1086-1108.
"""

from __future__ import annotations

import math

import numpy as np
from scipy import special

__all__ = ["NAMES", "alive_sum", "hyp_series", "log_likelihood"]

NAMES = ("alpha", "beta", "gamma", "delta")
#: Largest (frequency x opportunity) grid used to sum the likelihood (8 bytes each).
_GRID_CELLS = 4_000_000


def log_likelihood(params: dict[str, float], x: np.ndarray, tx: np.ndarray,
                   n: np.ndarray) -> np.ndarray:
    r"""Per-row log-likelihood ([1]_, eq. 5), evaluated stably in log space:

    .. math::
        L = \frac{B(\alpha+x, \beta+n-x)}{B(\alpha,\beta)}\frac{B(\gamma, \delta+n)}
        {B(\gamma,\delta)} + \sum_{j=t_x}^{n-1} \frac{B(\alpha+x, \beta+j-x)}
        {B(\alpha,\beta)} \frac{B(\gamma+1, \delta+j)}{B(\gamma,\delta)}

    The sum's terms depend on the row only through :math:`(x, j)`, so they are computed
    once on an :math:`(x, j)` grid and summed with reverse cumulative sums
    (:math:`\sum_{j=t_x}^{n-1} = S_{t_x} - S_n`); rows where that difference loses
    precision, and data with too many opportunities for a grid, are summed directly.
    """
    a, b, g, d = (params[k] for k in NAMES)
    base = special.betaln(a, b) + special.betaln(g, d)
    rest = np.full(x.shape, -np.inf)
    has = tx < n
    xi, ti, ni = x.astype(np.int64), tx.astype(np.int64), n.astype(np.int64)
    width = int(ni.max(initial=0))
    grid = x.size > 0 and (int(xi.max()) + 1) * (width + 1) <= _GRID_CELLS
    if grid:
        xs = np.arange(int(xi.max()) + 1)[:, None]
        ns = np.arange(width + 1)[None, :]
        first = (special.betaln(a + xs, b + np.maximum(ns - xs, 0))[xi, ni]
                 + special.betaln(g, d + ns[0])[ni])
    else:
        first = special.betaln(a + x, b + n - x) + special.betaln(g, d + n)
    if grid and has.any():
        js = ns[:, :width]
        log_f = np.where(js >= xs, special.betaln(a + xs, b + np.maximum(js - xs, 0))
                         + special.betaln(g + 1, d + js), -np.inf)
        top = log_f.max(axis=1, initial=-np.inf)
        top = np.where(np.isfinite(top), top, 0.0)
        tail = np.zeros((xs.shape[0], width + 1))
        tail[:, :width] = np.cumsum(np.exp(log_f - top[:, None])[:, ::-1], axis=1)[:, ::-1]
        hi, lo = tail[xi, ti], tail[xi, ni]
        diff = hi - lo
        exact = has & (diff > 1e-8 * hi)
        rest[exact] = np.log(diff[exact]) + top[xi[exact]]
        has = has & ~exact  # heavy cancellation: sum these rows directly
    if has.any():
        rest[has] = _direct_sum(a, b, g, d, x[has], tx[has], n[has])
    return np.logaddexp(first, rest) - base


def _direct_sum(a: float, b: float, g: float, d: float, x: np.ndarray, tx: np.ndarray,
                n: np.ndarray) -> np.ndarray:
    """log of sum_{j=t_x}^{n-1} B(a+x, b+j-x) B(g+1, d+j), one opportunity at a time."""
    acc = np.full(x.shape, -np.inf)
    gap = n - tx
    for i in range(int(gap.max(initial=0))):
        m = gap > i
        term = (special.betaln(a + x[m], b + tx[m] - x[m] + i)
                + special.betaln(g + 1, d + tx[m] + i))
        acc[m] = np.logaddexp(acc[m], term)
    return acc


def alive_sum(g: float, d: float, n: np.ndarray, m: np.ndarray) -> np.ndarray:
    r""":math:`\sum_{t=n+1}^{n+m} B(\gamma, \delta+t)/B(\gamma,\delta)`: expected
    opportunities alive in the next ``m`` ([1]_, eq. 13 in closed form)."""
    if abs(g - 1.0) < 1e-8:  # limit gamma -> 1: delta * sum 1 / (delta + t)
        return d * (special.digamma(d + n + m + 1) - special.digamma(d + n + 1))
    c = math.log(d) - math.log(abs(g - 1)) + special.gammaln(g + d) - special.gammaln(1 + d)
    first = special.gammaln(1 + d + n) - special.gammaln(g + d + n)
    last = special.gammaln(1 + d + n + m) - special.gammaln(g + d + n + m)
    # delta / (gamma - 1) * (e^first - e^last), without overflow and with the right sign
    return np.sign(g - 1) * np.exp(c + first) * -np.expm1(last - first)


def hyp_series(b: float, c: float, z: float, chunk: int = 4096) -> float:
    """2F1(1, b; c; z) = sum_k (b)_k / (c)_k z^k, summed until the terms are negligible."""
    total, log_term, k0 = 0.0, 0.0, 0
    while True:
        j = np.arange(k0, k0 + chunk)
        logs = log_term + np.cumsum(np.log((b + j) / (c + j) * z))
        terms = np.exp(np.r_[log_term, logs[:-1]])
        total += terms.sum()
        if terms[-1] < 1e-17 * total:
            return total
        log_term, k0 = logs[-1], k0 + chunk
