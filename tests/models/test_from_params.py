"""Every model can be built from known parameters and predicts without fitting."""

from __future__ import annotations

import math
from importlib import resources

import numpy as np
import pandas as pd
import pytest
from sklearn.utils.validation import check_is_fitted

from clvkit.exceptions import ParameterError
from clvkit.models import (
    BGBBModel,
    BGNBDModel,
    GammaGammaModel,
    MBGNBDModel,
    ParetoNBDModel,
    SBGModel,
    fit_bgnbd,
    fit_gamma_gamma,
    fit_mbgnbd,
    fit_sbg,
    load_model,
)

PUBLISHED = [
    # Fader, Hardie & Lee (2005), CDNOW weeks
    (BGNBDModel, {"r": 0.243, "alpha": 4.414, "a": 0.793, "b": 2.426}),
    (MBGNBDModel, {"r": 0.525, "alpha": 6.183, "a": 0.891, "b": 1.614}),
    # Fader, Hardie & Lee (2005) Pareto/NBD note, CDNOW weeks
    (ParetoNBDModel, {"r": 0.5534, "alpha": 10.5802, "s": 0.6061, "beta": 11.6562}),
    # Fader & Hardie (2013), note 025: p, q, gamma (clvkit's v)
    (GammaGammaModel, {"p": 6.25, "q": 3.74, "v": 15.44}),
    # Fader, Hardie & Shang (2010), donations
    (BGBBModel, {"alpha": 1.204, "beta": 0.750, "gamma": 0.657, "delta": 2.783}),
    # Fader & Hardie (2007), "regular" segment
    (SBGModel, {"alpha": 0.704, "beta": 1.182}),
]
IDS = [cls.__name__ for cls, _ in PUBLISHED]


@pytest.fixture(scope="module")
def cdnow() -> pd.DataFrame:
    folder = resources.files("lifetimes") / "datasets"
    with resources.as_file(folder / "cdnow_customers_summary_with_transactions.csv") as p:
        raw = pd.read_csv(p, index_col=0)
    return raw.rename(columns={"x": "frequency", "t_x": "recency", "zbar": "monetary_value"})


@pytest.mark.parametrize(("cls", "params"), PUBLISHED, ids=IDS)
def test_built_models_are_fitted(cls, params, tmp_path) -> None:
    model = cls.from_params(**params)
    assert type(model) is cls
    check_is_fitted(model)  # no NotFittedError
    assert model.params == params
    table = model.summary() if cls is SBGModel else model.summary
    assert table["estimate"].to_dict() == params
    assert table["std_error"].isna().all()  # nothing was estimated
    assert model.get_params() == cls().get_params()  # default settings
    path = tmp_path / "model.json"
    model.save(path)
    assert load_model(path).params == params


@pytest.mark.parametrize(
    ("fit", "cls"), [(fit_bgnbd, BGNBDModel), (fit_mbgnbd, MBGNBDModel)])
def test_purchase_model_from_fitted_params_predicts_the_same(fit, cls, cdnow) -> None:
    fitted = fit(cdnow)
    built = cls.from_params(**fitted.params)
    pd.testing.assert_series_equal(built.p_alive(cdnow), fitted.p_alive(cdnow))
    pd.testing.assert_series_equal(built.predict_purchases(cdnow, 39),
                                   fitted.predict_purchases(cdnow, 39))
    np.testing.assert_array_equal(built.expected_purchases([10, 78]),
                                  fitted.expected_purchases([10, 78]))


def test_paretonbd_from_published_params_predicts(cdnow) -> None:
    model = ParetoNBDModel.from_params(r=0.5534, alpha=10.5802, s=0.6061, beta=11.6562)
    # Fader, Hardie & Lee's note: expected repeat purchases of a new customer in 52 weeks
    # is about 1.47 (BG/NBD: 1.45); P(alive) in [0, 1]
    assert model.expected_purchases(52)[0] == pytest.approx(1.4728, abs=1e-3)
    alive = model.p_alive(cdnow)
    assert alive.between(0, 1).all()


def test_gamma_gamma_from_params_predicts_the_same(cdnow) -> None:
    fitted = fit_gamma_gamma(cdnow)
    built = GammaGammaModel.from_params(**fitted.params)
    pd.testing.assert_series_equal(built.expected_spend(cdnow), fitted.expected_spend(cdnow))
    assert built.mean_spend_ == pytest.approx(fitted.mean_spend_)
    assert math.isnan(GammaGammaModel.from_params(p=1.0, q=0.5, v=2.0).mean_spend_)


def test_sbg_from_params_predicts_the_same() -> None:
    fitted = fit_sbg([1000, 631, 468, 380, 326, 289, 262, 241])
    built = SBGModel.from_params(**fitted.params)
    np.testing.assert_array_equal(built.survival(np.arange(13)), fitted.survival(np.arange(13)))
    assert built.derl(0.1, renewals=2) == fitted.derl(0.1, renewals=2)
    table = built.project(12, cohort_size=1000)
    np.testing.assert_allclose(table["expected_active"],
                               fitted.project(12, cohort_size=1000)["expected_active"])
    assert not table["observed"].any() and table["observed_survival"].isna().all()
    with pytest.raises(ParameterError, match="project\\(\\) needs cohort_size for a model"):
        built.project(12)


def test_bgbb_from_published_params_reproduces_the_paper() -> None:
    from clvkit.datasets._cdnow import read_lifetimes_csv

    d = read_lifetimes_csv("donations.csv").rename(columns={"periods": "n_periods"})
    model = BGBBModel.from_params(alpha=1.204, beta=0.750, gamma=0.657, delta=2.783)
    ll = model.log_likelihood_ if hasattr(model, "log_likelihood_") else None
    assert ll is None  # nothing was fitted
    assert model.expected_purchases(6)[0] == pytest.approx(2.22, abs=0.01)
    assert model.p_alive(d).between(0, 1).all()


@pytest.mark.parametrize(("cls", "params"), PUBLISHED, ids=IDS)
def test_bad_parameters_raise(cls, params) -> None:
    names = list(params)
    first = names[0]
    missing = {k: v for k, v in params.items() if k != first}
    with pytest.raises(ParameterError, match=rf"needs exactly the parameters .*missing '{first}'"):
        cls.from_params(**missing)
    with pytest.raises(ParameterError, match=r"unknown 'theta'.*Example: "):
        cls.from_params(**params, theta=1.0)
    with pytest.raises(ParameterError, match=rf"must be a finite number > 0; 1 of "
                       rf"{len(names)} are not \({first}=-1\.0\)"):
        cls.from_params(**{**params, first: -1.0})
    with pytest.raises(ParameterError, match=rf"\({first}=nan\)"):
        cls.from_params(**{**params, first: float("nan")})
    with pytest.raises(ParameterError, match=rf"\({first}='1'\)"):
        cls.from_params(**{**params, first: "1"})
