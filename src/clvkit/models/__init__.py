"""Predictive models: buy-till-you-die CLV, contractual retention, churn prediction.

The models return parameters, predictions and tables of codes and numbers; their
sentences and labels are worded in :mod:`clvkit.report`.

Names are resolved lazily (PEP 562) so that importing :mod:`clvkit.models` does not
import lifetimes or scikit-learn until a model is used.
"""

from __future__ import annotations

import importlib
from typing import Any

# public name -> submodule. Each submodule's owner lists its names here.
_EXPORTS: dict[str, str] = {
    # btyd.py: BG/NBD, Pareto/NBD, MBG/NBD, Gamma-Gamma (through lifetimes), CLV
    "fit_bgnbd": "btyd",
    # covariates.py: BG/NBD and Pareto/NBD with time-invariant covariates (channel, ...)
    "BGNBDCovariateModel": "covariates",
    "ParetoNBDCovariateModel": "covariates",
    "fit_paretonbd": "btyd",
    "fit_mbgnbd": "btyd",
    "fit_gamma_gamma": "spend",
    "customer_value": "clv",
    "monthly_discount_rate": "clv",
    # intervals.py: confidence intervals of the CLV predictions (parameter uncertainty)
    "clv_intervals": "intervals",
    "CLVIntervals": "intervals",
    "BGNBDModel": "btyd",
    "ParetoNBDModel": "btyd",
    "MBGNBDModel": "btyd",
    "GammaGammaModel": "spend",
    "gamma_gamma_independence": "spend",
    # persistence.py: load_model reads every JSON-saved model (BTYD, BG/BB, sBG)
    "load_model": "persistence",
    "simulate_transactions": "simulate",
    "simulate_bgnbd_summary": "simulate",
    # bgbb.py: BG/BB for discrete-time data (donations, yearly events)
    "fit_bgbb": "bgbb",
    "BGBBModel": "bgbb",
    "bgbb_summary": "bgbb",
    "simulate_realistic_log": "simulate",
    # validation.py: holdout checks of the BTYD models
    "calibration_summary": "validation",
    "holdout_predictions": "validation",
    "holdout_metrics": "validation",
    "conditional_expectation_table": "validation",
    "tracking_curve": "validation",
    "compare_models": "validation",
    "validation_split": "validation",
    # contractual.py: shifted-beta-geometric retention model
    "fit_sbg": "contractual",
    "SBGModel": "contractual",
    "cohort_active_counts": "contractual",
    "subscriber_count": "contractual",
    # churn_features.py / churn.py: scikit-learn churn prediction
    "make_churn_features": "churn_features",
    "churn_feature_table": "churn_features",
    "churn_labels": "churn_features",
    "make_churn_pipeline": "churn",
    "ChurnClassifier": "churn",
    "evaluate_churn_model": "churn",
    "ChurnEvaluation": "churn",
    "churn_metrics": "churn_scores",
    "churn_calibration_table": "churn_scores",
    "predict_churn": "churn",
    "at_risk_customers": "at_risk",
}

__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> Any:
    if name in _EXPORTS:
        value = getattr(importlib.import_module(f"{__name__}.{_EXPORTS[name]}"), name)
        globals()[name] = value
        return value
    msg = f"module 'clvkit.models' has no attribute {name!r}"
    raise AttributeError(msg)


def __dir__() -> list[str]:
    return __all__
