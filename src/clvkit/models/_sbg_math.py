"""Formulas of the shifted-beta-geometric model (Fader & Hardie 2007, 2010): pmf, survivor
function, log-likelihood with its gradient, and DERL's series; see :mod:`.contractual`."""

from __future__ import annotations

import numpy as np
from scipy import special

from ..exceptions import ParameterError


def _log_pmf(a: float, b: float, t: np.ndarray) -> np.ndarray:
    """log P(T = t) = log B(a + 1, b + t - 1) - log B(a, b)   ([1], sBG pmf)."""
    return special.betaln(a + 1, b + t - 1) - special.betaln(a, b)


def _log_survival(a: float, b: float, t: np.ndarray) -> np.ndarray:
    """log S(t) = log B(a, b + t) - log B(a, b)   ([1], sBG survivor function)."""
    return special.betaln(a, b + t) - special.betaln(a, b)


def _neg_log_likelihood(theta: np.ndarray, lost: np.ndarray, censored: np.ndarray):
    """Minus the sBG log-likelihood ([1], eq. B3) and its gradient in log-parameters.

    ``lost[t - 1]`` customers cancelled in period ``t``; ``censored[t]`` customers were
    still active after the last period ``t`` observed for them.
    """
    a, b = np.exp(theta)
    t_lost = np.arange(1, lost.size + 1)
    t_cens = np.arange(censored.size)
    ll = lost @ _log_pmf(a, b, t_lost) + censored @ _log_survival(a, b, t_cens)
    psi = special.digamma
    base_a, base_b = psi(a) - psi(a + b), psi(b) - psi(a + b)
    da = lost @ (psi(a + 1) - psi(a + b + t_lost) - base_a)
    db = lost @ (psi(b + t_lost - 1) - psi(a + b + t_lost) - base_b)
    da += censored @ (psi(a + b) - psi(a + b + t_cens))
    db += censored @ (psi(b + t_cens) - psi(a + b + t_cens) - base_b)
    grad = -np.array([da * a, db * b])
    return -ll, grad


def _derl_series(a: float, b: float, n: int, z: float, chunk: int = 4096) -> float:
    """Sum DERL's series sum_k S(n + k) / S(n - 1) z^k until the terms are negligible."""
    total, log_term, k0 = 0.0, np.log((b + n - 1) / (a + b + n - 1)), 0
    while True:
        j = np.arange(k0, k0 + chunk)
        logs = log_term + np.cumsum(np.log((b + n + j) / (a + b + n + j) * z))
        terms = np.exp(np.r_[log_term, logs[:-1]])
        total += terms.sum()
        if terms[-1] < 1e-17 * total:  # ratio of terms < z < 1: geometric tail
            return total
        log_term, k0 = logs[-1], k0 + chunk


def _periods(t, *, minimum: int, name: str = "t") -> np.ndarray:
    arr = np.atleast_1d(np.asarray(t))
    if arr.dtype.kind not in "iu" or (arr.size and arr.min() < minimum):
        msg = f"{name} must be whole numbers of periods >= {minimum}; got {t!r}"
        raise ParameterError(msg)
    return arr.astype(float)
