"""BG/NBD, Pareto/NBD, MBG/NBD and Gamma-Gamma: literature values, recovery, errors."""

from __future__ import annotations

import json
import warnings
from importlib import resources

import numpy as np
import pandas as pd
import pytest
from sklearn.base import clone
from sklearn.exceptions import NotFittedError

import clvkit
from clvkit.exceptions import ConvergenceError, DataValidationError, ParameterError
from clvkit.models import (
    BGNBDModel,
    GammaGammaModel,
    customer_value,
    fit_bgnbd,
    fit_gamma_gamma,
    fit_mbgnbd,
    fit_paretonbd,
    load_model,
    monthly_discount_rate,
    simulate_transactions,
)
from clvkit.models._compress import compress


def _sig3(x: float) -> str:
    return f"{x:.3g}"


@pytest.fixture(scope="module")
def cdnow() -> pd.DataFrame:
    """The CDNOW 1/10 sample summary used by the papers (39-week calibration, in weeks)."""
    folder = resources.files("lifetimes") / "datasets"
    path = folder / "cdnow_customers_summary_with_transactions.csv"
    with resources.as_file(path) as p:
        raw = pd.read_csv(p, index_col=0)
    summary = raw.rename(columns={"x": "frequency", "t_x": "recency", "zbar": "monetary_value"})
    summary.index.name = "customer_id"
    return summary


@pytest.fixture(scope="module")
def bgnbd(cdnow: pd.DataFrame) -> BGNBDModel:
    return fit_bgnbd(cdnow)


@pytest.fixture(scope="module")
def gamma_gamma(cdnow: pd.DataFrame) -> GammaGammaModel:
    return fit_gamma_gamma(cdnow)


# --- literature ---------------------------------------------------------------------
def test_bgnbd_params_match_fader_hardie_lee_2005(bgnbd: BGNBDModel) -> None:
    # Fader, Hardie & Lee (2005), section 4: r=0.243, alpha=4.414, a=0.793, b=2.426, LL=-9582.4
    assert set(bgnbd.params) == {"r", "alpha", "a", "b"}
    got = {k: _sig3(v) for k, v in bgnbd.params.items()}
    assert got == {"r": "0.243", "alpha": "4.41", "a": "0.793", "b": "2.43"}
    assert round(bgnbd.log_likelihood_, 1) == -9582.4
    assert bgnbd.n_customers_ == 2357
    assert bgnbd.n_repeaters_ == 2357 - 1411


def test_gamma_gamma_params_match_fader_hardie_2013(gamma_gamma: GammaGammaModel) -> None:
    # Fader & Hardie (2013), note 025: p=6.25, q=3.74, gamma=15.44 on the 946 repeaters
    got = {k: _sig3(v) for k, v in gamma_gamma.params.items()}
    assert got == {"p": "6.25", "q": "3.74", "v": "15.4"}
    assert gamma_gamma.n_repeaters_ == 946
    p, q, v = (gamma_gamma.params[k] for k in "pqv")
    assert gamma_gamma.mean_spend_ == pytest.approx(p * v / (q - 1))


def test_paretonbd_params_match_fader_hardie_lee_2005_note(cdnow: pd.DataFrame) -> None:
    # Fader, Hardie & Lee (2005), "A note on implementing the Pareto/NBD model in MATLAB":
    # r=0.5534, alpha=10.5802, s=0.6061, beta=11.6562, LL=-9595.0
    model = fit_paretonbd(cdnow)
    got = {k: _sig3(v) for k, v in model.params.items()}
    assert got == {"r": "0.553", "alpha": "10.6", "s": "0.606", "beta": "11.7"}
    assert round(model.log_likelihood_, 0) == -9595.0
    # lifetimes gives no standard errors for Pareto/NBD; ours come from a numerical Hessian
    assert all(0 < se < model.params[k] for k, se in model.standard_errors_.items())


def test_numerical_standard_errors_equal_lifetimes_autograd(cdnow, bgnbd) -> None:
    from clvkit.models import _lifetimes

    arrays = tuple(cdnow[c].to_numpy(float) for c in ("frequency", "recency", "T"))
    numerical = _lifetimes.standard_errors("bgnbd", bgnbd.params, arrays, np.ones(len(cdnow)))
    assert numerical == pytest.approx(bgnbd.standard_errors_, rel=1e-4)


def test_standard_errors_match_observed_information(bgnbd: BGNBDModel) -> None:
    # lifetimes' autograd Hessian gives these for the same fit; ours is numerical.
    expected = {"r": 0.012557, "alpha": 0.378221, "a": 0.185719, "b": 0.705345}
    for name, se in expected.items():
        assert bgnbd.standard_errors_[name] == pytest.approx(se, rel=1e-3)
    table = bgnbd.summary
    assert list(table.columns) == ["estimate", "std_error", "lower_95", "upper_95"]
    assert (table["lower_95"] < table["estimate"]).all()
    assert (table["estimate"] < table["upper_95"]).all()


# --- compression --------------------------------------------------------------------
def test_compress_groups_identical_rows() -> None:
    x = np.array([1, 0, 1, 1, 0])
    t = np.array([2.0, 0.0, 2.0, 3.0, 0.0])
    packed = compress(x, t)
    assert packed.n_unique == 3
    assert packed.columns[0].tolist() == [1, 0, 1]
    assert packed.columns[1].tolist() == [2.0, 0.0, 3.0]
    assert packed.weights.tolist() == [2, 2, 1]
    assert packed.inverse.tolist() == [0, 1, 0, 2, 1]
    assert packed.expand(np.array([10, 20, 30])).tolist() == [10, 20, 10, 30, 20]


def test_compress_of_runs_equals_compress_of_shuffled_rows() -> None:
    """Rows in runs of equal neighbours (tuples repeated by their counts) take the
    run-by-run path; it gives the same unique rows, counts and inverse as hashing."""
    rng = np.random.default_rng(4)
    counts = rng.integers(1, 6, 60)
    x, t = np.repeat(rng.integers(0, 4, 60), counts), np.repeat(rng.integers(0, 3, 60) / 7,
                                                                 counts)
    assert np.count_nonzero((x[1:] != x[:-1]) | (t[1:] != t[:-1])) < 0.75 * x.size
    runs = compress(x, t)
    order = rng.permutation(x.size)
    mixed = compress(x[order], t[order])
    assert runs.n_unique == mixed.n_unique < x.size
    assert (runs.columns[0][runs.inverse] == x).all()
    assert (runs.columns[1][runs.inverse] == t).all()
    assert sorted(zip(*runs.columns, runs.weights, strict=True)) == sorted(
        zip(*mixed.columns, mixed.weights, strict=True))
    first = [int(np.flatnonzero(runs.inverse == k)[0]) for k in range(runs.n_unique)]
    assert first == sorted(first)  # unique rows in order of first appearance


@pytest.mark.parametrize(
    ("fit", "rel"), [(fit_bgnbd, 1e-6), (fit_mbgnbd, 1e-6), (fit_paretonbd, 1e-4)]
)
def test_compressed_fit_equals_plain_fit_on_cdnow(cdnow: pd.DataFrame, fit, rel: float) -> None:
    fast, plain = fit(cdnow), fit(cdnow, compress=False)
    assert fast.n_unique_ < plain.n_unique_ == 2357
    for name, value in plain.params.items():
        assert fast.params[name] == pytest.approx(value, rel=rel)
    pd.testing.assert_series_equal(fast.p_alive(cdnow), plain.p_alive(cdnow), rtol=1e-4)
    pd.testing.assert_series_equal(
        fast.predict_purchases(cdnow, 39.0), plain.predict_purchases(cdnow, 39.0), rtol=1e-4
    )


def test_compressed_gamma_gamma_equals_plain(cdnow: pd.DataFrame) -> None:
    fast, plain = fit_gamma_gamma(cdnow), fit_gamma_gamma(cdnow, compress=False)
    for name, value in plain.params.items():
        assert fast.params[name] == pytest.approx(value, rel=1e-6)
    pd.testing.assert_series_equal(fast.expected_spend(cdnow), plain.expected_spend(cdnow))


# --- parameter recovery ---------------------------------------------------------------
def _exact_summary(tx: pd.DataFrame) -> pd.DataFrame:
    """Continuous-time (x, t_x, T, mean repeat spend) in weeks, computed by hand."""
    week = pd.Timedelta(days=7)
    end = tx.attrs["observation_end"]
    g = tx.groupby("customer_id")
    first, last = g["timestamp"].min(), g["timestamp"].max()
    repeat = tx[tx["timestamp"] > tx["customer_id"].map(first)]
    spend = repeat.groupby("customer_id")["amount"].mean().reindex(first.index, fill_value=0.0)
    return pd.DataFrame({
        "frequency": g.size() - 1, "recency": (last - first) / week,
        "T": (end - first) / week, "monetary_value": spend,
    })


def test_fits_recover_simulated_parameters() -> None:
    # 20,000 customers drawn from known parameters. The MLE is asymptotically normal,
    # so each estimate should be within 4 standard errors of the truth (a false alarm
    # has probability ~6e-5 per parameter). Gamma-Gamma's p and v are strongly
    # correlated, so its better-determined quantity, the mean spend p*v/(q-1), is also
    # required within 5% of the truth (30).
    truth_bg = {"r": 0.25, "alpha": 4.0, "a": 0.8, "b": 2.5}
    truth_gg = {"p": 6.0, "q": 4.0, "v": 15.0}
    tx = simulate_transactions(20_000, bgnbd_params=truth_bg, gamma_gamma_params=truth_gg,
                               seed=7)
    summary = _exact_summary(tx)
    for model, truth in ((fit_bgnbd(summary), truth_bg), (fit_gamma_gamma(summary), truth_gg)):
        for name, value in truth.items():
            assert abs(model.params[name] - value) < 4 * model.standard_errors_[name], name
    gg = fit_gamma_gamma(summary)
    assert gg.mean_spend_ == pytest.approx(30.0, rel=0.05)


def test_simulation_is_deterministic_and_checks_arguments() -> None:
    kw = {"bgnbd_params": {"r": 0.3, "alpha": 5, "a": 1, "b": 3},
          "gamma_gamma_params": {"p": 5, "q": 3, "v": 10}}
    a, b = simulate_transactions(200, seed=3, **kw), simulate_transactions(200, seed=3, **kw)
    pd.testing.assert_frame_equal(a, b)
    assert a["customer_id"].nunique() == 200
    assert (a["timestamp"] <= a.attrs["observation_end"]).all()
    with pytest.raises(ParameterError, match=r"bgnbd_params needs positive r, alpha, a, b"):
        simulate_transactions(10, bgnbd_params={"r": 1},
                              gamma_gamma_params=kw["gamma_gamma_params"])


# --- customer_value ---------------------------------------------------------------------
def test_customer_value_table(cdnow, bgnbd, gamma_gamma) -> None:
    before = cdnow.copy()
    cv = customer_value(cdnow, bgnbd=bgnbd, gamma_gamma=gamma_gamma)
    pd.testing.assert_frame_equal(cdnow, before)  # input untouched
    assert list(cv.columns) == ["p_alive", "expected_purchases", "expected_spend", "clv"]
    assert cv.index.equals(cdnow.index)
    assert cv.notna().all().all()
    assert cv["p_alive"].between(0, 1).all()
    assert (cv["clv"] >= 0).all()
    assert cv.attrs["gamma_gamma_independence"]["n_repeaters"] == 946
    assert cv.attrs["purchase_params"] == bgnbd.params
    # one-time buyers get the population mean spend
    one_time = cdnow["frequency"] == 0
    assert np.allclose(cv.loc[one_time, "expected_spend"], gamma_gamma.mean_spend_)
    # P(alive) of a one-time buyer is 1 under BG/NBD
    assert (cv.loc[one_time, "p_alive"] == 1).all()


def test_customer_value_one_month_without_discount_is_spend_times_purchases(cdnow, bgnbd,
                                                                             gamma_gamma) -> None:
    cv = customer_value(cdnow, bgnbd=bgnbd, gamma_gamma=gamma_gamma, horizon_months=1,
                        discount_rate_annual=0.0, margin=0.3)
    purchases = bgnbd.predict_purchases(cdnow, 365.25 / 12 / 7)
    spend = gamma_gamma.expected_spend(cdnow)
    np.testing.assert_allclose(cv["clv"], 0.3 * spend * purchases, rtol=1e-12)
    np.testing.assert_allclose(cv["expected_purchases"], purchases, rtol=1e-12)


def test_customer_value_equals_lifetimes_clv(cdnow, bgnbd, gamma_gamma) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        from lifetimes import BetaGeoFitter, GammaGammaFitter
        bg = BetaGeoFitter().fit(cdnow["frequency"].to_numpy(), cdnow["recency"].to_numpy(),
                                 cdnow["T"].to_numpy())
        rep = cdnow[cdnow["frequency"] > 0]
        gg = GammaGammaFitter().fit(rep["frequency"].to_numpy(), rep["monetary_value"].to_numpy())
        expected = gg.customer_lifetime_value(
            bg, cdnow["frequency"], cdnow["recency"], cdnow["T"], cdnow["monetary_value"],
            time=6, discount_rate=0.01, freq="W")
    cv = customer_value(cdnow, bgnbd=bgnbd, gamma_gamma=gamma_gamma, horizon_months=6,
                        discount_rate_monthly=0.01, periods_per_month=4.345)
    # clvkit's own fit equals lifetimes' to ~4e-7; the atol covers customers worth < 1e-6 $
    np.testing.assert_allclose(cv["clv"].to_numpy(), expected.to_numpy(), rtol=1e-6, atol=1e-9)


def test_annual_and_equivalent_monthly_discount_agree(cdnow, bgnbd, gamma_gamma) -> None:
    assert monthly_discount_rate(0.1) == pytest.approx(1.1 ** (1 / 12) - 1)
    a = customer_value(cdnow, bgnbd=bgnbd, gamma_gamma=gamma_gamma, discount_rate_annual=0.1)
    b = customer_value(cdnow, bgnbd=bgnbd, gamma_gamma=gamma_gamma,
                       discount_rate_monthly=1.1 ** (1 / 12) - 1)
    np.testing.assert_allclose(a["clv"], b["clv"], rtol=1e-12)
    undiscounted = customer_value(cdnow, bgnbd=bgnbd, gamma_gamma=gamma_gamma,
                                  discount_rate_annual=0.0)
    assert (undiscounted["clv"] >= a["clv"]).all()


def test_customer_value_fits_both_models_by_default(cdnow) -> None:
    cv = customer_value(cdnow.head(1200), horizon_months=3, freq="W")
    assert cv.attrs["purchase_model"] == "BGNBDModel"
    assert len(cv) == 1200


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"horizon_months": 0}, r"horizon_months must be a whole number of months >= 1; got 0"),
        ({"horizon_months": 1.5}, r"horizon_months must be .* got 1.5"),
        ({"freq": "Q"}, r"freq must be one of 'D', 'W', 'M'; got 'Q'"),
        ({"margin": -0.2}, r"margin must be a finite number > 0; got -0.2"),
        ({"discount_rate_annual": -0.1}, r"discount_rate_annual must be a finite number >= 0"),
        ({"bgnbd": "bgnbd"}, r"bgnbd must be a fitted clvkit purchase model .* got str"),
    ],
)
def test_customer_value_rejects_bad_settings(cdnow, gamma_gamma, kwargs, match) -> None:
    kwargs.setdefault("gamma_gamma", gamma_gamma)
    with pytest.raises(ParameterError, match=match):
        customer_value(cdnow, **kwargs)


# --- estimator contract and persistence -----------------------------------------------
def test_estimator_contract(cdnow) -> None:
    model = BGNBDModel(penalizer_coef=0.01)
    assert clone(model).get_params() == {"penalizer_coef": 0.01, "compress": True,
                                         "backend": "clvkit"}
    with pytest.raises(NotFittedError):
        model.p_alive(cdnow)
    assert model.fit(cdnow) is model
    penalised = model.params
    model.set_params(penalizer_coef=0.0).fit(cdnow)
    assert model.params != penalised  # a second fit replaces what was learned
    assert fit_bgnbd(cdnow, penalizer_coef=0.01).params == pytest.approx(penalised)


def test_save_and_load_round_trip(tmp_path, bgnbd, gamma_gamma, cdnow) -> None:
    for model in (bgnbd, gamma_gamma):
        path = tmp_path / f"{type(model).__name__}.json"
        model.save(path)
        data = json.loads(path.read_text(encoding="utf-8"))
        assert data["clvkit_version"] == clvkit.__version__
        assert data["learned"]["params_"] == model.params
        loaded = load_model(path)
        assert type(loaded) is type(model)
        assert loaded.params == model.params
    pd.testing.assert_series_equal(load_model(tmp_path / "BGNBDModel.json").p_alive(cdnow),
                                   bgnbd.p_alive(cdnow))
    bad = tmp_path / "other.json"
    bad.write_text('{"model": "Sklearn"}', encoding="utf-8")
    with pytest.raises(ParameterError, match=r"is not a saved clvkit model \(model='Sklearn'\)"):
        load_model(bad)


# --- degenerate inputs ----------------------------------------------------------------------
def _tiny(**cols) -> pd.DataFrame:
    base = {"frequency": [2, 0, 1], "recency": [5.0, 0.0, 3.0], "T": [10.0, 8.0, 6.0],
            "monetary_value": [20.0, 0.0, 15.0]}
    base.update(cols)
    return pd.DataFrame(base, index=pd.Index(["A", "B", "C"], name="customer_id"))


@pytest.mark.parametrize(
    ("summary", "match"),
    [
        (_tiny().drop(columns="T"), r"summary table has no column\(s\) 'T'; it has 'frequency'"),
        (_tiny().iloc[:0], r"empty summary \(0 customers\)"),
        (_tiny(recency=[5.0, 0.0, np.nan]), r"1 of 3 customers have a missing or infinite "
                                             r"'recency' \(e.g. customer_id C\)"),
        (_tiny(recency=[11.0, 0.0, 3.0]), r"1 of 3 customers have recency larger than T .*"
                                          r"customer_id A\)"),
        (_tiny(recency=[5.0, 2.0, 3.0]), r"frequency 0 but a non-zero recency .*customer_id B"),
        (_tiny(frequency=[2, 0, -1]), r"negative or non-integer frequency .*customer_id C"),
        (_tiny(frequency=[2.5, 0, 1]), r"negative or non-integer frequency .*customer_id A"),
        (_tiny(frequency=[0, 0, 0], recency=[0.0] * 3),
         r"BG/NBD needs repeat purchases, but all 3 customers have frequency 0"),
        (_tiny().set_axis(pd.Index(["A", "A", "C"], name="customer_id")),
         r"2 of 3 customers have more than one row"),
        ([1, 2, 3], r"expects a per-customer summary DataFrame; got list"),
    ],
)
def test_bgnbd_rejects_invalid_summaries(summary, match) -> None:
    with pytest.raises(DataValidationError, match=match):
        fit_bgnbd(summary)


def test_gamma_gamma_rejects_negative_spend_and_one_time_buyers() -> None:
    with pytest.raises(DataValidationError,
                       match=r"1 of 3 customers have repeat purchases but monetary_value < 0 "
                             r"\(e.g. customer_id C\)\. Gamma-Gamma models positive spend"):
        fit_gamma_gamma(_tiny(monetary_value=[20.0, 0.0, -4.0]))
    with pytest.raises(DataValidationError, match=r"Gamma-Gamma needs repeat purchases"):
        fit_gamma_gamma(_tiny(frequency=[0, 0, 0], recency=[0.0] * 3))
    with pytest.raises(DataValidationError, match=r"has no column\(s\) 'monetary_value'"):
        fit_gamma_gamma(_tiny().drop(columns="monetary_value"))


def test_few_repeaters_warn(cdnow) -> None:
    sample = pd.concat([cdnow[cdnow["frequency"] > 0].head(12), cdnow[cdnow["frequency"] == 0]])
    with pytest.warns(UserWarning, match=r"Only 12 of 1,423 customers have repeat purchases; "
                                         r"BG/NBD estimates from so few"):
        fit_bgnbd(sample)


def test_no_interior_optimum_is_a_finite_fit_not_an_error() -> None:
    # Every repeater bought exactly once more, at the very end: the likelihood has no
    # interior optimum. lifetimes' optimiser gives up (its ConvergenceError, or numpy's
    # LinAlgError on its singular Hessian, depending on the BLAS: both become
    # clvkit's ConvergenceError with backend="lifetimes"); clvkit returns the
    # best fit it reaches, finite, with its diagnostics, and predicts finite values.
    summary = pd.DataFrame({"frequency": [1, 0] * 20, "recency": [5.0, 0.0] * 20,
                            "T": [5.0, 5.0] * 20})
    # Along the ridge r, alpha -> infinity (a Poisson limit) the likelihood is flat: how
    # far the optimiser walks depends on rounding, and beyond r = 1e6 the fit says so.
    # alpha runs off with r (the ridge keeps r / alpha): the analytic Hessian gives
    # both a relative standard error in the hundreds, so both are named.
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        model = fit_bgnbd(summary)
    assert all("ill-conditioned (extreme parameters: r, alpha;" in str(w.message)
               for w in caught)
    diag = model.diagnostics_
    assert diag["n_customers"] == 40 and diag["n_repeaters"] == 20
    assert np.isfinite(diag["log_likelihood"])
    # the repeat buyers are alive (they bought at T); one-time buyers are alive by BG/NBD
    alive = model.p_alive(summary)
    assert np.isfinite(alive).all() and alive.iloc[1] == 1.0
    assert np.isfinite(model.predict_purchases(summary, 5.0)).all()
    with pytest.raises(ConvergenceError, match=r"BG/NBD fit did not converge\. Try "
                                               r"penalizer_coef=0\.001 \(currently 0\.0\).*"
                                               r"40 customers, 20 with repeat purchases"):
        fit_bgnbd(summary, backend="lifetimes")


def test_prediction_arguments_are_checked(bgnbd, cdnow) -> None:
    with pytest.raises(ParameterError, match=r"t must be a finite number >= 0; got -1"):
        bgnbd.predict_purchases(cdnow, -1)
    assert (bgnbd.predict_purchases(cdnow, 0) == 0).all()
    assert bgnbd.expected_purchases([0.0, 39.0])[0] == 0


def test_heavy_tailed_spend_warns_and_blocks_clv(rng, bgnbd) -> None:
    # Log-normal order values with a huge spread: the Gamma-Gamma fit ends with q <= 1,
    # where the population mean spend p*v/(q-1) does not exist.
    n = 500
    summary = pd.DataFrame({
        "frequency": rng.integers(1, 3, n), "recency": 1.0, "T": 10.0,
        "monetary_value": np.round(np.exp(rng.normal(3, 2.5, n)), 2) + 0.01,
    })
    with pytest.warns(UserWarning, match=r"Gamma-Gamma estimate q=0\.\d+ <= 1: the population "
                                         r"mean spend p\*v/\(q-1\) is undefined"):
        gg = fit_gamma_gamma(summary)
    assert np.isnan(gg.mean_spend_)
    with pytest.raises(ParameterError, match=r"q=0\.\d+ <= 1, so its mean spend per order is "
                                             r"undefined and CLV cannot be computed"):
        customer_value(summary, bgnbd=bgnbd, gamma_gamma=gg)


def test_gamma_gamma_leaves_zero_spend_repeaters_out_of_the_fit(cdnow) -> None:
    # CDNOW keeps its zero-value orders: a repeat customer whose repeat orders were all
    # free has no Gamma likelihood. The fit must equal the fit without that customer,
    # and the prediction must follow eq. 5 at m_x = 0 (below the population mean).
    free = cdnow[cdnow["frequency"] > 0].index[0]
    data = cdnow.copy()
    data.loc[free, "monetary_value"] = 0.0
    with pytest.warns(UserWarning, match=r"1 repeat customers have monetary_value 0 .*"
                                         r"left out of the Gamma-Gamma fit"):
        model = fit_gamma_gamma(data)
    reference = fit_gamma_gamma(data.drop(index=free))
    for name, value in reference.params.items():
        assert model.params[name] == pytest.approx(value, rel=1e-6)
    p, q, v = (model.params[k] for k in ("p", "q", "v"))
    x = data.loc[free, "frequency"]
    spend = model.expected_spend(data.loc[[free]]).iloc[0]
    assert spend == pytest.approx((q - 1) / (p * x + q - 1) * p * v / (q - 1), rel=1e-9)
    assert 0 < spend < model.mean_spend_
