"""BG/NBD and Pareto/NBD with time-invariant covariates (Fader & Hardie 2007, note 019):
recovery of a known effect, the likelihood-ratio test, the unchanged no-covariate path,
the gradients, persistence and errors in the user's terms."""

from __future__ import annotations

import warnings
from importlib import resources

import numpy as np
import pandas as pd
import pytest
from sklearn.base import clone
from sklearn.exceptions import NotFittedError

from clvkit.exceptions import DataValidationError, ParameterError
from clvkit.models import (
    BGNBDCovariateModel,
    BGNBDModel,
    ParetoNBDCovariateModel,
    ParetoNBDModel,
    _predict,
    fit_bgnbd,
    fit_paretonbd,
    load_model,
    simulate_bgnbd_summary,
)
from clvkit.models import _likelihood as lik
from clvkit.models._covfit import CovData, bgnbd_cov, paretonbd_cov

TRUTH = {"r": 0.6, "alpha": 4.0, "a": 0.8, "b": 3.0, "gamma1": np.log(2.0), "gamma2": 0.5,
         "gamma3": 0.0}


def simulate(n: int, *, seed: int, effect: bool = True) -> pd.DataFrame:
    """BG/NBD summaries (weeks) of two acquisition channels.

    "social" customers (40%) buy at twice the rate of "search" customers
    (alpha / 2, i.e. gamma1 = ln 2) and have a = 0.8 e^0.5 (gamma2 = 0.5, gamma3 = 0):
    higher odds of dropping out after a purchase. ``effect=False``: one process for all.
    Ages T are whole weeks 26..78; ``score`` is a numeric attribute with no effect.
    """
    rng = np.random.default_rng(seed)
    social = rng.random(n) < 0.4
    on = social & effect
    out = simulate_bgnbd_summary(
        TRUTH["r"], TRUTH["alpha"] * np.exp(-TRUTH["gamma1"] * on),
        TRUTH["a"] * np.exp(TRUTH["gamma2"] * on), TRUTH["b"] * np.exp(TRUTH["gamma3"] * on),
        T=rng.integers(26, 79, n).astype(float), seed=seed + 1)
    out.index = pd.Index([f"C{k:05d}" for k in range(n)], name="customer_id")
    return out.assign(channel=np.where(social, "social", "search"),
                      score=rng.normal(50.0, 10.0, n))


@pytest.fixture(scope="module")
def channels() -> pd.DataFrame:
    return simulate(30_000, seed=11)


@pytest.fixture(scope="module")
def model(channels: pd.DataFrame) -> BGNBDCovariateModel:
    return fit_bgnbd(channels, purchase_covariates=["channel"], dropout_covariates=["channel"])


@pytest.fixture(scope="module")
def cdnow() -> pd.DataFrame:
    folder = resources.files("lifetimes") / "datasets"
    with resources.as_file(folder / "cdnow_customers_summary_with_transactions.csv") as p:
        raw = pd.read_csv(p, index_col=0)
    out = raw.rename(columns={"x": "frequency", "t_x": "recency"})[["frequency", "recency", "T"]]
    out.index.name = "customer_id"
    return out


# --- recovery and the likelihood-ratio test -------------------------------------------
def test_recovers_a_known_channel_effect(model: BGNBDCovariateModel) -> None:
    assert isinstance(model, BGNBDCovariateModel)
    coef = model.coefficients_.set_index("process")
    assert list(coef["term"]) == ["channel=social"] * 3
    assert set(coef["reference"]) == {"search"}  # the most frequent level (60%)
    for process, key in (("purchase", "gamma1"), ("dropout_a", "gamma2"),
                         ("dropout_b", "gamma3")):
        est, se = coef.loc[process, ["estimate", "std_error"]]
        assert 0 < se < 0.1
        assert abs(est - TRUTH[key]) < 3 * se, (process, est, se)
    for k in ("r", "alpha", "a", "b"):
        assert abs(model.params_[k] - TRUTH[k]) < 3 * model.standard_errors_[k], k
    lr = model.lr_test_
    assert lr["df"] == 3 and lr["statistic"] > 100 and lr["p_value"] < 1e-10
    assert lr["statistic"] == pytest.approx(2 * (lr["log_likelihood"]
                                                 - lr["log_likelihood_null"]))
    assert model.diagnostics_["converged"] and model.diagnostics_["at_edge"] == []
    assert model.n_customers_ == 30_000 and model.n_unique_ < 30_000


def test_level_effects_cover_the_truth(model: BGNBDCovariateModel) -> None:
    eff = model.level_effects(level=0.99).set_index("level")
    ref, social = eff.loc["search"], eff.loc["social"]
    assert bool(ref["reference"]) and ref["rate_ratio"] == 1.0
    assert ref["n_customers"] + social["n_customers"] == 30_000
    assert social["rate_low"] < 2.0 < social["rate_high"]
    assert social["dropout_odds_low"] < np.exp(0.5) < social["dropout_odds_high"]
    truth_p = 0.8 * np.exp(0.5) / (0.8 * np.exp(0.5) + 3.0)
    assert social["dropout_low"] < truth_p < social["dropout_high"]
    assert ref["dropout_low"] < 0.8 / 3.8 < ref["dropout_high"]
    narrow = model.level_effects(level=0.5).set_index("level").loc["social"]
    assert social["rate_low"] < narrow["rate_low"] < narrow["rate_high"] < social["rate_high"]


def test_a_null_covariate_is_not_significant() -> None:
    summary = simulate(20_000, seed=5, effect=False)
    m = fit_bgnbd(summary, purchase_covariates=["channel", "score"],
                  dropout_covariates=["channel"])
    assert m.lr_test_["df"] == 4
    assert m.lr_test_["p_value"] > 0.05
    assert m.lr_test_["log_likelihood"] >= m.lr_test_["log_likelihood_null"]
    assert (m.coefficients_["p_value"] > 0.01).all()


def test_numeric_covariates_are_reported_in_their_own_units() -> None:
    summary = simulate(4_000, seed=3, effect=False)
    wide = summary.assign(score_k=summary["score"] * 1000)
    a = fit_bgnbd(summary, purchase_covariates=["score"])
    b = fit_bgnbd(wide, purchase_covariates=["score_k"])
    ea, eb = (m.coefficients_.iloc[0] for m in (a, b))
    assert eb["estimate"] * 1000 == pytest.approx(ea["estimate"], rel=1e-4, abs=1e-9)
    assert eb["std_error"] * 1000 == pytest.approx(ea["std_error"], rel=1e-3)
    assert a.log_likelihood_ == pytest.approx(b.log_likelihood_, abs=1e-6)
    row = a.level_effects().iloc[0]
    assert row["level"] is None and row["rate_ratio"] == pytest.approx(np.exp(ea["estimate"]))
    assert "dropout_probability" not in a.level_effects()


# --- the plain model is unchanged -----------------------------------------------------
def test_without_covariates_fit_bgnbd_is_the_plain_model(cdnow: pd.DataFrame) -> None:
    plain = fit_bgnbd(cdnow)
    assert type(plain) is BGNBDModel
    direct = BGNBDModel().fit(cdnow)
    for k, v in direct.params_.items():
        assert plain.params_[k] == pytest.approx(v, rel=1e-9)
    oracle = BGNBDModel(backend="lifetimes").fit(cdnow)  # lifetimes, the oracle
    for k, v in oracle.params_.items():
        assert plain.params_[k] == pytest.approx(v, rel=1e-5)


def test_zero_coefficients_give_the_plain_likelihood(cdnow: pd.DataFrame) -> None:
    rng = np.random.default_rng(0)
    n = len(cdnow)
    theta = np.array([0.243, 4.414, 0.793, 2.426])
    arrays = [cdnow[c].to_numpy(float) for c in ("frequency", "recency", "T")]
    X, Z = rng.normal(size=(n, 2)), rng.integers(0, 2, (n, 1)).astype(float)
    phi = np.concatenate([np.log(theta), np.zeros(4)])
    got = bgnbd_cov(phi, CovData(*arrays, np.ones(n), X, Z))[0]
    want = lik.bgnbd(theta, lik.PurchaseData(*arrays, np.ones(n)))[0]
    assert got == pytest.approx(want, rel=1e-12)
    assert round(got, 1) == -9582.4  # Fader, Hardie & Lee (2005)


def test_gradient_matches_finite_differences(cdnow: pd.DataFrame) -> None:
    rng = np.random.default_rng(1)
    n = len(cdnow)
    arrays = [cdnow[c].to_numpy(float) for c in ("frequency", "recency", "T")]
    d = CovData(*arrays, rng.integers(1, 4, n).astype(float),
                np.column_stack([rng.integers(0, 2, n), rng.normal(size=n)]),
                rng.integers(0, 2, (n, 1)).astype(float))
    phi = np.array([np.log(0.3), np.log(5.0), np.log(0.8), np.log(2.5), 0.3, -0.2, 0.4, -0.1])
    _, grad = bgnbd_cov(phi, d)
    h = 1e-6
    numeric = np.array([(bgnbd_cov(phi + e, d)[0] - bgnbd_cov(phi - e, d)[0]) / (2 * h)
                        for e in np.eye(phi.size) * h])
    np.testing.assert_allclose(grad, numeric, rtol=1e-6, atol=1e-4)


# --- predictions, alignment, persistence ---------------------------------------------
def test_predictions_use_each_customers_own_parameters(model, channels) -> None:
    head = channels.iloc[:500]
    own = model.customer_params(head)
    social = head["channel"] == "social"
    assert own.loc[~social, "alpha"].eq(model.params_["alpha"]).all()
    np.testing.assert_allclose(own.loc[social, "alpha"], model.params_["alpha"] * np.exp(
        -model.coefficients_["estimate"].iloc[0]))
    alive, cet = model.p_alive(head), model.predict_purchases(head, 26.0)
    for i in (np.flatnonzero(social)[:3].tolist() + np.flatnonzero(~social)[:3].tolist()):
        row, th = head.iloc[[i]], tuple(own.iloc[i])
        args = [row[c].to_numpy(float) for c in ("frequency", "recency", "T")]
        assert alive.iloc[i] == pytest.approx(_predict.p_alive("bgnbd", th, *args)[0])
        assert cet.iloc[i] == pytest.approx(
            _predict.conditional_purchases("bgnbd", th, 26.0, *args)[0])
    assert alive.between(0, 1).all() and alive.index.equals(head.index)


def test_covariates_table_is_aligned_by_customer_id(channels) -> None:
    part = channels.iloc[:3000]
    customers = part[["channel"]].reset_index().sample(frac=1.0, random_state=0)
    extra = pd.DataFrame({"customer_id": ["X1"], "channel": ["search"]})
    customers = pd.concat([customers, extra], ignore_index=True)  # not in the summary
    a = fit_bgnbd(part, purchase_covariates=["channel"])
    b = fit_bgnbd(part[["frequency", "recency", "T"]], purchase_covariates=["channel"],
                  covariates=customers)
    assert a.coefficients_["estimate"].iloc[0] == pytest.approx(
        b.coefficients_["estimate"].iloc[0], rel=1e-9)
    pd.testing.assert_series_equal(a.p_alive(part), b.p_alive(part[["frequency", "recency",
                                                                     "T"]], customers))


def test_save_and_load_round_trip(model, channels, tmp_path) -> None:
    path = tmp_path / "cov.json"
    model.save(path)
    back = load_model(path)
    assert type(back) is BGNBDCovariateModel and back.get_params() == model.get_params()
    pd.testing.assert_frame_equal(back.coefficients_, model.coefficients_)
    assert back.lr_test_ == model.lr_test_
    head = channels.iloc[:200]
    pd.testing.assert_series_equal(back.p_alive(head), model.p_alive(head))
    pd.testing.assert_frame_equal(back.level_effects(), model.level_effects())


def test_estimator_contract(model) -> None:
    fresh = clone(model)
    assert fresh.get_params() == {"purchase_covariates": ["channel"],
                                  "dropout_covariates": ["channel"], "penalizer_coef": 0.0}
    with pytest.raises(NotFittedError):
        fresh.p_alive(pd.DataFrame({"frequency": [1.0], "recency": [1.0], "T": [2.0]}))


# --- errors in the user's terms --------------------------------------------------------
@pytest.fixture(scope="module")
def small(channels) -> pd.DataFrame:
    return channels.iloc[:400].copy()


def test_unknown_column_is_named(small) -> None:
    with pytest.raises(DataValidationError, match=r"no covariate column\(s\) 'chanel'.*"
                                                  r"it has .*'channel'"):
        fit_bgnbd(small, purchase_covariates=["chanel"])


def test_single_level_covariate(small) -> None:
    with pytest.raises(DataValidationError, match=r"'region' has a single level \('north'\) "
                                                  r"among all 400 customers"):
        fit_bgnbd(small.assign(region="north"), dropout_covariates=["region"])
    with pytest.raises(DataValidationError, match=r"'flat' has the same value \(3\) for all 400"):
        fit_bgnbd(small.assign(flat=3.0), purchase_covariates=["flat"])


def test_missing_values_in_a_covariate(small) -> None:
    bad = small.copy()
    bad.loc[bad.index[[4, 9, 10]], "channel"] = None
    with pytest.raises(DataValidationError,
                       match=r"'channel' has 3 missing value\(s\) among 400 customers "
                             r"\(0.8%; e.g. customer_id C00004, C00009, C00010\)\. Fill them"):
        fit_bgnbd(bad, purchase_covariates=["channel"])


def test_covariates_table_must_cover_every_customer(small) -> None:
    customers = small[["channel"]].iloc[2:]
    with pytest.raises(DataValidationError, match=r"no row for 2 of 400 customers "
                                                  r"\(e.g. customer_id C00000, C00001\)"):
        fit_bgnbd(small, purchase_covariates=["channel"], covariates=customers)
    twice = pd.concat([small[["channel"]], small[["channel"]].iloc[:1]])
    with pytest.raises(DataValidationError, match=r"1 customer id\(s\) on more than one row"):
        fit_bgnbd(small, purchase_covariates=["channel"], covariates=twice)
    numbered = small[["channel"]].reset_index(drop=True)  # ids 0..399, not C00000..
    with pytest.raises(DataValidationError, match=r"no row for 400 of 400.*No id matches at all: "
                                                  r"the summary's ids are \w+, covariates= "
                                                  r"has int64 ids \(e.g. 0, 1, 2, ...\)"):
        fit_bgnbd(small, purchase_covariates=["channel"], covariates=numbered)
    with pytest.raises(DataValidationError, match="covariates= must be a DataFrame"):
        fit_bgnbd(small, purchase_covariates=["channel"], covariates=[1, 2])


def test_unseen_level_at_prediction(model, small) -> None:
    new = small.iloc[:5].assign(channel=["search", "tv", "tv", "social", "radio"])
    with pytest.raises(DataValidationError, match=r"3 customer\(s\) in level\(s\) 'tv', 'radio', "
                                                  r"which the model was not fitted on.*Known "
                                                  r"levels: 'search', 'social'"):
        model.p_alive(new)


def test_bad_settings(small) -> None:
    with pytest.raises(ParameterError, match="needs at least one covariate"):
        BGNBDCovariateModel().fit(small)
    with pytest.raises(ParameterError, match="backend='clvkit'"):
        fit_bgnbd(small, purchase_covariates=["channel"], backend="lifetimes")
    with pytest.raises(ParameterError, match=r"cannot use the model's own columns \('T'\)"):
        fit_bgnbd(small, dropout_covariates=["T"])
    with pytest.raises(ParameterError, match=r"names 'channel' more than once"):
        fit_bgnbd(small, purchase_covariates=["channel", "channel"])
    with pytest.raises(ParameterError, match=r"must be a list of column names; got 1 non-text"):
        fit_bgnbd(small, purchase_covariates=["channel", 3])
    with pytest.raises(ParameterError, match="level must be between 0 and 1"):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            fit_bgnbd(small, purchase_covariates="channel").level_effects(level=1.5)


def test_simulator_checks_its_parameters() -> None:
    with pytest.raises(ParameterError, match=r"invalid: alpha, T"):
        simulate_bgnbd_summary(0.5, -1.0, 0.8, 2.0, T=np.array([10.0, -1.0]))
    one = simulate_bgnbd_summary(0.5, 4.0, 0.8, 2.0, T=np.full(2000, 52.0), seed=3)
    assert (one["recency"] <= one["T"]).all() and (one.loc[one["frequency"] == 0, "recency"]
                                                     == 0).all()
    pd.testing.assert_frame_equal(one, simulate_bgnbd_summary(0.5, 4.0, 0.8, 2.0,
                                                              T=np.full(2000, 52.0), seed=3))


# --- Pareto/NBD with covariates -----------------------------------------------------------
def simulate_pareto(n: int, *, seed: int, effect: bool = True) -> pd.DataFrame:
    """Pareto/NBD summaries (weeks) of two regions.

    "north" customers (35%) have alpha0 e^-0.5 (gamma1 = 0.5: buy 1.65 times as often)
    and beta0 / 2 (gamma2 = ln 2: drop out twice as fast). A customer buys as a Poisson
    process (rate lambda ~ Gamma(r, alpha_i)) until min(lifetime, T), lifetime ~
    Exp(mu), mu ~ Gamma(s, beta_i); given x purchases in a span, the last one is the
    span times the maximum of x uniforms.
    """
    rng = np.random.default_rng(seed)
    north = rng.random(n) < 0.35
    on = north & effect
    alpha, beta = 10.0 * np.exp(-0.5 * on), 12.0 * np.exp(-np.log(2.0) * on)
    lam, mu = rng.gamma(0.55, 1.0 / alpha), rng.gamma(0.6, 1.0 / beta)
    age = rng.integers(26, 79, n).astype(float)
    span = np.minimum(rng.exponential(1.0 / mu), age)
    x = rng.poisson(lam * span).astype(float)
    tx = np.where(x > 0, span * rng.random(n) ** (1.0 / np.maximum(x, 1.0)), 0.0)
    return pd.DataFrame({"frequency": x, "recency": tx, "T": age,
                         "region": np.where(north, "north", "south")},
                        index=pd.Index([f"P{k:05d}" for k in range(n)], name="customer_id"))


def test_paretonbd_recovers_a_known_region_effect() -> None:
    summary = simulate_pareto(20_000, seed=7)
    m = fit_paretonbd(summary, purchase_covariates=["region"], dropout_covariates=["region"])
    assert isinstance(m, ParetoNBDCovariateModel)
    coef = m.coefficients_.set_index("process")
    assert set(coef["reference"]) == {"south"}
    for process, truth in (("purchase", 0.5), ("dropout", np.log(2.0))):
        est, se = coef.loc[process, ["estimate", "std_error"]]
        assert 0 < se < 0.1 and abs(est - truth) < 3 * se, (process, est, se)
    truth = {"r": 0.55, "alpha": 10.0, "s": 0.6, "beta": 12.0}
    for k, v in truth.items():
        assert abs(m.params_[k] - v) < 3 * m.standard_errors_[k], k
    assert m.lr_test_["df"] == 2 and m.lr_test_["p_value"] < 1e-10
    eff = m.level_effects(level=0.99).set_index("level").loc["north"]
    assert eff["dropout_rate_low"] < 2.0 < eff["dropout_rate_high"]
    alive = m.p_alive(summary.iloc[:300])
    own = m.customer_params(summary.iloc[:300])
    assert own["s"].nunique() == 1 and own["beta"].nunique() == 2
    i = int(np.flatnonzero(summary["region"].iloc[:300] == "north")[0])
    args = [summary[c].iloc[[i]].to_numpy(float) for c in ("frequency", "recency", "T")]
    assert alive.iloc[i] == pytest.approx(_predict.p_alive("paretonbd", tuple(own.iloc[i]),
                                                           *args)[0])


def test_paretonbd_null_covariate_and_plain_path() -> None:
    summary = simulate_pareto(6_000, seed=8, effect=False)
    m = fit_paretonbd(summary, purchase_covariates=["region"], dropout_covariates=["region"])
    assert m.lr_test_["p_value"] > 0.05 and m.lr_test_["df"] == 2
    plain = fit_paretonbd(summary)
    assert type(plain) is ParetoNBDModel
    assert m.null_params_ == plain.params_
    assert m.lr_test_["log_likelihood_null"] == pytest.approx(plain.log_likelihood_)


def test_paretonbd_likelihood_and_gradient(cdnow: pd.DataFrame) -> None:
    rng = np.random.default_rng(2)
    n = len(cdnow)
    arrays = [cdnow[c].to_numpy(float) for c in ("frequency", "recency", "T")]
    X, Z = rng.normal(size=(n, 1)), rng.integers(0, 2, (n, 2)).astype(float)
    theta = np.array([0.553, 10.58, 0.606, 11.67])  # CDNOW, Fader, Hardie & Shang note
    d = CovData(*arrays, np.ones(n), X, Z)
    zero = np.concatenate([np.log(theta), np.zeros(3)])
    plain = lik.paretonbd(theta, lik.PurchaseData(*arrays, np.ones(n)))[0]
    assert paretonbd_cov(zero, d)[0] == pytest.approx(plain, rel=1e-12)
    # alpha < beta in some rows and > in others: both branches of A0
    phi = np.concatenate([np.log([0.5, 9.0, 0.6, 11.0]), [0.3, 0.4, -0.5]])
    _, grad = paretonbd_cov(phi, d)
    h = 1e-5
    numeric = np.array([(paretonbd_cov(phi + e, d)[0] - paretonbd_cov(phi - e, d)[0]) / (2 * h)
                        for e in np.eye(phi.size) * h])
    np.testing.assert_allclose(grad, numeric, rtol=1e-5, atol=1e-3)


def test_from_params_predicts_with_the_given_effects(model, channels, tmp_path) -> None:
    built = BGNBDCovariateModel.from_params(
        **{k: model.params_[k] for k in ("r", "alpha", "a", "b")},
        purchase={"channel": {"reference": "search",
                              "social": model.coefficients_["estimate"].iloc[0]}},
        dropout_a={"channel": {"reference": "search",
                               "social": model.coefficients_["estimate"].iloc[1]}},
        dropout_b={"channel": {"reference": "search",
                               "social": model.coefficients_["estimate"].iloc[2]}})
    head = channels.iloc[:300]
    pd.testing.assert_series_equal(built.p_alive(head), model.p_alive(head))
    assert np.isnan(built.standard_errors_["r"]) and np.isnan(built.lr_test_["p_value"])
    built.save(tmp_path / "built.json")
    pd.testing.assert_series_equal(load_model(tmp_path / "built.json").p_alive(head),
                                   built.p_alive(head))
    # Pareto/NBD, a numeric purchase covariate and a dropout level only
    pareto = ParetoNBDCovariateModel.from_params(
        r=0.55, alpha=10.0, s=0.6, beta=12.0, purchase={"score": 0.01},
        dropout={"channel": {"reference": "search", "social": np.log(2.0)}})
    own = pareto.customer_params(head)
    np.testing.assert_allclose(own["alpha"], 10.0 * np.exp(-0.01 * head["score"]))
    np.testing.assert_allclose(own["beta"], np.where(head["channel"] == "social", 6.0, 12.0))
    eff = pareto.level_effects().set_index("column")
    assert eff.loc["score", "rate_ratio"] == pytest.approx(np.exp(0.01))


def test_from_params_errors() -> None:
    with pytest.raises(ParameterError, match=r"needs exactly the parameters r, alpha, a, b; "
                                             r"missing 'b'"):
        BGNBDCovariateModel.from_params(r=0.5, alpha=4.0, a=0.8)
    with pytest.raises(ParameterError, match=r"purchase\['channel'\] needs its reference level"):
        BGNBDCovariateModel.from_params(r=0.5, alpha=4.0, a=0.8, b=2.0,
                                        purchase={"channel": {"social": 0.7}})
    with pytest.raises(ParameterError, match=r"column 'channel' is given two ways"):
        BGNBDCovariateModel.from_params(
            r=0.5, alpha=4.0, a=0.8, b=2.0, dropout_a={"channel": {"reference": "web"}},
            dropout_b={"channel": {"reference": "store"}})
    with pytest.raises(ParameterError, match=r"must be a number \(numeric column\) or a mapping"):
        ParetoNBDCovariateModel.from_params(r=0.5, alpha=4.0, s=0.8, beta=2.0,
                                            dropout={"region": "north"})
    with pytest.raises(ParameterError, match=r"unknown 'dropout_a'"):
        ParetoNBDCovariateModel.from_params(r=0.5, alpha=4.0, s=0.8, beta=2.0,
                                            dropout_a={"region": 1.0})


def test_too_many_levels_and_a_level_without_repeat_buyers(small) -> None:
    with pytest.raises(DataValidationError, match=r"'id_like' has 400 levels \(e.g. 'C0000\d'.*"
                                                  r"at most 30 are supported.*group the rest"):
        fit_bgnbd(small.assign(id_like=small.index), purchase_covariates=["id_like"])
    quiet = small.copy()
    quiet["channel"] = np.where(np.arange(len(quiet)) < 30, "fax", quiet["channel"])
    quiet.loc[quiet["channel"] == "fax", ["frequency", "recency"]] = 0.0
    with pytest.warns(UserWarning, match=r"not well determined.*purchase:channel=fax"):
        m = fit_bgnbd(quiet, purchase_covariates=["channel"])
    assert "purchase:channel=fax" in m.diagnostics_["at_edge"]
