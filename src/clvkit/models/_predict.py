r"""Vectorised, numerically stable predictions of the BTYD models.

Each function takes the parameters in paper notation (a tuple in lifetimes' order)
and numpy arrays, and returns a numpy array. The Gaussian hypergeometric terms are
evaluated after Euler's transformation
:math:`{}_2F_1(A,B;C;z) = (1-z)^{C-A-B}{}_2F_1(C-A,C-B;C;z)`, which leaves parameters
that do not grow with the repeat count ``x``: no overflow for heavy buyers. They are
computed once per distinct (x, T, t) and mapped back. Ratios of powers are taken in
logs and P(alive) through the logistic function, so every value stays finite for
finite parameters (the exception is BG/NBD and MBG/NBD at exactly ``a = 1``, where
the closed form is 0/0).

References: Fader, Hardie & Lee (2005) eq. 9-10 (BG/NBD); Hardie note 021 (BG/NBD
P(alive)); Batislam et al. (2007) appendix (MBG/NBD); Hardie note 009 eq. 36-41
(Pareto/NBD); Fader & Hardie (2013) eq. 5 (Gamma-Gamma).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from scipy.special import expit, hyp2f1

from ._compress import compress
from ._likelihood import pareto_terms

__all__ = [
    "conditional_purchases",
    "conditional_purchases_many",
    "discounted_purchases",
    "expected_purchases",
    "expected_spend",
    "p_alive",
]


def _log_ratio(num: np.ndarray, den: np.ndarray) -> np.ndarray:
    return np.log(num) - np.log(den)


def p_alive(kind: str, theta: Sequence[float], x: np.ndarray, tx: np.ndarray,
            T: np.ndarray) -> np.ndarray:
    r"""P(alive at T | x, t_x, T).

    BG/NBD: :math:`1/(1 + \delta_{x>0}\frac{a}{b+x-1}(\frac{\alpha+T}{\alpha+t_x})^{r+x})`;
    MBG/NBD: the same with :math:`\frac{a}{b+x}` and no :math:`\delta`;
    Pareto/NBD: the share of the "still alive" term in the likelihood (note 009, eq. 36).
    """
    x, tx, T = (np.asarray(v, dtype=float) for v in (x, tx, T))
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        if kind == "paretonbd":
            alive, died = pareto_terms(np.asarray(theta, dtype=float), x, tx, T)
            return expit(alive - died)
        r, al, a, b = theta
        if kind == "bgnbd":
            log_div = (r + x) * _log_ratio(al + T, al + tx) + np.log(a) - np.log(
                b + np.maximum(x, 1) - 1)
            return np.where(x == 0, 1.0, expit(-log_div))
        log_div = (r + x) * _log_ratio(al + T, al + tx) + np.log(a) - np.log(b + x)
        return expit(-log_div)


def _bg_bracket(kind: str, theta: Sequence[float], x: np.ndarray, T: np.ndarray,
                t: np.ndarray) -> np.ndarray:
    r"""(first term) x (1 - hypergeometric term) of BG/NBD eq. 10 or its MBG/NBD analogue.

    BG/NBD: :math:`\frac{a+b+x-1}{a-1}\big[1 - (\frac{\alpha+T}{\alpha+T+t})^{a-1}
    {}_2F_1(a+b-1-r, a-1; a+b+x-1; \frac{t}{\alpha+T+t})\big]`;
    MBG/NBD: :math:`\frac{a+b+x}{a-1}\big[1 - (\frac{\alpha+T}{\alpha+T+t})^{a-1}
    {}_2F_1(a+b-r, a-1; a+b+x; \frac{t}{\alpha+T+t})\big]`.
    """
    r, al, a, b = theta
    c = a + b + x - (1 if kind == "bgnbd" else 0)
    z = t / (al + T + t)
    log_1z = _log_ratio(al + T, al + T + t)
    log_term = (a - 1) * log_1z + np.log(hyp2f1(c - x - r, a - 1, c, z))
    bad = ~np.isfinite(log_term)
    if bad.any():  # r in the thousands: the untransformed form is the accurate one here
        xb = x[bad]
        big_b = b + xb + (0.0 if kind == "bgnbd" else 1.0)
        log_term[bad] = (r + xb) * log_1z[bad] + np.log(hyp2f1(r + xb, big_b, c[bad], z[bad]))
    bad = ~np.isfinite(log_term)
    if bad.any():  # scipy gives up on both forms (huge |parameter|): sum the series
        log_term[bad] = (a - 1) * log_1z[bad] + np.log(
            _series_2f1(c[bad] - x[bad] - r, a - 1, c[bad], z[bad]))
    return c / (a - 1) * -np.expm1(log_term)


def _series_2f1(p: np.ndarray, q: float, c: np.ndarray, z: np.ndarray,
                max_terms: int = 5000) -> np.ndarray:
    r"""Sum :math:`\sum_n \frac{(p)_n (q)_n}{(c)_n n!} z^n` term by term (fallback only).

    Used where scipy's ``hyp2f1`` returns NaN, e.g. a parameter of -38,000 with a tiny
    ``z`` (a BG/NBD fit whose ``r`` ran off to a homogeneous Poisson rate). Entries
    whose series has not settled after ``max_terms`` terms are NaN (and flagged).
    """
    total = np.ones_like(z)
    term = np.ones_like(z)
    for n in range(max_terms):
        term = term * (p + n) * (q + n) / ((c + n) * (n + 1)) * z
        total = total + term
        if np.all(np.abs(term) <= 1e-16 * np.abs(total)):
            return total
    return np.where(np.abs(term) <= 1e-12 * np.abs(total), total, np.nan)


def _g(k: float, u: np.ndarray) -> np.ndarray:
    r""":math:`(1 - e^{-k u})/k`, equal to :math:`u` at :math:`k = 0`."""
    if abs(k) < 1e-12:
        return u
    return -np.expm1(-k * u) / k


def conditional_purchases(kind: str, theta: Sequence[float], t: float | np.ndarray,
                          x: np.ndarray, tx: np.ndarray, T: np.ndarray) -> np.ndarray:
    r"""E[Y(t) | x, t_x, T]: expected purchases in the next ``t`` periods.

    BG/NBD (eq. 10 of Fader, Hardie & Lee 2005) and MBG/NBD are the bracket of
    :func:`_bg_bracket` times P(alive); Pareto/NBD (note 009, eq. 41) is
    :math:`\frac{(r+x)(\beta+T)}{(\alpha+T)(s-1)}[1 - (\frac{\beta+T}{\beta+T+t})^{s-1}]`
    times P(alive). ``t`` is a scalar or one horizon per row; 0 where ``t`` is 0.
    """
    x, tx, T = (np.asarray(v, dtype=float) for v in (x, tx, T))
    t_arr = np.broadcast_to(np.asarray(t, dtype=float), x.shape)
    alive = p_alive(kind, theta, x, tx, T)
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        if kind == "paretonbd":
            r, al, s, be = theta
            u = _log_ratio(be + T + t_arr, be + T)
            rate = (r + x) * (be + T) / (al + T)
            out = rate * _g(s - 1, u) * alive
        else:
            packed = compress(x, T, t_arr)
            bracket = _bg_bracket(kind, theta, *packed.columns)
            out = packed.expand(bracket) * alive
    return np.where(t_arr > 0, out, 0.0)


def _brackets_per_pair(kind: str, theta: Sequence[float], ts: Sequence[float], x: np.ndarray,
                       T: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The bracket of :func:`_bg_bracket` at every horizon in ``ts``, once per distinct
    (x, T) pair: an array (pairs, len(ts)), 0 where the horizon is 0, and the inverse
    index that maps the rows to their pair."""
    packed = compress(x, T)
    ux, uT = packed.columns
    brackets = np.zeros((ux.size, len(ts)))
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        for j, t in enumerate(ts):
            if t > 0:
                brackets[:, j] = _bg_bracket(kind, theta, ux, uT, np.full(ux.shape, float(t)))
    return brackets, packed.inverse


def conditional_purchases_many(kind: str, theta: Sequence[float], ts: Sequence[float],
                               x: np.ndarray, tx: np.ndarray, T: np.ndarray) -> np.ndarray:
    """E[Y(t) | x, t_x, T] for several scalar horizons: an array of shape (rows, len(ts)).

    Same formulas as :func:`conditional_purchases`; P(alive) and the unique (x, T)
    pairs are computed once for all horizons (the CLV sum needs one per month).
    """
    x, tx, T = (np.asarray(v, dtype=float) for v in (x, tx, T))
    if kind == "paretonbd":
        return np.column_stack([conditional_purchases(kind, theta, t, x, tx, T) for t in ts])
    alive = p_alive(kind, theta, x, tx, T)
    brackets, inverse = _brackets_per_pair(kind, theta, ts, x, T)
    out = brackets[inverse] * alive[:, None]
    out[:, np.asarray(ts, dtype=float) <= 0] = 0.0  # 0 even where P(alive) is not finite
    return out


def discounted_purchases(kind: str, theta: Sequence[float], ts: Sequence[float],
                         weights: np.ndarray, x: np.ndarray, tx: np.ndarray,
                         T: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    r"""Discounted expected purchases per period band, the horizon total and P(alive).

    With :math:`t_0 < t_1 < \dots < t_H` (``ts``, :math:`t_0 = 0`) and weights
    :math:`w_k` (``weights``, length H), returns per row

    .. math:: \sum_{k=1}^{H} w_k \big(E[Y(t_k)] - E[Y(t_{k-1})]\big), \quad
              E[Y(t_H)], \quad P(\text{alive})

    with :math:`E[Y(t)]` of :func:`conditional_purchases`. For BG/NBD and MBG/NBD
    :math:`E[Y(t)]` is the bracket of :func:`_bg_bracket`, which depends on
    (x, T) only, times P(alive); the weighted sum of bracket differences is taken
    once per distinct (x, T) pair and multiplied by P(alive) per row, so the
    per-row work does not grow with the number of periods.
    """
    x, tx, T = (np.asarray(v, dtype=float) for v in (x, tx, T))
    w = np.asarray(weights, dtype=float)
    alive = p_alive(kind, theta, x, tx, T)
    if kind == "paretonbd":
        cumulative = conditional_purchases_many(kind, theta, ts, x, tx, T)
        return (np.einsum("ij,j->i", np.diff(cumulative, axis=1), w), cumulative[:, -1],
                alive)
    brackets, inverse = _brackets_per_pair(kind, theta, ts, x, T)
    per_pair = np.einsum("ij,j->i", np.diff(brackets, axis=1), w)  # no BLAS threads
    return per_pair[inverse] * alive, brackets[:, -1][inverse] * alive, alive


def expected_purchases(kind: str, theta: Sequence[float], t: np.ndarray) -> np.ndarray:
    r"""E[X(t)]: expected repeat purchases of a new customer within ``t`` periods.

    BG/NBD (eq. 9 of Fader, Hardie & Lee 2005):
    :math:`\frac{a+b-1}{a-1}[1 - (\frac{\alpha}{\alpha+t})^r{}_2F_1(r, b; a+b-1;
    \frac{t}{\alpha+t})]`; MBG/NBD: :math:`\frac{b}{a-1}[1 - (\frac{\alpha}{\alpha+t})^r
    {}_2F_1(r, b+1; a+b; \frac{t}{\alpha+t})]`; Pareto/NBD:
    :math:`\frac{r\beta}{\alpha(s-1)}[1 - (\frac{\beta}{\beta+t})^{s-1}]`.
    """
    t = np.asarray(t, dtype=float)
    zero = np.zeros_like(t)
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        if kind == "paretonbd":
            r, al, s, be = theta
            out = r * be / al * _g(s - 1, _log_ratio(be + t, be))
        else:
            out = _bg_bracket(kind, theta, zero, zero, t)
            if kind == "mbgnbd":  # times P(alive | x = 0, T = 0) = b / (a + b)
                a, b = theta[2], theta[3]
                out = out * b / (a + b)
    return np.where(t > 0, out, 0.0)


def expected_spend(theta: Sequence[float], x: np.ndarray, m: np.ndarray) -> np.ndarray:
    r"""Gamma-Gamma expected mean spend (eq. 5 of note 025).

    .. math:: E(M \mid x, m_x) = \frac{p(\gamma + x m_x)}{px + q - 1}

    the weighted mean of the population mean :math:`p\gamma/(q-1)` and :math:`m_x`.
    """
    p, q, v = theta
    x, m = np.asarray(x, dtype=float), np.asarray(m, dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        return p * (v + x * m) / (p * x + q - 1)
