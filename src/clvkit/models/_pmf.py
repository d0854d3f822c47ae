r"""Purchase-count probabilities P(X(t) = n) of the BG/NBD, MBG/NBD and Pareto/NBD models.

Unconditional: a new customer's number of repeat purchases in :math:`(0, t]`. With
:math:`N(t) \sim \mathrm{NBD}` (Poisson rate :math:`\lambda \sim \mathrm{Gamma}(r,
\alpha)`), :math:`\mathrm{NB}(n; t) = \frac{\Gamma(r+n)}{\Gamma(r)\,n!}
(\frac{\alpha}{\alpha+t})^r (\frac{t}{\alpha+t})^n` and its tail
:math:`P(N(t) \ge n) = I_{t/(\alpha+t)}(n, r)` (regularised incomplete beta):

* BG/NBD (Fader, Hardie & Lee 2005, eq. 8): the customer is still active after
  :math:`n` purchases, or dropped out right after the :math:`n`-th one,

  .. math:: P(X(t)=n) = \frac{B(a, b+n)}{B(a,b)}\mathrm{NB}(n; t)
            + \delta_{n>0}\frac{B(a+1, b+n-1)}{B(a,b)} P(N(t) \ge n);

* MBG/NBD (Batislam, Denizel & Filiztekin 2007): dropout is also possible at time 0,

  .. math:: P(X(t)=n) = \frac{B(a, b+n+1)}{B(a,b)}\mathrm{NB}(n; t)
            + \frac{B(a+1, b+n)}{B(a,b)} P(N(t) \ge n);

* Pareto/NBD (Fader & Hardie, note 012): the lifetime :math:`\tau` is exponential with
  rate :math:`\mu \sim \mathrm{Gamma}(s, \beta)`, i.e. Lomax with density
  :math:`g(\tau) = \frac{s}{\beta}(\frac{\beta}{\beta+\tau})^{s+1}`, so

  .. math:: P(X(t)=n) = \mathrm{NB}(n; t)\Bigl(\frac{\beta}{\beta+t}\Bigr)^s
            + \int_0^t \mathrm{NB}(n; \tau)\, g(\tau)\, d\tau .

  The note resolves the integral with Gauss hypergeometric functions, which lose
  accuracy when :math:`\alpha \approx \beta` or :math:`n` is large; clvkit integrates
  it numerically instead (adaptive Gauss-Kronrod, :func:`scipy.integrate.quad_vec`,
  absolute error below 1e-12), which is exact to that tolerance everywhere.

Conditional on a customer's history :math:`(x, t_x, T)`: a customer who is no longer
active buys nothing; one who is active at :math:`T` buys as a new customer whose
parameters are updated by the history (the posterior is again of the model's form,
because the processes are memoryless):

.. math:: P(X(T, T+t) = n \mid x, t_x, T) = (1 - P(\mathrm{alive}))\,\delta_{n=0}
          + P(\mathrm{alive})\, P(X(t) = n \mid \theta')

with :math:`\theta' = (r+x, \alpha+T, a, b+x)` for BG/NBD, :math:`(r+x, \alpha+T, a,
b+x+1)` for MBG/NBD (in the BG/NBD formula: an active customer has passed the dropout
at time 0) and :math:`(r+x, \alpha+T, s, \beta+T)` for Pareto/NBD (Fader &
Hardie note 028 derives the same Pareto/NBD expression in closed form). For
:math:`n = 0` this is the probability of no purchase in the next :math:`t`.

Times are in the summary's unit (weeks for ``freq="W"``), like ``alpha`` and ``beta``.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
from scipy import integrate, special

from ..exceptions import ParameterError
from ..schema import FREQUENCY, RECENCY, T
from ._checks import check_summary
from ._compress import compress

__all__ = [
    "check_counts",
    "check_horizon",
    "conditional_probability",
    "pmf",
    "posterior_params",
]

KINDS = ("bgnbd", "mbgnbd", "paretonbd")


def check_horizon(t: Any, name: str = "t") -> np.ndarray:
    """Check horizons: finite numbers >= 0 (scalar or array)."""
    arr = np.asarray(t)
    ok = arr.dtype.kind in "iuf" and arr.size > 0 and bool(np.all(np.isfinite(arr)))
    if not ok or np.any(arr < 0):
        msg = (f"{name} must be a finite number of periods >= 0 (in the summary's time "
               f"unit), or an array of them; got {t!r}.")
        raise ParameterError(msg)
    return arr.astype(float)


def check_counts(n: Any, name: str = "n") -> np.ndarray:
    """Check purchase counts: whole numbers >= 0 (scalar or array)."""
    arr = np.asarray(n)
    if arr.dtype.kind == "f" and arr.size and np.all(np.isfinite(arr)) and np.all(
        arr == np.round(arr)
    ):
        arr = arr.astype(np.int64)
    if arr.dtype.kind not in "iu" or arr.size == 0 or np.any(arr < 0):
        msg = (f"{name} must be a whole number of purchases >= 0 (0, 1, 2, ...), or an "
               f"array of them; got {n!r}.")
        raise ParameterError(msg)
    return arr.astype(float)


def _log_nb(n: np.ndarray, r: Any, alpha: Any, t: np.ndarray) -> np.ndarray:
    """log NB(n; t): NBD probability of ``n`` purchases in ``(0, t]``."""
    return (special.gammaln(r + n) - special.gammaln(r) - special.gammaln(n + 1)
            + r * (np.log(alpha) - np.log(alpha + t))
            + special.xlogy(n, t) - n * np.log(alpha + t))


def _nb_tail(n: np.ndarray, r: Any, alpha: Any, t: np.ndarray) -> np.ndarray:
    """P(N(t) >= n) = I_{t/(alpha+t)}(n, r); 1 at n = 0."""
    safe = np.where(n > 0, n, 1.0)
    return np.where(n > 0, special.betainc(safe, r, t / (alpha + t)), 1.0)


def _bgnbd(t, n, r, alpha, a, b, *, modified: bool) -> np.ndarray:
    shift = 1.0 if modified else 0.0
    base = special.betaln(a, b)
    alive = np.exp(special.betaln(a, b + n + shift) - base + _log_nb(n, r, alpha, t))
    if modified:
        dropped = np.exp(special.betaln(a + 1, b + n) - base) * _nb_tail(n, r, alpha, t)
        return alive + dropped
    safe = np.where(n > 0, n, 1.0)
    dropped = np.exp(special.betaln(a + 1, b + safe - 1) - base) * _nb_tail(n, r, alpha, t)
    return alive + np.where(n > 0, dropped, 0.0)


def _paretonbd(t, n, r, alpha, s, beta) -> np.ndarray:
    t, n, r, alpha, s, beta = np.broadcast_arrays(
        *(np.asarray(v, dtype=float) for v in (t, n, r, alpha, s, beta)))
    alive = np.exp(_log_nb(n, r, alpha, t) + s * (np.log(beta) - np.log(beta + t)))

    def integrand(u: float) -> np.ndarray:
        # tau = u * t maps every horizon onto [0, 1]; d tau = t du
        tau = u * t
        log_g = np.log(s) - np.log(beta) + (s + 1) * (np.log(beta) - np.log(beta + tau))
        return np.exp(_log_nb(n, r, alpha, tau) + log_g) * t

    if alive.size == 0:
        return alive
    died, _ = integrate.quad_vec(integrand, 0.0, 1.0, epsabs=1e-13, epsrel=1e-10,
                                 norm="max", limit=2000)
    return alive + died


def pmf(kind: str, params: dict[str, float], t: Any, n: Any) -> np.ndarray:
    """P(X(t) = n) for a new customer; ``t`` and ``n`` broadcast against each other."""
    t_arr, n_arr = np.broadcast_arrays(check_horizon(t), check_counts(n))
    return _pmf_arrays(kind, params, t_arr, n_arr)


def _pmf_arrays(kind: str, p: dict[str, Any], t: np.ndarray, n: np.ndarray) -> np.ndarray:
    if kind == "paretonbd":
        out = _paretonbd(t, n, p["r"], p["alpha"], p["s"], p["beta"])
    else:
        out = _bgnbd(t, n, p["r"], p["alpha"], p["a"], p["b"], modified=kind == "mbgnbd")
    return np.clip(out, 0.0, 1.0)


def posterior_params(
    kind: str, params: dict[str, float], x: np.ndarray, age: np.ndarray
) -> dict[str, np.ndarray]:
    """Parameters of an active customer's future purchasing after ``x`` repeat purchases
    in ``age`` periods (see the module docstring)."""
    out: dict[str, Any] = {"r": params["r"] + x, "alpha": params["alpha"] + age}
    if kind == "paretonbd":
        out.update(s=np.full_like(age, params["s"]), beta=params["beta"] + age)
    else:
        out.update(a=np.full_like(age, params["a"]),
                   b=params["b"] + x + (1.0 if kind == "mbgnbd" else 0.0))
    return out


def conditional_probability(
    model: Any, summary: pd.DataFrame, t: Any, n: Any
) -> pd.Series:
    """P(X(T, T+t) = n | frequency, recency, T) per customer of ``summary``.

    ``model`` is a fitted BG/NBD, MBG/NBD or Pareto/NBD model (its ``p_alive`` gives
    P(alive)); ``t`` and ``n`` are scalars.
    """
    t_val = check_horizon(t)
    n_val = check_counts(n)
    if t_val.ndim or n_val.ndim:
        msg = (f"t and n must be single numbers here (one probability per customer); got "
               f"t={t!r}, n={n!r}. Loop over horizons or counts for a table.")
        raise ParameterError(msg)
    kind, params = model._kind, model.params_
    label = f"{type(model).__name__}.conditional_probability_of_purchases()"
    v = check_summary(summary, (FREQUENCY, RECENCY, T), label=label)
    packed = compress(v[FREQUENCY], v[T])  # the future depends on (x, T) only
    x, age = packed.columns
    post = posterior_params(kind, params, x, age)
    # an MBG/NBD customer known to be active has passed the time-0 dropout: from here
    # on she drops out only after purchases, as in BG/NBD
    future_kind = "paretonbd" if kind == "paretonbd" else "bgnbd"
    active = _pmf_arrays(future_kind, post, np.full_like(age, float(t_val)),
                         np.full_like(age, float(n_val)))
    alive = model.p_alive(summary).to_numpy(dtype=float)
    out = alive * packed.expand(active) + (1.0 - alive) * float(n_val == 0)
    return pd.Series(np.clip(out, 0.0, 1.0), index=summary.index.copy(), dtype=float)
