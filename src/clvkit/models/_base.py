"""Shared base of the buy-till-you-die estimators: lifetimes fit, parameter table, JSON."""

from __future__ import annotations

import json
import os
import warnings
from typing import Any, ClassVar

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator
from sklearn.utils.validation import check_is_fitted

from ..exceptions import DataValidationError
from ..schema import FREQUENCY
from . import _lifetimes as lt
from ._checks import check_positive, check_summary
from ._compress import compress as _compress

__all__ = ["MIN_REPEATERS", "check_repeaters"]

#: Fewer repeat customers than this triggers a warning: the estimates are unreliable.
MIN_REPEATERS = 20
_Z95 = 1.959964


class BTYDModel(BaseEstimator):
    """Shared machinery: fit through lifetimes, parameters table, JSON persistence."""

    _kind: ClassVar[str]
    _label: ClassVar[str]
    _columns: ClassVar[tuple[str, ...]]

    def __init__(self, *, penalizer_coef: float = 0.0, compress: bool = True) -> None:
        self.penalizer_coef = penalizer_coef
        self.compress = compress

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

    # --- learned state ------------------------------------------------------------
    @property
    def params(self) -> dict[str, float]:
        """Fitted parameters as a plain dict (paper notation)."""
        check_is_fitted(self, "params_")
        return dict(self.params_)

    @property
    def summary(self) -> pd.DataFrame:
        """Parameter table: estimate, std_error and a 95% interval per parameter.

        The interval is computed on the log scale, :math:`\\exp(\\log\\theta \\pm
        1.96\\,se/\\theta)`, so it stays positive like the parameters.
        """
        check_is_fitted(self, "params_")
        est = pd.Series(self.params_, dtype=float)
        se = pd.Series(self.standard_errors_, dtype=float).reindex(est.index)
        spread = np.exp(_Z95 * se / est)
        table = pd.DataFrame(
            {"estimate": est, "std_error": se, "lower_95": est / spread, "upper_95": est * spread}
        )
        table.index.name = "parameter"
        return table

    def _fit_arrays(self, arrays: tuple[np.ndarray, ...], hint: str) -> None:
        check_positive("penalizer_coef", self.penalizer_coef, allow_zero=True)
        if self.compress:
            packed = _compress(*arrays)
            arrays, weights = packed.columns, packed.weights
        else:
            weights = np.ones(arrays[0].shape[0], dtype=np.int64)
        params, se = lt.fit(self._kind, arrays, weights, penalizer_coef=self.penalizer_coef,
                            label=self._label, hint=hint)
        extreme = {k: v for k, v in params.items() if not 1e-6 < v < 1e6}
        if extreme:
            shown = ", ".join(f"{k}={v:.3g}" for k, v in extreme.items())
            msg = (
                f"{self._label} fit reached extreme parameter values ({shown}): the data "
                f"cannot pin the model down and its predictions are unreliable. Try "
                f"penalizer_coef=0.001 (currently {self.penalizer_coef}). {hint}"
            )
            warnings.warn(msg, UserWarning, stacklevel=3)
        self.params_ = params
        if se is None:
            se = lt.standard_errors(self._kind, params, arrays, weights)
        self.standard_errors_ = se
        self.log_likelihood_ = lt.log_likelihood(self._kind, params, arrays, weights)
        self.n_unique_ = int(weights.shape[0])

    def _per_row(self, summary: pd.DataFrame, columns: tuple[str, ...], fn: Any) -> pd.Series:
        """Evaluate ``fn(*arrays)`` once per unique row of ``summary[columns]``."""
        check_is_fitted(self, "params_")
        v = check_summary(summary, columns, label=f"{type(self).__name__} prediction")
        arrays = tuple(v[c] for c in columns)
        if self.compress:
            packed = _compress(*arrays)
            values = packed.expand(fn(*packed.columns))
        else:
            values = fn(*arrays)
        return pd.Series(values, index=summary.index.copy(), dtype=float)

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


