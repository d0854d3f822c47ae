"""Adapter around lifetimes 0.11.3: the only clvkit module that imports it.

lifetimes is archived; keeping every call in one place means a replacement (or a fix
for the next pandas release) touches this file only. Rules kept here:

* only numpy arrays go in, only numpy arrays and plain floats come out;
* its ``ConvergenceError`` and ``ValueError`` become clvkit errors in our wording;
* its side effects are contained: the fitters call ``warnings.simplefilter`` inside
  every likelihood evaluation and ``print`` the optimiser state before raising, so
  each call runs inside ``warnings.catch_warnings`` with stdout captured;
* nothing that is broken under current pandas is called (``calculate_alive_path``,
  ``plot_history_alive``, ``plot_expected_repeat_purchases``,
  ``calibration_and_holdout_data`` without a monetary column).
"""

from __future__ import annotations

import contextlib
import functools
import io
import warnings
from collections.abc import Iterator
from types import ModuleType
from typing import Any

import numpy as np
import pandas as pd

from ..exceptions import ConvergenceError, DataValidationError

__all__ = ["PARAM_NAMES", "fit", "log_likelihood", "new_fitter", "predict", "standard_errors"]

# model kind -> (lifetimes class, parameter names in lifetimes' order)
_CLASSES: dict[str, str] = {
    "bgnbd": "BetaGeoFitter",
    "paretonbd": "ParetoNBDFitter",
    "mbgnbd": "ModifiedBetaGeoFitter",
    "gamma_gamma": "GammaGammaFitter",
}
PARAM_NAMES: dict[str, tuple[str, ...]] = {
    "bgnbd": ("r", "alpha", "a", "b"),
    "paretonbd": ("r", "alpha", "s", "beta"),
    "mbgnbd": ("r", "alpha", "a", "b"),
    "gamma_gamma": ("p", "q", "v"),
}


@functools.cache
def _lifetimes() -> ModuleType:
    with warnings.catch_warnings():
        # lifetimes calls pandas APIs deprecated in pandas 2/3 at import time, and
        # its fitters package sets a global FutureWarning filter; catch_warnings
        # restores the caller's filters afterwards.
        warnings.filterwarnings("ignore", ".*is deprecated.*", DeprecationWarning)
        warnings.filterwarnings("ignore", ".*is deprecated.*", FutureWarning)
        import lifetimes
        import lifetimes.utils  # ConvergenceError lives there
    return lifetimes


@contextlib.contextmanager
def _contained() -> Iterator[None]:
    """Run lifetimes code without letting it change warning filters or print."""
    with warnings.catch_warnings(), contextlib.redirect_stdout(io.StringIO()):
        # The optimisers probe extreme parameters on the way to the optimum, where
        # exp/log overflow harmlessly; results are checked for finiteness instead.
        warnings.simplefilter("ignore", RuntimeWarning)
        warnings.simplefilter("ignore", FutureWarning)
        yield


def new_fitter(kind: str, penalizer_coef: float = 0.0, params: dict | None = None) -> Any:
    """Create a lifetimes fitter, optionally holding already-estimated parameters."""
    fitter = getattr(_lifetimes(), _CLASSES[kind])(penalizer_coef=penalizer_coef)
    if params is not None:
        names = PARAM_NAMES[kind]
        fitter.params_ = pd.Series([float(params[k]) for k in names], index=list(names))
    return fitter


def fit(
    kind: str,
    arrays: tuple[np.ndarray, ...],
    weights: np.ndarray,
    *,
    penalizer_coef: float,
    label: str,
    hint: str,
) -> tuple[dict[str, float], dict[str, float] | None]:
    """Fit a lifetimes model on (weighted) arrays; return parameters and standard errors.

    ``arrays`` is (frequency, recency, T) for the purchase models and
    (frequency, monetary_value) for Gamma-Gamma. ``hint`` is a sentence about the
    data appended to convergence errors (for example the largest frequency). The
    standard errors are lifetimes' own (autograd Hessian of the weighted likelihood in
    log-parameter space, divided by the number of customers), or ``None`` for
    Pareto/NBD, for which lifetimes computes none.
    """
    fitter = new_fitter(kind, penalizer_coef)
    options: dict[str, Any] = {"weights": weights}
    if kind == "paretonbd":
        # lifetimes starts Nelder-Mead from an unseeded random point and stops at a
        # loose tolerance; start from a fixed point (time is rescaled so that the
        # largest T is 1, so 1.0 is a neutral start) and converge tightly.
        options.update(initial_params=np.ones(4), tol=1e-10, maxiter=20_000)
    lt_convergence = _lifetimes().utils.ConvergenceError
    with _contained():
        try:
            fitter.fit(*arrays, **options)
        except (lt_convergence, np.linalg.LinAlgError) as exc:  # singular Hessian too
            msg = (
                f"{label} fit did not converge. Try penalizer_coef=0.001 (currently "
                f"{penalizer_coef}) to shrink extreme parameters. {hint}"
            )
            raise ConvergenceError(msg) from exc
        except ValueError as exc:  # lifetimes' own input checks
            msg = f"{label} cannot be fitted on this summary: {exc} {hint}"
            raise DataValidationError(msg) from exc
    params = {k: float(v) for k, v in fitter.params_.items()}
    if not all(np.isfinite(v) and v > 0 for v in params.values()):
        shown = ", ".join(f"{k}={v:.4g}" for k, v in params.items())
        msg = (
            f"{label} fit ended at invalid parameters ({shown}). Try "
            f"penalizer_coef=0.001 (currently {penalizer_coef}). {hint}"
        )
        raise ConvergenceError(msg)
    se = getattr(fitter, "standard_errors_", None)
    return params, (None if se is None else {k: float(v) for k, v in se.items()})


def _nll(kind: str, params: np.ndarray, arrays: tuple[np.ndarray, ...], w: np.ndarray) -> float:
    """Total negative log-likelihood (original time units, no penalty)."""
    cls = getattr(_lifetimes(), _CLASSES[kind])
    with _contained():
        if kind == "paretonbd":  # raw parameters; lifetimes divides by weights.mean()
            return float(cls._negative_log_likelihood(params, *arrays, w, 0.0) * w.mean())
        return float(cls._negative_log_likelihood(np.log(params), *arrays, w, 0.0) * w.sum())


def log_likelihood(
    kind: str, params: dict[str, float], arrays: tuple[np.ndarray, ...], w: np.ndarray
) -> float:
    """Maximised log-likelihood in the summary's own time unit (comparable across models).

    lifetimes fits on times rescaled so that the largest T is 1; evaluating the
    likelihood again in the original unit gives the value the papers report
    (for example -9,582.4 for BG/NBD on the CDNOW sample in weeks).
    """
    theta = np.array([params[k] for k in PARAM_NAMES[kind]], dtype=float)
    return -_nll(kind, theta, arrays, w)


def standard_errors(
    kind: str, params: dict[str, float], arrays: tuple[np.ndarray, ...], w: np.ndarray
) -> dict[str, float]:
    """Asymptotic standard errors from the observed information matrix.

    The Hessian of the total negative log-likelihood is taken numerically (central
    differences) in log-parameter space, where the likelihood surface is close to
    quadratic; the delta method maps back: ``se(theta) = theta * sqrt(diag(H^-1))``.
    lifetimes computes the same quantity with autograd for BG/NBD, MBG/NBD and
    Gamma-Gamma (used as is) but not for Pareto/NBD, which this function serves.
    """
    names = PARAM_NAMES[kind]
    log_theta = np.log([params[k] for k in names])
    k = len(names)
    h = 1e-4

    def f(z: np.ndarray) -> float:
        return _nll(kind, np.exp(z), arrays, w)

    eye = np.eye(k) * h
    hess = np.empty((k, k))
    for i in range(k):
        for j in range(i, k):
            hess[i, j] = hess[j, i] = (
                f(log_theta + eye[i] + eye[j])
                - f(log_theta + eye[i] - eye[j])
                - f(log_theta - eye[i] + eye[j])
                + f(log_theta - eye[i] - eye[j])
            ) / (4 * h * h)
    try:
        var = np.diag(np.linalg.inv(hess))
    except np.linalg.LinAlgError:
        var = np.full(k, np.nan)
    se = np.exp(log_theta) * np.sqrt(np.where(var > 0, var, np.nan))
    return {name: float(v) for name, v in zip(names, se, strict=True)}


def predict(kind: str, params: dict[str, float], method: str, *args: Any) -> np.ndarray:
    """Call one of lifetimes' prediction methods with numpy arguments."""
    fitter = new_fitter(kind, params=params)
    with _contained():
        out = getattr(fitter, method)(*args)
    return np.asarray(out, dtype=float)
