r"""Analytic Hessians of the BG/NBD and Gamma-Gamma log-likelihoods.

The fits of :mod:`clvkit.models._fit` need the Hessian once per fit, for the last
Newton steps and the standard errors. A central difference of the analytic gradient
costs two likelihood evaluations per parameter (eight for BG/NBD over every unique
tuple); the closed forms below cost about one. They differentiate the gradients of
:func:`clvkit.models._likelihood.bgnbd` and :func:`~clvkit.models._likelihood.gamma_gamma`
once more (same notation; :math:`\psi_1` is the trigamma function).

BG/NBD: with :math:`\delta = \ln\frac{a}{b+x-1} + (r+x)\ln\frac{\alpha+T}{\alpha+t_x}`
and :math:`\omega = 1/(1+e^{-\delta})`, the log-likelihood is the x-only terms minus
:math:`(r+x)\ln(\alpha+T)` plus :math:`\ln(1+e^{\delta})`, whose Hessian is
:math:`\omega(1-\omega)\nabla\delta\nabla\delta^\top + \omega\nabla^2\delta`, with
:math:`\nabla\delta = (D, (r+x)(\frac{1}{\alpha+T}-\frac{1}{\alpha+t_x}), \frac1a,
-\frac{1}{b+x-1})`, :math:`D = \ln\frac{\alpha+T}{\alpha+t_x}`, and the only nonzero
second derivatives :math:`\delta_{r\alpha} = \frac{1}{\alpha+T}-\frac{1}{\alpha+t_x}`,
:math:`\delta_{\alpha\alpha} = (r+x)(\frac{1}{(\alpha+t_x)^2}-\frac{1}{(\alpha+T)^2})`,
:math:`\delta_{aa} = -\frac{1}{a^2}`, :math:`\delta_{bb} = \frac{1}{(b+x-1)^2}`
(Fader, Hardie & Lee 2005, eq. 6).

Gamma-Gamma (Fader & Hardie 2013, eq. 1a): second derivatives of
:math:`\ln\Gamma(px+q) - \ln\Gamma(px) - \ln\Gamma(q) + q\ln\gamma + (px-1)\ln m_x +
px\ln x - (px+q)\ln(x m_x+\gamma)`.
"""

from __future__ import annotations

import numpy as np
from scipy.special import expit, polygamma

from ._likelihood import PurchaseData, SpendData, _dot

__all__ = ["HESSIANS", "bgnbd_hessian", "gamma_gamma_hessian"]


def _trigamma(v: np.ndarray | float) -> np.ndarray:
    return polygamma(1, v)


def _sum(*arrays: np.ndarray) -> float:
    """Sum of the elementwise product, without temporaries or BLAS threads."""
    spec = ",".join("i" * len(arrays)) + "->"
    return float(np.einsum(spec, *arrays))


def bgnbd_hessian(theta: np.ndarray, d: PurchaseData) -> np.ndarray:
    """Hessian (4 x 4, order r, alpha, a, b) of the weighted BG/NBD log-likelihood.

    Per-tuple terms live in the data's reused work arrays (:meth:`PurchaseData.buffers`)
    and products are summed by :func:`numpy.einsum`, so no array of the tuples' length
    is allocated.
    """
    r, al, a, b = (float(v) for v in theta)
    ux, wx, ix, w = d.ux, d.wx, d.ix, d.w
    n_w = float(wx.sum())
    (t_first, t_inv), (tx_first, tx_inv) = d.times()
    u_t, u_tx = al + d.T[t_first], al + d.tx[tx_first]
    buf = d.buffers(8)
    i_t, i_tx = np.take(1 / u_t, t_inv, out=buf[0]), np.take(1 / u_tx, tx_inv, out=buf[1])
    dlog = np.take(np.log(u_t), t_inv, out=buf[2])
    dlog -= np.take(np.log(u_tx), tx_inv, out=buf[3])  # D = ln((alpha + T) / (alpha + t_x))
    rx = np.add(d.x, r, out=buf[3])
    bx = b + np.maximum(ux, 1) - 1
    lbx = np.log(a) - np.log(bx)
    lbx[0] = -np.inf  # x = 0: no second term, omega = 0
    omega = np.multiply(rx, dlog, out=buf[4])
    omega += np.take(lbx, ix, out=buf[5])
    expit(omega, out=omega)
    w_om = np.multiply(w, omega, out=buf[5])
    w_sp = np.subtract(1.0, omega, out=buf[4])
    w_sp *= w_om  # weight times omega (1 - omega)
    di = np.subtract(i_t, i_tx, out=buf[6])  # d^2 delta / dr dalpha
    g_al = np.multiply(rx, di, out=buf[7])  # d delta / dalpha
    g_b = np.where(ux > 0, -1 / bx, 0.0)  # d delta / db, per x
    tab = _trigamma(a + b) - _trigamma(a + b + ux)
    h = np.empty((4, 4))
    h[0, 0] = _dot(wx, _trigamma(r + ux) - _trigamma(r)) + _sum(w_sp, dlog, dlog)
    h[0, 1] = n_w / al - _dot(w, i_t) + _sum(w_sp, dlog, g_al) + _dot(w_om, di)
    h[1, 1] = (-n_w * r / al**2 + _sum(w, rx, i_t, i_t) + _sum(w_sp, g_al, g_al)
               + _sum(w_om, rx, i_tx, i_tx) - _sum(w_om, rx, i_t, i_t))
    h[0, 2] = _dot(w_sp, dlog) / a
    h[1, 2] = _dot(w_sp, g_al) / a
    # the b row: sums by x (g_b depends on x only); i_t, i_tx are free from here
    by_x = []
    for v, other in ((dlog, buf[0]), (g_al, buf[1])):
        by_x.append(np.bincount(ix, weights=np.multiply(w_sp, v, out=other),
                                minlength=ux.size))
    by_x += [np.bincount(ix, weights=v, minlength=ux.size) for v in (w_sp, w_om)]
    h[0, 3] = _dot(g_b, by_x[0])
    h[1, 3] = _dot(g_b, by_x[1])
    sum_sp, sum_om = float(by_x[2].sum()), float(by_x[3].sum())
    h[2, 2] = _dot(wx, tab) + (sum_sp - sum_om) / a**2
    h[2, 3] = _dot(wx, tab) + _dot(g_b, by_x[2]) / a
    h[3, 3] = (_dot(wx, tab + _trigamma(b + ux) - _trigamma(b))
               + _dot(g_b * g_b, by_x[2] + by_x[3]))
    lower = np.tril_indices(4, -1)
    h[lower] = h.T[lower]
    return h


def gamma_gamma_hessian(theta: np.ndarray, d: SpendData) -> np.ndarray:
    """Hessian (3 x 3, order p, q, v) of the weighted Gamma-Gamma log-likelihood."""
    p, q, v = (float(t) for t in theta)
    ux, wx = d.ux, d.wx
    pu = p * ux
    n_w = float(wx.sum())
    inv = 1 / (d.xm + v)
    t_pq = _trigamma(pu + q)
    s_xv, s_v = _dot(d.wxv, inv), _dot(d.w, inv)
    inv2 = inv * inv
    h = np.empty((3, 3))
    h[0, 0] = _dot(wx * ux * ux, t_pq - _trigamma(pu))
    h[0, 1] = _dot(wx * ux, t_pq)
    h[0, 2] = -s_xv
    h[1, 1] = _dot(wx, t_pq - _trigamma(q))
    h[1, 2] = n_w / v - s_v
    h[2, 2] = -n_w * q / v**2 + p * _dot(d.wxv, inv2) + q * _dot(d.w, inv2)
    lower = np.tril_indices(3, -1)
    h[lower] = h.T[lower]
    return h


HESSIANS = {"bgnbd": bgnbd_hessian, "gamma_gamma": gamma_gamma_hessian}
