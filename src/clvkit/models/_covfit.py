r"""BG/NBD with time-invariant covariates: log-likelihood, analytic gradient, fit.

Fader & Hardie (2007), "Incorporating time-invariant covariates into the Pareto/NBD
and BG/NBD models", http://brucehardie.com/notes/019/: customer :math:`i` with
purchase covariates :math:`x_i` and dropout covariates :math:`z_i` has

.. math::
    \alpha_i = \alpha_0 e^{-\gamma_1' x_i}, \qquad
    a_i = a_0 e^{\gamma_2' z_i}, \qquad b_i = b_0 e^{\gamma_3' z_i},

and the BG/NBD likelihood of eq. 6 of Fader, Hardie & Lee (2005) with
:math:`(r, \alpha_i, a_i, b_i)`. A positive :math:`\gamma_1` lowers :math:`\alpha_i`
and so raises the mean purchase rate :math:`r/\alpha_i` by the factor
:math:`e^{\gamma_1' x_i}`; the mean dropout probability per purchase is
:math:`a_i/(a_i+b_i)`, with odds :math:`a_i/b_i = (a_0/b_0)e^{(\gamma_2-\gamma_3)' z_i}`.

The parameter vector the optimiser sees is
:math:`\phi = (\ln r, \ln\alpha_0, \ln a_0, \ln b_0, \gamma_1, \gamma_2, \gamma_3)`;
the per-row derivatives with respect to :math:`r, \alpha_i, a_i, b_i` (as in
:func:`clvkit.models._likelihood.bgnbd`) are carried to :math:`\phi` by the chain rule,
e.g. :math:`\partial\ell/\partial\gamma_1 = -x_i\,\alpha_i\,\partial\ell/\partial\alpha_i`.
Rows are unique (x, t_x, T, covariate pattern) tuples with weights.

Pareto/NBD (same note): :math:`\alpha_i = \alpha_0 e^{-\gamma_1' x_i}` and
:math:`\beta_i = \beta_0 e^{-\gamma_2' z_i}` (a positive :math:`\gamma_2` raises the
mean dropout rate :math:`s/\beta_i` by :math:`e^{\gamma_2}`), in the likelihood of
eq. 19 of Fader, Hardie & Shang (2005, note 008) evaluated per row in log space
(:func:`clvkit.models._likelihood.log_2f1_a_b_a1`); its gradient takes central
differences of the per-row log-likelihood in :math:`\ln r, \ln s` and in each row's
:math:`\ln\alpha_i, \ln\beta_i` (eight evaluations whatever the number of
covariates), carried to the coefficients by the chain rule.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
from scipy.optimize import minimize
from scipy.special import digamma, gammaln
from threadpoolctl import threadpool_limits

from . import _fit
from ._likelihood import log_2f1_a_b_a1

__all__ = ["BLOCKS", "CovData", "bgnbd_cov", "fit_cov", "loglik", "paretonbd_cov",
           "row_params"]

#: Coefficient blocks per model: which covariates (X purchase, Z dropout) each uses.
BLOCKS = {"bgnbd": ("X", "Z", "Z"), "paretonbd": ("X", "Z")}
#: Base parameters measured in time (scaled with the times while optimising).
_TIME = {"bgnbd": (1,), "paretonbd": (1, 3)}

_COEF_BOUND = 20.0  # |gamma| (optimiser units) beyond this is "at the edge"


def _wdot(m: np.ndarray, v: np.ndarray) -> np.ndarray:
    """``m.T @ v`` without BLAS threads (see ``_likelihood._dot``)."""
    return np.einsum("ij,i->j", m, v)


@dataclass
class CovData:
    """Unique (x, t_x, T, covariate pattern) rows with weights; X purchase, Z dropout."""

    x: np.ndarray
    tx: np.ndarray
    T: np.ndarray
    w: np.ndarray
    X: np.ndarray
    Z: np.ndarray

    def scaled(self, k: float, x_scale: np.ndarray, z_scale: np.ndarray) -> CovData:
        """Times times ``k``; covariate columns divided by their scales."""
        return CovData(self.x, self.tx * k, self.T * k, self.w, self.X / x_scale,
                       self.Z / z_scale)

    def subset(self, rows: np.ndarray) -> CovData:
        return CovData(self.x[rows], self.tx[rows], self.T[rows], self.w[rows],
                       self.X[rows], self.Z[rows])

    def groups(self) -> tuple[np.ndarray, ...]:
        """Distinct (x, covariate pattern) groups (cached): the row -> group index, and
        per group its x, its X and Z rows and its total weight. The gamma-function terms
        depend on a row only through its group (a few thousand for categorical
        covariates), so they are evaluated once per group."""
        if "_groups" not in self.__dict__:
            from ._compress import compress

            pattern = (compress(*self.X.T, *self.Z.T).inverse if self.X.size + self.Z.size
                       else np.zeros(self.x.size, dtype=np.intp))
            packed = compress(self.x, pattern)
            gi = packed.inverse
            first = np.flatnonzero(np.r_[True, np.diff(np.maximum.accumulate(gi)) > 0])
            self.__dict__["_groups"] = (gi, self.x[first], self.X[first], self.Z[first],
                                        np.bincount(gi, weights=self.w, minlength=first.size))
            self.__dict__["_pattern"] = pattern
        return self.__dict__["_groups"]

    def pairs(self) -> tuple[tuple[np.ndarray, np.ndarray], ...]:
        """(first row, inverse) of the distinct (x, t_x, pattern) and (x, T, pattern)
        triples (cached): Pareto/NBD's hypergeometric terms are evaluated once per triple."""
        if "_pairs" not in self.__dict__:
            from ._compress import compress

            self.groups()
            out = []
            for y in (self.tx, self.T):
                inv = compress(self.x, y, self.__dict__["_pattern"]).inverse
                first = np.flatnonzero(np.r_[True, np.diff(np.maximum.accumulate(inv)) > 0])
                out.append((first, inv))
            self.__dict__["_pairs"] = tuple(out)
        return self.__dict__["_pairs"]


def split(kind: str, phi: np.ndarray, k1: int, k2: int) -> list[np.ndarray]:
    """[base log-parameters, gamma1, gamma2(, gamma3)] from the flat vector."""
    out, at = [phi[:4]], 4
    for block in BLOCKS[kind]:
        k = k1 if block == "X" else k2
        out.append(phi[at:at + k])
        at += k
    return out


def row_params(kind: str, phi: np.ndarray, X: np.ndarray,
               Z: np.ndarray) -> tuple[np.ndarray, ...]:
    """Per-row parameters in paper order, (r, alpha_i, a_i, b_i) or (r, alpha_i, s, beta_i),
    every one as an array, in the data's units."""
    parts = split(kind, np.asarray(phi, dtype=float), X.shape[1], Z.shape[1])
    base, n = parts[0], X.shape[0]
    r, al = np.full(n, np.exp(base[0])), np.exp(base[1] - X @ parts[1])
    if kind == "bgnbd":
        return r, al, np.exp(base[2] + Z @ parts[2]), np.exp(base[3] + Z @ parts[3])
    return r, al, np.full(n, np.exp(base[2])), np.exp(base[3] - Z @ parts[2])


def bgnbd_cov(phi: np.ndarray, d: CovData) -> tuple[float, np.ndarray]:
    r"""Weighted BG/NBD log-likelihood with covariates and its gradient in :math:`\phi`.

    Per row, with :math:`\omega_3, \omega_4` the shares of the two bracket terms:

    .. math::
        \ell_i = \ln\Gamma(r+x) - \ln\Gamma(r) + r\ln\alpha_i + \ln B(a_i, b_i+x)
        - \ln B(a_i, b_i) + \ln\Big[(\alpha_i+T)^{-(r+x)} + \delta_{x>0}
        \frac{a_i}{b_i+x-1}(\alpha_i+t_x)^{-(r+x)}\Big]
    """
    phi = np.asarray(phi, dtype=float)
    k1, k2 = d.X.shape[1], d.Z.shape[1]
    r = float(np.exp(phi[0]))
    gi, gx, gX, gZ, gw = d.groups()
    _, g_al, g_a, g_b = row_params("bgnbd", phi, gX, gZ)  # per (x, pattern) group
    al, a, b = g_al[gi], g_a[gi], g_b[gi]
    x, w = d.x, d.w
    rep = x > 0
    rx = r + x
    l_t, l_tx = np.log(al + d.T), np.log(al + d.tx)
    bx1 = b + np.maximum(x, 1) - 1
    a3 = -rx * l_t
    a4 = np.where(rep, np.log(a) - np.log(bx1) - rx * l_tx, -np.inf)
    total = np.logaddexp(a3, a4)
    s3, s4 = np.exp(a3 - total), np.exp(a4 - total)
    g_lal, g_ab = np.log(g_al), g_a + g_b
    g_ll = (gammaln(r + gx) - gammaln(r) + r * g_lal + gammaln(g_ab) + gammaln(g_b + gx)
            - gammaln(g_b) - gammaln(g_ab + gx))
    ll = float(np.einsum("i,i->", gw, g_ll) + np.einsum("i,i->", w, total))
    dg_ab, dg_abx = digamma(g_ab), digamma(g_ab + gx)
    d_r = (float(np.einsum("i,i->", gw, digamma(r + gx) - digamma(r) + g_lal))
           - float(np.einsum("i,i->", w, s3 * l_t + s4 * l_tx)))
    d_al = r / al - s3 * rx / (al + d.T) - s4 * rx / (al + d.tx)
    d_a = (dg_ab - dg_abx)[gi] + s4 / a
    d_b = (dg_ab + digamma(g_b + gx) - digamma(g_b) - dg_abx)[gi] - np.where(
        rep, s4 / bx1, 0.0)
    u_al, u_a, u_b = w * d_al * al, w * d_a * a, w * d_b * b
    grad = np.concatenate([
        [d_r * r, u_al.sum(), u_a.sum(), u_b.sum()],
        -_wdot(d.X, u_al) if k1 else [], _wdot(d.Z, u_a) if k2 else [],
        _wdot(d.Z, u_b) if k2 else [],
    ])
    return ll, grad


def _pareto_rows(r: float, al: np.ndarray, s: float, be: np.ndarray,
                 d: CovData) -> np.ndarray:
    r"""Per-row Pareto/NBD log-likelihood (eq. 19 of note 008) with row-wise
    :math:`\alpha_i, \beta_i`; :math:`A_0` as in
    :func:`clvkit.models._likelihood.pareto_log_a0`, the branch chosen per row."""
    x = d.x
    alive = -(r + x) * np.log(al + d.T) - s * np.log(be + d.T)
    a1 = r + s + x
    ge = al >= be
    b1, big, diff = np.where(ge, s + 1.0, r + x), np.where(ge, al, be), np.abs(al - be)

    def log_f(y: np.ndarray, first: np.ndarray, inv: np.ndarray) -> np.ndarray:
        a, b, g, e, v = a1[first], b1[first], big[first], diff[first], y[first]
        return (log_2f1_a_b_a1(a, b, e / (g + v)) - a * np.log(g + v))[inv]

    (f1, i1), (f2, i2) = d.pairs()  # once per distinct (x, t_x | T, pattern)
    l1, l2 = log_f(d.tx, f1, i1), log_f(d.T, f2, i2)
    with np.errstate(divide="ignore"):  # A0 = 0 (log -inf) where t_x = T
        log_a0 = l1 + np.log(-np.expm1(np.minimum(l2 - l1, 0.0)))
    died = np.log(s) - np.log(a1) + log_a0
    return (gammaln(r + x) - gammaln(r) + r * np.log(al) + s * np.log(be)
            + np.logaddexp(alive, died))


def paretonbd_cov(phi: np.ndarray, d: CovData, step: float = 1e-6) -> tuple[float, np.ndarray]:
    r"""Weighted Pareto/NBD log-likelihood with covariates and its gradient in :math:`\phi`
    (module docstring; central differences of relative step ``step``)."""
    phi = np.asarray(phi, dtype=float)
    _, al, _, be = row_params("paretonbd", phi, d.X, d.Z)
    r, s = float(np.exp(phi[0])), float(np.exp(phi[2]))
    w = d.w
    ll = float(np.einsum("i,i->", w, _pareto_rows(r, al, s, be, d)))
    up, down = np.exp(step), np.exp(-step)

    def per_row(**kw: Any) -> np.ndarray:
        hi = _pareto_rows(**{"r": r, "al": al, "s": s, "be": be, "d": d,
                             **{k: v * up for k, v in kw.items()}})
        lo = _pareto_rows(**{"r": r, "al": al, "s": s, "be": be, "d": d,
                             **{k: v * down for k, v in kw.items()}})
        return w * (hi - lo) / (2 * step)

    u_r, u_al, u_s, u_be = per_row(r=r), per_row(al=al), per_row(s=s), per_row(be=be)
    grad = np.concatenate([
        [u_r.sum(), u_al.sum(), u_s.sum(), u_be.sum()],
        -_wdot(d.X, u_al) if d.X.shape[1] else [], -_wdot(d.Z, u_be) if d.Z.shape[1] else [],
    ])
    return ll, grad


LIKELIHOODS = {"bgnbd": bgnbd_cov, "paretonbd": paretonbd_cov}


def loglik(kind: str, phi: np.ndarray, d: CovData) -> float:
    """Total log-likelihood at ``phi`` (data's own units)."""
    with np.errstate(all="ignore"):
        return float(LIKELIHOODS[kind](phi, d)[0])


def _objective(kind: str, data: CovData, penalizer: float):
    n = float(data.w.sum())
    func = LIKELIHOODS[kind]

    def f(phi: np.ndarray) -> tuple[float, np.ndarray]:
        theta = np.exp(phi[:4])
        with np.errstate(all="ignore"):
            ll, g = func(phi, data)
        value = -ll / n + penalizer * float(theta @ theta)
        grad = -g / n
        grad[:4] += 2 * penalizer * theta * theta
        if not np.isfinite(value) or not np.all(np.isfinite(grad)):
            return np.inf, np.zeros_like(phi)
        return value, grad

    return f


@dataclass
class CovFit:
    """The optimum in the data's own units (phi), its covariance and diagnostics."""

    phi: np.ndarray
    covariance: np.ndarray
    converged: bool
    at_edge: list[int]
    gradient_norm: float


def fit_cov(kind: str, data: CovData, start: np.ndarray, *, penalizer_coef: float,
            x_scale: np.ndarray, z_scale: np.ndarray) -> CovFit:
    """Maximise the likelihood from ``start`` (the no-covariate optimum, zeros for gamma).

    Times are scaled so the largest T is 1 and numeric covariates by their standard
    deviation while optimising (as :mod:`clvkit.models._fit` does, so the penalty means
    the same thing); L-BFGS-B, then Newton steps on the Hessian (central differences
    of the analytic gradient), whose inverse gives the covariance.
    """
    max_t = float(data.T.max())
    k = 1.0 / max_t if max_t > 0 else 1.0
    scaled = data.scaled(k, x_scale, z_scale)
    coef_scale = np.concatenate([x_scale if b == "X" else z_scale for b in BLOCKS[kind]])
    # phi in optimiser units: log alpha0 (beta0) in scaled time, gamma times the column scale
    shift = np.zeros(4)
    shift[list(_TIME[kind])] = np.log(k)
    to_inner = np.concatenate([shift, np.zeros(coef_scale.size)])
    mult = np.concatenate([np.ones(4), coef_scale])
    phi0 = np.asarray(start, dtype=float) * mult + to_inner
    f = _objective(kind, scaled, float(penalizer_coef))
    bound = _fit._BOUNDS["purchase"]
    bounds = [(-bound, bound)] * 4 + [(-_COEF_BOUND, _COEF_BOUND)] * coef_scale.size
    # one BLAS thread: L-BFGS-B's small dense steps are several times slower when
    # BLAS spreads them over threads on a busy machine (2.6 s -> 0.7 s on the demo)
    with threadpool_limits(limits=1, user_api="blas"):
        res = minimize(f, phi0, jac=True, method="L-BFGS-B", bounds=bounds,
                       options={"maxiter": 3000, "ftol": 1e-15, "gtol": 1e-10, "maxcor": 20})
        phi = res.x if np.isfinite(res.fun) and res.fun <= f(phi0)[0] else phi0
        lo = np.array([b[0] for b in bounds])
        hi = np.array([b[1] for b in bounds])
        edge = (phi <= lo + _fit._EDGE_TOL) | (phi >= hi - _fit._EDGE_TOL)
        phi, hess = _fit._polish(f, phi, ~edge, 1e-5 if kind == "bgnbd" else 1e-4)
    value, grad = f(phi)
    g_free = np.where(edge, 0.0, grad)
    gnorm = float(np.max(np.abs(g_free)))
    cov = np.full((phi.size, phi.size), np.nan)
    if hess is not None:
        try:
            inv = np.linalg.inv(hess) / float(data.w.sum())
        except np.linalg.LinAlgError:
            inv = None
        if inv is not None:
            free = np.flatnonzero(~edge)
            cov[np.ix_(free, free)] = inv
    outer = (phi - to_inner) / mult
    cov = cov / np.outer(mult, mult)
    converged = bool(np.isfinite(value)) and (bool(res.success) or gnorm < _fit._GTOL * 10)
    return CovFit(phi=outer, covariance=cov, converged=converged,
                  at_edge=[int(i) for i in np.flatnonzero(edge)], gradient_norm=gnorm)
