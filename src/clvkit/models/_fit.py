r"""Maximum-likelihood fits of the BTYD models with clvkit's own likelihoods.

The objective is the one lifetimes minimises, so that both give the same estimates:
the mean negative log-likelihood per customer plus ``penalizer_coef`` times the sum
of the squared parameters, in log-parameter space, with purchase times scaled so
that the largest ``T`` is 1 (the penalty applies to the scaled parameters, as in
lifetimes). It is minimised by L-BFGS-B on bounded log-parameters with the analytic
gradient, then polished by Newton steps on the Hessian (central differences of the
analytic gradient), which also gives the standard errors.

A fit whose optimum lies on a bound (for example BG/NBD's ``a`` -> 0 when no dropout
is visible) is a valid fit: the parameter is listed in ``at_edge`` and the other
parameters are estimated at that edge. A fit that fails is retried from other
starting points, then with a small reported penalty.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from scipy.optimize import minimize

from . import _likelihood as lik
from ._hessians import HESSIANS

__all__ = ["FitResult", "fit", "log_likelihood"]

# log-parameter bounds (scaled time / currency): 1e-7 .. 1e7 and 1e-13 .. 1e13
_BOUNDS = {"purchase": 16.1, "gamma_gamma": 30.0}
_EDGE_TOL = 1e-3  # a log-parameter this close to its bound is at the edge
_GTOL = 1e-7
_LOOSE_SE, _EXTREME = 10.0, np.log(1e3)
_SUBSAMPLE = 20_000  # converged when the projected gradient of the mean NLL is below this
AUTO_PENALIZER = 1e-3

LIKELIHOODS: dict[str, Callable[..., tuple[float, np.ndarray]]] = {
    "bgnbd": lik.bgnbd, "mbgnbd": lik.mbgnbd, "paretonbd": lik.paretonbd,
    "gamma_gamma": lik.gamma_gamma,
}
# parameters measured in (scaled) time: divided by the scale after the fit
_TIME_PARAMS = {"bgnbd": (1,), "mbgnbd": (1,), "paretonbd": (1, 3), "gamma_gamma": ()}


@dataclass
class FitResult:
    """What one fit learned, in the data's own units."""

    theta: np.ndarray
    se: np.ndarray
    converged: bool
    at_edge: list[int]
    log_likelihood: float
    penalizer_coef: float
    gradient_norm: float
    restarts: int
    info: dict[str, Any] = field(default_factory=dict)
    #: Asymptotic covariance of the log-parameters (:math:`H^{-1}/n`, unchanged by the
    #: time scaling); NaN rows and columns for parameters at an edge, None without a
    #: usable Hessian.
    cov: np.ndarray | None = None


def _objective(kind: str, data: Any, penalizer: float) -> Callable:
    """The objective in log-parameters, ``f(phi) -> (value, gradient)``.

    It remembers its last evaluation (the polish and the final check evaluate the
    point the optimiser stopped at again), and ``f.hess(phi)`` is the Hessian of the
    objective in log-parameters from the analytic Hessian of the likelihood
    (:mod:`clvkit.models._hessians`), or None where there is none (MBG/NBD,
    Pareto/NBD: central differences of the gradient then).
    """
    func, n = LIKELIHOODS[kind], float(data.w.sum())
    last: dict[bytes, tuple[float, np.ndarray]] = {}

    def f(phi: np.ndarray) -> tuple[float, np.ndarray]:
        key = np.asarray(phi, dtype=float).tobytes()
        if key in last:
            value, grad = last[key]
            return value, grad.copy()
        theta = np.exp(phi)
        with np.errstate(all="ignore"):
            ll, g = func(theta, data)
        value = -ll / n + penalizer * float(theta @ theta)
        grad = theta * (-g / n + 2 * penalizer * theta)
        if not np.isfinite(value) or not np.all(np.isfinite(grad)):
            value, grad = np.inf, np.zeros_like(phi)
        last.clear()
        last[key] = (value, grad.copy())
        return value, grad

    def hess(phi: np.ndarray) -> np.ndarray | None:
        if kind not in HESSIANS:
            return None
        value, grad = f(phi)  # remembered when phi is the last point evaluated
        if not np.isfinite(value):
            return None
        theta = np.exp(phi)
        with np.errstate(all="ignore"):
            h_ll = HESSIANS[kind](theta, data)
        # chain rule for theta = exp(phi): diag(theta) H_theta diag(theta) + diag(grad)
        h_theta = -h_ll / n + 2 * penalizer * np.eye(theta.size)
        out = h_theta * np.outer(theta, theta) + np.diag(grad)
        return out if np.all(np.isfinite(out)) else None

    f.hess = hess  # type: ignore[attr-defined]
    return f


def _hessian(f: Callable, phi: np.ndarray, free: np.ndarray, h: float) -> np.ndarray:
    """Hessian on the free coordinates: analytic where the objective has one, else
    central differences of the gradient."""
    idx = np.flatnonzero(free)
    exact = f.hess(phi) if hasattr(f, "hess") else None
    if exact is not None:
        return exact[np.ix_(idx, idx)]
    hess = np.empty((idx.size, idx.size))
    for col, i in enumerate(idx):
        up, down = phi.copy(), phi.copy()
        up[i] += h
        down[i] -= h
        hess[:, col] = (f(up)[1][idx] - f(down)[1][idx]) / (2 * h)
    return (hess + hess.T) / 2


def _projected(grad: np.ndarray, phi: np.ndarray, bound: float) -> np.ndarray:
    """Gradient with the components that push a bounded coordinate outward removed."""
    out = grad.copy()
    out[(phi <= -bound + _EDGE_TOL) & (grad > 0)] = 0.0
    out[(phi >= bound - _EDGE_TOL) & (grad < 0)] = 0.0
    return out


def _polish(f: Callable, phi: np.ndarray, free: np.ndarray,
            h: float) -> tuple[np.ndarray, np.ndarray | None]:
    """Newton steps on the free coordinates with one Hessian; return it for the SEs."""
    if not free.any():
        return phi, None
    value, grad = f(phi)
    hess = _hessian(f, phi, free, h)
    for _ in range(3):
        if np.max(np.abs(grad[free])) < 1e-12:
            break
        try:
            step = np.linalg.solve(hess, grad[free])
        except np.linalg.LinAlgError:
            break
        if not np.all(np.isfinite(step)) or np.max(np.abs(step)) > 1.0:
            break
        trial = phi.copy()
        trial[free] -= step
        t_value, t_grad = f(trial)
        # Near the optimum f changes below its rounding noise; a step that shrinks the
        # gradient without making f measurably worse is progress.
        better = t_value <= value or (t_value <= value + 1e-12 * abs(value) and np.max(
            np.abs(t_grad[free])) < np.max(np.abs(grad[free])))
        if not better:
            break
        phi, value, grad = trial, t_value, t_grad
    return phi, hess


def _starts(kind: str, n: int) -> list[np.ndarray]:
    """lifetimes' start (all log-parameters 0.1) first, then spread-out restarts."""
    first = np.full(n, 0.1)
    others = [np.zeros(n), np.full(n, -1.0), np.full(n, 1.0)]
    if kind == "gamma_gamma":
        others.append(np.array([0.0, 1.0, 3.0]))
    return [first, *others]


def _minimise(f: Callable, kind: str, n: int, bound: float) -> tuple[np.ndarray, bool, int]:
    best, best_value, restarts = None, np.inf, 0
    for restarts, x0 in enumerate(_starts(kind, n)):
        res = minimize(f, x0, jac=True, method="L-BFGS-B", bounds=[(-bound, bound)] * n,
                       options={"maxiter": 2000, "ftol": 1e-15, "gtol": 1e-10, "maxcor": 20})
        if not np.isfinite(res.fun):
            continue
        small = np.max(np.abs(_projected(f(res.x)[1], res.x, bound))) < _GTOL * 10
        if small or res.success:  # success: f stopped decreasing (ftol at machine level)
            return res.x, True, restarts
        if res.fun < best_value:
            best, best_value = res.x, res.fun
    if best is None:
        return np.full(n, 0.1), False, restarts
    return best, False, restarts


def _warm_start(kind: str, data: Any, f: Callable, bound: float) -> np.ndarray | None:
    """On many tuples, reach the optimum by Newton steps from a subsample's optimum.

    The optimum of a 20,000-tuple subsample (fixed seed) and the Hessian there give a
    start and a curvature that are close to the full data's, so Newton steps with
    that fixed Hessian converge in a few full-data evaluations (instead of some forty
    for a quasi-Newton run from scratch). Returns None when this does not reach a
    small gradient; the caller then runs the quasi-Newton optimiser.
    """
    if data.w.size <= _SUBSAMPLE:
        return None
    pick = np.sort(np.random.default_rng(0).choice(data.w.size, _SUBSAMPLE, replace=False))
    g = _objective(kind, data.subset(pick), 0.0)
    phi, ok, _ = _minimise(g, kind, 3 if kind == "gamma_gamma" else 4, bound)
    interior = (phi > -bound + 1.0) & (phi < bound - 1.0)
    if not ok or not interior.all():
        return None
    try:
        inv = np.linalg.inv(_hessian(g, phi, interior, 1e-5))
    except np.linalg.LinAlgError:
        return None
    value, grad = f(phi)
    for _ in range(25):
        if not np.isfinite(value) or np.max(np.abs(grad)) < _GTOL / 100:
            break
        step, shrink = inv @ grad, 1.0
        while shrink > 1e-3:
            t_value, t_grad = f(phi - shrink * step)
            if t_value <= value + 1e-12 * abs(value) and np.max(np.abs(t_grad)) < np.max(
                    np.abs(grad)):
                break
            shrink /= 4
        else:
            return None
        phi, value, grad = phi - shrink * step, t_value, t_grad
    return phi if np.isfinite(value) and np.max(np.abs(grad)) < _GTOL else None


def fit(kind: str, data: Any, *, penalizer_coef: float, time_scale: float = 1.0,
        auto_penalize: bool = True) -> FitResult:
    """Fit ``kind`` on ``data`` (already scaled by ``time_scale`` for purchase models).

    BLAS runs on one thread meanwhile: L-BFGS-B and the 4x4 solves call it with tiny
    vectors, where waking a thread pool costs milliseconds per call on a busy machine
    (100 times the optimiser's own work); the likelihoods do not use BLAS.
    """
    from threadpoolctl import threadpool_limits

    with threadpool_limits(limits=1, user_api="blas"):
        return _fit(kind, data, penalizer_coef=penalizer_coef, time_scale=time_scale,
                    auto_penalize=auto_penalize)


def _fit(kind: str, data: Any, *, penalizer_coef: float, time_scale: float,
         auto_penalize: bool) -> FitResult:
    n = 3 if kind == "gamma_gamma" else 4
    bound = _BOUNDS["gamma_gamma" if kind == "gamma_gamma" else "purchase"]
    h = 1e-4 if kind == "paretonbd" else 1e-5
    penalizer = float(penalizer_coef)
    f = _objective(kind, data, penalizer)
    warm = _warm_start(kind, data, f, bound)
    if warm is not None:
        phi, converged, restarts = warm, True, 0
    else:
        phi, converged, restarts = _minimise(f, kind, n, bound)
    edge = (phi <= -bound + _EDGE_TOL) | (phi >= bound - _EDGE_TOL)
    phi, hess = _polish(f, phi, ~edge, h)
    value, grad = f(phi)
    gnorm = float(np.max(np.abs(_projected(grad, phi, bound))))
    converged = bool(np.isfinite(value)) and (converged or gnorm < _GTOL)
    if not converged and auto_penalize and penalizer == 0.0:
        retry = fit(kind, data, penalizer_coef=AUTO_PENALIZER, time_scale=time_scale,
                    auto_penalize=False)
        retry.info["auto_penalizer"] = {"penalizer_coef": AUTO_PENALIZER,
                                        "gradient_norm": gnorm}
        retry.restarts += restarts
        return retry
    theta = np.exp(phi)
    se = _standard_errors(hess, phi, ~edge, float(data.w.sum()))
    cov = _covariance(hess, ~edge, float(data.w.sum()))
    # On a flat ridge towards the edge (e.g. a -> 0 and b -> inf together) the optimiser
    # stops before the bound: an extreme parameter that the data do not determine
    # (relative standard error above 10) is at the edge too.
    with np.errstate(invalid="ignore"):
        loose = ~(se / theta <= _LOOSE_SE)
    edge |= loose & ((phi < -_EXTREME) | (phi > _EXTREME))
    for i in _TIME_PARAMS[kind]:
        theta[i] /= time_scale
        se[i] /= time_scale
    return FitResult(theta=theta, se=se, converged=bool(converged),
                     at_edge=[int(i) for i in np.flatnonzero(edge)], log_likelihood=np.nan,
                     penalizer_coef=penalizer, gradient_norm=gnorm, restarts=restarts,
                     cov=cov)


def _covariance(hess: np.ndarray | None, free: np.ndarray, n: float) -> np.ndarray | None:
    """Covariance of the log-parameters, :math:`H^{-1}/n` on the free coordinates."""
    if hess is None or not free.any():
        return None
    try:
        inner = np.linalg.inv(hess) / n
    except np.linalg.LinAlgError:
        return None
    cov = np.full((free.size, free.size), np.nan)
    cov[np.ix_(free, free)] = inner
    return cov


def _standard_errors(hess: np.ndarray | None, phi: np.ndarray, free: np.ndarray,
                     n: float) -> np.ndarray:
    r"""Delta-method standard errors: :math:`\theta\sqrt{\mathrm{diag}(H^{-1})/n}`.

    ``H`` is the Hessian of the mean negative log-likelihood (penalty included, as in
    lifetimes) in log-parameter space; parameters at an edge get NaN.
    """
    se = np.full(phi.size, np.nan)
    if hess is None or not free.any():
        return se
    try:
        var = np.diag(np.linalg.inv(hess)) / n
    except np.linalg.LinAlgError:
        return se
    with np.errstate(invalid="ignore"):
        se[free] = np.exp(phi[free]) * np.sqrt(np.where(var > 0, var, np.nan))
    return se


def log_likelihood(kind: str, theta: np.ndarray, data: Any) -> float:
    """Total log-likelihood at ``theta`` in the data's own units (no penalty)."""
    with np.errstate(all="ignore"):
        return float(LIKELIHOODS[kind](np.asarray(theta, dtype=float), data)[0])
