"""clvkit's own BTYD likelihoods, fits and predictions against lifetimes (the oracle)."""

from __future__ import annotations

import sys
import warnings
from importlib import resources

import numpy as np
import pandas as pd
import pytest

import clvkit as ck
from clvkit.exceptions import ConvergenceError, ParameterError
from clvkit.models import (
    BGNBDModel,
    _predict,
    customer_value,
    fit_bgnbd,
    fit_gamma_gamma,
    fit_mbgnbd,
    fit_paretonbd,
    simulate_realistic_log,
    simulate_transactions,
)
from clvkit.models import _lifetimes as lt
from clvkit.models import _likelihood as lik
from clvkit.models._diagnostics import DIAGNOSTIC_CODES

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

CDNOW_PARAMS = {
    "bgnbd": (0.243, 4.414, 0.793, 2.426),
    "mbgnbd": (0.525, 6.183, 0.891, 1.614),
    "paretonbd": (0.553, 10.58, 0.606, 11.67),
}


@pytest.fixture(scope="module")
def cdnow() -> pd.DataFrame:
    folder = resources.files("lifetimes") / "datasets"
    with resources.as_file(folder / "cdnow_customers_summary_with_transactions.csv") as p:
        raw = pd.read_csv(p, index_col=0)
    out = raw.rename(columns={"x": "frequency", "t_x": "recency", "zbar": "monetary_value"})
    out.index.name = "customer_id"
    return out


@pytest.fixture(scope="module")
def realistic() -> pd.DataFrame:
    """A three-year daily log with heavy buyers and same-day repeats, summarised by day."""
    tx = simulate_realistic_log(6_000, seed=5)
    return ck.rfm_summary(tx, observation_end=tx.attrs["observation_end"], freq="D")


def _arrays(summary: pd.DataFrame) -> tuple[np.ndarray, ...]:
    return tuple(summary[c].to_numpy(float) for c in ("frequency", "recency", "T"))


def _central(func, theta: np.ndarray, data) -> np.ndarray:
    out = np.empty(theta.size)
    for i in range(theta.size):
        h = 1e-6 * theta[i]
        up, down = theta.copy(), theta.copy()
        up[i] += h
        down[i] -= h
        out[i] = (func(up, data)[0] - func(down, data)[0]) / (2 * h)
    return out


# --- likelihoods ---------------------------------------------------------------------
@pytest.mark.parametrize("kind", ["bgnbd", "mbgnbd", "paretonbd"])
def test_purchase_log_likelihood_equals_lifetimes_and_gradient_is_exact(cdnow, kind) -> None:
    x, tx, T = _arrays(cdnow)
    theta = np.array(CDNOW_PARAMS[kind])
    func = {"bgnbd": lik.bgnbd, "mbgnbd": lik.mbgnbd, "paretonbd": lik.paretonbd}[kind]
    data = lik.PurchaseData(x, tx, T, np.ones_like(x))
    ll, grad = func(theta, data)
    reference = lt.log_likelihood(kind, dict(zip(lt.PARAM_NAMES[kind], theta, strict=True)),
                                  (x, tx, T), np.ones_like(x))
    assert ll == pytest.approx(reference, rel=1e-12)
    np.testing.assert_allclose(grad, _central(func, theta, data), rtol=1e-4, atol=1e-3)


def test_gamma_gamma_log_likelihood_and_gradient(cdnow) -> None:
    rep = cdnow[(cdnow["frequency"] > 0) & (cdnow["monetary_value"] > 0)]
    x, m = rep["frequency"].to_numpy(float), rep["monetary_value"].to_numpy(float)
    data = lik.SpendData(x, m, np.ones_like(x))
    theta = np.array([6.25, 3.74, 15.44])
    ll, grad = lik.gamma_gamma(theta, data)
    reference = lt.log_likelihood("gamma_gamma", {"p": 6.25, "q": 3.74, "v": 15.44}, (x, m),
                                  np.ones_like(x))
    assert ll == pytest.approx(reference, rel=1e-12)
    np.testing.assert_allclose(grad, _central(lik.gamma_gamma, theta, data), rtol=1e-5)


# --- fits equal lifetimes' ---------------------------------------------------------------
@pytest.mark.parametrize("fit", [fit_bgnbd, fit_mbgnbd, fit_gamma_gamma])
@pytest.mark.parametrize("penalizer_coef", [0.0, 0.01])
def test_clvkit_backend_equals_lifetimes_on_cdnow(cdnow, fit, penalizer_coef) -> None:
    with warnings.catch_warnings():  # penalised Gamma-Gamma warns q <= 1 (tested elsewhere)
        warnings.simplefilter("ignore", UserWarning)
        ours = fit(cdnow, penalizer_coef=penalizer_coef)
        theirs = fit(cdnow, penalizer_coef=penalizer_coef, backend="lifetimes")
    assert ours.diagnostics_["backend"] == "clvkit"
    for name, value in theirs.params.items():
        assert ours.params[name] == pytest.approx(value, rel=1e-6), name
    for name, value in theirs.standard_errors_.items():
        assert ours.standard_errors_[name] == pytest.approx(value, rel=1e-4), name
    assert ours.log_likelihood_ == pytest.approx(theirs.log_likelihood_, rel=1e-7)


def test_paretonbd_equals_lifetimes_nelder_mead_on_cdnow(cdnow) -> None:
    ours, theirs = fit_paretonbd(cdnow), fit_paretonbd(cdnow, backend="lifetimes")
    for name, value in theirs.params.items():
        assert ours.params[name] == pytest.approx(value, rel=1e-5), name
    assert ours.log_likelihood_ >= theirs.log_likelihood_ - 1e-6  # at least as good


@pytest.mark.parametrize("fit", [fit_bgnbd, fit_gamma_gamma])
def test_clvkit_backend_equals_lifetimes_on_a_realistic_daily_log(realistic, fit) -> None:
    ours, theirs = fit(realistic), fit(realistic, backend="lifetimes")
    for name, value in theirs.params.items():
        assert ours.params[name] == pytest.approx(value, rel=1e-6), name


def test_subsample_warm_start_gives_the_full_data_optimum(cdnow) -> None:
    # More than 20,000 distinct tuples (above the 20,000-tuple subsample) drawn from CDNOW-like
    # data; the warm-started Newton path must land on the same optimum as lifetimes.
    tx = simulate_transactions(60_000, bgnbd_params={"r": 0.243, "alpha": 4.414, "a": 0.793,
                                                     "b": 2.426},
                               gamma_gamma_params={"p": 6.25, "q": 3.74, "v": 15.44},
                               acquisition_weeks=60, observation_weeks=100, seed=2)
    summary = ck.rfm_summary(tx, observation_end=tx.attrs["observation_end"], freq="D")
    ours = fit_bgnbd(summary)
    assert ours.n_unique_ > 20_000
    # lifetimes' default tolerance (1e-7 on the gradient) leaves ~1e-6 of slack on this
    # flat surface; the oracle is lifetimes run to a tight tolerance.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        from lifetimes import BetaGeoFitter
        theirs = BetaGeoFitter().fit(*_arrays(summary), tol=1e-9)
    for name, value in theirs.params_.items():
        assert ours.params[name] == pytest.approx(value, rel=1e-7), name


# --- predictions equal lifetimes' ----------------------------------------------------------
@pytest.mark.parametrize("kind", ["bgnbd", "mbgnbd", "paretonbd"])
def test_predictions_equal_lifetimes(cdnow, kind) -> None:
    x, tx, T = _arrays(cdnow)
    theta = CDNOW_PARAMS[kind]
    params = dict(zip(lt.PARAM_NAMES[kind], theta, strict=True))
    np.testing.assert_allclose(_predict.p_alive(kind, theta, x, tx, T),
                               lt.predict(kind, params, "conditional_probability_alive",
                                          x, tx, T), rtol=1e-10)
    np.testing.assert_allclose(
        _predict.conditional_purchases(kind, theta, 39.0, x, tx, T),
        lt.predict(kind, params, "conditional_expected_number_of_purchases_up_to_time",
                   39.0, x, tx, T), rtol=1e-10)
    many = _predict.conditional_purchases_many(kind, theta, [0.0, 10.0, 39.0], x, tx, T)
    np.testing.assert_allclose(many[:, 2], _predict.conditional_purchases(
        kind, theta, 39.0, x, tx, T), rtol=1e-14)
    assert (many[:, 0] == 0).all()
    t = np.array([1.0, 10.0, 78.0])
    np.testing.assert_allclose(_predict.expected_purchases(kind, theta, t),
                               lt.predict(kind, params, "expected_number_of_purchases_up_to_time",
                                          t), rtol=1e-10)


# --- stability -------------------------------------------------------------------------------
def test_paretonbd_is_finite_for_heavy_buyers_where_lifetimes_is_nan() -> None:
    theta = CDNOW_PARAMS["paretonbd"]
    params = dict(zip(lt.PARAM_NAMES["paretonbd"], theta, strict=True))
    # 40-66 repeat weeks, and 462 repeat days over two and three years
    x = np.array([40.0, 66.0, 462.0, 462.0, 462.0])
    tx = np.array([100.0, 104.0, 728.0, 420.0, 1090.0])
    T = np.array([104.0, 104.0, 728.0, 728.0, 1095.0])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        assert np.isnan(lt.predict("paretonbd", params, "conditional_probability_alive",
                                   x, tx, T)).any()
    alive = _predict.p_alive("paretonbd", theta, x, tx, T)
    expected = _predict.conditional_purchases("paretonbd", theta, 30.0, x, tx, T)
    assert np.isfinite(alive).all() and np.isfinite(expected).all()
    assert alive[2] == pytest.approx(1.0) and alive[3] < 1e-50
    ll, grad = lik.paretonbd(np.array(theta), lik.PurchaseData(x, tx, T, np.ones(5)))
    assert np.isfinite(ll) and np.isfinite(grad).all()


def test_paretonbd_fits_a_multi_year_daily_log_with_finite_results(realistic) -> None:
    model = fit_paretonbd(realistic)
    assert np.isfinite(model.log_likelihood_)
    assert all(np.isfinite(v) for v in model.standard_errors_.values())
    assert realistic["frequency"].max() >= 40  # heavy buyers are in the data
    assert np.isfinite(model.p_alive(realistic)).all()
    assert np.isfinite(model.predict_purchases(realistic, 30.0)).all()
    assert model.diagnostics_["converged"]


# --- honest fits -------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def no_dropout() -> pd.DataFrame:
    """One year of weekly data where (almost) nobody drops out."""
    tx = simulate_transactions(5_000, bgnbd_params={"r": 0.8, "alpha": 6, "a": 0.002, "b": 20},
                               gamma_gamma_params={"p": 6, "q": 4, "v": 15},
                               acquisition_weeks=26, observation_weeks=52, seed=3)
    return ck.rfm_summary(tx, observation_end=tx.attrs["observation_end"], freq="W")


@pytest.mark.parametrize("fit", [fit_bgnbd, fit_mbgnbd, fit_paretonbd])
def test_edge_optimum_is_a_valid_fit_with_a_diagnostic(no_dropout, fit) -> None:
    with pytest.warns(UserWarning, match=r"no measurable dropout in this period; the best fit "
                                         r"puts (a|b|s|beta)=\S+ at the edge"):
        model = fit(no_dropout)
    diag = model.diagnostics_
    assert diag["converged"] is True
    assert {"a", "b", "s", "beta"} & set(diag["at_edge"])
    assert diag["warnings"][0]["code"] == "edge_no_dropout"
    assert diag["n_customers"] == len(no_dropout)
    assert diag["n_repeaters"] == int((no_dropout["frequency"] > 0).sum())
    alive = model.p_alive(no_dropout)
    assert np.isfinite(alive).all() and alive.min() > 0.99
    assert np.isfinite(model.predict_purchases(no_dropout, 52.0)).all()


def test_lifetimes_backend_still_raises_on_the_edge(no_dropout) -> None:
    with pytest.raises(ConvergenceError, match=r"BG/NBD fit did not converge\. Try "
                                               r"penalizer_coef=0\.001 \(currently 0\.0\)"):
        fit_bgnbd(no_dropout, backend="lifetimes")


def test_diagnostics_have_the_documented_keys_and_every_code_has_sentences(cdnow) -> None:
    model = fit_bgnbd(cdnow)
    assert set(model.diagnostics_) >= {"converged", "at_edge", "log_likelihood",
                                       "n_customers", "n_repeaters", "penalizer_coef",
                                       "warnings"}
    assert model.diagnostics_["warnings"] == [] and model.diagnostics_["at_edge"] == []
    folder = resources.files("clvkit") / "locales"
    catalogue = tomllib.loads((folder / "models.toml").read_text(encoding="utf-8"))
    for lang in ("en", "zh"):
        for code in DIAGNOSTIC_CODES:
            assert f"btyd.diagnostic.{code}" in catalogue[lang], (lang, code)


def test_unknown_backend_is_refused(cdnow) -> None:
    with pytest.raises(ParameterError, match=r"backend must be one of 'clvkit', 'lifetimes'; "
                                             r"got 'pymc'"):
        BGNBDModel(backend="pymc").fit(cdnow)


# --- time units ------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def daily_log() -> pd.DataFrame:
    return simulate_transactions(3_000, bgnbd_params={"r": 0.243, "alpha": 4.414, "a": 0.793,
                                                      "b": 2.426},
                                 gamma_gamma_params={"p": 6.25, "q": 3.74, "v": 15.44},
                                 seed=11)


def test_customer_value_reads_the_unit_of_the_summary(daily_log) -> None:
    end = daily_log.attrs["observation_end"]
    daily = ck.rfm_summary(daily_log, observation_end=end, freq="D")
    weekly = ck.rfm_summary(daily_log, observation_end=end, freq="W")
    by_day = customer_value(daily)
    assert by_day.attrs["freq"] == "D"
    assert by_day.attrs["periods_per_month"] == pytest.approx(365.25 / 12)
    pd.testing.assert_series_equal(by_day["clv"], customer_value(daily, freq="D")["clv"])
    # the same customers valued from days or from weeks agree to a few percent in total
    total_w = customer_value(weekly)["clv"].sum()
    assert by_day["clv"].sum() == pytest.approx(total_w, rel=0.1)


def test_contradicting_time_arguments_are_refused(daily_log) -> None:
    end = daily_log.attrs["observation_end"]
    daily = ck.rfm_summary(daily_log, observation_end=end, freq="D")
    weekly = ck.rfm_summary(daily_log, observation_end=end, freq="W")
    with pytest.raises(ParameterError, match=r"customer_value\(freq='W'\) contradicts the "
                                             r"summary, which was built with freq='D' "
                                             r"\(periods of 1 days\)"):
        customer_value(daily, freq="W")
    with pytest.raises(ParameterError, match=r"periods_per_month=4.345\) contradicts the "
                                             r"summary's time unit, freq='D'"):
        customer_value(daily, periods_per_month=4.345)
    model = fit_bgnbd(weekly)
    with pytest.raises(ParameterError, match=r"the model was fitted on a summary with "
                                             r"freq='W' .* but this summary has freq='D'"):
        model.p_alive(daily)
    with pytest.raises(ParameterError, match=r"customer_value: the model was fitted on a "
                                             r"summary with freq='W'"):
        customer_value(daily, bgnbd=model)
    # the BTYD convention (weeks = days / 7) is a unit of 7 days, like freq="W"
    btyd_weeks = ck.rfm_summary(daily_log, observation_end=end, freq="D", freq_multiplier=7)
    assert customer_value(btyd_weeks, freq="W").attrs["time_unit"]["days"] == 7


# --- realistic generator -----------------------------------------------------------------------
def test_realistic_log_has_the_advertised_shape() -> None:
    a = simulate_realistic_log(2_000, seed=4)
    pd.testing.assert_frame_equal(a, simulate_realistic_log(2_000, seed=4))
    days = a["timestamp"].dt.normalize()
    span = (days.max() - days.min()).days
    assert span > 2.5 * 365  # acquisition and purchases over about three years
    firsts = a.groupby("customer_id")["timestamp"].min()
    assert (firsts > a["timestamp"].min() + pd.Timedelta(days=730)).mean() > 0.2
    assert a.assign(day=days).duplicated(["customer_id", "day"]).any()  # same-day repeats
    assert a.groupby("customer_id").size().max() > 100  # heavy buyers
    assert (a["timestamp"] < a.attrs["observation_end"] + pd.Timedelta(days=1)).all()
    with pytest.raises(ParameterError, match=r"Need years > 0 and shares in \[0, 1\]; got "
                                             r"years=3.0, heavy_share=2"):
        simulate_realistic_log(10, heavy_share=2)


def test_unfittable_data_is_reported_not_converged_after_an_automatic_penalty() -> None:
    # Negative ages make the likelihood undefined everywhere: every start fails, the
    # refit with the automatic penalty fails too, and the result says so.
    from clvkit.models import _fit

    data = lik.PurchaseData(np.array([1.0, 0.0]), np.array([-2.0, 0.0]),
                            np.array([-3.0, -3.0]), np.array([5.0, 5.0]))
    res = _fit.fit("bgnbd", data, penalizer_coef=0.0)
    assert res.converged is False
    assert res.penalizer_coef == _fit.AUTO_PENALIZER
    assert res.info["auto_penalizer"]["penalizer_coef"] == _fit.AUTO_PENALIZER
    assert res.restarts >= 4


def test_non_finite_predictions_are_flagged(cdnow) -> None:
    # BG/NBD's closed form is 0/0 at exactly a = 1: the value is NaN and flagged.
    model = fit_bgnbd(cdnow)
    model.params_ = {**model.params_, "a": 1.0}
    predicted = model.predict_purchases(cdnow, 10.0)
    n_bad = int(predicted.isna().sum())
    assert n_bad > 0
    assert predicted.attrs["warnings"] == [{"code": "nan_predictions", "values": {
        "what": "BG/NBD", "n": n_bad, "n_customers": len(cdnow)}}]
    gg = fit_gamma_gamma(cdnow)
    value = customer_value(cdnow, bgnbd=model, gamma_gamma=gg)
    codes = [(w["code"], w["values"]["what"]) for w in value.attrs["warnings"]]
    assert ("nan_predictions", "clv") in codes


def test_gamma_gamma_in_a_currency_with_large_units_is_the_same_fit(cdnow) -> None:
    # A currency with a million units per dollar: p and q unchanged, v scaled, and no
    # "extreme parameter" warning for a v in the millions (it is a scale, not a shape).
    base = fit_gamma_gamma(cdnow)
    scaled = fit_gamma_gamma(cdnow.assign(monetary_value=cdnow["monetary_value"] * 1e6))
    assert scaled.params["p"] == pytest.approx(base.params["p"], rel=1e-6)
    assert scaled.params["q"] == pytest.approx(base.params["q"], rel=1e-6)
    assert scaled.params["v"] == pytest.approx(base.params["v"] * 1e6, rel=1e-6)
    assert scaled.diagnostics_["warnings"] == []
