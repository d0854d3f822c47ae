"""One estimator family: every clvkit model keeps scikit-learn's contract.

The probabilistic models take a per-customer summary (named columns) or cohort counts,
not a numeric ``X``, so scikit-learn's data-driven checks do not apply to them; the checks
about construction, parameters, cloning and repr do, and run here. The churn classifier
takes a feature matrix and passes the full ``parametrize_with_checks`` suite.
"""

from __future__ import annotations

import json
from importlib import resources

import numpy as np
import pandas as pd
import pytest
from sklearn.base import clone
from sklearn.exceptions import NotFittedError
from sklearn.utils import estimator_checks as checks
from sklearn.utils.estimator_checks import parametrize_with_checks
from sklearn.utils.validation import check_is_fitted

from clvkit.models import (
    BGBBModel,
    BGNBDCovariateModel,
    BGNBDModel,
    ChurnClassifier,
    GammaGammaModel,
    MBGNBDModel,
    ParetoNBDCovariateModel,
    ParetoNBDModel,
    SBGModel,
    load_model,
)

REGULAR = [1000, 631, 468, 380, 326, 289, 262, 241]


def _cdnow() -> pd.DataFrame:
    folder = resources.files("lifetimes") / "datasets"
    with resources.as_file(folder / "cdnow_customers_summary_with_transactions.csv") as p:
        raw = pd.read_csv(p, index_col=0)
    return raw.rename(columns={"x": "frequency", "t_x": "recency", "zbar": "monetary_value"})


def _cdnow_channels() -> pd.DataFrame:
    """CDNOW with a made-up two-level channel (every third customer "web")."""
    d = _cdnow()
    return d.assign(channel=np.where(np.arange(len(d)) % 3 == 0, "web", "store"))


def _donations() -> pd.DataFrame:
    from clvkit.datasets._cdnow import read_lifetimes_csv

    d = read_lifetimes_csv("donations.csv").rename(columns={"periods": "n_periods"})
    return d.loc[d.index.repeat(d["weights"])].drop(columns="weights").reset_index(drop=True)


# (estimator with non-default settings, data, a prediction as a function of model and data)
CASES = {
    "BGNBDModel": (BGNBDModel(penalizer_coef=0.0, compress=False), _cdnow,
                   lambda m, d: m.p_alive(d)),
    "BGNBDCovariateModel": (BGNBDCovariateModel(purchase_covariates=["channel"],
                                                 dropout_covariates=["channel"]),
                            _cdnow_channels, lambda m, d: m.predict_purchases(d, 10)),
    "ParetoNBDCovariateModel": (ParetoNBDCovariateModel(dropout_covariates=["channel"]),
                                _cdnow_channels, lambda m, d: m.p_alive(d)),
    "MBGNBDModel": (MBGNBDModel(), _cdnow, lambda m, d: m.predict_purchases(d, 10)),
    "ParetoNBDModel": (ParetoNBDModel(), _cdnow, lambda m, d: m.probability_no_purchase(d, 4)),
    "GammaGammaModel": (GammaGammaModel(), _cdnow, lambda m, d: m.expected_spend(d)),
    "BGBBModel": (BGBBModel(max_iter=500), _donations, lambda m, d: m.dert(d, 0.1)),
    "SBGModel": (SBGModel(max_iter=500), lambda: np.array(REGULAR),
                 lambda m, d: pd.Series(m.survival(np.arange(10)))),
}
PARAMETER_CHECKS = [
    checks.check_parameters_default_constructible,
    checks.check_no_attributes_set_in_init,
    checks.check_get_params_invariance,
    checks.check_set_params,
    checks.check_estimator_repr,
    checks.check_estimator_cloneable,
    checks.check_do_not_raise_errors_in_init_or_set_params,
]


@pytest.fixture(scope="module")
def fitted() -> dict:
    out = {}
    for name, (est, data, _) in CASES.items():
        frame = data()
        out[name] = (clone(est).fit(frame), frame)
    return out


@pytest.mark.parametrize("name", list(CASES))
@pytest.mark.parametrize("check", PARAMETER_CHECKS, ids=lambda c: c.__name__)
def test_sklearn_parameter_checks(name, check) -> None:
    check(name, clone(CASES[name][0]))


@pytest.mark.parametrize("name", list(CASES))
def test_clone_and_get_params_round_trip(name, fitted) -> None:
    est = CASES[name][0]
    params = est.get_params()
    twin = type(est)(**params)
    assert twin.get_params() == params
    assert clone(est).get_params() == params
    assert repr(twin) == repr(est)
    model, _ = fitted[name]
    fresh = clone(model)  # a clone of a fitted model is unfitted, same settings
    assert fresh.get_params() == model.get_params()
    with pytest.raises(NotFittedError):
        check_is_fitted(fresh)
    assert not [k for k in vars(fresh) if k.endswith("_")]
    first = sorted(vars(est))
    assert first == sorted(params)  # __init__ stores settings and nothing else


@pytest.mark.parametrize("name", list(CASES))
def test_fit_returns_self_sets_underscore_attributes_and_refits(name, fitted) -> None:
    est, data, predict = CASES[name]
    model = clone(est)
    with pytest.raises(NotFittedError):
        predict(model, data())
    frame = data()
    before = frame.copy()
    assert model.fit(frame) is model
    if isinstance(before, pd.DataFrame):
        pd.testing.assert_frame_equal(frame, before)  # input untouched
    learned = [k for k in vars(model) if k.endswith("_")]
    assert "params_" in learned and "standard_errors_" in learned
    check_is_fitted(model)
    first = dict(model.params_)
    model.fit(frame)  # refitting replaces, and on the same data gives the same answer
    assert model.params_ == pytest.approx(first)


@pytest.mark.parametrize("name", list(CASES))
def test_json_round_trip_predicts_the_same(name, fitted, tmp_path) -> None:
    model, frame = fitted[name]
    predict = CASES[name][2]
    path = tmp_path / f"{name}.json"
    model.save(path)
    text = path.read_text(encoding="utf-8")
    data = json.loads(text)  # plain JSON, no pickle
    assert data["model"] == name and data["settings"] == model.get_params()
    loaded = load_model(path)
    assert type(loaded) is type(model) and loaded.get_params() == model.get_params()
    assert loaded.params == model.params
    pd.testing.assert_series_equal(predict(loaded, frame), predict(model, frame))
    if name == "SBGModel":
        pd.testing.assert_frame_equal(loaded.observed_, model.observed_)
        pd.testing.assert_frame_equal(loaded.project(10), model.project(10))


# --- the churn classifier: scikit-learn's full estimator checks -------------------------
@pytest.mark.slow
@parametrize_with_checks([ChurnClassifier(random_state=0)])
def test_churn_classifier_passes_sklearn_checks(estimator, check) -> None:
    check(estimator)
