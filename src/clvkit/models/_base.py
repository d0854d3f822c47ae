"""Shared base of the buy-till-you-die estimators: fit, diagnostics, parameter table, JSON.

Two backends fit the same likelihoods: ``"clvkit"`` (default; :mod:`._likelihood`
and :mod:`._fit`, vectorised with analytic gradients) and ``"lifetimes"`` (the
archived package, through :mod:`._lifetimes`, to reproduce its results exactly).
"""

from __future__ import annotations

import json
import os
import warnings
from typing import Any, ClassVar, Literal

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator
from sklearn.utils.validation import check_is_fitted

from ..exceptions import DataValidationError, ParameterError
from ..schema import FREQUENCY
from . import _fit, _units
from . import _lifetimes as lt
from . import _likelihood as lik
from ._checks import check_positive, check_summary
from ._compress import compress as _compress
from ._diagnostics import edge_warnings, warning
from ._estimator import FittedParameters

__all__ = ["BACKENDS", "MIN_REPEATERS", "check_repeaters"]

BACKENDS = ("clvkit", "lifetimes")

#: Fewer repeat customers than this triggers a warning: the estimates are unreliable.
MIN_REPEATERS = 20


class BTYDModel(FittedParameters, BaseEstimator):
    """Shared machinery: fit (clvkit or lifetimes backend), diagnostics, table, JSON."""

    _kind: ClassVar[str]
    _label: ClassVar[str]
    _columns: ClassVar[tuple[str, ...]]

    def __init__(
        self,
        *,
        penalizer_coef: float = 0.0,
        compress: bool = True,
        backend: Literal["clvkit", "lifetimes"] = "clvkit",
    ) -> None:
        self.penalizer_coef = penalizer_coef
        self.compress = compress
        self.backend = backend

    @classmethod
    def from_params(cls, **params: float) -> Any:
        """Build the model from known parameters (a paper, an earlier fit): it predicts
        without ``fit``; ``standard_errors_`` are NaN. Raises ParameterError for missing,
        unknown or non-positive parameters. See :mod:`clvkit.models._estimator`."""
        from ._estimator import from_params

        model = from_params(cls, lt.PARAM_NAMES[cls._kind], params)
        if cls._kind == "gamma_gamma":  # the population mean spend, as fit() sets it
            p, q, v = (model.params_[k] for k in ("p", "q", "v"))
            model.mean_spend_ = p * v / (q - 1) if q > 1 else float("nan")
        return model

    def _fit_arrays(self, arrays: tuple[np.ndarray, ...], hint: str) -> None:
        check_positive("penalizer_coef", self.penalizer_coef, allow_zero=True)
        if self.backend not in BACKENDS:
            msg = (f"backend must be one of {', '.join(map(repr, BACKENDS))}; "
                   f"got {self.backend!r}.")
            raise ParameterError(msg)
        if self.compress:
            packed = _compress(*arrays)
            arrays, weights = packed.columns, packed.weights
        else:
            weights = np.ones(arrays[0].shape[0], dtype=np.int64)
        names = lt.PARAM_NAMES[self._kind]
        notes: list[dict[str, Any]] = []
        if self.backend == "lifetimes":
            params, se = lt.fit(self._kind, arrays, weights, penalizer_coef=self.penalizer_coef,
                                label=self._label, hint=hint)
            if se is None:
                se = lt.standard_errors(self._kind, params, arrays, weights)
            converged, at_edge, penalizer = True, [], float(self.penalizer_coef)
            ll = lt.log_likelihood(self._kind, params, arrays, weights)
            cov = None  # lifetimes gives standard errors only
        else:
            data = _data(self._kind, arrays, weights)
            # lifetimes' time scale (largest T = 1), so penalties mean the same thing
            max_t = float(arrays[2].max()) if self._kind != "gamma_gamma" else 1.0
            scale = 1.0 / max_t if max_t > 0 else 1.0
            scaled = data.scaled(scale) if scale != 1.0 else data
            res = _fit.fit(self._kind, scaled, penalizer_coef=self.penalizer_coef,
                           time_scale=scale)
            params = {k: float(v) for k, v in zip(names, res.theta, strict=True)}
            se = {k: float(v) for k, v in zip(names, res.se, strict=True)}
            converged, penalizer = res.converged, res.penalizer_coef
            at_edge = [names[i] for i in res.at_edge]
            ll = _fit.log_likelihood(self._kind, res.theta, data)
            cov = None if res.cov is None else res.cov.tolist()
            if "auto_penalizer" in res.info:
                notes.append(warning("auto_penalizer", model=self._label,
                                     penalizer_coef=penalizer))
            if not converged:
                notes.append(warning("not_converged", model=self._label,
                                     gradient_norm=res.gradient_norm))
        notes = edge_warnings(self._kind, self._label, params, at_edge) + notes
        self.params_ = params
        self.standard_errors_ = se
        # covariance of the log-parameters, in the order of params_ (None: not
        # available); clvkit.models.clv_intervals draws on it
        self.log_params_covariance_ = cov
        self.log_likelihood_ = ll
        self.n_unique_ = int(weights.shape[0])
        self.diagnostics_ = {
            "converged": bool(converged), "at_edge": at_edge, "log_likelihood": ll,
            "penalizer_coef": penalizer, "backend": self.backend,
            "n_unique": self.n_unique_, "warnings": notes,
        }
        _warn(notes, self._label, self.penalizer_coef, hint)

    def _finish_diagnostics(self, n_customers: int, n_repeaters: int) -> None:
        """Add the customer counts (and a few_repeaters note) to ``diagnostics_``."""
        self.diagnostics_["n_customers"] = int(n_customers)
        self.diagnostics_["n_repeaters"] = int(n_repeaters)
        if n_repeaters < MIN_REPEATERS:
            self.diagnostics_["warnings"].append(warning(
                "few_repeaters", model=self._label, n_repeaters=int(n_repeaters),
                n_customers=int(n_customers)))

    def _per_row(self, summary: pd.DataFrame, columns: tuple[str, ...], fn: Any) -> pd.Series:
        """Evaluate ``fn(*arrays)`` once per unique row of ``summary[columns]``."""
        check_is_fitted(self, "params_")
        label = f"{type(self).__name__} prediction"
        v = check_summary(summary, columns, label=label)
        _units.check_same_unit(getattr(self, "time_unit_", None), _units.summary_unit(summary),
                               label)
        arrays = tuple(v[c] for c in columns)
        if self.compress:
            packed = _compress(*arrays)
            values = packed.expand(fn(*packed.columns))
        else:
            values = fn(*arrays)
        out = pd.Series(values, index=summary.index.copy(), dtype=float)
        bad = int((~np.isfinite(out.to_numpy())).sum())
        if bad:
            out.attrs["warnings"] = [warning("nan_predictions", what=self._label, n=bad,
                                             n_customers=len(out))]
        return out

    # --- persistence --------------------------------------------------------------
    def to_dict(self) -> dict[str, Any]:
        """Describe the fitted model as JSON-ready data (parameters, errors, version)."""
        check_is_fitted(self, "params_")
        from .. import __version__

        learned = {
            k: v for k, v in vars(self).items() if k.endswith("_") and not k.startswith("_")
        }
        return {
            "model": type(self).__name__,
            "clvkit_version": __version__,
            "settings": self.get_params(),
            "learned": learned,
        }

    def save(self, path: str | os.PathLike[str]) -> None:
        """Write the fitted model as JSON (no pickle/dill: safe to share and diff)."""
        with open(path, "w", encoding="utf-8") as fh:
            json.dump(self.to_dict(), fh, indent=2, sort_keys=True)


def _data(kind: str, arrays: tuple[np.ndarray, ...], weights: np.ndarray) -> Any:
    if kind == "gamma_gamma":
        return lik.SpendData(*(np.asarray(a, dtype=float) for a in arrays),
                             np.asarray(weights, dtype=float))
    return lik.PurchaseData(*arrays, weights)


def _warn(notes: list[dict[str, Any]], label: str, penalizer: float, hint: str) -> None:
    """One UserWarning (English, for notebook users) for the fit-level diagnostics."""
    codes = {n["code"]: n["values"] for n in notes}
    if "edge_no_dropout" in codes:
        v = codes["edge_no_dropout"]
        msg = (
            f"{label}: no measurable dropout in this period; the best fit puts "
            f"{v['parameter']}={v['value']:.3g} at the edge of the parameter space. The fit "
            f"is valid (diagnostics_['at_edge']), but P(alive) is close to 1 for everyone "
            f"and long-horizon CLV may be overstated. A longer history measures dropout. "
            f"{hint}"
        )
        warnings.warn(msg, UserWarning, stacklevel=4)
    if "extreme_params" in codes or "not_converged" in codes or "auto_penalizer" in codes:
        shown = codes.get("extreme_params", {}).get("parameters", "none")
        msg = (
            f"{label} fit is ill-conditioned (extreme parameters: {shown}; converged: "
            f"{'not_converged' not in codes}; automatic penalizer: "
            f"{'auto_penalizer' in codes}): the data cannot pin the model down and its "
            f"predictions are unreliable. Try penalizer_coef=0.001 (currently {penalizer}). "
            f"{hint}"
        )
        warnings.warn(msg, UserWarning, stacklevel=4)


def check_repeaters(index: pd.Index, x: np.ndarray, label: str) -> int:
    """Raise when nobody repeated; warn when too few did. Return the repeater count."""
    n_rep = int((x > 0).sum())
    if n_rep == 0:
        msg = (
            f"{label} needs repeat purchases, but all {x.size:,} customers have "
            f"frequency 0 (everyone bought once in the observed window). Use a longer "
            f"history, a finer freq (e.g. 'D' if repeat orders fall in the same week), "
            f"or a simple CLV from clvkit.metrics instead."
        )
        raise DataValidationError(msg, column=FREQUENCY, n_failed=int(x.size))
    if n_rep < MIN_REPEATERS:
        msg = (
            f"Only {n_rep:,} of {x.size:,} customers have repeat purchases; {label} "
            f"estimates from so few will be very uncertain (check standard_errors_). "
            f"Use a longer history or more customers if you can."
        )
        warnings.warn(msg, UserWarning, stacklevel=3)
    return n_rep


