r"""BG/NBD with time-invariant covariates (acquisition channel, region, ...).

Which customers buy more often, and which drop out sooner? Following Fader & Hardie
(2007), covariates enter the BG/NBD model through its heterogeneity parameters:

.. math::
    \alpha_i = \alpha_0 e^{-\gamma_1' x_i}, \qquad
    a_i = a_0 e^{\gamma_2' z_i}, \qquad b_i = b_0 e^{\gamma_3' z_i}

(:math:`x_i` the purchase covariates, :math:`z_i` the dropout covariates of customer
:math:`i`). A coefficient :math:`\gamma_1` multiplies the mean purchase rate
:math:`r/\alpha_i` by :math:`e^{\gamma_1}` per unit of the covariate (for a level: in
that level instead of the reference level); the odds of dropping out after a purchase,
:math:`a_i/b_i`, are multiplied by :math:`e^{\gamma_2-\gamma_3}`. Without covariates
the model is the plain BG/NBD (:class:`clvkit.models.BGNBDModel`), fitted as the null
model of a likelihood-ratio test. Categorical and numeric columns are encoded as
described in :mod:`clvkit.models._covariates` (reference level: the most frequent).

References
----------
.. [1] Fader, P. S. and Hardie, B. G. S. (2007), "Incorporating time-invariant
   covariates into the Pareto/NBD and BG/NBD models", http://brucehardie.com/notes/019/.
.. [2] Fader, P. S., Hardie, B. G. S. and Lee, K. L. (2005), "Counting your customers
   the easy way", Marketing Science 24(2), 275-284 (eq. 6, 10; note 021 for P(alive)).
"""

from __future__ import annotations

import math
import os
import warnings
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
import pandas as pd
from scipy.special import expit
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

__all__ = ["BGNBDCovariateModel"]

_COLUMNS = (FREQUENCY, RECENCY, T)
_BASE = ("r", "alpha", "a", "b")
_PROCESS = {"gamma1": "purchase", "gamma2": "dropout_a", "gamma3": "dropout_b"}


class BGNBDCovariateModel(BaseEstimator):
    r"""BG/NBD with covariates on the purchase rate and on dropout ([1]_, module docstring).

    Parameters
    ----------
    purchase_covariates : list of str, optional
        Columns that shift the purchase rate (:math:`\alpha_i = \alpha_0
        e^{-\gamma_1' x_i}`).
    dropout_covariates : list of str, optional
        Columns that shift dropout (:math:`a_i = a_0 e^{\gamma_2' z_i}`,
        :math:`b_i = b_0 e^{\gamma_3' z_i}`).
    penalizer_coef : float, default 0.0
        L2 penalty on :math:`r, \alpha_0, a_0, b_0` (as :class:`BGNBDModel`, same value
        for the null model); coefficients are not penalised. Keep 0 for a valid
        likelihood-ratio test.

    Attributes
    ----------
    params_ : dict
        ``r``, ``alpha`` (in the summary's time unit), ``a``, ``b`` of a customer at the
        reference level of every categorical covariate and 0 of every numeric one.
    standard_errors_ : dict
        Their standard errors (delta method).
    coefficients_ : pandas.DataFrame
        One row per coefficient: ``process`` (``purchase``, ``dropout_a``,
        ``dropout_b``), ``term`` (``"channel=social"`` or a numeric column), ``column``,
        ``level``, ``reference``, ``estimate``, ``std_error``, ``z``, ``p_value`` (Wald).
    covariance_ : pandas.DataFrame
        Asymptotic covariance of :math:`(\ln r, \ln\alpha_0, \ln a_0, \ln b_0,
        \gamma)` (inverse Hessian of the log-likelihood).
    lr_test_ : dict
        ``statistic`` :math:`2(\ell_1-\ell_0)`, ``df`` (number of coefficients),
        ``p_value`` (chi-square), ``log_likelihood`` and ``log_likelihood_null``.
    null_params_ : dict
        The plain BG/NBD fit on the same customers.
    log_likelihood_, n_customers_, n_repeaters_, n_unique_, time_unit_, diagnostics_
        As for :class:`BGNBDModel`; ``n_unique_`` counts (frequency, recency, T,
        covariate pattern) tuples.
    design_ : dict
        The encoding (``purchase`` and ``dropout``: per column its kind, reference
        level, other levels, customer counts per level).

    Examples
    --------
    >>> import clvkit as ck  # doctest: +SKIP
    >>> m = ck.models.fit_bgnbd(summary, purchase_covariates=["channel"],
    ...                         dropout_covariates=["channel"])  # doctest: +SKIP
    >>> m.coefficients_, m.lr_test_["p_value"]  # doctest: +SKIP
    """

    _kind = "bgnbd"
    _label = "BG/NBD with covariates"

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
                   f"Without covariates use BGNBDModel / fit_bgnbd(summary).")
            raise ParameterError(msg)
        return p, d

    def fit(self, summary: pd.DataFrame, y: None = None, *,
            covariates: pd.DataFrame | None = None) -> BGNBDCovariateModel:
        """Estimate the model and test it against the plain BG/NBD.

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

        Raises
        ------
        ParameterError
            No covariates named, or an invalid setting.
        DataValidationError
            Invalid summary; unknown covariate column; missing values in a covariate; a
            covariate with one level only; customers without a covariates row.
        """
        from .btyd import BGNBDModel

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
            warnings.simplefilter("ignore")  # its warnings are repeated in diagnostics_
            null = BGNBDModel(penalizer_coef=self.penalizer_coef).fit(summary[list(_COLUMNS)])
        packed = compress(x, tx, age, *X.T, *Z.T)
        cols = packed.columns
        data = _covfit.CovData(cols[0], cols[1], cols[2], packed.weights.astype(float),
                               np.column_stack(cols[3:3 + X.shape[1]]) if X.shape[1]
                               else np.zeros((packed.n_unique, 0)),
                               np.column_stack(cols[3 + X.shape[1]:]) if Z.shape[1]
                               else np.zeros((packed.n_unique, 0)))
        start = np.concatenate([np.log([null.params_[k] for k in _BASE]),
                                np.zeros(X.shape[1] + 2 * Z.shape[1])])
        res = _covfit.fit_bgnbd_cov(data, start, penalizer_coef=self.penalizer_coef,
                                    x_scale=pdes.scales, z_scale=ddes.scales)
        ll = float(_covfit.bgnbd_cov(res.phi, data)[0])
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
        cov = pd.DataFrame(res.covariance, index=names, columns=names)
        se_phi = np.sqrt(np.where(np.diag(res.covariance) > 0, np.diag(res.covariance), np.nan))
        base = np.exp(res.phi[:4])
        self.params_ = {k: float(v) for k, v in zip(_BASE, base, strict=True)}
        self.standard_errors_ = {k: float(v) for k, v in zip(_BASE, base * se_phi[:4],
                                                             strict=True)}
        rows = []
        for i, (process, term) in enumerate(self._term_list(pdes, ddes), start=4):
            est, se = float(res.phi[i]), float(se_phi[i])
            z = est / se if se > 0 else math.nan
            rows.append({"process": process, **term, "estimate": est, "std_error": se,
                         "z": z, "p_value": float(2 * norm.sf(abs(z))) if z == z else math.nan})
        self.coefficients_ = pd.DataFrame(rows, columns=[
            "process", "term", "column", "level", "reference", "estimate", "std_error", "z",
            "p_value"])
        self.covariance_ = cov
        self.design_ = {"purchase": pdes.spec, "dropout": ddes.spec}
        self.log_likelihood_ = ll
        self.null_params_ = dict(null.params_)
        df = int(res.phi.size - 4)
        stat = max(2.0 * (ll - null.log_likelihood_), 0.0)
        self.lr_test_ = {"statistic": stat, "df": df, "p_value": float(chi2.sf(stat, df)),
                         "log_likelihood": ll, "log_likelihood_null": float(null.log_likelihood_)}

    @staticmethod
    def _term_list(pdes: Design, ddes: Design) -> list[tuple[str, dict[str, Any]]]:
        def terms(des: Design) -> list[dict[str, Any]]:
            refs = {s["column"]: s["reference"] for s in des.spec}
            return [{**t, "reference": refs[t["column"]]} for t in des.terms]

        return ([("purchase", t) for t in terms(pdes)] + [("dropout_a", t) for t in terms(ddes)]
                + [("dropout_b", t) for t in terms(ddes)])

    def _param_names(self, pdes: Design | None = None, ddes: Design | None = None) -> list[str]:
        pdes, ddes = pdes or self._design("purchase"), ddes or self._design("dropout")
        return ["log_r", "log_alpha", "log_a", "log_b"] + [
            f"{p}:{t['term']}" for p, t in self._term_list(pdes, ddes)]

    def _design(self, which: str) -> Design:
        return Design(self.design_[which])

    # --- results -------------------------------------------------------------------
    @property
    def params(self) -> dict[str, float]:
        """Base parameters (reference customer) as a plain dict, as ``BGNBDModel.params``."""
        check_is_fitted(self, "params_")
        return dict(self.params_)

    @property
    def summary(self) -> pd.DataFrame:
        """Base parameters with standard errors and 95% intervals (log scale)."""
        check_is_fitted(self, "params_")
        return _estimator.parameter_table(self.params_, self.standard_errors_)

    def level_effects(self, level: float = 0.9) -> pd.DataFrame:
        r"""What each covariate level (or unit of a numeric covariate) changes, with intervals.

        One row per categorical level (the reference included) and per numeric column:
        ``column``, ``level``, ``reference`` (bool), ``n_customers``; for purchase
        covariates ``rate_ratio`` :math:`e^{\gamma_1}` (mean purchase rate relative to
        the reference, or per unit) with ``rate_low``/``rate_high``; for dropout
        covariates ``dropout_probability`` (mean dropout chance per purchase,
        :math:`a_i/(a_i+b_i)`, for a customer in that level, other categorical covariates
        at their reference level and numeric ones at their mean; NaN on a numeric
        covariate's row) with ``dropout_low``/``dropout_high``, and
        ``dropout_odds_ratio`` :math:`e^{\gamma_2-\gamma_3}` with its interval. The
        intervals are Wald intervals on the log / logit scale at ``level``.
        """
        check_is_fitted(self, "params_")
        check_positive("level", level)
        if not level < 1:
            msg = f"level must be between 0 and 1 (e.g. 0.9); got {level!r}."
            raise ParameterError(msg)
        zq = float(norm.ppf(0.5 + level / 2))
        cov = self.covariance_
        coef = self.coefficients_.assign(key=lambda f: f["process"] + ":" + f["term"])
        est = dict(zip(coef["key"], coef["estimate"], strict=True))
        rows = []
        columns = {s["column"]: s for which in ("purchase", "dropout")
                   for s in self.design_[which]}
        for column, spec in columns.items():
            levels = [None] if spec["kind"] == "numeric" else [spec["reference"], *spec["levels"]]
            for lv in levels:
                term = column if lv is None else f"{column}={lv}"
                ref = lv is not None and lv == spec["reference"]
                row: dict[str, Any] = {"column": column, "level": lv, "reference": ref,
                                       "n_customers": spec.get("counts", {}).get(lv, math.nan)
                                       if lv is not None else math.nan}
                row.update(self._rate(f"purchase:{term}", ref, est, cov, zq))
                row.update(self._dropout(term, ref, est, cov, zq, column))
                rows.append(row)
        out = pd.DataFrame(rows)
        # None for numeric columns, also on pandas 3 (which would infer str with NaN)
        out["level"] = pd.Series([r["level"] for r in rows], index=out.index, dtype=object)
        return out

    def _rate(self, key: str, ref: bool, est: dict, cov: pd.DataFrame, zq: float) -> dict:
        if key not in est and not ref:
            return {}
        g, se = (0.0, 0.0) if ref else (est[key], math.sqrt(max(cov.loc[key, key], 0.0)))
        return {"rate_ratio": math.exp(g), "rate_low": math.exp(g - zq * se),
                "rate_high": math.exp(g + zq * se)}

    def _dropout(self, term: str, ref: bool, est: dict, cov: pd.DataFrame, zq: float,
                 column: str) -> dict:
        if column not in [s["column"] for s in self.design_["dropout"]]:
            return {}
        diff = [] if ref else [(f"dropout_a:{term}", 1.0), (f"dropout_b:{term}", -1.0)]

        def linear(keys: list[tuple[str, float]], offset: float) -> tuple[float, float]:
            """Estimate and standard error of ``offset + sum(c * phi[k])``."""
            if not keys:
                return offset, 0.0
            idx, vec = [k for k, _ in keys], np.array([c for _, c in keys])
            var = float(vec @ cov.loc[idx, idx].to_numpy() @ vec)
            coefs = sum(c * est[k] for k, c in keys if k in est)
            return offset + coefs, math.sqrt(max(var, 0.0))

        # logit E[p] = (ln a0 + g2'z) - (ln b0 + g3'z), odds ratio = exp(g2 - g3): both
        # linear in the estimates; z: this level, numeric covariates at their mean
        at_mean = [(f"dropout_{ab}:{s['column']}", sign * s["mean"])
                   for s in self.design_["dropout"] if s["kind"] == "numeric"
                   for ab, sign in (("a", 1.0), ("b", -1.0))]
        lg, lg_se = linear([("log_a", 1.0), ("log_b", -1.0), *at_mean, *diff],
                           math.log(self.params_["a"] / self.params_["b"]))
        od, od_se = linear(diff, 0.0)
        numeric = term == column and not any(
            s["column"] == column and s["kind"] == "categorical" for s in self.design_["dropout"])
        prob = (math.nan, math.nan, math.nan) if numeric else (
            float(expit(lg)), float(expit(lg - zq * lg_se)), float(expit(lg + zq * lg_se)))
        return {"dropout_probability": prob[0], "dropout_low": prob[1], "dropout_high": prob[2],
                "dropout_odds_ratio": math.exp(od), "dropout_odds_low": math.exp(od - zq * od_se),
                "dropout_odds_high": math.exp(od + zq * od_se)}

    # --- predictions -----------------------------------------------------------------
    def _per_customer(self, summary: pd.DataFrame, covariates: pd.DataFrame | None,
                      fn: Callable[..., np.ndarray]) -> pd.Series:
        """Evaluate ``fn(theta, x, tx, T)`` per covariate pattern, on unique tuples."""
        check_is_fitted(self, "params_")
        label = f"{type(self).__name__} prediction"
        v = check_summary(summary, _COLUMNS, label=label)
        _units.check_same_unit(getattr(self, "time_unit_", None), _units.summary_unit(summary),
                               label)
        r, al, a, b = self._row_params(summary, covariates, label)
        packed = compress(v[FREQUENCY], v[RECENCY], v[T], al, a, b)
        ux, utx, uT, ual, ua, ub = packed.columns
        out = np.empty(packed.n_unique)
        pattern = compress(ual, ua, ub)
        order = np.argsort(pattern.inverse, kind="stable")
        bounds = np.flatnonzero(np.diff(pattern.inverse[order])) + 1
        for rows in np.split(order, bounds):
            i = rows[0]
            out[rows] = fn((float(r), float(ual[i]), float(ua[i]), float(ub[i])),
                           ux[rows], utx[rows], uT[rows])
        return pd.Series(packed.expand(out), index=summary.index.copy(), dtype=float)

    def _row_params(self, summary: pd.DataFrame, covariates: pd.DataFrame | None,
                    label: str) -> tuple[float, np.ndarray, np.ndarray, np.ndarray]:
        pdes, ddes = self._design("purchase"), self._design("dropout")
        p_cols, d_cols = [s["column"] for s in pdes.spec], [s["column"] for s in ddes.spec]
        frame = covariate_frame(summary, covariates, list(dict.fromkeys(p_cols + d_cols)), label)
        X, Z = pdes.matrix(frame, label), ddes.matrix(frame, label)
        phi = np.concatenate([np.log([self.params_[k] for k in _BASE]),
                              self.coefficients_["estimate"].to_numpy(dtype=float)])
        r, al, a, b = _covfit.row_params(phi, X, Z)
        return float(r[0]) if r.size else self.params_["r"], al, a, b

    def customer_params(self, summary: pd.DataFrame,
                        covariates: pd.DataFrame | None = None) -> pd.DataFrame:
        """Each customer's own ``r``, ``alpha``, ``a``, ``b`` (from their covariates)."""
        check_is_fitted(self, "params_")
        r, al, a, b = self._row_params(summary, covariates, f"{type(self).__name__}")
        return pd.DataFrame({"r": r, "alpha": al, "a": a, "b": b}, index=summary.index.copy())

    def p_alive(self, summary: pd.DataFrame,
                covariates: pd.DataFrame | None = None) -> pd.Series:
        """P(alive at T) per customer with their own parameters (Hardie note 021)."""
        return self._per_customer(summary, covariates, lambda th, x, tx, age: _predict.p_alive(
            "bgnbd", th, x, tx, age))

    def predict_purchases(self, summary: pd.DataFrame, t: float,
                          covariates: pd.DataFrame | None = None) -> pd.Series:
        """Expected purchases in the next ``t`` periods, :math:`E[Y(t)\\mid x, t_x, T]`
        (eq. 10 of [2]_) with each customer's own parameters."""
        t = check_positive("t", t, allow_zero=True)
        return self._per_customer(summary, covariates, lambda th, x, tx, age: (
            _predict.conditional_purchases("bgnbd", th, t, x, tx, age)))

    # --- persistence -----------------------------------------------------------------
    def to_dict(self) -> dict[str, Any]:
        """Settings and learned attributes as JSON-ready data (see ``_estimator``)."""
        check_is_fitted(self, "params_")
        return _estimator.to_dict(self)

    def save(self, path: str | os.PathLike[str]) -> None:
        """Write the fitted model as JSON; read it back with ``clvkit.models.load_model``."""
        check_is_fitted(self, "params_")
        _estimator.save(self, path)
