"""Shared estimator of the covariate models (BG/NBD and Pareto/NBD with covariates).

Fit: validate, encode the covariates (:mod:`._covariates`), fit the plain model as the
null model and starting point, compress to unique (x, t_x, T, covariate pattern) tuples,
maximise the likelihood (:mod:`._covfit`), store coefficients, covariance and the
likelihood-ratio test. Predict: each customer's own parameters, evaluated once per
covariate pattern with the plain models' closed forms (:mod:`._predict`).
"""

from __future__ import annotations

import math
import os
import warnings
from collections.abc import Callable, Sequence
from typing import Any, ClassVar

import numpy as np
import pandas as pd
from scipy.stats import chi2, norm
from sklearn.base import BaseEstimator
from sklearn.utils.validation import check_is_fitted

from ..exceptions import ParameterError
from ..schema import FREQUENCY, RECENCY, T
from . import _covfit, _estimator, _predict, _units
from ._base import check_repeaters
from ._checks import check_positive, check_summary
from ._compress import compress
from ._covariates import Design, covariate_frame, names_list
from ._coveffects import level_effects

__all__ = ["CovariateModel"]

_COLUMNS = (FREQUENCY, RECENCY, T)


class CovariateModel(_estimator.FittedParameters, BaseEstimator):
    """Fit, results, predictions and JSON shared by the covariate models."""

    _kind: ClassVar[str]
    _label: ClassVar[str]
    _base: ClassVar[tuple[str, ...]]  # base parameters, paper order
    _processes: ClassVar[tuple[str, ...]]  # one name per coefficient block
    _plain: ClassVar[str]  # class name of the model without covariates

    def __init__(self, *, purchase_covariates: Sequence[str] | None = None,
                 dropout_covariates: Sequence[str] | None = None,
                 penalizer_coef: float = 0.0) -> None:
        self.purchase_covariates = purchase_covariates
        self.dropout_covariates = dropout_covariates
        self.penalizer_coef = penalizer_coef

    # --- fitting ---------------------------------------------------------------------
    def _names(self) -> tuple[list[str], list[str]]:
        p = names_list(self.purchase_covariates, "purchase_covariates")
        d = names_list(self.dropout_covariates, "dropout_covariates")
        if not p and not d:
            msg = (f"{type(self).__name__} needs at least one covariate: pass "
                   f"purchase_covariates=[...] and/or dropout_covariates=[...] (column names). "
                   f"Without covariates use {self._plain}.")
            raise ParameterError(msg)
        return p, d

    def fit(self, summary: pd.DataFrame, y: None = None, *,
            covariates: pd.DataFrame | None = None) -> Any:
        """Estimate the model and test it against the same model without covariates.

        Parameters
        ----------
        summary : pandas.DataFrame
            One row per customer (index customer_id) with ``frequency``, ``recency``,
            ``T`` and, unless ``covariates`` is given, the covariate columns.
        y : None
            Unused (scikit-learn compatibility).
        covariates : pandas.DataFrame, optional
            Customer attributes indexed by customer id (or with a ``customer_id``
            column), e.g. the customers table; every customer of ``summary`` needs a row.

        Returns
        -------
        self

        Raises
        ------
        ParameterError
            No covariates named, or an invalid setting.
        DataValidationError
            Invalid summary; unknown covariate column; missing values in a covariate; a
            covariate with one level only; customers without a covariates row.
        """
        from . import btyd

        label = f"{self._label} fit"
        check_positive("penalizer_coef", self.penalizer_coef, allow_zero=True)
        p_names, d_names = self._names()
        v = check_summary(summary, _COLUMNS, label=label)
        x, tx, age = (v[c] for c in _COLUMNS)
        n_rep = check_repeaters(summary.index, x, self._label)
        frame = covariate_frame(summary, covariates, list(dict.fromkeys(p_names + d_names)),
                                label)
        pdes, ddes = Design.learn(frame[p_names], label), Design.learn(frame[d_names], label)
        X, Z = pdes.matrix(frame, label), ddes.matrix(frame, label)
        for des in (pdes, ddes):
            for s in des.spec:
                if s["kind"] == "categorical":
                    s["counts"] = {str(k): int(c) for k, c in
                                   frame[s["column"]].astype(str).value_counts().items()}
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # its warnings are kept in diagnostics_
            null = getattr(btyd, self._plain)(penalizer_coef=self.penalizer_coef).fit(
                summary[list(_COLUMNS)])
        packed = compress(x, tx, age, *X.T, *Z.T)
        cols, k1, n_u = packed.columns, X.shape[1], packed.n_unique

        def block(first: int, k: int) -> np.ndarray:
            return np.column_stack(cols[first:first + k]) if k else np.zeros((n_u, 0))

        data = _covfit.CovData(cols[0], cols[1], cols[2], packed.weights.astype(float),
                               block(3, k1), block(3 + k1, Z.shape[1]))
        n_coef = sum(k1 if b == "X" else Z.shape[1] for b in _covfit.BLOCKS[self._kind])
        start = np.concatenate([np.log([null.params_[k] for k in self._base]),
                                np.zeros(n_coef)])
        res = _covfit.fit_cov(self._kind, data, start, penalizer_coef=self.penalizer_coef,
                              x_scale=pdes.scales, z_scale=ddes.scales)
        ll = _covfit.loglik(self._kind, res.phi, data)
        self._store(res, pdes, ddes, ll, null)
        self.n_customers_, self.n_repeaters_ = int(x.size), n_rep
        self.n_unique_ = packed.n_unique
        self.time_unit_ = _units.summary_unit(summary)
        self.diagnostics_ = {
            "converged": res.converged, "at_edge": [self._param_names()[i] for i in res.at_edge],
            "log_likelihood": ll, "penalizer_coef": float(self.penalizer_coef),
            "gradient_norm": res.gradient_norm, "n_unique": self.n_unique_,
            "n_customers": self.n_customers_, "n_repeaters": n_rep,
            "null_warnings": null.diagnostics_["warnings"],
        }
        if not res.converged or res.at_edge:
            msg = (f"{self._label}: the fit is not well determined (converged: {res.converged}; "
                   f"at the edge: {', '.join(self.diagnostics_['at_edge']) or 'none'}). A level "
                   f"with very few customers or no repeat buyers cannot be estimated: merge "
                   f"small levels or leave the covariate out.")
            warnings.warn(msg, UserWarning, stacklevel=2)
        return self

    def _store(self, res: Any, pdes: Design, ddes: Design, ll: float, null: Any) -> None:
        names = self._param_names(pdes, ddes)
        var = np.diag(res.covariance)
        se_phi = np.sqrt(np.where(var > 0, var, np.nan))
        base = np.exp(res.phi[:4])
        self.params_ = {k: float(v) for k, v in zip(self._base, base, strict=True)}
        self.standard_errors_ = {k: float(v) for k, v in
                                 zip(self._base, base * se_phi[:4], strict=True)}
        rows = []
        for i, (process, term) in enumerate(self._term_list(pdes, ddes), start=4):
            est, se = float(res.phi[i]), float(se_phi[i])
            z = est / se if se > 0 else math.nan
            rows.append({"process": process, **term, "estimate": est, "std_error": se,
                         "z": z, "p_value": float(2 * norm.sf(abs(z))) if z == z else math.nan})
        self.coefficients_ = pd.DataFrame(rows, columns=[
            "process", "term", "column", "level", "reference", "estimate", "std_error", "z",
            "p_value"])
        self.covariance_ = pd.DataFrame(res.covariance, index=names, columns=names)
        self.design_ = {"purchase": pdes.spec, "dropout": ddes.spec}
        self.log_likelihood_ = ll
        self.null_params_ = dict(null.params_)
        df = int(res.phi.size - 4)
        stat = max(2.0 * (ll - null.log_likelihood_), 0.0)
        self.lr_test_ = {"statistic": stat, "df": df, "p_value": float(chi2.sf(stat, df)),
                         "log_likelihood": ll, "log_likelihood_null": float(null.log_likelihood_)}

    def _term_list(self, pdes: Design, ddes: Design) -> list[tuple[str, dict[str, Any]]]:
        out = []
        for process, block in zip(self._processes, _covfit.BLOCKS[self._kind], strict=True):
            des = pdes if block == "X" else ddes
            refs = {s["column"]: s["reference"] for s in des.spec}
            out.extend((process, {**t, "reference": refs[t["column"]]}) for t in des.terms)
        return out

    def _param_names(self, pdes: Design | None = None, ddes: Design | None = None) -> list[str]:
        pdes, ddes = pdes or self._design("purchase"), ddes or self._design("dropout")
        return [f"log_{k}" for k in self._base] + [
            f"{p}:{t['term']}" for p, t in self._term_list(pdes, ddes)]

    def _design(self, which: str) -> Design:
        return Design(self.design_[which])

    # --- models from published or earlier parameters ---------------------------------
    @classmethod
    def from_params(cls, **params: Any) -> Any:
        """Build the model from known parameters; it predicts without ``fit``.

        Base parameters by name (``r, alpha, a, b`` or ``r, alpha, s, beta``) and one
        mapping per coefficient block (``purchase``, ``dropout_a``, ``dropout_b`` for
        BG/NBD; ``purchase``, ``dropout`` for Pareto/NBD), each ``{column: coefficient}``
        for a numeric column or ``{column: {"reference": level, level: coefficient,
        ...}}`` for a categorical one; a block or level left out has coefficient 0.
        Standard errors, covariance and the test are NaN (nothing was estimated); a
        numeric column's mean is taken as 0.

        Example: ``BGNBDCovariateModel.from_params(r=0.6, alpha=4.0, a=0.8, b=3.0,
        purchase={"channel": {"reference": "search", "social": 0.69}})``.

        Raises
        ------
        ParameterError
            Missing, unknown or non-positive base parameters; an unknown block; a
            categorical column without its reference level, or with two references.
        """
        from ._covfromparams import build

        return build(cls, params)

    # --- results -------------------------------------------------------------------
    def level_effects(self, level: float = 0.9) -> pd.DataFrame:
        """What each covariate level (or unit of a numeric covariate) changes, with
        ``level`` intervals: see the class docstring and :mod:`._coveffects`."""
        check_is_fitted(self, "params_")
        return level_effects(self, level)

    # --- predictions -----------------------------------------------------------------
    def _row_params(self, summary: pd.DataFrame, covariates: pd.DataFrame | None,
                    label: str) -> tuple[np.ndarray, ...]:
        pdes, ddes = self._design("purchase"), self._design("dropout")
        p_cols, d_cols = [s["column"] for s in pdes.spec], [s["column"] for s in ddes.spec]
        frame = covariate_frame(summary, covariates, list(dict.fromkeys(p_cols + d_cols)), label)
        X, Z = pdes.matrix(frame, label), ddes.matrix(frame, label)
        phi = np.concatenate([np.log([self.params_[k] for k in self._base]),
                              self.coefficients_["estimate"].to_numpy(dtype=float)])
        return _covfit.row_params(self._kind, phi, X, Z)

    def _per_customer(self, summary: pd.DataFrame, covariates: pd.DataFrame | None,
                      fn: Callable[..., np.ndarray]) -> pd.Series:
        """Evaluate ``fn(theta, x, tx, T)`` once per covariate pattern, on unique tuples."""
        check_is_fitted(self, "params_")
        label = f"{type(self).__name__} prediction"
        v = check_summary(summary, _COLUMNS, label=label)
        _units.check_same_unit(getattr(self, "time_unit_", None), _units.summary_unit(summary),
                               label)
        rows_theta = self._row_params(summary, covariates, label)
        packed = compress(v[FREQUENCY], v[RECENCY], v[T], *rows_theta)
        ux, utx, uT, *theta = packed.columns
        out = np.empty(packed.n_unique)
        pattern = compress(*theta).inverse
        order = np.argsort(pattern, kind="stable")
        for rows in np.split(order, np.flatnonzero(np.diff(pattern[order])) + 1):
            i = rows[0]
            out[rows] = fn(tuple(float(p[i]) for p in theta), ux[rows], utx[rows], uT[rows])
        return pd.Series(packed.expand(out), index=summary.index.copy(), dtype=float)

    def customer_params(self, summary: pd.DataFrame,
                        covariates: pd.DataFrame | None = None) -> pd.DataFrame:
        """Each customer's own parameters (paper notation) from their covariates."""
        check_is_fitted(self, "params_")
        values = self._row_params(summary, covariates, type(self).__name__)
        return pd.DataFrame(dict(zip(self._base, values, strict=True)),
                            index=summary.index.copy())

    def p_alive(self, summary: pd.DataFrame,
                covariates: pd.DataFrame | None = None) -> pd.Series:
        """P(alive at T) per customer, with their own parameters."""
        return self._per_customer(summary, covariates, lambda th, x, tx, age: _predict.p_alive(
            self._kind, th, x, tx, age))

    def predict_purchases(self, summary: pd.DataFrame, t: float,
                          covariates: pd.DataFrame | None = None) -> pd.Series:
        """Expected purchases in the next ``t`` periods, :math:`E[Y(t) \\mid x, t_x, T]`,
        per customer with their own parameters (``t`` in the summary's time unit)."""
        t = check_positive("t", t, allow_zero=True)
        return self._per_customer(summary, covariates, lambda th, x, tx, age: (
            _predict.conditional_purchases(self._kind, th, t, x, tx, age)))

    # --- persistence -----------------------------------------------------------------
    def to_dict(self) -> dict[str, Any]:
        """Settings and learned attributes as JSON-ready data (see ``_estimator``)."""
        check_is_fitted(self, "params_")
        return _estimator.to_dict(self)

    def save(self, path: str | os.PathLike[str]) -> None:
        """Write the fitted model as JSON; read it back with ``clvkit.models.load_model``."""
        check_is_fitted(self, "params_")
        _estimator.save(self, path)
