r"""What each covariate level changes, with Wald intervals (numbers only).

Used by :meth:`BGNBDCovariateModel.level_effects` and
:meth:`ParetoNBDCovariateModel.level_effects`; words and formats are in
:mod:`clvkit.report._covariates`. Every quantity is a linear combination of the
log-parameters and coefficients (:math:`\phi`), so its standard error is exact given the
covariance: :math:`\sqrt{c'\Sigma c}`; intervals are taken on that scale and mapped back.

* purchase rate ratio (both models): :math:`e^{\gamma_1}` (level vs reference, or per unit);
* BG/NBD dropout: the mean chance of dropping out after a purchase,
  :math:`E[p] = a_i/(a_i+b_i)`, through its logit :math:`\ln a_i - \ln b_i`, and the
  odds ratio :math:`e^{\gamma_2-\gamma_3}`;
* Pareto/NBD dropout: the dropout-rate ratio :math:`e^{\gamma_2}` (mean rate
  :math:`s/\beta_i`).
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pandas as pd
from scipy.special import expit
from scipy.stats import norm

from ..exceptions import ParameterError
from ._checks import check_positive

__all__ = ["level_effects"]


def _linear(cov: pd.DataFrame, est: dict[str, float], keys: list[tuple[str, float]],
            offset: float) -> tuple[float, float]:
    """Estimate and standard error of ``offset + sum(c * phi[k])`` (base log-parameters
    are in ``offset`` already; only their variances are read from ``cov``)."""
    if not keys:
        return offset, 0.0
    idx, vec = [k for k, _ in keys], np.array([c for _, c in keys])
    var = float(vec @ cov.loc[idx, idx].to_numpy() @ vec)
    return offset + sum(c * est[k] for k, c in keys if k in est), math.sqrt(max(var, 0.0))


def _interval(names: tuple[str, str, str], value: float, se: float, zq: float,
              f: Any) -> dict[str, float]:
    """``{estimate, low, high}`` under ``names``, mapped through ``f``."""
    return dict(zip(names, (f(value), f(value - zq * se), f(value + zq * se)), strict=True))


def _bg_dropout(model: Any, term: str, ref: bool, numeric: bool, est: dict, zq: float) -> dict:
    cov, design = model.covariance_, model.design_["dropout"]
    diff = [] if ref else [(f"dropout_a:{term}", 1.0), (f"dropout_b:{term}", -1.0)]
    # this level; other categorical covariates at their reference, numeric at their mean
    at_mean = [(f"dropout_{ab}:{s['column']}", sign * s["mean"]) for s in design
               if s["kind"] == "numeric" for ab, sign in (("a", 1.0), ("b", -1.0))]
    lg, lg_se = _linear(cov, est, [("log_a", 1.0), ("log_b", -1.0), *at_mean, *diff],
                        math.log(model.params_["a"] / model.params_["b"]))
    names = ("dropout_probability", "dropout_low", "dropout_high")
    prob = (dict.fromkeys(names, math.nan) if numeric else
            _interval(names, lg, lg_se, zq, lambda u: float(expit(u))))
    odds = _interval(("dropout_odds_ratio", "dropout_odds_low", "dropout_odds_high"),
                     *_linear(cov, est, diff, 0.0), zq, math.exp)
    return {**prob, **odds}


def _pareto_dropout(model: Any, term: str, ref: bool, est: dict, zq: float) -> dict:
    keys = [] if ref else [(f"dropout:{term}", 1.0)]
    return _interval(("dropout_rate_ratio", "dropout_rate_low", "dropout_rate_high"),
                     *_linear(model.covariance_, est, keys, 0.0), zq, math.exp)


def level_effects(model: Any, level: float) -> pd.DataFrame:
    """The table documented on ``level_effects`` of the covariate models."""
    check_positive("level", level)
    if not level < 1:
        msg = f"level must be between 0 and 1 (e.g. 0.9); got {level!r}."
        raise ParameterError(msg)
    zq = float(norm.ppf(0.5 + level / 2))
    coef = model.coefficients_
    est = dict(zip(coef["process"] + ":" + coef["term"], coef["estimate"], strict=True))
    purchase = {s["column"] for s in model.design_["purchase"]}
    dropout = {s["column"] for s in model.design_["dropout"]}
    columns = {s["column"]: s for which in ("purchase", "dropout") for s in model.design_[which]}
    rows = []
    for column, spec in columns.items():
        numeric = spec["kind"] == "numeric"
        for lv in [None] if numeric else [spec["reference"], *spec["levels"]]:
            term = column if numeric else f"{column}={lv}"
            ref = not numeric and lv == spec["reference"]
            row: dict[str, Any] = {"column": column, "level": lv, "reference": ref,
                                   "n_customers": math.nan if numeric else
                                   spec.get("counts", {}).get(lv, math.nan)}
            if column in purchase:
                key = f"purchase:{term}"
                g, se = (0.0, 0.0) if ref else (est[key], math.sqrt(max(
                    model.covariance_.loc[key, key], 0.0)))
                row.update({"rate_ratio": math.exp(g), "rate_low": math.exp(g - zq * se),
                            "rate_high": math.exp(g + zq * se)})
            if column in dropout:
                row.update(_bg_dropout(model, term, ref, numeric, est, zq)
                           if model._kind == "bgnbd" else
                           _pareto_dropout(model, term, ref, est, zq))
            rows.append(row)
    out = pd.DataFrame(rows)
    # None for numeric columns, also on pandas 3 (which would infer str with NaN)
    out["level"] = pd.Series([r["level"] for r in rows], index=out.index, dtype=object)
    return out
