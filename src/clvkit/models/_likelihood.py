r"""Vectorised log-likelihoods and their gradients for the BTYD models.

Every function takes the parameters in paper notation and a data object holding the
(weighted) unique tuples, and returns ``(ll, grad)``: the weighted sum of the
per-customer log-likelihoods and its gradient with respect to the parameters (same
order). Terms that depend on the repeat count ``x`` alone (the gamma and beta
functions) are evaluated once per distinct ``x`` and weighted by the number of
customers that share it; only the terms in ``t_x`` and ``T`` are evaluated per tuple.

Notation (paper -> clvkit): :math:`x` = ``frequency``, :math:`t_x` = ``recency``,
:math:`T` = ``T``, :math:`m_x` = ``monetary_value``; :math:`\psi` is the digamma
function.

References
----------
.. [1] Fader, Hardie & Lee (2005), "Counting your customers the easy way", Marketing
   Science 24(2), 275-284, eq. 6 (BG/NBD); Hardie note 004.
.. [2] Batislam, Denizel & Filiztekin (2007), IJRM 24(3), 201-209 (MBG/NBD).
.. [3] Fader, Hardie & Shang (2005), "A note on deriving the Pareto/NBD model and
   related expressions" (note 008), eq. 19-22; Hardie note 009.
.. [4] Fader & Hardie (2013), "The Gamma-Gamma model of monetary value", note 025,
   eq. 1a.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from scipy.special import digamma, gammaln, hyp2f1

__all__ = [
    "PurchaseData",
    "SpendData",
    "bgnbd",
    "gamma_gamma",
    "log_2f1_a_b_a1",
    "mbgnbd",
    "pareto_log_a0",
    "paretonbd",
]


def _dot(a: np.ndarray, b: np.ndarray) -> float:
    """Inner product without BLAS: its thread pool costs milliseconds per call on a
    loaded machine, more than the whole sum over a million tuples."""
    return float(np.einsum("i,i->", a, b))


@dataclass
class PurchaseData:
    """Unique (x, t_x, T) tuples with weights, grouped by x for the x-only terms."""

    x: np.ndarray
    tx: np.ndarray
    T: np.ndarray
    w: np.ndarray
    ux: np.ndarray = field(init=False)
    ix: np.ndarray = field(init=False)
    wx: np.ndarray = field(init=False)
    rep: np.ndarray = field(init=False)

    def __post_init__(self) -> None:
        self.x = np.asarray(self.x, dtype=float)
        self.tx = np.asarray(self.tx, dtype=float)
        self.T = np.asarray(self.T, dtype=float)
        self.w = np.asarray(self.w, dtype=float)
        # x is a whole number: 0..max(x) indexes it without sorting (absent values
        # get weight 0 and do not count)
        self.ix = self.x.astype(np.intp)
        self.ux = np.arange(int(self.ix.max()) + 1 if self.ix.size else 1, dtype=float)
        self.wx = np.bincount(self.ix, weights=self.w, minlength=self.ux.size)
        self.rep = self.x > 0

    def scaled(self, k: float) -> PurchaseData:
        """The same tuples with times multiplied by ``k``."""
        self.times()  # computed once, shared by the copy
        out = PurchaseData.__new__(PurchaseData)
        out.__dict__.update(self.__dict__)
        out.tx, out.T = self.tx * k, self.T * k
        return out

    def pairs(self) -> tuple[tuple[np.ndarray, np.ndarray], tuple[np.ndarray, np.ndarray]]:
        """(first row, inverse) of the distinct (x, t_x) and (x, T) pairs (cached).

        Indices, not values, so the cache stays valid for :meth:`scaled` copies.
        """
        if "_pairs" not in self.__dict__:
            from ._compress import compress

            a, b = compress(self.x, self.tx), compress(self.x, self.T)
            self.__dict__["_pairs"] = tuple(
                (np.flatnonzero(np.r_[True, np.diff(np.maximum.accumulate(c.inverse)) > 0]),
                 c.inverse) for c in (a, b))
        return self.__dict__["_pairs"]

    def times(self) -> tuple[tuple[np.ndarray, np.ndarray], tuple[np.ndarray, np.ndarray]]:
        """(first row, inverse) of the distinct T and t_x values (cached).

        Indices, not values, so the cache stays valid for :meth:`scaled` copies.
        """
        if "_times" not in self.__dict__:
            from ._compress import compress

            self.__dict__["_times"] = tuple(
                (np.flatnonzero(np.r_[True, np.diff(np.maximum.accumulate(c.inverse)) > 0]),
                 c.inverse) for c in (compress(self.T), compress(self.tx)))
        return self.__dict__["_times"]

    def buffers(self, k: int) -> list[np.ndarray]:
        """``k`` work arrays of one float per tuple, allocated once and reused (a fit
        evaluates the likelihood dozens of times; fresh arrays each time cost page
        faults of the same order as the arithmetic)."""
        bufs = self.__dict__.setdefault("_buffers", [])
        while len(bufs) < k:
            bufs.append(np.empty(self.x.size))
        return bufs

    def subset(self, rows: np.ndarray) -> PurchaseData:
        """The tuples at positions ``rows``."""
        return PurchaseData(self.x[rows], self.tx[rows], self.T[rows], self.w[rows])


@dataclass
class SpendData:
    """Unique (x, m_x) pairs of repeat customers with positive spend, with weights.

    The terms that do not depend on the parameters (``log m``, ``x m``) and the
    weights summed by ``x`` are computed once here, not at every evaluation.
    """

    x: np.ndarray
    m: np.ndarray
    w: np.ndarray
    ux: np.ndarray = field(init=False)
    wx: np.ndarray = field(init=False)
    xm: np.ndarray = field(init=False)
    wxv: np.ndarray = field(init=False)
    s0: float = field(init=False)
    s1: float = field(init=False)

    def __post_init__(self) -> None:
        self.x = np.asarray(self.x, dtype=float)
        self.m = np.asarray(self.m, dtype=float)
        self.w = np.asarray(self.w, dtype=float)
        # x is a whole number >= 1: count by value (no sort), keep the values present
        ix = self.x.astype(np.intp)
        present = np.bincount(ix) > 0
        self.ux = np.flatnonzero(present).astype(float)
        self.wx = np.bincount(ix, weights=self.w, minlength=present.size)[present]
        self.xm = self.x * self.m
        self.wxv = self.w * self.x
        lm = np.log(self.m)
        self.s0, self.s1 = _dot(self.w, lm), _dot(self.wxv, lm)

    def subset(self, rows: np.ndarray) -> SpendData:
        """The pairs at positions ``rows``."""
        return SpendData(self.x[rows], self.m[rows], self.w[rows])


def bgnbd(theta: np.ndarray, d: PurchaseData) -> tuple[float, np.ndarray]:
    r"""BG/NBD log-likelihood (eq. 6 of [1]_) and its gradient.

    .. math::
        \ell = \ln\Gamma(r+x) - \ln\Gamma(r) + r\ln\alpha + \ln B(a, b+x) - \ln B(a,b)
        + \ln\Big[(\alpha+T)^{-(r+x)}
        + \delta_{x>0}\frac{a}{b+x-1}(\alpha+t_x)^{-(r+x)}\Big]

    The bracket is :math:`(\alpha+T)^{-(r+x)}(1 + e^{\delta})` with
    :math:`\delta = \ln\frac{a}{b+x-1} + (r+x)\ln\frac{\alpha+T}{\alpha+t_x}`, whose
    log is taken as a softplus; with :math:`\omega = 1/(1+e^{-\delta})` the share of
    the second term, the gradient is, e.g.,
    :math:`\partial\ell/\partial a = \psi(a+b) - \psi(a+b+x) + \omega/a`. The
    logarithms and reciprocals of :math:`\alpha+T` and :math:`\alpha+t_x` are taken
    once per distinct value (days or weeks: a few thousand) and gathered.
    """
    r, al, a, b = (float(v) for v in theta)
    ux, wx = d.ux, d.wx
    x_only = (gammaln(r + ux) - gammaln(r) + r * np.log(al) + gammaln(a + b)
              + gammaln(b + ux) - gammaln(b) - gammaln(a + b + ux))
    (t_first, t_inv), (tx_first, tx_inv) = d.times()
    u_t, u_tx = al + d.T[t_first], al + d.tx[tx_first]
    buf = d.buffers(8)  # per-tuple work arrays, reused by every evaluation
    l_t, l_tx = np.take(np.log(u_t), t_inv, out=buf[0]), np.take(np.log(u_tx), tx_inv,
                                                                  out=buf[1])
    rx = np.add(d.x, r, out=buf[2])
    # delta = log(a / (b + x - 1)) + (r + x) log((al + T) / (al + t_x)); -inf when x = 0
    lbx = np.log(a) - np.log(b + np.maximum(ux, 1) - 1)
    lbx[0] = -np.inf
    delta = np.subtract(l_t, l_tx, out=buf[3])
    delta *= rx
    delta += np.take(lbx, d.ix, out=buf[4])
    e = np.abs(delta, out=buf[4])
    np.negative(e, out=e)
    np.exp(e, out=e)
    softplus = np.maximum(delta, 0.0, out=buf[5])
    tmp = np.log1p(e, out=buf[6])
    softplus += tmp
    omega = buf[6]  # share of the second term: (1 if delta >= 0 else e) / (1 + e)
    np.copyto(omega, e)
    omega[delta >= 0] = 1.0
    np.add(e, 1.0, out=e)
    omega /= e
    w4 = np.multiply(omega, d.w, out=buf[6])
    w3 = np.subtract(d.w, w4, out=buf[3])
    tmp = np.multiply(d.w, rx, out=buf[4])
    ll = _dot(wx, x_only) - _dot(tmp, l_t) + _dot(d.w, softplus)
    w4x = np.bincount(d.ix, weights=w4, minlength=ux.size)
    inv_t, inv_tx = np.take(1 / u_t, t_inv, out=buf[5]), np.take(1 / u_tx, tx_inv, out=buf[7])
    g = np.array([
        _dot(wx, digamma(r + ux) - digamma(r) + np.log(al)) - _dot(w3, l_t) - _dot(w4, l_tx),
        wx.sum() * r / al - _dot(np.multiply(w3, rx, out=buf[0]), inv_t)
        - _dot(np.multiply(w4, rx, out=buf[1]), inv_tx),
        _dot(wx, digamma(a + b) - digamma(a + b + ux)) + w4.sum() / a,
        _dot(wx, digamma(a + b) + digamma(b + ux) - digamma(b) - digamma(a + b + ux))
        - _dot(w4x, np.where(ux > 0, 1 / (b + np.maximum(ux, 1) - 1), 0.0)),
    ])
    return ll, g


def mbgnbd(theta: np.ndarray, d: PurchaseData) -> tuple[float, np.ndarray]:
    r"""MBG/NBD log-likelihood ([2]_, as lifetimes' ``ModifiedBetaGeoFitter``) and gradient.

    .. math::
        \ell = \ln\Gamma(r+x) - \ln\Gamma(r) + r\ln\alpha + \ln B(a, b+x+1) - \ln B(a,b)
        - (r+x)\ln(\alpha+T)
        + \ln\Big[1 + \frac{a}{b+x}\Big(\frac{\alpha+T}{\alpha+t_x}\Big)^{r+x}\Big]
    """
    r, al, a, b = (float(v) for v in theta)
    ux, wx = d.ux, d.wx
    x_only = (gammaln(r + ux) - gammaln(r) + r * np.log(al) + gammaln(a + b)
              + gammaln(b + ux + 1) - gammaln(b) - gammaln(a + b + ux + 1))
    rx = r + d.x
    l_t, l_tx = np.log(al + d.T), np.log(al + d.tx)
    a4 = np.log(a) - np.log(b + ux)[d.ix] + rx * (l_t - l_tx)
    ll = _dot(wx, x_only) + _dot(d.w, np.logaddexp(a4, 0.0) - rx * l_t)
    sig = d.w / (1 + np.exp(-a4))  # weight times share of the second term
    sigx = np.bincount(d.ix, weights=sig, minlength=ux.size)
    g = np.array([
        _dot(wx, digamma(r + ux) - digamma(r) + np.log(al)) - _dot(d.w, l_t)
        + _dot(sig, l_t - l_tx),
        wx.sum() * r / al - _dot(d.w * rx, 1 / (al + d.T))
        + _dot(sig * rx, 1 / (al + d.T) - 1 / (al + d.tx)),
        _dot(wx, digamma(a + b) - digamma(a + b + ux + 1)) + sig.sum() / a,
        _dot(wx, digamma(a + b) + digamma(b + ux + 1) - digamma(b) - digamma(a + b + ux + 1))
        - _dot(sigx, 1 / (b + ux)),
    ])
    return ll, g


def gamma_gamma(theta: np.ndarray, d: SpendData) -> tuple[float, np.ndarray]:
    r"""Gamma-Gamma log-likelihood of the mean repeat spend (eq. 1a of [4]_) and gradient.

    .. math::
        \ell = \ln\Gamma(px+q) - \ln\Gamma(px) - \ln\Gamma(q) + q\ln\gamma
        + (px-1)\ln m_x + px\ln x - (px+q)\ln(x m_x + \gamma)
    """
    p, q, v = (float(t) for t in theta)
    ux, wx = d.ux, d.wx
    pu = p * ux
    lxm = np.log(d.xm + v)
    x_only = (gammaln(pu + q) - gammaln(pu) - gammaln(q) + q * np.log(v)
              + pu * np.log(ux))
    ll = _dot(wx, x_only) + p * d.s1 - d.s0 - p * _dot(d.wxv, lxm) - q * _dot(d.w, lxm)
    dg = digamma(pu + q)
    inv = 1 / (d.xm + v)
    g = np.array([
        _dot(wx * ux, dg - digamma(pu) + np.log(ux)) + d.s1 - _dot(d.wxv, lxm),
        _dot(wx, dg - digamma(q) + np.log(v)) - _dot(d.w, lxm),
        wx.sum() * q / v - p * _dot(d.wxv, inv) - q * _dot(d.w, inv),
    ])
    return ll, g


# --- Pareto/NBD ------------------------------------------------------------------------


def log_2f1_a_b_a1(a: np.ndarray, b: np.ndarray, z: np.ndarray) -> np.ndarray:
    r"""Return :math:`\ln {}_2F_1(a, b; a+1; z)` for :math:`0 \le z < 1`, without overflow.

    Euler's transformation gives :math:`{}_2F_1(a,b;a+1;z) = (1-z)^{1-b}\,
    {}_2F_1(1, a+1-b; a+1; z)`; the second factor has coefficients in (0, 1], so it
    lies between 1 and :math:`1/(1-z)` and never overflows, whereas the first form
    overflows for heavy buyers (b = r + x of 40 and more) when z is near 1.
    """
    return (1 - b) * np.log1p(-z) + np.log(hyp2f1(1.0, a + 1 - b, a + 1, z))


def pareto_log_a0(theta: np.ndarray, x: np.ndarray, tx: np.ndarray,
                  T: np.ndarray, pairs: tuple | None = None) -> np.ndarray:
    r"""Return :math:`\ln A_0` of the Pareto/NBD likelihood (eq. 20-21 of [3]_).

    With :math:`\alpha \ge \beta`,

    .. math::
        A_0 = \frac{{}_2F_1(r+s+x, s+1; r+s+x+1; \frac{\alpha-\beta}{\alpha+t_x})}
                   {(\alpha+t_x)^{r+s+x}}
            - \frac{{}_2F_1(r+s+x, s+1; r+s+x+1; \frac{\alpha-\beta}{\alpha+T})}
                   {(\alpha+T)^{r+s+x}}

    (with :math:`\alpha, \beta` and :math:`s+1, r+x` swapped when :math:`\alpha <
    \beta`). Both terms are taken in logs (:func:`log_2f1_a_b_a1`) and the
    difference as :math:`\ln F_1 + \ln(1 - e^{\ln F_2 - \ln F_1})`, so heavy buyers
    and long daily histories stay finite. :math:`A_0 = 0` (log -inf) when
    :math:`t_x = T`.
    """
    r, al, s, be = (float(v) for v in theta)
    a1 = r + s + x
    if al >= be:
        b1, big = np.full_like(a1, s + 1.0), al
    else:
        b1, big = r + x, be
    diff = abs(al - be)

    def log_f(rows: np.ndarray | slice, y: np.ndarray) -> np.ndarray:
        a, b = a1[rows], b1[rows]
        return log_2f1_a_b_a1(a, b, diff / (big + y)) - a * np.log(big + y)

    if pairs is None:
        l1, l2 = log_f(slice(None), tx), log_f(slice(None), T)
    else:  # evaluate once per distinct (x, t_x) and (x, T) pair, then map back
        (f1, i1), (f2, i2) = pairs
        l1, l2 = log_f(f1, tx[f1])[i1], log_f(f2, T[f2])[i2]
    gap = np.minimum(l2 - l1, 0.0)
    with np.errstate(divide="ignore"):
        return l1 + np.log(-np.expm1(gap))


def pareto_terms(theta: np.ndarray, x: np.ndarray, tx: np.ndarray,
                 T: np.ndarray, pairs: tuple | None = None) -> tuple[np.ndarray, np.ndarray]:
    r"""Return the two log-terms of the Pareto/NBD likelihood bracket (eq. 19 of [3]_).

    ``alive`` is :math:`-(r+x)\ln(\alpha+T) - s\ln(\beta+T)` (bought x times and still
    alive at T) and ``died`` is :math:`\ln\frac{s}{r+s+x} + \ln A_0` (died between
    :math:`t_x` and T); both without the common factor
    :math:`\Gamma(r+x)\alpha^r\beta^s/\Gamma(r)`.
    """
    r, al, s, be = (float(v) for v in theta)
    alive = -(r + x) * np.log(al + T) - s * np.log(be + T)
    died = np.log(s) - np.log(r + s + x) + pareto_log_a0(theta, x, tx, T, pairs)
    return alive, died


def _pareto_ll(theta: np.ndarray, d: PurchaseData) -> float:
    r, al, s, be = (float(v) for v in theta)
    alive, died = pareto_terms(theta, d.x, d.tx, d.T, d.pairs())
    x_only = gammaln(r + d.ux) - gammaln(r) + r * np.log(al) + s * np.log(be)
    return _dot(d.wx, x_only) + _dot(d.w, np.logaddexp(alive, died))


def paretonbd(theta: np.ndarray, d: PurchaseData, step: float = 1e-6) -> tuple[float, np.ndarray]:
    r"""Pareto/NBD log-likelihood (eq. 19 of [3]_) and its gradient.

    .. math::
        \ell = \ln\frac{\Gamma(r+x)\alpha^r\beta^s}{\Gamma(r)} + \ln\Big[
        \frac{1}{(\alpha+T)^{r+x}(\beta+T)^s} + \frac{s}{r+s+x} A_0\Big]

    The gradient is a central difference of this vectorised likelihood in
    log-parameter space (relative step ``step``): the derivatives of
    :math:`{}_2F_1` in its first two arguments have no closed form in scipy.
    """
    theta = np.asarray(theta, dtype=float)
    ll = _pareto_ll(theta, d)
    g = np.empty(4)
    for i in range(4):
        up, down = theta.copy(), theta.copy()
        up[i] *= np.exp(step)
        down[i] *= np.exp(-step)
        g[i] = (_pareto_ll(up, d) - _pareto_ll(down, d)) / (2 * step) / theta[i]
    return ll, g
