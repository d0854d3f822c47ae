"""Shared pieces of clvkit's model estimators: models from parameters, JSON persistence.

Every probabilistic model in :mod:`clvkit.models` (BG/NBD, MBG/NBD, Pareto/NBD,
Gamma-Gamma, BG/BB, sBG) keeps its learned state in ``params_`` (a dict in the paper's
notation) plus a few plain attributes. That makes two things cheap and uniform:

* **models from parameters**: :func:`from_params` builds a model whose ``params_`` come
  from a paper or an earlier fit instead of ``fit``; it passes ``check_is_fitted`` and
  predicts at once (``standard_errors_`` are NaN: nothing was estimated);
* **JSON persistence**: :func:`to_dict` / :func:`save` write the settings and the learned
  attributes (no pickle, so a saved model is safe to share and to diff), and
  :func:`clvkit.models.load_model` reads any of them back.
"""

from __future__ import annotations

import json
import math
import os
from collections.abc import Callable, Mapping, Sequence
from typing import Any, TypeVar

import numpy as np
import pandas as pd
from sklearn.utils.validation import check_is_fitted

from ..exceptions import ParameterError

__all__ = [
    "FittedParameters",
    "decode_learned",
    "from_params",
    "numerical_se",
    "parameter_table",
    "save",
    "to_dict",
]

M = TypeVar("M")
_Z95 = 1.959964
_FRAME = "__dataframe__"


def check_params(label: str, names: Sequence[str], params: Mapping[str, Any]) -> dict[str, float]:
    """Check that ``params`` has exactly ``names``, each a finite number > 0.

    Raises
    ------
    ParameterError
        Naming the missing, unknown or invalid parameters, and the expected ones.
    """
    expected = ", ".join(names)
    missing = [k for k in names if k not in params]
    extra = [k for k in params if k not in names]
    if missing or extra:
        parts = []
        if missing:
            parts.append(f"missing {', '.join(map(repr, missing))}")
        if extra:
            parts.append(f"unknown {', '.join(map(repr, map(str, extra)))}")
        msg = (f"{label}.from_params() needs exactly the parameters {expected}; "
               f"{' and '.join(parts)}. Example: {label}.from_params("
               f"{', '.join(f'{k}=1.0' for k in names)}).")
        raise ParameterError(msg)
    bad = {}
    for k in names:
        v = params[k]
        ok = isinstance(v, (int, float, np.integer, np.floating)) and not isinstance(v, bool)
        if not ok or not math.isfinite(float(v)) or float(v) <= 0:
            bad[k] = v
    if bad:
        shown = ", ".join(f"{k}={v!r}" for k, v in bad.items())
        msg = (f"{label}.from_params(): every parameter must be a finite number > 0; "
               f"{len(bad)} of {len(names)} are not ({shown}).")
        raise ParameterError(msg)
    return {k: float(params[k]) for k in names}


def from_params(
    cls: Callable[..., M],
    names: Sequence[str],
    params: Mapping[str, Any],
    settings: Mapping[str, Any] | None = None,
) -> M:
    """Build ``cls(**settings)`` holding ``params`` as if fitted (see module docstring)."""
    label = getattr(cls, "__name__", str(cls))
    values = check_params(label, names, params)
    model = cls(**(settings or {}))
    model.params_ = values  # type: ignore[attr-defined]
    model.standard_errors_ = dict.fromkeys(names, math.nan)  # type: ignore[attr-defined]
    return model


def parameter_table(params: Mapping[str, float], se: Mapping[str, float]) -> pd.DataFrame:
    """Estimate, std_error and a 95% interval per parameter, computed on the log scale
    (:math:`\\exp(\\log\\theta \\pm 1.96\\,se/\\theta)`) so it stays positive."""
    est = pd.Series(dict(params), dtype=float)
    err = pd.Series(dict(se), dtype=float).reindex(est.index)
    spread = np.exp(_Z95 * err / est)
    table = pd.DataFrame({"estimate": est, "std_error": err, "lower_95": est / spread,
                          "upper_95": est * spread})
    return table.rename_axis("parameter")


class FittedParameters:
    """Mixin of the fitted parameter views shared by the estimators that keep
    ``params_`` and ``standard_errors_`` (BTYD, covariate and BG/BB models)."""

    params_: dict[str, float]
    standard_errors_: dict[str, float]

    @property
    def params(self) -> dict[str, float]:
        """Fitted parameters as a plain dict (paper notation; for covariate models the
        reference customer's base parameters)."""
        check_is_fitted(self, "params_")
        return dict(self.params_)

    @property
    def summary(self) -> pd.DataFrame:
        """Parameter table: estimate, std_error and a 95% interval per parameter
        (see :func:`parameter_table`: computed on the log scale, so it stays positive)."""
        check_is_fitted(self, "params_")
        return parameter_table(self.params_, self.standard_errors_)


def numerical_se(nll: Callable[[np.ndarray], float], theta: np.ndarray,
                 step: float = 1e-4) -> np.ndarray:
    """Asymptotic standard errors from a central-difference Hessian in log-parameters.

    ``nll`` is the total negative log-likelihood as a function of the parameters; the
    Hessian is taken in :math:`\\log\\theta` (where the surface is close to quadratic) and
    mapped back with the delta method, :math:`se(\\theta) = \\theta\\sqrt{[H^{-1}]_{ii}}`.
    Returns NaN where the Hessian is singular or not positive definite.
    """
    z0 = np.log(np.asarray(theta, dtype=float))
    k = z0.size
    eye = np.eye(k) * step

    def f(z: np.ndarray) -> float:
        return float(nll(np.exp(z)))

    hess = np.empty((k, k))
    for i in range(k):
        for j in range(i, k):
            hess[i, j] = hess[j, i] = (
                f(z0 + eye[i] + eye[j]) - f(z0 + eye[i] - eye[j])
                - f(z0 - eye[i] + eye[j]) + f(z0 - eye[i] - eye[j])
            ) / (4 * step * step)
    try:
        var = np.diag(np.linalg.inv(hess))
    except np.linalg.LinAlgError:
        var = np.full(k, np.nan)
    return np.exp(z0) * np.sqrt(np.where(var > 0, var, np.nan))


# --- JSON persistence -------------------------------------------------------------------
def _encode(value: Any) -> Any:
    if isinstance(value, pd.DataFrame):
        return {_FRAME: {"index": value.index.tolist(), "index_name": value.index.name,
                         "columns": [str(c) for c in value.columns],
                         "data": value.to_numpy(dtype=object).tolist()}}
    if isinstance(value, (np.floating, np.integer, np.bool_)):
        return value.item()
    if isinstance(value, dict):
        return {str(k): _encode(v) for k, v in value.items()}
    return value


def _decode(value: Any) -> Any:
    if isinstance(value, dict) and set(value) == {_FRAME}:
        spec = value[_FRAME]
        frame = pd.DataFrame(spec["data"], columns=spec["columns"],
                             index=pd.Index(spec["index"], name=spec["index_name"]))
        return frame.infer_objects()
    return value


def to_dict(model: Any) -> dict[str, Any]:
    """Describe a fitted model as JSON-ready data: class, settings, learned attributes."""
    from .. import __version__

    learned = {k: _encode(v) for k, v in vars(model).items()
               if k.endswith("_") and not k.startswith("_")}
    return {"model": type(model).__name__, "clvkit_version": __version__,
            "settings": model.get_params(), "learned": learned}


def decode_learned(learned: Mapping[str, Any]) -> dict[str, Any]:
    """Inverse of the encoding :func:`to_dict` applies to the learned attributes."""
    return {k: _decode(v) for k, v in learned.items()}


def save(model: Any, path: str | os.PathLike[str]) -> None:
    """Write ``model.to_dict()`` as JSON (no pickle: safe to share and diff)."""
    with open(path, "w", encoding="utf-8") as fh:
        json.dump(model.to_dict(), fh, indent=2, sort_keys=True)
